//! The client's TLS fingerprint: JA4's `ja4` string (FoxIO's open, BSD-3 part; spec:
//! <https://github.com/FoxIO-LLC/ja4/blob/main/technical_details/JA4.md>) and a client class,
//! browser or library, read from the same ClientHello fields.
//!
//! Checked against FoxIO's own expected output for their test captures (`testdata/ja4/`).

#![deny(clippy::indexing_slicing)]

use sha2::{Digest, Sha256};

use crate::wire::Cursor;

const EXT_SNI: u16 = 0x0000;
const EXT_SUPPORTED_GROUPS: u16 = 0x000a;
const EXT_SIGNATURE_ALGORITHMS: u16 = 0x000d;
const EXT_ALPN: u16 = 0x0010;
const EXT_RECORD_SIZE_LIMIT: u16 = 0x001c;
const EXT_DELEGATED_CREDENTIALS: u16 = 0x0022;
const EXT_SUPPORTED_VERSIONS: u16 = 0x002b;
const EXT_ECH: u16 = 0xfe0d;
/// application_settings (ALPS), the old and the new code point: only Chrome's network stack
/// turns it on (BoringSSL has it, no library enables it by default).
const EXT_ALPS: [u16; 2] = [0x4469, 0x44cd];
/// A ClientHello lists at most this many cipher suites or extensions that we keep for the
/// fingerprint (JA4 prints counts above 99 as 99; real hellos have under 60): bounds the
/// vectors a hostile hello can make us fill.
const MAX_LISTED: usize = 128;

/// Who sent a ClientHello, as far as its shape tells (rules in the README, "Roles and
/// ownership").
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ClientClass {
    /// A web browser's TLS stack: BoringSSL as Chrome uses it (Chrome, Edge, Opera, Brave,
    /// Electron apps) or Apple's (Safari, WebKit), which put GREASE values (RFC 8701) in every
    /// TCP hello; Chrome's QUIC hellos, which carry ALPS and a GREASE ECH extension instead;
    /// or NSS as Firefox configures it (ECH, or record_size_limit with delegated_credentials).
    Browser,
    /// Anything else: OpenSSL, GnuTLS, Go, Java, rustls, .NET, as curl, Python, Node, Java and
    /// Go programs use them, none of which sends GREASE or Firefox's extensions by default.
    Library,
}

impl ClientClass {
    pub fn as_str(self) -> &'static str {
        match self {
            ClientClass::Browser => "browser",
            ClientClass::Library => "library",
        }
    }
}

/// What a ClientHello says about its sender.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Client {
    /// The `ja4` string without its first character (the transport: `t` for TCP, `q` for
    /// QUIC), which only the flow stage knows; [`Client::ja4`] adds it.
    pub ja4_rest: String,
    pub class: ClientClass,
    /// The highest version offered: the largest non-GREASE entry of supported_versions
    /// when the hello has that extension, else its legacy version (as JA4 counts it).
    pub version: u16,
    /// The ALPN protocol names as offered, in order (at most [`MAX_ALPN`]), as
    /// text: UTF-8 kept, control characters as `\DDD`; a name that is not UTF-8 in the
    /// presentation form of wire names.
    pub alpn: Vec<String>,
    /// Every cipher suite offered is weak: the class of the first (see
    /// [`super::suites::weak_suites_only`]).
    pub weak_suites_only: Option<&'static str>,
}

/// ALPN names kept per hello: browsers offer two or three (h2, http/1.1); the cap stops a
/// hostile hello from making one event carry thousands of one-byte names.
pub const MAX_ALPN: usize = 16;

impl Client {
    /// The full `ja4` string for a hello over TCP (`quic` false) or in QUIC Initials.
    pub fn ja4(&self, quic: bool) -> String {
        let mut s = String::with_capacity(self.ja4_rest.len() + 1);
        s.push(if quic { 'q' } else { 't' });
        s.push_str(&self.ja4_rest);
        s
    }
}

/// A 2-byte chunk as a big-endian number.
fn be16(v: &[u8]) -> Option<u16> {
    <[u8; 2]>::try_from(v).ok().map(u16::from_be_bytes)
}

/// RFC 8701 GREASE: 0x?a?a with both bytes equal.
pub fn is_grease(v: u16) -> bool {
    v & 0x0f0f == 0x0a0a && v >> 8 == v & 0xff
}

/// The fingerprint of a ClientHello from its legacy version, cipher suites and raw extension
/// block.
pub fn client(legacy_version: u16, ciphers: &[u16], extensions: &[u8]) -> Client {
    let weak_suites_only = super::suites::weak_suites_only(ciphers);
    let mut grease = ciphers.iter().any(|c| is_grease(*c));
    let ciphers: Vec<u16> = ciphers
        .iter()
        .copied()
        .filter(|c| !is_grease(*c))
        .take(MAX_LISTED)
        .collect();
    let mut exts: Vec<u16> = Vec::new();
    let mut version = legacy_version;
    let mut sig_algs: Vec<u16> = Vec::new();
    let mut alpn: Option<&[u8]> = None;
    let mut alpn_list: Vec<String> = Vec::new();
    let mut sni = false;
    let mut c = Cursor::new(extensions);
    while let (Some(typ), Some(len)) = (c.be16(), c.be16()) {
        let Some(data) = c.take(len as usize) else {
            break;
        };
        if is_grease(typ) {
            grease = true;
            continue;
        }
        if exts.len() < MAX_LISTED {
            exts.push(typ);
        }
        match typ {
            EXT_SNI => sni = true,
            EXT_SUPPORTED_VERSIONS => {
                // A one-byte length, then 2-byte versions; the highest that is not GREASE.
                let list = data.get(1..).unwrap_or_default();
                let best = list
                    .chunks_exact(2)
                    .filter_map(be16)
                    .filter(|v| !is_grease(*v))
                    .max();
                grease |= list.chunks_exact(2).filter_map(be16).any(is_grease);
                if let Some(best) = best {
                    version = best;
                }
            }
            EXT_SIGNATURE_ALGORITHMS => {
                let list = data.get(2..).unwrap_or_default();
                sig_algs = list
                    .chunks_exact(2)
                    .filter_map(be16)
                    .filter(|v| !is_grease(*v))
                    .take(MAX_LISTED)
                    .collect();
            }
            EXT_SUPPORTED_GROUPS => {
                let list = data.get(2..).unwrap_or_default();
                grease |= list.chunks_exact(2).filter_map(be16).any(is_grease);
            }
            EXT_ALPN => {
                // A 2-byte list length, then 1-byte-length protocol names: the first one.
                let mut a = Cursor::new(data.get(2..).unwrap_or_default());
                alpn = a.u8().and_then(|n| a.take(n as usize));
                let mut all = Cursor::new(data.get(2..).unwrap_or_default());
                alpn_list.clear();
                while let Some(p) = all.u8().and_then(|n| all.take(n as usize)) {
                    if alpn_list.len() == MAX_ALPN {
                        break;
                    }
                    alpn_list.push(match std::str::from_utf8(p) {
                        Ok(s) => crate::escape::text(s),
                        Err(_) => crate::escape::name(p),
                    });
                }
            }
            _ => {}
        }
    }
    // Libraries send ECH only when a program configures a real ECH config for the site;
    // Chrome and Firefox offer it (GREASE or real) on every hello.
    let browser_ext = exts.contains(&EXT_ECH)
        || exts.iter().any(|e| EXT_ALPS.contains(e))
        || (exts.contains(&EXT_RECORD_SIZE_LIMIT) && exts.contains(&EXT_DELEGATED_CREDENTIALS));
    let class = if grease || browser_ext {
        ClientClass::Browser
    } else {
        ClientClass::Library
    };
    let mut a = String::with_capacity(40);
    a.push_str(match version {
        0x0304 => "13",
        0x0303 => "12",
        0x0302 => "11",
        0x0301 => "10",
        0x0300 => "s3",
        0x0002 => "s2",
        0xfeff => "d1",
        0xfefd => "d2",
        0xfefc => "d3",
        _ => "00",
    });
    a.push(if sni { 'd' } else { 'i' });
    for n in [ciphers.len().min(99), exts.len().min(99)] {
        a.push(char::from(b'0' + (n / 10) as u8));
        a.push(char::from(b'0' + (n % 10) as u8));
    }
    a.push_str(&alpn_chars(alpn));
    let mut sorted = ciphers;
    sorted.sort_unstable();
    let b = hash12(&hex_list(&sorted));
    let mut ext_sorted: Vec<u16> = exts
        .into_iter()
        .filter(|e| *e != EXT_SNI && *e != EXT_ALPN)
        .collect();
    ext_sorted.sort_unstable();
    let mut c_text = hex_list(&ext_sorted);
    if !sig_algs.is_empty() {
        c_text.push('_');
        c_text.push_str(&hex_list(&sig_algs));
    }
    let c = if ext_sorted.is_empty() {
        "000000000000".to_owned()
    } else {
        hash12(&c_text)
    };
    Client {
        ja4_rest: format!("{a}_{b}_{c}"),
        class,
        version,
        alpn: alpn_list,
        weak_suites_only,
    }
}

/// JA4's two ALPN characters: the first and last of the first protocol; "00" without ALPN;
/// the first and last hex digits of its bytes when either end is not alphanumeric.
fn alpn_chars(alpn: Option<&[u8]>) -> String {
    let Some(p) = alpn.filter(|p| !p.is_empty()) else {
        return "00".to_owned();
    };
    let (first, last) = (p.first().copied(), p.last().copied());
    match (first, last) {
        (Some(f), Some(l)) if f.is_ascii_alphanumeric() && l.is_ascii_alphanumeric() => {
            format!("{}{}", f as char, l as char)
        }
        (Some(f), Some(l)) => {
            format!("{}{}", hex(u32::from(f) >> 4), hex(u32::from(l)))
        }
        _ => "00".to_owned(),
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Lower-case hex digit of the low nibble of `n`.
fn hex(n: u32) -> char {
    HEX.get((n & 0xf) as usize).map_or('0', |b| *b as char)
}

/// `0a0a,1301,...`: each value as four lower-case hex digits (one allocation; this runs for
/// every hello).
fn hex_list(v: &[u16]) -> String {
    let mut s = String::with_capacity(v.len() * 5);
    for (i, x) in v.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        for shift in [12, 8, 4, 0] {
            s.push(hex(u32::from(*x) >> shift));
        }
    }
    s
}

/// The first 12 hex digits of the SHA-256 of `text`; JA4 writes twelve zeros for an empty list.
fn hash12(text: &str) -> String {
    if text.is_empty() {
        return "000000000000".to_owned();
    }
    let d = Sha256::digest(text.as_bytes());
    let mut s = String::with_capacity(12);
    for b in d.iter().take(6) {
        s.push(hex(u32::from(*b) >> 4));
        s.push(hex(u32::from(*b)));
    }
    s
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn grease_values() {
        assert!(is_grease(0x0a0a) && is_grease(0xfafa) && is_grease(0x3a3a));
        assert!(!is_grease(0x0a1a) && !is_grease(0x1301) && !is_grease(0xfe0d));
    }

    /// JA4.md's worked example: its cipher and extension lists, hashed as the spec shows.
    #[test]
    fn spec_example_hashes() {
        let ciphers = "002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9";
        assert_eq!(hash12(ciphers), "8daaf6152771");
        let exts = "0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01_0403,0804,0401,0503,0805,0501,0806,0601";
        assert_eq!(hash12(exts), "e5627efa2ab1");
    }

    /// Extension blocks of the given types, each empty.
    fn exts(types: &[u16]) -> Vec<u8> {
        types
            .iter()
            .flat_map(|t| [(t >> 8) as u8, *t as u8, 0, 0])
            .collect()
    }

    #[test]
    fn client_class_rules() {
        let class = |ciphers: &[u16], e: &[u16]| client(0x0303, ciphers, &exts(e)).class;
        // Chrome over TCP: GREASE cipher and extensions.
        assert_eq!(
            class(&[0x3a3a, 0x1301], &[0x1a1a, 0, 0x0010]),
            ClientClass::Browser
        );
        // Chrome's QUIC hello (testdata/captures/quic/chromium_quic.pcap): no GREASE, but
        // ALPS (0x44cd) and ECH.
        assert_eq!(
            class(&[0x1301], &[0x001b, 0xfe0d, 0x44cd, 0x000d, 0x0039]),
            ClientClass::Browser
        );
        // Firefox: record_size_limit with delegated_credentials.
        assert_eq!(
            class(&[0x1301], &[0, 0x0017, 0x0022, 0x001c]),
            ClientClass::Browser
        );
        // GnuTLS (wget) sends record_size_limit alone: a library.
        assert_eq!(class(&[0x1301], &[0, 0x001c]), ClientClass::Library);
        // OpenSSL as curl and Python use it: encrypt_then_mac, no GREASE.
        assert_eq!(
            class(
                &[0x1302, 0x1301],
                &[0, 0x000b, 0x000a, 0x0016, 0x0017, 0x000d]
            ),
            ClientClass::Library
        );
        // aioquic (testdata/captures/quic/aioquic_v1.pcap).
        assert_eq!(
            class(
                &[0x1301],
                &[0x0033, 0x002b, 0x000d, 0x000a, 0, 0x0010, 0x0039]
            ),
            ClientClass::Library
        );
    }

    /// An ALPN extension (type 16) holding `names`.
    fn alpn_ext(names: &[&[u8]]) -> Vec<u8> {
        let list: Vec<u8> = names
            .iter()
            .flat_map(|n| std::iter::once(n.len() as u8).chain(n.iter().copied()))
            .collect();
        let mut e = vec![0, 16];
        e.extend_from_slice(&((list.len() + 2) as u16).to_be_bytes());
        e.extend_from_slice(&(list.len() as u16).to_be_bytes());
        e.extend_from_slice(&list);
        e
    }

    #[test]
    fn alpn_list_is_kept_capped_and_cut_where_it_stops() {
        let c = client(0x0303, &[0x1301], &alpn_ext(&[b"h2", b"http/1.1"]));
        assert_eq!(c.alpn, ["h2", "http/1.1"]);
        assert_eq!(
            c.version, 0x0303,
            "legacy version without supported_versions"
        );
        // A hostile hello with 200 one-byte names: the first MAX_ALPN.
        let many: Vec<[u8; 1]> = (0..200u8).map(|i| [b'a' + i % 26]).collect();
        let names: Vec<&[u8]> = many.iter().map(|n| &n[..]).collect();
        let c = client(0x0303, &[0x1301], &alpn_ext(&names));
        assert_eq!(c.alpn.len(), MAX_ALPN);
        // A length past the list's end ends it; bytes that are not UTF-8 are escaped.
        let mut e = alpn_ext(&[b"h2", &[0xba, 0xad]]);
        let n = e.len();
        e[n - 3] = 9;
        assert_eq!(client(0x0303, &[0x1301], &e).alpn, ["h2"]);
        let e = alpn_ext(&[&[0xba, 0xad], b"\x07"]);
        assert_eq!(client(0x0303, &[0x1301], &e).alpn, ["\\186\\173", "\\007"]);
    }

    #[test]
    fn alpn_rules() {
        assert_eq!(alpn_chars(Some(b"h2")), "h2");
        assert_eq!(alpn_chars(Some(b"http/1.1")), "h1");
        assert_eq!(alpn_chars(None), "00");
        assert_eq!(alpn_chars(Some(b"h")), "hh");
        // Non-alphanumeric ends: first and last hex digit of the bytes (0xab ... 0xcd).
        assert_eq!(alpn_chars(Some(&[0xab, 0x01, 0xcd])), "ad");
    }
}
