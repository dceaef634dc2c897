//! TLS ClientHello: the server names a client asks for.
//!
//! Input is the start of a client's byte stream (already reassembled by the flow stage). The
//! ClientHello may span several TLS records and several TCP segments, so the answer is
//! [`Parse::Incomplete`] until every byte of the handshake message is there (Suricata's
//! parsers return `Incomplete` the same way instead of guessing).
//!
//! Record and extension framing is walked here, so one odd extension cannot hide the ones
//! after it; the ClientHello body and the server_name extension are parsed with `tls-parser`.

#![deny(clippy::indexing_slicing)]

use tls_parser::{SNIType, TlsMessage, TlsMessageHandshake};

use crate::proto::{ech, ja4};
use crate::wire::{be24, Cursor};

const CONTENT_HANDSHAKE: u8 = 0x16;
const CONTENT_CCS: u8 = 0x14;
const HANDSHAKE_CLIENT_HELLO: u8 = 1;
/// RFC 8446 §5.1: a plaintext record holds at most 2^14 bytes; allow the 2048 bytes of
/// slack TLS 1.2 permits for compressed records.
const MAX_RECORD_LEN: usize = 16_384 + 2048;
/// A ClientHello larger than this is not one a real client sends (the largest post-quantum
/// hellos are under 2 KiB; padding and many PSKs stay far below). Bounds the flow buffer.
pub const MAX_CLIENT_HELLO: usize = 32_768;

/// What the bytes at the start of a stream are, as far as they go.
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
pub enum Parse {
    /// Could still be a ClientHello: more bytes needed, `need` at least in all (a lower
    /// bound, so a caller fed one byte at a time parses again only when it can succeed or
    /// learn more, not once per byte).
    Incomplete { need: usize },
    /// Not a TLS ClientHello.
    NotTls,
    /// A complete ClientHello; `end` is the offset just past the records that carried it.
    ClientHello { hello: Hello, end: usize },
}

/// What a ClientHello tells about where the client is going.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Hello {
    /// The host_name SNI values, presentation form.
    pub names: Vec<String>,
    /// The outer encrypted_client_hello extension, real or GREASE.
    pub ech: Option<ech::Offer>,
    /// The client's fingerprint (JA4) and class, browser or library.
    pub client: Option<ja4::Client>,
}

/// Cheap first look: does this stream start like a TLS handshake record (or could it, with
/// more bytes)? Used to decide which flows to buffer at all.
pub fn may_start_handshake(b: &[u8]) -> bool {
    match b {
        [] => true,
        [t] => *t == CONTENT_HANDSHAKE,
        [t, major, ..] if *t != CONTENT_HANDSHAKE || *major != 3 => false,
        [_, _, minor, ..] if *minor > 4 => false,
        [_, _, _, _, _, hs, ..] => *hs == HANDSHAKE_CLIENT_HELLO,
        _ => true,
    }
}

/// Parses a ClientHello at the start of `stream`, gathering handshake bytes across records.
pub fn parse_client_hello(stream: &[u8]) -> Parse {
    if !may_start_handshake(stream) {
        return Parse::NotTls;
    }
    let mut hs: Vec<u8> = Vec::new();
    let mut pos = 0;
    loop {
        let Some(hdr) = record_header(stream, pos) else {
            return Parse::Incomplete {
                need: pos + 5 + hs_missing(&hs),
            };
        };
        if hdr.content != CONTENT_HANDSHAKE || hdr.major != 3 {
            return Parse::NotTls;
        }
        let len = hdr.len;
        if len == 0 || len > MAX_RECORD_LEN {
            return Parse::NotTls;
        }
        let Some(body) = stream.get(pos + 5..pos + 5 + len) else {
            return Parse::Incomplete {
                need: pos + 5 + len.max(hs_missing(&hs)),
            };
        };
        hs.extend_from_slice(body);
        pos += 5 + len;
        if let (Some(typ), Some(body_len)) = (hs.first(), be24(&hs, 1)) {
            if *typ != HANDSHAKE_CLIENT_HELLO {
                return Parse::NotTls;
            }
            let need = 4 + body_len as usize;
            if need > MAX_CLIENT_HELLO {
                return Parse::NotTls;
            }
            if let Some(msg) = hs.get(..need) {
                return match client_hello(msg) {
                    Some(hello) => Parse::ClientHello { hello, end: pos },
                    None => Parse::NotTls,
                };
            }
        }
    }
}

/// A TLS record header (RFC 8446 §5.1): content type, the legacy version's major byte, and
/// the length of the body that follows.
struct RecordHeader {
    content: u8,
    major: u8,
    len: usize,
}

/// The record header at `at`, if all five bytes are there.
fn record_header(stream: &[u8], at: usize) -> Option<RecordHeader> {
    let mut c = Cursor::new(stream.get(at..)?);
    let (content, major, _minor, len) = (c.u8()?, c.u8()?, c.u8()?, c.be16()?);
    Some(RecordHeader {
        content,
        major,
        len: len as usize,
    })
}

/// Handshake bytes still missing from `hs` (gathered so far), when its header tells.
fn hs_missing(hs: &[u8]) -> usize {
    match be24(hs, 1) {
        Some(body_len) => (4 + body_len as usize).saturating_sub(hs.len()),
        None => 4usize.saturating_sub(hs.len()),
    }
}

/// Length of the complete ChangeCipherSpec records at the start of `stream`. TLS 1.3 clients
/// answer a HelloRetryRequest with a second ClientHello, often behind such a record; tshark
/// reports both hellos, so the flow stage looks past it.
pub fn change_cipher_spec_prefix(stream: &[u8]) -> usize {
    let mut at = 0;
    while let Some(hdr) = record_header(stream, at) {
        let end = at + 5 + hdr.len;
        if hdr.content != CONTENT_CCS || hdr.major != 3 || end > stream.len() {
            break;
        }
        at = end;
    }
    at
}

/// A ClientHello at the start of a bare handshake stream (no TLS records): what QUIC's
/// CRYPTO frames carry.
pub fn parse_handshake_stream(hs: &[u8]) -> Parse {
    let (Some(typ), Some(body_len)) = (hs.first(), be24(hs, 1)) else {
        return Parse::Incomplete { need: 4 };
    };
    if *typ != HANDSHAKE_CLIENT_HELLO {
        return Parse::NotTls;
    }
    let need = 4 + body_len as usize;
    if need > MAX_CLIENT_HELLO {
        return Parse::NotTls;
    }
    let Some(msg) = hs.get(..need) else {
        return Parse::Incomplete { need };
    };
    match client_hello(msg) {
        Some(hello) => Parse::ClientHello { hello, end: need },
        None => Parse::NotTls,
    }
}

/// The server names and ECH offer of a complete ClientHello handshake message (4-byte header
/// included), or None when tls-parser cannot read it as one.
fn client_hello(msg: &[u8]) -> Option<Hello> {
    let (_, parsed) = tls_parser::parse_tls_message_handshake(msg).ok()?;
    let TlsMessage::Handshake(TlsMessageHandshake::ClientHello(ch)) = parsed else {
        return None;
    };
    let mut hello = Hello::default();
    let ciphers: Vec<u16> = ch.ciphers.iter().map(|c| c.0).collect();
    hello.client = Some(ja4::client(
        ch.version.0,
        &ciphers,
        ch.ext.unwrap_or_default(),
    ));
    let mut ext = Cursor::new(ch.ext.unwrap_or_default());
    while let (Some(typ), Some(len)) = (ext.be16(), ext.be16()) {
        let Some(data) = ext.take(len as usize) else {
            break;
        };
        if typ == 0 {
            if let Ok((_, tls_parser::TlsExtension::SNI(list))) =
                tls_parser::parse_tls_extension_sni_content(data)
            {
                for (t, name) in list {
                    if t == SNIType::HostName && !name.is_empty() {
                        hello.names.push(sni_text(name));
                    }
                }
            }
        } else if typ == ech::EXTENSION {
            hello.ech = ech::parse_offer(data);
        }
    }
    Some(hello)
}

/// Presentation form of an SNI value ([`crate::escape`], as for every name): lower-cased,
/// trailing dot dropped, control and non-ASCII bytes as `\DDD`, a backslash as `\\`.
pub(crate) fn sni_text(raw: &[u8]) -> String {
    crate::escape::name(raw.strip_suffix(b".").unwrap_or(raw))
}

#[cfg(test)]
// Tests may index: a panic there is a failed test, not a crash on hostile bytes.
#[allow(clippy::indexing_slicing)]
pub(crate) mod tests {
    use super::*;

    /// Builds a ClientHello record with the given SNI and extra padding extension bytes.
    pub(crate) fn client_hello(sni: &str, pad: usize) -> Vec<u8> {
        let mut ext = Vec::new();
        let name = sni.as_bytes();
        ext.extend_from_slice(&[0, 0]);
        ext.extend_from_slice(&((name.len() + 5) as u16).to_be_bytes());
        ext.extend_from_slice(&((name.len() + 3) as u16).to_be_bytes());
        ext.push(0);
        ext.extend_from_slice(&(name.len() as u16).to_be_bytes());
        ext.extend_from_slice(name);
        ext.extend_from_slice(&[0, 21]);
        ext.extend_from_slice(&(pad as u16).to_be_bytes());
        ext.extend(std::iter::repeat_n(0u8, pad));
        let mut body = vec![3, 3];
        body.extend_from_slice(&[7u8; 32]);
        body.push(0); // session id
        body.extend_from_slice(&[0, 2, 0x13, 0x01]); // one cipher suite
        body.extend_from_slice(&[1, 0]); // null compression
        body.extend_from_slice(&(ext.len() as u16).to_be_bytes());
        body.extend_from_slice(&ext);
        let mut hs = vec![1];
        hs.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
        hs.extend_from_slice(&body);
        let mut rec = vec![0x16, 3, 1];
        rec.extend_from_slice(&(hs.len() as u16).to_be_bytes());
        rec.extend_from_slice(&hs);
        rec
    }

    fn hello_client(ch: &[u8]) -> Option<ja4::Client> {
        match parse_client_hello(ch) {
            Parse::ClientHello { hello, .. } => hello.client,
            _ => None,
        }
    }

    #[test]
    fn whole_and_partial() {
        let ch = client_hello("Acme.Zendesk.com.", 1500);
        assert_eq!(
            parse_client_hello(&ch),
            Parse::ClientHello {
                hello: Hello {
                    names: vec!["acme.zendesk.com".into()],
                    ech: None,
                    client: hello_client(&ch),
                },
                end: ch.len()
            }
        );
        // Every prefix is incomplete, and the bytes it says it needs are more than it has and
        // no more than the whole hello: a caller that waits for them misses nothing.
        for n in 0..ch.len() {
            match parse_client_hello(&ch[..n]) {
                Parse::Incomplete { need } => {
                    assert!(need > n && need <= ch.len(), "prefix {n}: need {need}")
                }
                p => panic!("prefix {n}: {p:?}"),
            }
        }
    }

    #[test]
    fn one_byte_records_need_few_parses() {
        // The hello's handshake bytes one per record, as an evasion or a DoS would send them.
        let ch = client_hello("a.example", 600);
        let mut recs = Vec::new();
        for b in &ch[5..] {
            recs.extend_from_slice(&[0x16, 3, 1, 0, 1, *b]);
        }
        let (mut attempts, mut have, mut need) = (0, 0, 0);
        while have <= recs.len() {
            if have >= need {
                attempts += 1;
                match parse_client_hello(&recs[..have]) {
                    Parse::Incomplete { need: n } => need = n,
                    Parse::ClientHello { end, .. } => {
                        assert_eq!(end, recs.len());
                        break;
                    }
                    p => panic!("{p:?}"),
                }
            }
            have += 1;
        }
        assert_eq!(have, recs.len());
        // Each attempt waits for the missing bytes; the count grows with the log of the size.
        assert!(attempts < 60, "{attempts} attempts");
    }

    #[test]
    fn hello_split_over_two_records() {
        let ch = client_hello("a.example", 40);
        let hs = &ch[5..];
        let (a, b) = hs.split_at(30);
        let mut two = Vec::new();
        for part in [a, b] {
            two.extend_from_slice(&[0x16, 3, 1]);
            two.extend_from_slice(&(part.len() as u16).to_be_bytes());
            two.extend_from_slice(part);
        }
        assert!(
            matches!(parse_client_hello(&two), Parse::ClientHello { hello, .. } if hello.names == ["a.example"])
        );
    }

    /// A hello with an outer ECH extension after the padding: the offer is read, and no
    /// corruption of any byte panics.
    #[test]
    fn ech_offer_is_read_and_corruption_is_safe() {
        let mut ch = client_hello("public.ech-front.example", 8);
        // encrypted_client_hello: outer, HKDF-SHA256, AES-128-GCM, config 0x2a, enc, payload.
        let mut ext = vec![0xfe, 0x0d, 0, 0];
        let body = [&[0u8, 0, 1, 0, 1, 0x2a, 0, 2, 9, 9, 0, 3][..], &[7, 7, 7]].concat();
        ext[2..4].copy_from_slice(&(body.len() as u16).to_be_bytes());
        ext.extend_from_slice(&body);
        // Grow the record, handshake and extensions lengths by the extension's size.
        let add = ext.len();
        let grow = |b: &mut [u8], at: usize, width: usize| {
            let mut v = 0usize;
            for i in 0..width {
                v = v << 8 | b[at + i] as usize;
            }
            v += add;
            for i in 0..width {
                b[at + width - 1 - i] = (v >> (8 * i)) as u8;
            }
        };
        grow(&mut ch, 3, 2);
        grow(&mut ch, 6, 3);
        let ext_len_at = 5 + 4 + 2 + 32 + 1 + 4 + 2;
        grow(&mut ch, ext_len_at, 2);
        ch.extend_from_slice(&ext);
        let Parse::ClientHello { hello, .. } = parse_client_hello(&ch) else {
            panic!("not parsed");
        };
        assert_eq!(hello.names, ["public.ech-front.example"]);
        assert_eq!(
            hello.ech,
            Some(ech::Offer {
                kdf: 1,
                aead: 1,
                config_id: 0x2a
            })
        );
        for i in 0..ch.len() {
            for v in [0u8, 0xff, 0x01] {
                let mut c = ch.clone();
                c[i] = v;
                let _ = parse_client_hello(&c);
            }
        }
    }

    #[test]
    fn not_tls() {
        assert_eq!(parse_client_hello(b"GET / HTTP/1.1\r\n"), Parse::NotTls);
        // A ServerHello (type 2) is not a ClientHello.
        assert_eq!(
            parse_client_hello(&[0x16, 3, 3, 0, 50, 2, 0, 0, 46]),
            Parse::NotTls
        );
    }

    #[test]
    fn corrupted_hellos_never_panic() {
        let ch = client_hello("x.example", 10);
        for i in 0..ch.len() {
            for v in [0u8, 0xff, 0x80] {
                let mut c = ch.clone();
                c[i] = v;
                let _ = parse_client_hello(&c);
            }
        }
    }
}
