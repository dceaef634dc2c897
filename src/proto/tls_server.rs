//! The server's side of a TLS handshake, as far as the wire shows it: the ServerHello's
//! chosen version and cipher suite (RFC 5246 §7.4.1.3; RFC 8446 §4.1.3 and §4.2.1 for
//! supported_versions), and, up to TLS 1.2, the names of the first certificate of the
//! Certificate message (RFC 5246 §7.4.2): subject CN and subjectAltName dNSNames (RFC 5280
//! §4.1.2.6, §4.2.1.6). TLS 1.3 encrypts the certificate: only the hello is read there.

#![deny(clippy::indexing_slicing)]

use crate::wire::be24;

const CONTENT_HANDSHAKE: u8 = 0x16;
const SERVER_HELLO: u8 = 2;
const CERTIFICATE: u8 = 11;
/// Handshake bytes gathered: a ServerHello and a certificate chain fit (a chain of three
/// 2-4 KB certificates), and the flow's window bounds the stream anyway.
pub const MAX_FLIGHT: usize = 32_768;
/// Names kept from one certificate; a hostile one may list thousands.
pub const MAX_CERT_NAMES: usize = 32;
/// A name longer than this (DNS's 253, with room for escapes) is not kept.
const MAX_NAME: usize = 300;
/// Object identifiers: id-at-commonName (2.5.4.3) and id-ce-subjectAltName (2.5.29.17).
const OID_CN: &[u8] = &[0x55, 0x04, 0x03];
const OID_SAN: &[u8] = &[0x55, 0x1d, 0x11];

/// What the server chose, and who its certificate says it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerHello {
    /// The negotiated version: supported_versions' selection when present, else the
    /// hello's legacy version.
    pub version: u16,
    pub suite: u16,
    /// Subject CN then SAN dNSNames of the first certificate, lower-cased and escaped,
    /// without duplicates; empty for TLS 1.3 or when no certificate was sent.
    pub names: Vec<String>,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Parse {
    Incomplete,
    /// Not a server's handshake.
    NotServer,
    Done(ServerHello),
}

/// Reads a server's stream start.
pub fn parse(stream: &[u8]) -> Parse {
    if stream.first().is_some_and(|c| *c != CONTENT_HANDSHAKE) {
        return Parse::NotServer;
    }
    let mut hs: Vec<u8> = Vec::new();
    let mut pos = 0;
    // The gathering stopped for lack of bytes (more may come), not at a record of another
    // kind (ChangeCipherSpec, application data) that ends the flight.
    let mut short = false;
    while hs.len() < MAX_FLIGHT {
        let (Some(&content), Some(&major), Some(len)) = (
            stream.get(pos),
            stream.get(pos + 1),
            crate::wire::be16(stream, pos + 3),
        ) else {
            short = true;
            break;
        };
        if content != CONTENT_HANDSHAKE {
            break;
        }
        if major != 3 {
            return Parse::NotServer;
        }
        let Some(body) = stream.get(pos + 5..pos + 5 + usize::from(len)) else {
            short = true;
            break;
        };
        hs.extend_from_slice(body);
        pos += 5 + usize::from(len);
    }
    let mut hello: Option<ServerHello> = None;
    let mut at = 0;
    while let (Some(&typ), Some(len)) = (hs.get(at), be24(&hs, at + 1)) {
        let Some(body) = hs.get(at + 4..at + 4 + len as usize) else {
            break;
        };
        match (typ, hello.as_mut()) {
            (SERVER_HELLO, None) => {
                let Some(h) = server_hello(body) else {
                    return Parse::NotServer;
                };
                if h.version >= 0x0304 {
                    return Parse::Done(h);
                }
                hello = Some(h);
            }
            (CERTIFICATE, Some(h)) => {
                h.names = cert_names(body);
                return Parse::Done(h.clone());
            }
            (_, None) => return Parse::NotServer,
            // ServerKeyExchange, ServerHelloDone...: no certificate came (anonymous suites).
            (_, Some(h)) => return Parse::Done(h.clone()),
        }
        at += 4 + len as usize;
    }
    let full = hs.len() >= MAX_FLIGHT;
    match hello {
        // The flight ended (another record kind, or the cap) with no certificate.
        Some(h) if !short || full => Parse::Done(h),
        None if full => Parse::NotServer,
        _ => Parse::Incomplete,
    }
}

fn server_hello(b: &[u8]) -> Option<ServerHello> {
    let mut c = crate::wire::Cursor::new(b);
    let legacy = c.be16()?;
    c.take(32)?;
    let sid = c.u8()?;
    c.take(usize::from(sid))?;
    let suite = c.be16()?;
    c.u8()?;
    let mut version = legacy;
    if let Some(ext_len) = c.be16() {
        let mut e = crate::wire::Cursor::new(c.take(usize::from(ext_len))?);
        while let (Some(typ), Some(len)) = (e.be16(), e.be16()) {
            let data = e.take(usize::from(len))?;
            if typ == 0x002b {
                version = crate::wire::be16(data, 0)?;
            }
        }
    }
    Some(ServerHello {
        version,
        suite,
        names: Vec::new(),
    })
}

/// A DER TLV: (tag, contents, rest).
fn tlv(b: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let tag = *b.first()?;
    let first = *b.get(1)?;
    let (len, hdr) = match first {
        0..=0x7f => (usize::from(first), 2),
        0x81 => (usize::from(*b.get(2)?), 3),
        0x82 => (usize::from(crate::wire::be16(b, 2)?), 4),
        0x83 => (be24(b, 2)? as usize, 5),
        _ => return None,
    };
    let body = b.get(hdr..hdr + len)?;
    Some((tag, body, b.get(hdr + len..)?))
}

/// The names of the first certificate of a Certificate message's body.
fn cert_names(body: &[u8]) -> Vec<String> {
    let mut names = Vec::new();
    let first = be24(body, 3).and_then(|n| body.get(6..6 + n as usize));
    if let Some(der) = first {
        let _ = read_cert(der, &mut names);
    }
    names
}

fn push(names: &mut Vec<String>, raw: &[u8]) {
    if raw.is_empty() || raw.len() > MAX_NAME || names.len() >= MAX_CERT_NAMES {
        return;
    }
    let n = crate::escape::name(raw);
    if !names.contains(&n) {
        names.push(n);
    }
}

fn read_cert(der: &[u8], names: &mut Vec<String>) -> Option<()> {
    let (_, cert, _) = tlv(der)?;
    let (_, tbs, _) = tlv(cert)?;
    let mut rest = tbs;
    let (tag, _, r) = tlv(rest)?;
    // [0] version is optional; serial, signature, issuer, validity follow.
    rest = if tag == 0xa0 { r } else { rest };
    for _ in 0..4 {
        rest = tlv(rest)?.2;
    }
    let (_, subject, r) = tlv(rest)?;
    let mut rdns = subject;
    while let Some((_, set, more)) = tlv(rdns) {
        let mut avas = set;
        while let Some((_, ava, next)) = tlv(avas) {
            if let Some((0x06, oid, v)) = tlv(ava) {
                if oid == OID_CN {
                    push(names, tlv(v)?.1);
                }
            }
            avas = next;
        }
        rdns = more;
    }
    // spki, then optional [1] [2], then [3] extensions.
    let mut rest = tlv(r)?.2;
    while let Some((tag, body, more)) = tlv(rest) {
        if tag == 0xa3 {
            let (_, exts, _) = tlv(body)?;
            let mut e = exts;
            while let Some((_, ext, next)) = tlv(e) {
                if let Some((0x06, oid, v)) = tlv(ext) {
                    if oid == OID_SAN {
                        // Skip the optional critical BOOLEAN to the OCTET STRING.
                        let (t, val, after) = tlv(v)?;
                        let val = if t == 0x01 { tlv(after)?.1 } else { val };
                        let (_, mut gns, _) = tlv(val)?;
                        while let Some((t, n, more)) = tlv(gns) {
                            if t == 0x82 {
                                push(names, n);
                            }
                            gns = more;
                        }
                    }
                }
                e = next;
            }
        }
        rest = more;
    }
    Some(())
}

#[cfg(test)]
#[path = "tls_server_tests.rs"]
mod tests;
