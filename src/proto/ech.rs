//! Encrypted Client Hello (RFC 9849, draft-ietf-tls-esni-18 and later): the outer extension a
//! ClientHello carries, and the ECHConfigList that DNS HTTPS/SVCB records publish.
//!
//! The extension alone proves little: Chrome and Firefox send a GREASE one, with a random
//! config id, on every hello that has no real config (RFC 9849 §6.2), and it is built to look
//! like the real thing. What ties a hello to real ECH is the config it names: its `config_id`
//! and cipher suite match an ECHConfig the client was given, and its SNI is that config's
//! `public_name`. So both sides are parsed here and the aggregator compares them.

#![deny(clippy::indexing_slicing)]

use crate::proto::tls::sni_text;
use crate::wire::be16;

/// The ClientHello extension number of encrypted_client_hello.
pub const EXTENSION: u16 = 0xfe0d;
/// The ECHConfig version this parser reads (the RFC's, unchanged since draft 13).
const CONFIG_VERSION: u16 = 0xfe0d;
/// SvcParamKey of `ech` in HTTPS/SVCB records (RFC 9460 §14.3.2, RFC 9848).
pub const SVC_PARAM_ECH: u16 = 5;

/// The outer encrypted_client_hello extension of a ClientHello: which config it claims to use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Offer {
    pub kdf: u16,
    pub aead: u16,
    pub config_id: u8,
}

/// Reads the extension's body. `None` for the inner type (which only appears inside the
/// encrypted hello) or a body too short for the outer fields.
pub fn parse_offer(ext: &[u8]) -> Option<Offer> {
    match ext {
        [0, k1, k2, a1, a2, id, ..] => Some(Offer {
            kdf: u16::from_be_bytes([*k1, *k2]),
            aead: u16::from_be_bytes([*a1, *a2]),
            config_id: *id,
        }),
        _ => None,
    }
}

/// One ECHConfig of version 0xfe0d: what a hello using it will show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    pub config_id: u8,
    pub kem: u16,
    /// (kdf, aead) pairs.
    pub suites: Vec<(u16, u16)>,
    /// The name the outer ClientHello carries, presentation form.
    pub public_name: String,
}

impl Config {
    /// Does this hello's extension name this config?
    pub fn offered_by(&self, o: &Offer) -> bool {
        o.config_id == self.config_id && self.suites.contains(&(o.kdf, o.aead))
    }
}

/// Reads an ECHConfigList (with its 2-byte length prefix, as the `ech` SvcParam carries it).
/// Configs of other versions are skipped by their length; a list cut short keeps the configs
/// before the cut.
pub fn parse_config_list(b: &[u8]) -> Vec<Config> {
    let mut out = Vec::new();
    let Some(list) = vec16(b, 0).map(|(l, _)| l) else {
        return out;
    };
    let mut at = 0;
    while let (Some(version), Some((body, next))) = (be16(list, at), vec16(list, at + 2)) {
        if version == CONFIG_VERSION {
            if let Some(c) = parse_contents(body) {
                out.push(c);
            }
        }
        at = next;
    }
    out
}

/// ECHConfigContents: HpkeKeyConfig, maximum_name_length, public_name, extensions.
fn parse_contents(b: &[u8]) -> Option<Config> {
    let config_id = *b.first()?;
    let kem = be16(b, 1)?;
    let (_public_key, at) = vec16(b, 3)?;
    let (suites, at) = vec16(b, at)?;
    let _max_name_len = *b.get(at)?;
    let name_len = *b.get(at + 1)? as usize;
    let name = b.get(at + 2..at + 2 + name_len)?;
    if name.is_empty() {
        return None;
    }
    Some(Config {
        config_id,
        kem,
        suites: suites
            .chunks_exact(4)
            .filter_map(|s| Some((be16(s, 0)?, be16(s, 2)?)))
            .collect(),
        public_name: sni_text(name),
    })
}

/// A u16-length-prefixed vector at `at`: its bytes and the offset after it.
fn vec16(b: &[u8], at: usize) -> Option<(&[u8], usize)> {
    let len = be16(b, at)? as usize;
    let end = at + 2 + len;
    Some((b.get(at + 2..end)?, end))
}

#[cfg(test)]
// Tests may index: a panic there is a failed test, not a crash on hostile bytes.
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    /// Cloudflare's published ECHConfigList, as its HTTPS records carried it (base64 of the
    /// `ech=` value, quoted on ntc.party and decodable with `base64 -d | xxd`): config id 0xf2,
    /// DHKEM(X25519), HKDF-SHA256 with AES-128-GCM, public name cloudflare-ech.com.
    const CLOUDFLARE: &str = "0045fe0d0041f2002000 20c221a5373fabf3ebaf09da845166da6d484c07fb5217f3fdd3380ac4c74b512c0004000100010012636c6f7564666c6172652d6563682e636f6d0000";

    use crate::proto::unhex as hex;

    #[test]
    fn cloudflare_config() {
        let b = hex(CLOUDFLARE);
        let got = parse_config_list(&b);
        assert_eq!(
            got,
            vec![Config {
                config_id: 0xf2,
                kem: 0x0020,
                suites: vec![(1, 1)],
                public_name: "cloudflare-ech.com".into(),
            }]
        );
        // Every cut keeps the parse safe; only the whole list yields the config.
        for n in 0..b.len() {
            assert!(parse_config_list(&b[..n]).is_empty(), "cut at {n}");
        }
    }

    #[test]
    fn unknown_versions_are_skipped() {
        let cf = hex(CLOUDFLARE);
        // A draft-09 style config (version 0xff09) in front of the real one.
        let mut list = vec![0xff, 0x09, 0, 3, 1, 2, 3];
        list.extend_from_slice(&cf[2..]);
        let mut b = (list.len() as u16).to_be_bytes().to_vec();
        b.extend_from_slice(&list);
        let got = parse_config_list(&b);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].public_name, "cloudflare-ech.com");
    }

    #[test]
    fn offers() {
        let o = parse_offer(&[0, 0, 1, 0, 1, 0xf2, 0, 32]).unwrap();
        assert_eq!(
            o,
            Offer {
                kdf: 1,
                aead: 1,
                config_id: 0xf2
            }
        );
        let c = &parse_config_list(&hex(CLOUDFLARE))[0];
        assert!(c.offered_by(&o));
        assert!(!c.offered_by(&Offer { config_id: 7, ..o }));
        assert!(!c.offered_by(&Offer { aead: 3, ..o }));
        // The inner type and cut bodies are not offers.
        assert_eq!(parse_offer(&[1]), None);
        assert_eq!(parse_offer(&[0, 0, 1, 0, 1]), None);
    }
}
