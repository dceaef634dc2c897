//! HTTP/1.x: a CONNECT request's target, or a plain request's Host header (RFC 9112 §3.2).

#![deny(clippy::indexing_slicing)]

use super::{Preamble, ProxyTarget};

/// Bound on an HTTP request head (CONNECT or plain), the same as [`crate::proto::http::MAX_HEAD`]
/// so the two readers of a plain request agree: servers refuse longer heads by default (nginx
/// and Apache at 8 KiB, RFC 9110 §21.1 431), so past it the bytes are a flood or a smuggling
/// attempt, and holding more would let one connection keep a whole window per flow.
const MAX_CONNECT_HEAD: usize = crate::proto::http::MAX_HEAD;

pub(super) fn http_connect(b: &[u8]) -> Preamble {
    let head_end = b
        .windows(4)
        .take(MAX_CONNECT_HEAD)
        .position(|w| w == b"\r\n\r\n");
    let Some(end) = head_end else {
        return if b.len() >= MAX_CONNECT_HEAD {
            Preamble::HeadTooLong
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
pub(super) fn http_request(b: &[u8], method: &[u8]) -> Preamble {
    let Some(end) = b
        .windows(4)
        .take(MAX_CONNECT_HEAD)
        .position(|w| w == b"\r\n\r\n")
    else {
        return if b.len() >= MAX_CONNECT_HEAD {
            Preamble::HeadTooLong
        } else {
            Preamble::Incomplete
        };
    };
    let method = crate::proto::http::method_name(method);
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
