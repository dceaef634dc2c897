//! What a client may send before its TLS ClientHello on the same connection: a STARTTLS
//! upgrade (SMTP, IMAP, POP3, FTP, NNTP, XMPP, LDAP, PostgreSQL) or a proxy handshake (HTTP
//! CONNECT, SOCKS 4/4a/5). The flow stage calls [`classify`] on the start of a client stream
//! that is not TLS; when it recognises a preamble, the flow drops those bytes and looks for
//! the ClientHello right behind them.
//!
//! Like the other parsers here: pure, bounded, never panics, and says `Incomplete` rather
//! than guessing when the bytes stop early.

#![deny(clippy::indexing_slicing)]

use crate::wire::be16;

/// The server a client named before (or instead of) TLS: a proxy's target, or the Host of
/// a plain HTTP request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProxyTarget {
    /// `CONNECT` or another HTTP method (`GET`, `POST`, ...; `OTHER`); `SOCKS4`, `SOCKS4A`,
    /// `SOCKS5` for SOCKS.
    pub method: &'static str,
    /// Host name or IP literal, in the presentation form of [`crate::escape`].
    pub host: String,
    pub port: u16,
    /// The host is a name, not an address literal.
    pub is_name: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
pub enum Preamble {
    /// Need more bytes to tell.
    Incomplete,
    /// Not a preamble we know: the flow is not TLS.
    Unknown,
    /// Drop `len` bytes; TLS may follow right after (`then_tls`) or after more preamble.
    Skip {
        len: usize,
        then_tls: bool,
        target: Option<ProxyTarget>,
    },
}

/// Longest text line we accept in a line-based protocol before calling it something else.
const MAX_LINE: usize = 1024;
/// Bound on HTTP CONNECT request headers.
const MAX_CONNECT_HEAD: usize = 8192;
/// PostgreSQL SSLRequest: length 8, code 80877103.
const PG_SSL_REQUEST: [u8; 8] = [0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f];
/// The LDAP StartTLS extended operation's OID, as it appears in the request.
const LDAP_STARTTLS_OID: &[u8] = b"1.3.6.1.4.1.1466.20037";

pub fn classify(b: &[u8]) -> Preamble {
    let Some(&first) = b.first() else {
        return Preamble::Incomplete;
    };
    match first {
        0 if b.len() < 8 => prefix_of(b, &PG_SSL_REQUEST),
        0 if b.starts_with(&PG_SSL_REQUEST) => Preamble::Skip {
            len: 8,
            then_tls: true,
            target: None,
        },
        4 => socks4(b),
        5 => socks5(b),
        0x30 => ldap_starttls(b),
        b'<' => xmpp_starttls(b),
        c if c.is_ascii_graphic() => text_line(b),
        _ => Preamble::Unknown,
    }
}

fn prefix_of(b: &[u8], whole: &[u8]) -> Preamble {
    if whole.starts_with(b) {
        Preamble::Incomplete
    } else {
        Preamble::Unknown
    }
}

/// One line of a text protocol. STARTTLS-like commands end the preamble; HTTP CONNECT takes
/// its whole request head; other commands are skipped one line at a time (the flow bounds
/// how many), except plain HTTP requests, which never upgrade in place.
fn text_line(b: &[u8]) -> Preamble {
    if b.get(..8)
        .is_some_and(|m| m.eq_ignore_ascii_case(b"CONNECT "))
    {
        return http_connect(b);
    }
    let Some(nl) = b.iter().take(MAX_LINE).position(|&c| c == b'\n') else {
        return if b.len() >= MAX_LINE
            || !b
                .iter()
                .all(|c| c.is_ascii_graphic() || *c == b' ' || *c == b'\r')
        {
            Preamble::Unknown
        } else {
            Preamble::Incomplete
        };
    };
    let line = b.get(..nl).unwrap_or_default();
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if !line
        .iter()
        .all(|c| c.is_ascii_graphic() || *c == b' ' || *c == b'\t')
    {
        return Preamble::Unknown;
    }
    let upper = line.to_ascii_uppercase();
    let words: Vec<&[u8]> = upper
        .split(|c| *c == b' ')
        .filter(|w| !w.is_empty())
        .collect();
    let is = |w: &[u8]| words.first() == Some(&w) || words.get(1) == Some(&w);
    // A plain HTTP/1.x request: its Host header names the server (RFC 9112 §3.2).
    if let [method, _, version] = words[..] {
        if version.starts_with(b"HTTP/1.") {
            let method_len = method.len();
            return http_request(b, line.get(..method_len).unwrap_or_default());
        }
    }
    // SMTP, IMAP (tagged: "a1 STARTTLS"), NNTP: STARTTLS; POP3: STLS; FTP: AUTH TLS / SSL.
    let starttls = is(b"STARTTLS")
        || words.first() == Some(&&b"STLS"[..])
        || (words.first() == Some(&&b"AUTH"[..])
            && matches!(words.get(1), Some(w) if *w == b"TLS" || *w == b"SSL"));
    Preamble::Skip {
        len: nl + 1,
        then_tls: starttls,
        target: None,
    }
}

fn http_connect(b: &[u8]) -> Preamble {
    let head_end = b
        .windows(4)
        .take(MAX_CONNECT_HEAD)
        .position(|w| w == b"\r\n\r\n");
    let Some(end) = head_end else {
        return if b.len() >= MAX_CONNECT_HEAD {
            Preamble::Unknown
        } else {
            Preamble::Incomplete
        };
    };
    let line_end = b.iter().position(|&c| c == b'\r').unwrap_or(end);
    let line = b.get(8..line_end).unwrap_or_default();
    let authority = line.split(|c| *c == b' ').next().unwrap_or_default();
    let Ok(authority) = std::str::from_utf8(authority) else {
        return Preamble::Unknown;
    };
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) => (h, p.parse::<u16>().unwrap_or(0)),
        None => (authority, 443),
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() {
        return Preamble::Unknown;
    }
    let is_name = host.parse::<std::net::IpAddr>().is_err();
    Preamble::Skip {
        len: end + 4,
        then_tls: true,
        target: Some(ProxyTarget {
            method: "CONNECT",
            host: crate::escape::name(host.as_bytes()),
            port,
            is_name,
        }),
    }
}

/// A plain HTTP/1.x request head: the target is its Host header. Skipped whole, so a
/// keep-alive connection's next request is read the same way (the flow bounds how many).
fn http_request(b: &[u8], method: &[u8]) -> Preamble {
    let Some(end) = b
        .windows(4)
        .take(MAX_CONNECT_HEAD)
        .position(|w| w == b"\r\n\r\n")
    else {
        return if b.len() >= MAX_CONNECT_HEAD {
            Preamble::Unknown
        } else {
            Preamble::Incomplete
        };
    };
    let method = match method {
        b"GET" => "GET",
        b"POST" => "POST",
        b"HEAD" => "HEAD",
        b"PUT" => "PUT",
        b"DELETE" => "DELETE",
        b"OPTIONS" => "OPTIONS",
        b"PATCH" => "PATCH",
        _ => "OTHER",
    };
    let host = b
        .get(..end)
        .unwrap_or_default()
        .split(|c| *c == b'\n')
        .skip(1)
        .find_map(|l| {
            let l = l.strip_suffix(b"\r").unwrap_or(l);
            let (k, v) = l.split_at(l.iter().position(|c| *c == b':')?);
            let v = v.strip_prefix(b":").unwrap_or(v);
            k.eq_ignore_ascii_case(b"host").then(|| v.trim_ascii())
        })
        .and_then(|h| std::str::from_utf8(h).ok())
        .filter(|h| !h.is_empty());
    let target = host.map(|h| {
        // host[:port], or [v6]:port
        let (name, port) = match h.rsplit_once(':') {
            Some((n, p)) if !n.ends_with(':') && p.bytes().all(|c| c.is_ascii_digit()) => {
                (n, p.parse().unwrap_or(80))
            }
            _ => (h, 80),
        };
        let name = name
            .trim_start_matches('[')
            .trim_end_matches(']')
            .trim_end_matches('.');
        ProxyTarget {
            method,
            host: crate::escape::name(name.as_bytes()),
            port,
            is_name: name.parse::<std::net::IpAddr>().is_err(),
        }
    });
    Preamble::Skip {
        len: end + 4,
        then_tls: false,
        target,
    }
}

fn nul_terminated(b: &[u8], at: usize, max: usize) -> Option<Result<usize, ()>> {
    let rest = b.get(at..).unwrap_or_default();
    match rest.iter().take(max).position(|&c| c == 0) {
        Some(i) => Some(Ok(at + i)),
        None if rest.len() >= max => Some(Err(())),
        None => None,
    }
}

/// SOCKS 4 and 4a CONNECT: VN=4 CD=1 DSTPORT DSTIP USERID NUL [HOST NUL when DSTIP=0.0.0.x].
fn socks4(b: &[u8]) -> Preamble {
    if b.len() < 9 {
        return if b.get(1).is_some_and(|&cd| cd != 1) {
            Preamble::Unknown
        } else {
            Preamble::Incomplete
        };
    }
    let (Some(&1), Some(port), Some(&[a, b1, c, d])) = (b.get(1), be16(b, 2), b.get(4..8)) else {
        return Preamble::Unknown;
    };
    let ip = [a, b1, c, d];
    let user_end = match nul_terminated(b, 8, 256) {
        None => return Preamble::Incomplete,
        Some(Err(())) => return Preamble::Unknown,
        Some(Ok(i)) => i,
    };
    // SOCKS 4a: an address 0.0.0.x (x non-zero) means the host name follows the user id.
    if let [0, 0, 0, 1..=255] = ip {
        let host_end = match nul_terminated(b, user_end + 1, 256) {
            None => return Preamble::Incomplete,
            Some(Err(())) => return Preamble::Unknown,
            Some(Ok(i)) => i,
        };
        let host = crate::escape::name(b.get(user_end + 1..host_end).unwrap_or_default());
        return Preamble::Skip {
            len: host_end + 1,
            then_tls: true,
            target: Some(ProxyTarget {
                method: "SOCKS4A",
                host,
                port,
                is_name: true,
            }),
        };
    }
    let host = std::net::Ipv4Addr::from(ip).to_string();
    Preamble::Skip {
        len: user_end + 1,
        then_tls: true,
        target: Some(ProxyTarget {
            method: "SOCKS4",
            host,
            port,
            is_name: false,
        }),
    }
}

/// SOCKS 5 (RFC 1928): greeting, optional username/password sub-negotiation (RFC 1929),
/// then the CONNECT request; all from the client, in that order.
fn socks5(b: &[u8]) -> Preamble {
    let Some(&n) = b.get(1) else {
        return Preamble::Incomplete;
    };
    if n == 0 || n > 16 {
        return Preamble::Unknown;
    }
    let Some(methods) = b.get(2..2 + n as usize) else {
        return Preamble::Incomplete;
    };
    if !methods.iter().all(|&m| m <= 3 || m >= 0x80) {
        return Preamble::Unknown;
    }
    let mut at = 2 + n as usize;
    // RFC 1929: VER=1 ULEN UNAME PLEN PASSWD.
    if b.get(at) == Some(&1) {
        let Some(&ulen) = b.get(at + 1) else {
            return Preamble::Incomplete;
        };
        let Some(&plen) = b.get(at + 2 + ulen as usize) else {
            return Preamble::Incomplete;
        };
        at += 3 + ulen as usize + plen as usize;
    }
    let Some(&[version, command, reserved, address_type]) = b.get(at..at + 4) else {
        return if b.get(at).is_none_or(|&v| v == 5) {
            Preamble::Incomplete
        } else {
            Preamble::Unknown
        };
    };
    if version != 5 || command != 1 || reserved != 0 {
        return Preamble::Unknown;
    }
    let (host, is_name, addr_end) = match address_type {
        1 => match b.get(at + 4..at + 8) {
            Some(&[w, x, y, z]) => (
                std::net::Ipv4Addr::new(w, x, y, z).to_string(),
                false,
                at + 8,
            ),
            _ => return Preamble::Incomplete,
        },
        3 => {
            let Some(&len) = b.get(at + 4) else {
                return Preamble::Incomplete;
            };
            match b.get(at + 5..at + 5 + len as usize) {
                Some(name) => (crate::escape::name(name), true, at + 5 + len as usize),
                None => return Preamble::Incomplete,
            }
        }
        4 => match b.get(at + 4..at + 20) {
            Some(a) => {
                let a: [u8; 16] = a.try_into().unwrap_or_default();
                (std::net::Ipv6Addr::from(a).to_string(), false, at + 20)
            }
            None => return Preamble::Incomplete,
        },
        _ => return Preamble::Unknown,
    };
    let Some(port) = be16(b, addr_end) else {
        return Preamble::Incomplete;
    };
    Preamble::Skip {
        len: addr_end + 2,
        then_tls: true,
        target: Some(ProxyTarget {
            method: "SOCKS5",
            host,
            port,
            is_name,
        }),
    }
}

/// LDAP: an LDAPMessage (BER SEQUENCE) carrying the StartTLS extended request.
fn ldap_starttls(b: &[u8]) -> Preamble {
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
fn xmpp_starttls(b: &[u8]) -> Preamble {
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

#[cfg(test)]
// Tests may index: a panic there is a failed test, not a crash on hostile bytes.
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn target(p: Preamble) -> Option<ProxyTarget> {
        match p {
            Preamble::Skip { target, .. } => target,
            _ => None,
        }
    }

    #[test]
    fn http_connect_target() {
        let req = b"CONNECT acme.zendesk.com:443 HTTP/1.1\r\nHost: acme.zendesk.com:443\r\n\r\n\x16\x03\x01";
        let p = classify(req);
        assert!(matches!(p, Preamble::Skip { len, then_tls: true, .. } if len == req.len() - 3));
        let t = target(p).unwrap();
        assert_eq!(
            (t.method, t.host.as_str(), t.port, t.is_name),
            ("CONNECT", "acme.zendesk.com", 443, true)
        );
        assert_eq!(classify(&req[..20]), Preamble::Incomplete);
        assert_eq!(
            target(classify(b"CONNECT [::1]:8443 HTTP/1.1\r\n\r\n"))
                .unwrap()
                .host,
            "::1"
        );
    }

    #[test]
    fn socks5_with_auth_and_domain() {
        let mut b = vec![5, 2, 0, 2, 1, 3, b'b', b'o', b'b', 2, b'p', b'w'];
        b.extend_from_slice(&[5, 1, 0, 3, 16]);
        b.extend_from_slice(b"acme.zendesk.com");
        b.extend_from_slice(&[1, 187]);
        let t = target(classify(&b)).unwrap();
        assert_eq!(
            (t.method, t.host.as_str(), t.port),
            ("SOCKS5", "acme.zendesk.com", 443)
        );
        for n in 0..b.len() {
            assert_eq!(classify(&b[..n]), Preamble::Incomplete, "prefix {n}");
        }
    }

    #[test]
    fn socks4a_and_socks4() {
        let mut b = vec![4, 1, 1, 187, 0, 0, 0, 1, b'u', 0];
        b.extend_from_slice(b"x.intercom.io\0");
        let t = target(classify(&b)).unwrap();
        assert_eq!(
            (t.method, t.host.as_str(), t.port, t.is_name),
            ("SOCKS4A", "x.intercom.io", 443, true)
        );
        let t = target(classify(&[4, 1, 0, 80, 10, 0, 0, 1, 0])).unwrap();
        assert_eq!((t.host.as_str(), t.is_name), ("10.0.0.1", false));
    }

    #[test]
    fn proxy_and_host_names_are_escaped_like_dns_names() {
        // RFC 1035 §5.1 \DDD: ESC is \027, 0xff is \255; a backslash is \\.
        let t = target(classify(
            b"GET / HTTP/1.1\r\nHost: Evil\x1b[2J.Example:8080\r\n\r\n",
        ))
        .unwrap();
        assert_eq!((t.host.as_str(), t.port), ("evil\\027[2j.example", 8080));
        let t = target(classify(b"CONNECT a\\b\x07.example:443 HTTP/1.1\r\n\r\n")).unwrap();
        assert_eq!(t.host, "a\\\\b\\007.example");
        let mut b = vec![4, 1, 1, 187, 0, 0, 0, 1, b'u', 0];
        b.extend_from_slice(b"x\xff\x1b.io\0");
        assert_eq!(target(classify(&b)).unwrap().host, "x\\255\\027.io");
    }

    #[test]
    fn starttls_lines() {
        assert_eq!(
            classify(b"EHLO mail.example\r\n"),
            Preamble::Skip {
                len: 19,
                then_tls: false,
                target: None
            }
        );
        assert_eq!(
            classify(b"STARTTLS\r\n\x16"),
            Preamble::Skip {
                len: 10,
                then_tls: true,
                target: None
            }
        );
        assert_eq!(
            classify(b"a001 starttls\r\n"),
            Preamble::Skip {
                len: 15,
                then_tls: true,
                target: None
            }
        );
        assert_eq!(
            classify(b"STLS\r\n"),
            Preamble::Skip {
                len: 6,
                then_tls: true,
                target: None
            }
        );
        assert_eq!(
            classify(b"AUTH TLS\r\n"),
            Preamble::Skip {
                len: 10,
                then_tls: true,
                target: None
            }
        );
        assert_eq!(
            classify(b"GET / HTTP/1.1\r\nHost: x\r\n"),
            Preamble::Incomplete
        );
        let get = b"GET /a HTTP/1.1\r\nUser-Agent: curl\r\nHOST: Acme.Zendesk.com:8080\r\n\r\nnext";
        let t = target(classify(get)).unwrap();
        assert_eq!(
            (t.method, t.host.as_str(), t.port, t.is_name),
            ("GET", "acme.zendesk.com", 8080, true)
        );
        assert!(matches!(classify(get), Preamble::Skip { len, .. } if len == get.len() - 4));
        let t = target(classify(b"POST / HTTP/1.0\r\nHost: [fd00::1]\r\n\r\n")).unwrap();
        assert_eq!(
            (t.method, t.host.as_str(), t.port, t.is_name),
            ("POST", "fd00::1", 80, false)
        );
        assert_eq!(classify(b"EHLO"), Preamble::Incomplete);
    }

    #[test]
    fn postgres_and_ldap() {
        assert_eq!(
            classify(&PG_SSL_REQUEST),
            Preamble::Skip {
                len: 8,
                then_tls: true,
                target: None
            }
        );
        assert_eq!(classify(&PG_SSL_REQUEST[..5]), Preamble::Incomplete);
        assert_eq!(classify(&[0, 0, 0, 9, 1, 2, 3, 4]), Preamble::Unknown);
        // LDAPMessage { id 1, extendedReq { requestName "1.3.6.1.4.1.1466.20037" } }
        let mut m = vec![0x30, 0x1d, 0x02, 0x01, 0x01, 0x77, 0x18, 0x80, 0x16];
        m.extend_from_slice(LDAP_STARTTLS_OID);
        assert_eq!(
            classify(&m),
            Preamble::Skip {
                len: m.len(),
                then_tls: true,
                target: None
            }
        );
    }

    #[test]
    fn every_prefix_and_junk_is_safe() {
        for seed in 0u8..=255 {
            let b: Vec<u8> = (0..64u8)
                .map(|i| i.wrapping_mul(seed).wrapping_add(seed))
                .collect();
            for n in 0..b.len() {
                let _ = classify(&b[..n]);
            }
        }
    }
}
