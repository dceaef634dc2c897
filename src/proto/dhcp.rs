//! DHCPv4 (RFC 2131, options RFC 2132): what a message says about the client it is for.
//!
//! Only the fields identity needs: the message type (option 53), transaction id, `ciaddr`,
//! `yiaddr`, the client's Ethernet address (`chaddr`), host name (option 12), client FQDN
//! (option 81, RFC 4702) and lease time (option 51). Options are read from the options field
//! and, when option 52 (overload) says so, from the `file` and then the `sname` fields
//! (RFC 2131 §4.1). The first instance of an option wins (RFC 3396 concatenation of long
//! options is not needed for names under 255 bytes).

#![deny(clippy::indexing_slicing)]

use std::net::Ipv4Addr;

use crate::wire::{be32, Cursor};

/// RFC 2131 §2: the fixed BOOTP header is 236 bytes, followed by the magic cookie.
const HEADER_LEN: usize = 236;
const MAGIC_COOKIE: [u8; 4] = [99, 130, 83, 99];
const SNAME_AT: usize = 44;
const SNAME_LEN: usize = 64;
const FILE_AT: usize = 108;
const FILE_LEN: usize = 128;

const OPT_PAD: u8 = 0;
const OPT_HOSTNAME: u8 = 12;
const OPT_LEASE: u8 = 51;
const OPT_OVERLOAD: u8 = 52;
const OPT_MSG_TYPE: u8 = 53;
const OPT_FQDN: u8 = 81;
const OPT_END: u8 = 255;

pub const DHCPREQUEST: u8 = 3;
pub const DHCPACK: u8 = 5;
pub const DHCPRELEASE: u8 = 7;
pub const DHCPINFORM: u8 = 8;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// Option 53; None for plain BOOTP.
    pub msg_type: Option<u8>,
    pub xid: u32,
    pub ciaddr: Ipv4Addr,
    pub yiaddr: Ipv4Addr,
    /// `chaddr` when the hardware type is Ethernet (1) with a 6-byte address, as tshark's
    /// `dhcp.hw.mac_addr`.
    pub mac: Option<[u8; 6]>,
    /// Option 12, raw bytes up to the first NUL.
    pub hostname: Option<Vec<u8>>,
    /// Option 81's domain name, in dotted form (from wire labels when the E flag is set).
    pub fqdn: Option<Vec<u8>>,
    /// Option 51, seconds.
    pub lease_secs: Option<u32>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DhcpError {
    /// Shorter than the BOOTP header and cookie.
    TooShort,
    /// No DHCP magic cookie.
    NoCookie,
}

pub fn parse(b: &[u8]) -> Result<Message, DhcpError> {
    let mut c = Cursor::new(b);
    let (Some(_op), Some(htype), Some(hlen), Some(_hops), Some(xid)) =
        (c.u8(), c.u8(), c.u8(), c.u8(), c.be32())
    else {
        return Err(DhcpError::TooShort);
    };
    let addr = |at| be32(b, at).map(Ipv4Addr::from);
    let (Some(ciaddr), Some(yiaddr), Some(cookie)) =
        (addr(12), addr(16), b.get(HEADER_LEN..HEADER_LEN + 4))
    else {
        return Err(DhcpError::TooShort);
    };
    if cookie != MAGIC_COOKIE {
        return Err(DhcpError::NoCookie);
    }
    let mac = match (htype, hlen) {
        (1, 6) => b.get(28..34).and_then(|m| m.try_into().ok()),
        _ => None,
    };
    let mut m = Message {
        msg_type: None,
        xid,
        ciaddr,
        yiaddr,
        mac,
        hostname: None,
        fqdn: None,
        lease_secs: None,
    };
    let mut overload = 0;
    read_options(
        b.get(HEADER_LEN + 4..).unwrap_or_default(),
        &mut m,
        &mut overload,
    );
    // RFC 2131 §4.1: with overload, `file` is read before `sname`.
    if overload & 1 != 0 {
        let file = b.get(FILE_AT..FILE_AT + FILE_LEN).unwrap_or_default();
        read_options(file, &mut m, &mut 0);
    }
    if overload & 2 != 0 {
        let sname = b.get(SNAME_AT..SNAME_AT + SNAME_LEN).unwrap_or_default();
        read_options(sname, &mut m, &mut 0);
    }
    Ok(m)
}

/// Reads code-length-value options until END or the end of `b`; an option cut short ends
/// the walk with what was read before it.
fn read_options(b: &[u8], m: &mut Message, overload: &mut u8) {
    let mut c = Cursor::new(b);
    while let Some(code) = c.u8() {
        match code {
            OPT_PAD => continue,
            OPT_END => return,
            _ => {}
        }
        let Some(v) = c.u8().and_then(|len| c.take(len as usize)) else {
            return;
        };
        match code {
            OPT_MSG_TYPE if m.msg_type.is_none() => m.msg_type = v.first().copied(),
            OPT_HOSTNAME if m.hostname.is_none() => m.hostname = Some(until_nul(v).to_vec()),
            OPT_FQDN if m.fqdn.is_none() => m.fqdn = fqdn(v),
            OPT_LEASE if m.lease_secs.is_none() => m.lease_secs = be32(v, 0),
            OPT_OVERLOAD if *overload == 0 => *overload = v.first().copied().unwrap_or(0),
            _ => {}
        }
    }
}

fn until_nul(v: &[u8]) -> &[u8] {
    v.split(|&x| x == 0).next().unwrap_or_default()
}

/// RFC 4702 §2: flags, two obsolete RCODE bytes, then the name: DNS wire labels when the E
/// flag (0x04) is set, else ASCII (the deprecated form Windows still sends).
fn fqdn(v: &[u8]) -> Option<Vec<u8>> {
    let flags = *v.first()?;
    let name = v.get(3..)?;
    if flags & 0x04 != 0 {
        Some(wire_labels(name))
    } else {
        Some(until_nul(name).to_vec())
    }
}

/// Uncompressed DNS labels (RFC 4702 and RFC 4704 forbid compression) joined with dots; a
/// partial name (no root label) or a cut label keeps what was complete.
pub(crate) fn wire_labels(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut c = Cursor::new(b);
    while let Some(len) = c.u8() {
        // A compression pointer or reserved label type is not allowed here: stop.
        if len == 0 || len & 0xc0 != 0 {
            break;
        }
        let Some(label) = c.take(len as usize) else {
            break;
        };
        if !out.is_empty() {
            out.push(b'.');
        }
        out.extend_from_slice(label);
    }
    out
}

#[cfg(test)]
// Tests may index: a panic there is a failed test, not a crash on hostile bytes.
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    /// A BOOTP header (RFC 2131 §2 layout) with the cookie, then `opts`.
    fn message(op: u8, xid: u32, yiaddr: [u8; 4], opts: &[u8]) -> Vec<u8> {
        let mut b = vec![0u8; HEADER_LEN];
        b[0] = op;
        b[1] = 1;
        b[2] = 6;
        b[4..8].copy_from_slice(&xid.to_be_bytes());
        b[16..20].copy_from_slice(&yiaddr);
        b[28..34].copy_from_slice(&[0x00, 0x26, 0x5a, 0xc2, 0x63, 0x55]);
        b.extend_from_slice(&MAGIC_COOKIE);
        b.extend_from_slice(opts);
        b
    }

    #[test]
    fn ack_with_hostname_fqdn_and_lease() {
        // Option 81 with E set: "bob.shadow.test" in wire labels (RFC 4702 §2.3).
        let opts = [
            53, 1, 5, 51, 4, 0, 0, 0x0e, 0x10, 12, 4, b'B', b'o', b'b', 0, 81, 20, 0x05, 0, 0, 3,
            b'b', b'o', b'b', 6, b's', b'h', b'a', b'd', b'o', b'w', 4, b't', b'e', b's', b't', 0,
            255,
        ];
        let m = parse(&message(2, 0xdead_beef, [10, 97, 0, 137], &opts)).unwrap();
        assert_eq!(m.msg_type, Some(DHCPACK));
        assert_eq!(m.xid, 0xdead_beef);
        assert_eq!(m.yiaddr, Ipv4Addr::new(10, 97, 0, 137));
        assert_eq!(m.mac, Some([0x00, 0x26, 0x5a, 0xc2, 0x63, 0x55]));
        assert_eq!(m.hostname.as_deref(), Some(&b"Bob"[..]));
        assert_eq!(m.fqdn.as_deref(), Some(&b"bob.shadow.test"[..]));
        assert_eq!(m.lease_secs, Some(3600));
    }

    #[test]
    fn ascii_fqdn_and_overloaded_file_field() {
        // Option 52 = 1: more options in `file` (RFC 2131 §4.1), read after the options field.
        let mut b = message(1, 7, [0; 4], &[53, 1, 3, 52, 1, 1, 255]);
        let file_opts = [
            12, 3, b'n', b'a', b's', 81, 6, 0, 0, 0, b'n', b'a', b's', 255,
        ];
        b[FILE_AT..FILE_AT + file_opts.len()].copy_from_slice(&file_opts);
        let m = parse(&b).unwrap();
        assert_eq!(m.msg_type, Some(DHCPREQUEST));
        assert_eq!(m.hostname.as_deref(), Some(&b"nas"[..]));
        assert_eq!(m.fqdn.as_deref(), Some(&b"nas"[..]));
        // Without the overload option the same bytes in `file` are a boot file name.
        let mut plain = message(1, 7, [0; 4], &[53, 1, 3, 255]);
        plain[FILE_AT..FILE_AT + file_opts.len()].copy_from_slice(&file_opts);
        assert_eq!(parse(&plain).unwrap().hostname, None);
    }

    #[test]
    fn hostile_lengths_end_the_walk_without_panic() {
        // Option 12 claims 200 bytes but 3 follow: the type before it survives.
        let m = parse(&message(
            2,
            1,
            [0; 4],
            &[53, 1, 5, 12, 200, b'a', b'b', b'c'],
        ))
        .unwrap();
        assert_eq!(m.msg_type, Some(DHCPACK));
        assert_eq!(m.hostname, None);
        // Option 81 too short for its flags and RCODEs; labels that run past the end.
        let m = parse(&message(2, 1, [0; 4], &[81, 2, 4, 0, 12, 0])).unwrap();
        assert_eq!((m.fqdn, m.hostname), (None, Some(Vec::new())));
        assert_eq!(wire_labels(&[3, b'a', b'b', b'c', 9, b'x']), b"abc");
        assert_eq!(wire_labels(&[0xc0, 0x0c]), b"");
        // Cut inside the header, and no cookie.
        let full = message(2, 1, [0; 4], &[]);
        for n in 0..full.len() {
            assert!(parse(&full[..n]).is_err(), "{n}");
        }
        let mut bad = full.clone();
        bad[HEADER_LEN] = 0;
        assert_eq!(parse(&bad), Err(DhcpError::NoCookie));
    }
}
