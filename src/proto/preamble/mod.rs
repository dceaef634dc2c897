//! What a client may send before its TLS ClientHello on the same connection: a STARTTLS
//! upgrade (SMTP, IMAP, POP3, FTP, NNTP, XMPP, LDAP, PostgreSQL) or a proxy handshake (HTTP
//! CONNECT, SOCKS 4/4a/5). The flow stage calls [`classify`] on the start of a client stream
//! that is not TLS; when it recognises a preamble, the flow drops those bytes and looks for
//! the ClientHello right behind them.
//!
//! Like the other parsers here: pure, bounded, never panics, and says `Incomplete` rather
//! than guessing when the bytes stop early.

#![deny(clippy::indexing_slicing)]

mod http;
mod socks;
mod starttls;

use http::{http_connect, http_request};
use socks::{socks4, socks5};
use starttls::{ldap_starttls, xmpp_starttls};

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
    /// An HTTP request head (CONNECT or plain) with no end within its bound: not read, and
    /// counted (`dropped.http_head_too_long`) so the analyst knows a request went unseen.
    HeadTooLong,
    /// Drop `len` bytes; TLS may follow right after (`then_tls`) or after more preamble.
    Skip {
        len: usize,
        then_tls: bool,
        target: Option<ProxyTarget>,
    },
}

/// Longest text line we accept in a line-based protocol before calling it something else.
const MAX_LINE: usize = 1024;
/// PostgreSQL SSLRequest: length 8, code 80877103.
const PG_SSL_REQUEST: [u8; 8] = [0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f];

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

/// Bytes [`classify`] reads as a text line (a command, a proxy request, an HTTP head).
pub fn is_text(b: &[u8]) -> bool {
    b.first()
        .is_some_and(|c| c.is_ascii_graphic() && *c != b'<' && *c != 0x30)
}

/// For text (see [`is_text`]) that was `Incomplete` at `checked` bytes: whether `b`, the same
/// bytes grown, could be anything else yet. A text line or head ends only at a `\n`, turns
/// into something else only at a byte outside a line's characters, and is refused only at a
/// bound ([`MAX_LINE`], [`crate::proto::http::MAX_HEAD`]); until one of those, classifying
/// again would scan the same bytes for the same answer, which made a head sent a byte at a
/// time cost its length squared (41 ms of CPU per 8 KiB head).
pub fn text_unchanged(b: &[u8], checked: usize) -> bool {
    let new = b.get(checked..).unwrap_or_default();
    let bound = |m: usize| checked < m && b.len() >= m;
    !new.iter()
        .any(|c| !(c.is_ascii_graphic() || *c == b' ' || *c == b'\r'))
        && !bound(MAX_LINE)
        && !bound(crate::proto::http::MAX_HEAD)
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
    // An HTTP request line carries its whole target, and beacons and widget loaders put
    // kilobytes of query in it: a line that starts like a request may run to the head's
    // bound, where any other line is refused at a command's.
    let http_start = http_request_start(b);
    let max_line = if http_start {
        crate::proto::http::MAX_HEAD
    } else {
        MAX_LINE
    };
    let Some(nl) = b.iter().take(max_line).position(|&c| c == b'\n') else {
        return if b.len() >= max_line && http_start {
            Preamble::HeadTooLong
        } else if b.len() >= max_line
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
    // Past a command's bound only a request line was let through: anything else is what it
    // was before (not a text protocol).
    if nl >= MAX_LINE {
        return Preamble::Unknown;
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

/// The bytes start like an HTTP/1.x request line: a method as RFC 9110 §9 spells it
/// (case-sensitive, so IMAP's and SMTP's case-free commands do not pass), one space, and a
/// target in origin form (`/`), absolute form (`http://`, `https://`) or `*`. Enough to give
/// the line the head's bound; it is read as HTTP only once it ends in an HTTP version.
fn http_request_start(b: &[u8]) -> bool {
    let Some(sp) = b.iter().take(8).position(|&c| c == b' ') else {
        return false;
    };
    let (method, rest) = b.split_at(sp);
    let target = rest.get(1..).unwrap_or_default();
    crate::proto::http::method_name(method) != "OTHER"
        && (target.starts_with(b"/")
            || target.starts_with(b"*")
            || target.starts_with(b"http://")
            || target.starts_with(b"https://"))
}

#[cfg(test)]
// Tests may index: a panic there is a failed test, not a crash on hostile bytes.
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;
    use starttls::LDAP_STARTTLS_OID;

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
    fn http_heads_are_read_up_to_8_kib_and_counted_past_it() {
        // A head of `len` bytes whose blank line starts at `len - 4` (or with none).
        let head = |first: &str, len: usize, ended: bool| {
            let mut b = format!("{first}\r\nHost: api.zendesk.com\r\nX-Pad: ").into_bytes();
            b.resize(len - 4, b'p');
            b.extend_from_slice(if ended { b"\r\n\r\n" } else { b"pppp" });
            b
        };
        let max = crate::proto::http::MAX_HEAD;
        for first in [
            "GET /v1?token=x HTTP/1.1",
            "CONNECT api.zendesk.com:443 HTTP/1.1",
        ] {
            let last = head(first, max + 3, true);
            assert!(
                matches!(classify(&last), Preamble::Skip { len, .. } if len == max + 3),
                "{first}"
            );
            let past = head(first, max + 4, true);
            assert_eq!(classify(&past), Preamble::HeadTooLong, "{first}");
            assert_eq!(classify(&head(first, max - 1, false)), Preamble::Incomplete);
            assert_eq!(classify(&head(first, max, false)), Preamble::HeadTooLong);
        }
        // One header line of 32 KiB: the flood's case.
        let mut long = b"GET / HTTP/1.1\r\nX-Long: ".to_vec();
        long.resize(32 << 10, b'L');
        assert_eq!(classify(&long), Preamble::HeadTooLong);
    }

    #[test]
    fn request_lines_past_a_command_bound_are_read_up_to_the_head_bound() {
        let max = crate::proto::http::MAX_HEAD;
        let tail = b"\r\nHost: widget.intercom.io\r\n\r\n";
        // A request line of exactly `n` bytes (without its CRLF), then a Host and the end.
        let line = |method: &str, n: usize| {
            let mut b = format!("{method} /collect?v=1&d=").into_bytes();
            b.resize(n - b" HTTP/1.1".len(), b'q');
            b.extend_from_slice(b" HTTP/1.1");
            b
        };
        // The last head that fits ends its blank line at byte `max + 3`.
        for n in [
            MAX_LINE - 1,
            MAX_LINE,
            MAX_LINE + 1,
            3 << 10,
            max - tail.len() + 3,
        ] {
            let mut req = line("GET", n);
            req.extend_from_slice(tail);
            let t = target(classify(&req)).unwrap_or_else(|| panic!("line of {n}"));
            assert_eq!(
                (t.method, t.host.as_str(), t.port),
                ("GET", "widget.intercom.io", 80)
            );
            assert!(
                matches!(classify(&req), Preamble::Skip { len, then_tls: false, .. } if len == req.len())
            );
            // A shorter prefix waits for more, at the 1 KiB bound too; one of 8 KiB without
            // the head's end is past the bound (as for any head).
            for cut in [n - 1, n, n + 2, req.len() - 1] {
                let want = if cut >= max {
                    Preamble::HeadTooLong
                } else {
                    Preamble::Incomplete
                };
                assert_eq!(classify(&req[..cut]), want, "{n} cut {cut}");
            }
        }
        // One byte more and the head is past its bound: counted, not read.
        let mut req = line("POST", max - tail.len() + 4);
        req.extend_from_slice(tail);
        assert_eq!(classify(&req), Preamble::HeadTooLong);
        // A request line that never ends: waiting below 8 KiB, counted at it.
        let open = line("GET", max + 100);
        assert_eq!(classify(&open[..max - 1]), Preamble::Incomplete);
        assert_eq!(classify(&open[..max]), Preamble::HeadTooLong);
    }

    #[test]
    fn long_lines_of_other_text_stay_unknown() {
        let long = |start: &str, end: &str| {
            let mut b = start.as_bytes().to_vec();
            b.resize(2000, b'x');
            b.extend_from_slice(end.as_bytes());
            b
        };
        for b in [
            long("MAIL FROM:<", ">\r\n"),
            long("a1 LOGIN ", "\r\n"),
            // Methods are case-sensitive (RFC 9110 §9.1); a target must start like one.
            long("get /", " HTTP/1.1\r\n"),
            long("GET x", " HTTP/1.1\r\n"),
            // HTTP/0.9-like: no version, so no head follows.
            long("GET /", "\r\n"),
        ] {
            assert_eq!(classify(&b), Preamble::Unknown, "{:?}", &b[..12]);
            // Refused at the command bound, as before, unless it starts like a request.
            let at_bound = if b.starts_with(b"GET /") {
                Preamble::Incomplete
            } else {
                Preamble::Unknown
            };
            assert_eq!(classify(&b[..MAX_LINE]), at_bound, "{:?}", &b[..12]);
        }
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
