//! DHCPv6 (RFC 8415): message type, transaction id, the addresses of IA_NA / IA_TA options
//! with their valid lifetimes, and the Client FQDN option (39, RFC 4704). A Relay-forward or
//! Relay-reply is unwrapped to the message its Relay Message option carries.

#![deny(clippy::indexing_slicing)]

use std::net::Ipv6Addr;

use crate::wire::{be32, Cursor};

pub const SOLICIT: u8 = 1;
pub const REQUEST: u8 = 3;
pub const CONFIRM: u8 = 4;
pub const RENEW: u8 = 5;
pub const REBIND: u8 = 6;
pub const REPLY: u8 = 7;
pub const RELEASE: u8 = 8;
pub const DECLINE: u8 = 9;
pub const INFORMATION_REQUEST: u8 = 11;
const RELAY_FORW: u8 = 12;
const RELAY_REPL: u8 = 13;

const OPT_IA_NA: u16 = 3;
const OPT_IA_TA: u16 = 4;
const OPT_IAADDR: u16 = 5;
const OPT_RELAY_MSG: u16 = 9;
const OPT_CLIENT_FQDN: u16 = 39;

/// RFC 8415 §7.6: HOP_COUNT_LIMIT is 8; a deeper nesting of relay messages is hostile.
const MAX_RELAY_DEPTH: usize = 8;
/// Addresses kept per message: a client asks for a few; a message can hold thousands of
/// 28-byte IA Address options.
const MAX_ADDRS: usize = 16;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Message {
    pub msg_type: u8,
    pub xid: u32,
    /// IA addresses and their valid lifetimes (seconds).
    pub addrs: Vec<(Ipv6Addr, u32)>,
    /// Option 39's domain name, dotted.
    pub fqdn: Option<Vec<u8>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dhcpv6Error {
    TooShort,
    /// Relay messages nested deeper than the protocol allows, or a relay without one.
    BadRelay,
}

pub fn parse(b: &[u8]) -> Result<Message, Dhcpv6Error> {
    let mut b = b;
    for _ in 0..=MAX_RELAY_DEPTH {
        let &t = b.first().ok_or(Dhcpv6Error::TooShort)?;
        if t == RELAY_FORW || t == RELAY_REPL {
            // msg-type, hop-count, link-address, peer-address (RFC 8415 §9).
            let opts = b.get(34..).ok_or(Dhcpv6Error::TooShort)?;
            b = options(opts)
                .find(|(code, _)| *code == OPT_RELAY_MSG)
                .map(|(_, v)| v)
                .ok_or(Dhcpv6Error::BadRelay)?;
            continue;
        }
        let xid = be32(b, 0).ok_or(Dhcpv6Error::TooShort)? & 0x00ff_ffff;
        let mut m = Message {
            msg_type: t,
            xid,
            ..Message::default()
        };
        for (code, v) in options(b.get(4..).unwrap_or_default()) {
            match code {
                OPT_CLIENT_FQDN if m.fqdn.is_none() => {
                    m.fqdn = v.get(1..).map(super::dhcp::wire_labels)
                }
                OPT_IA_NA => ia_addrs(v.get(12..).unwrap_or_default(), &mut m.addrs),
                OPT_IA_TA => ia_addrs(v.get(4..).unwrap_or_default(), &mut m.addrs),
                _ => {}
            }
        }
        return Ok(m);
    }
    Err(Dhcpv6Error::BadRelay)
}

/// The IA Address options among an IA's options (RFC 8415 §21.6).
fn ia_addrs(opts: &[u8], out: &mut Vec<(Ipv6Addr, u32)>) {
    for (code, v) in options(opts) {
        if code != OPT_IAADDR || out.len() >= MAX_ADDRS {
            continue;
        }
        let (Some(a), Some(valid)) = (v.get(..16), be32(v, 20)) else {
            continue;
        };
        if let Ok(a) = <[u8; 16]>::try_from(a) {
            out.push((Ipv6Addr::from(a), valid));
        }
    }
}

/// (code, value) of each option; one cut short ends the walk.
fn options(b: &[u8]) -> impl Iterator<Item = (u16, &[u8])> {
    let mut c = Cursor::new(b);
    std::iter::from_fn(move || {
        let code = c.be16()?;
        let len = c.be16()?;
        Some((code, c.take(len as usize)?))
    })
}

#[cfg(test)]
// Tests may index: a panic there is a failed test, not a crash on hostile bytes.
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::proto::unhex;

    #[test]
    fn reply_with_ia_na_and_client_fqdn() {
        // RFC 8415 §21.4/§21.6 layout: Reply, xid 0x0a0b0c, IA_NA (IAID 1, T1, T2) holding
        // one IA Address (fd00:97::1bf, preferred 3600, valid 7200); Client FQDN (RFC 4704
        // §4: flags, then "bob.shadow.test" in wire labels).
        let b = unhex(
            "07 0a0b0c
             0003 0028 00000001 00000e10 00001c20
               0005 0018 fd000097000000000000000000000 1bf 00000e10 00001c20
             0027 0012 00 03626f62 06736861646f77 0474657374 00",
        );
        let m = parse(&b).unwrap();
        assert_eq!(m.msg_type, REPLY);
        assert_eq!(m.xid, 0x0a0b0c);
        assert_eq!(m.addrs, [("fd00:97::1bf".parse().unwrap(), 7200)]);
        assert_eq!(m.fqdn.as_deref(), Some(&b"bob.shadow.test"[..]));
    }

    #[test]
    fn relay_reply_is_unwrapped() {
        let inner = unhex("07 000001 0027 0005 00 03616263");
        let mut b = unhex("0d 00");
        b.extend_from_slice(&[0; 32]);
        b.extend_from_slice(&[0, 9, 0, inner.len() as u8]);
        b.extend_from_slice(&inner);
        let m = parse(&b).unwrap();
        assert_eq!((m.msg_type, m.xid), (REPLY, 1));
        assert_eq!(m.fqdn.as_deref(), Some(&b"abc"[..]));
        // A relay whose relay message is itself a relay, nine deep: refused.
        let mut nest = inner.clone();
        for _ in 0..9 {
            let mut outer = vec![RELAY_REPL, 0];
            outer.extend_from_slice(&[0; 32]);
            outer.extend_from_slice(&9u16.to_be_bytes());
            outer.extend_from_slice(&(nest.len() as u16).to_be_bytes());
            outer.extend_from_slice(&nest);
            nest = outer;
        }
        assert_eq!(parse(&nest), Err(Dhcpv6Error::BadRelay));
    }

    #[test]
    fn lengths_past_the_end() {
        // IA_NA claims 0x28 bytes but holds fewer: no address, no panic.
        let b = unhex("07 000001 0003 0028 00000001 00000e10");
        assert_eq!(parse(&b).unwrap().addrs, []);
        // An IA Address option too short for its lifetimes is skipped.
        let b = unhex("07 000001 0003 0014 00000001 00000000 00000000 0005 0004 fd000097");
        assert_eq!(parse(&b).unwrap().addrs, []);
        assert_eq!(parse(&[7, 0]), Err(Dhcpv6Error::TooShort));
        assert_eq!(parse(&[13, 0, 1]), Err(Dhcpv6Error::TooShort));
        assert_eq!(parse(&[]), Err(Dhcpv6Error::TooShort));
    }
}
