//! NTLMSSP AUTHENTICATE messages (MS-NLMP §2.2.1.3): domain, user and workstation names.
//! They travel inside SMB, HTTP, LDAP, DCE/RPC and more, so [`find_authenticate`] looks for
//! the signature anywhere in a TCP payload, and for the base64 form in HTTP `Authorization`
//! headers (`NTLM`, or `Negotiate` wrapping it in SPNEGO).

#![deny(clippy::indexing_slicing)]

use memchr::memmem;

use crate::wire::{u16_in, u32_in};

const SIGNATURE: &[u8; 8] = b"NTLMSSP\0";
/// The signature and message type 3, little-endian.
const AUTHENTICATE: &[u8; 12] = b"NTLMSSP\0\x03\0\0\0";
/// MS-NLMP §2.2.2.5 flag A: strings are UTF-16LE, else the OEM code page.
const NEGOTIATE_UNICODE: u32 = 0x0000_0001;
/// Offset of the fields (MS-NLMP §2.2.1.3): each security buffer is Len, MaxLen, Offset.
const DOMAIN_FIELDS: usize = 28;
const USER_FIELDS: usize = 36;
const WORKSTATION_FIELDS: usize = 44;
const FLAGS_AT: usize = 60;
/// Base64 read from one header value. An AUTHENTICATE with an NTLMv2 response, its AV pairs
/// and a MIC stays under 2 KiB, ~3 KiB wrapped in SPNEGO; longer values (Kerberos tickets in
/// `Negotiate`) have no NTLMSSP to find.
const MAX_B64: usize = 16 * 1024;
/// `Authorization` headers looked at per payload: one per request, a few requests per
/// segment at most.
const MAX_HEADERS: usize = 4;
/// Signatures tried per payload (each may be a NEGOTIATE or CHALLENGE, or a false match).
const MAX_SIGNATURES: usize = 4;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Authenticate {
    pub domain: String,
    pub user: String,
    pub workstation: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NtlmError {
    /// Not an AUTHENTICATE message (wrong signature or type).
    NotAuthenticate,
    /// A field or security buffer past the end of the message.
    Malformed,
}

/// Parses an AUTHENTICATE message starting at `b[0]`. Security buffer offsets are from the
/// start of the message; the ones past the end of `b` make it malformed.
pub fn parse(b: &[u8]) -> Result<Authenticate, NtlmError> {
    if !b.starts_with(AUTHENTICATE) {
        return Err(NtlmError::NotAuthenticate);
    }
    // Messages from before NTLMv2 end their fixed part at offset 52, without the session
    // key and flags: then the first payload byte comes before the flags' offset. Those
    // senders use Unicode, as does every client since.
    let fields = [DOMAIN_FIELDS, USER_FIELDS, WORKSTATION_FIELDS].map(|at| field(b, at));
    let lowest = fields
        .iter()
        .flatten()
        .filter(|f| f.1 > 0)
        .map(|f| f.0)
        .min();
    let unicode = match (u32_in(b, FLAGS_AT, true), lowest) {
        (Some(_), Some(low)) if low < FLAGS_AT + 4 => true,
        (Some(flags), _) => flags & NEGOTIATE_UNICODE != 0,
        (None, _) => true,
    };
    let bytes = |f: Option<(usize, usize)>| match f {
        Some((_, 0)) => Some(&[][..]),
        Some((off, len)) => b.get(off..off.checked_add(len)?),
        None => None,
    };
    let [Some(domain), Some(user), Some(workstation)] = fields.map(bytes) else {
        return Err(NtlmError::Malformed);
    };
    let text = |s: &[u8]| match unicode {
        true => utf16le(s),
        false => s.iter().map(|&c| c as char).collect(),
    };
    Ok(Authenticate {
        domain: text(domain),
        user: text(user),
        workstation: text(workstation),
    })
}

/// The (offset, length) of the security buffer whose fields are at `at`.
fn field(b: &[u8], at: usize) -> Option<(usize, usize)> {
    let len = u16_in(b, at, true)? as usize;
    let off = u32_in(b, at + 4, true)? as usize;
    Some((off, len))
}

fn utf16le(s: &[u8]) -> String {
    let units = s
        .chunks_exact(2)
        .filter_map(|p| p.try_into().ok().map(u16::from_le_bytes));
    char::decode_utf16(units)
        .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect()
}

/// What a payload holds: no NTLMSSP at all (the common case, decided by two substring
/// scans), an AUTHENTICATE message, or a signature whose message is malformed.
#[derive(Debug, PartialEq, Eq)]
pub enum Found {
    Nothing,
    Authenticate(Authenticate),
    Malformed,
}

/// Looks for an AUTHENTICATE message in any TCP payload: raw (SMB, LDAP, DCE/RPC), or base64
/// in an HTTP `Authorization`/`Proxy-Authorization` header.
pub fn find_authenticate(payload: &[u8]) -> Found {
    let mut found = Found::Nothing;
    for at in memmem::find_iter(payload, AUTHENTICATE).take(MAX_SIGNATURES) {
        match parse(payload.get(at..).unwrap_or_default()) {
            Ok(a) => return Found::Authenticate(a),
            Err(_) => found = Found::Malformed,
        }
    }
    // Header names are case-insensitive; this catches both spellings of the first letter.
    for at in memmem::find_iter(payload, b"uthorization:").take(MAX_HEADERS) {
        let rest = payload.get(at + 13..).unwrap_or_default();
        let line = rest
            .split(|&c| c == b'\r' || c == b'\n')
            .next()
            .unwrap_or_default();
        let mut words = line
            .split(|&c| c == b' ' || c == b'\t')
            .filter(|w| !w.is_empty());
        let (Some(scheme), Some(value)) = (words.next(), words.next()) else {
            continue;
        };
        let ntlm = scheme.eq_ignore_ascii_case(b"NTLM");
        if !ntlm && !scheme.eq_ignore_ascii_case(b"Negotiate") {
            continue;
        }
        let Some(blob) = base64(value.get(..MAX_B64).unwrap_or(value)) else {
            continue;
        };
        // SPNEGO wraps the NTLMSSP message in DER; finding its signature is enough.
        let Some(start) = memmem::find(&blob, SIGNATURE) else {
            continue;
        };
        match parse(blob.get(start..).unwrap_or_default()) {
            Ok(a) => return Found::Authenticate(a),
            Err(NtlmError::NotAuthenticate) => {}
            Err(NtlmError::Malformed) => found = Found::Malformed,
        }
    }
    found
}

/// Standard base64 (RFC 4648 §4), padding optional; None on a byte outside the alphabet.
fn base64(s: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() / 4 * 3 + 3);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &c in s {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => break,
            _ => return None,
        };
        acc = acc << 6 | v as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

#[cfg(test)]
// Tests may index: a panic there is a failed test, not a crash on hostile bytes.
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::proto::unhex;

    /// MS-NLMP §4.2.2.3: the AUTHENTICATE_MESSAGE of the NTLMv1 example, with its
    /// LM/NT responses and session key zeroed (only their lengths and offsets matter here):
    /// domain "Domain", user "User", workstation "COMPUTER", flags 0xe2808235.
    fn spec_example() -> Vec<u8> {
        let mut b = unhex(
            "4e544c4d53535000 03000000 18001800 6c000000 18001800 84000000
             0c000c00 48000000 08000800 54000000 10001000 5c000000 10001000 9c000000
             358280e2 0501280a 0000000f
             44006f006d00610069006e00 5500730065007200 43004f004d0050005500540045005200",
        );
        b.resize(0x9c + 0x10, 0);
        b
    }

    #[test]
    fn ms_nlmp_authenticate_example() {
        let a = parse(&spec_example()).unwrap();
        assert_eq!(a.domain, "Domain");
        assert_eq!(a.user, "User");
        assert_eq!(a.workstation, "COMPUTER");
    }

    #[test]
    fn oem_strings_when_unicode_is_not_negotiated() {
        let mut b = unhex(
            "4e544c4d53535000 03000000 00000000 00000000 00000000 00000000
             03000300 48000000 03000300 4b000000 02000200 4e000000 00000000 00000000
             02000000 00000000 00000000 444f4d 626f62 5743",
        );
        b.resize(0x50, 0);
        let a = parse(&b).unwrap();
        assert_eq!(
            (a.domain.as_str(), a.user.as_str(), a.workstation.as_str()),
            ("DOM", "bob", "WC")
        );
    }

    #[test]
    fn found_in_smb_bytes_and_in_http_headers() {
        let msg = spec_example();
        let mut smb = b"\0\0\x01\x00\xfeSMB garbage".to_vec();
        smb.extend_from_slice(&msg);
        assert!(matches!(find_authenticate(&smb), Found::Authenticate(a) if a.user == "User"));
        // The same message in an HTTP header (RFC 4648 base64 of the bytes above).
        let b64 = encode(&msg);
        assert!(b64.starts_with("TlRMTVNTUAADAAAA"));
        let http = format!("GET / HTTP/1.1\r\nHost: x\r\nauthorization: NTLM {b64}\r\n\r\n");
        assert!(
            matches!(find_authenticate(http.as_bytes()), Found::Authenticate(a) if a.workstation == "COMPUTER")
        );
        // Wrapped in SPNEGO (NegTokenResp [1] { responseToken [2] OCTET STRING }).
        let mut spnego = unhex("a1 81 c0 30 81 bd a2 81 ba 04 81 b7");
        spnego.extend_from_slice(&msg);
        let http = format!("Authorization: Negotiate {}\r\n", encode(&spnego));
        assert!(matches!(
            find_authenticate(http.as_bytes()),
            Found::Authenticate(_)
        ));
        assert_eq!(
            find_authenticate(b"GET / HTTP/1.1\r\nAuthorization: Basic YTpi\r\n"),
            Found::Nothing
        );
        assert_eq!(
            find_authenticate(b"\x16\x03\x01 just bytes"),
            Found::Nothing
        );
    }

    #[test]
    fn buffers_past_the_end_are_malformed() {
        let msg = spec_example();
        // The names end at 0x6c; the responses after them are not read.
        for n in AUTHENTICATE.len()..0x6c {
            assert_eq!(parse(&msg[..n]), Err(NtlmError::Malformed), "cut at {n}");
        }
        // An offset near u32::MAX must not wrap.
        let mut lie = msg.clone();
        lie[40..44].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(parse(&lie), Err(NtlmError::Malformed));
        assert_eq!(find_authenticate(&lie), Found::Malformed);
        assert_eq!(
            parse(b"NTLMSSP\0\x01\0\0\0"),
            Err(NtlmError::NotAuthenticate)
        );
        assert_eq!(base64(b"TlRM!"), None);
        assert_eq!(base64(b"YTpi").as_deref(), Some(&b"a:b"[..]));
    }

    fn encode(b: &[u8]) -> String {
        const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut s = String::new();
        for c in b.chunks(3) {
            let n = c
                .iter()
                .enumerate()
                .fold(0u32, |a, (i, &x)| a | (x as u32) << (16 - 8 * i));
            for i in 0..=c.len() {
                s.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
            }
            for _ in c.len()..3 {
                s.push('=');
            }
        }
        s
    }
}
