//! Binary and XML STARTTLS requests: LDAP's StartTLS extended operation (RFC 4511 §4.14) and
//! XMPP's `<starttls/>` (RFC 6120 §5.4).

#![deny(clippy::indexing_slicing)]

use super::Preamble;

/// The LDAP StartTLS extended operation's OID, as it appears in the request.
pub(super) const LDAP_STARTTLS_OID: &[u8] = b"1.3.6.1.4.1.1466.20037";

/// LDAP: an LDAPMessage (BER SEQUENCE) carrying the StartTLS extended request.
pub(super) fn ldap_starttls(b: &[u8]) -> Preamble {
    let Some(&l0) = b.get(1) else {
        return Preamble::Incomplete;
    };
    let (len, hdr) = if l0 < 0x80 {
        (l0 as usize, 2)
    } else {
        let n = (l0 & 0x7f) as usize;
        if n == 0 || n > 3 {
            return Preamble::Unknown;
        }
        let Some(bytes) = b.get(2..2 + n) else {
            return Preamble::Incomplete;
        };
        (
            bytes.iter().fold(0usize, |a, &x| (a << 8) | x as usize),
            2 + n,
        )
    };
    if len > 4096 {
        return Preamble::Unknown;
    }
    let Some(msg) = b.get(..hdr + len) else {
        return Preamble::Incomplete;
    };
    if msg
        .windows(LDAP_STARTTLS_OID.len())
        .any(|w| w == LDAP_STARTTLS_OID)
    {
        Preamble::Skip {
            len: hdr + len,
            then_tls: true,
            target: None,
        }
    } else {
        Preamble::Unknown
    }
}

/// XMPP (RFC 6120 §5): the stream header and `<starttls .../>`; TLS follows the latter.
pub(super) fn xmpp_starttls(b: &[u8]) -> Preamble {
    let window = b.get(..b.len().min(8192)).unwrap_or(b);
    let find = |needle: &[u8]| window.windows(needle.len()).position(|w| w == needle);
    match find(b"<starttls") {
        Some(at) => match window.iter().skip(at).position(|&c| c == b'>') {
            Some(end) => Preamble::Skip {
                len: at + end + 1,
                then_tls: true,
                target: None,
            },
            None => Preamble::Incomplete,
        },
        None if find(b"<stream:stream").is_some() || b.starts_with(b"<?xml") => {
            if b.len() >= 8192 {
                Preamble::Unknown
            } else {
                Preamble::Incomplete
            }
        }
        None => Preamble::Unknown,
    }
}
