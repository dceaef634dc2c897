//! SOCKS 4 and 4a (no RFC: the protocol documents of its authors) and SOCKS 5 (RFC 1928) requests.

#![deny(clippy::indexing_slicing)]

use super::{Preamble, ProxyTarget};
use crate::wire::be16;

fn nul_terminated(b: &[u8], at: usize, max: usize) -> Option<Result<usize, ()>> {
    let rest = b.get(at..).unwrap_or_default();
    match rest.iter().take(max).position(|&c| c == 0) {
        Some(i) => Some(Ok(at + i)),
        None if rest.len() >= max => Some(Err(())),
        None => None,
    }
}

/// SOCKS 4 and 4a CONNECT: VN=4 CD=1 DSTPORT DSTIP USERID NUL [HOST NUL when DSTIP=0.0.0.x].
pub(super) fn socks4(b: &[u8]) -> Preamble {
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
pub(super) fn socks5(b: &[u8]) -> Preamble {
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
