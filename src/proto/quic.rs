//! QUIC client Initial packets: removing header protection, decrypting the payload with the
//! keys every observer can derive from the Destination Connection ID (RFC 9001 §5.2, RFC 9369
//! for v2), and collecting the CRYPTO frames that carry the TLS ClientHello.
//!
//! Versions: v1, v2, IETF drafts 21-34, mvfst (0xfaceb001/2/e), Google's QUIC-TLS T050/T051,
//! and greased versions (0x?a?a?a?a), with the salts and labels Wireshark uses for each.
//! Pure functions: the flow stage keeps the CRYPTO data of a connection across packets.

#![deny(clippy::indexing_slicing)]

use aes::cipher::{BlockEncrypt, KeyInit};
use aes::Aes128;
use aes_gcm::aead::{AeadInPlace, KeyInit as AeadKeyInit};
use aes_gcm::{Aes128Gcm, Nonce, Tag};
use hkdf::Hkdf;
use sha2::Sha256;

use crate::wire::be32;

const SALT_V1: [u8; 20] = hex20("38762cf7f55934b34d179ae6a4c80cadccbb7f0a");
const SALT_V2: [u8; 20] = hex20("0dede3def700a6db819381be6e269dcbf9bd2ed9");
const SALT_V2_DRAFT: [u8; 20] = hex20("a707c203a59b47184a1d62ca570406ea7ae3e5d3");
const SALT_DRAFT_22: [u8; 20] = hex20("7fbcdb0e7c66bbe9193a96cd21519ebd7a02644a");
const SALT_DRAFT_23: [u8; 20] = hex20("c3eef712c72ebb5a11a7d2432bb46365bef9f502");
const SALT_DRAFT_29: [u8; 20] = hex20("afbfec289993d24c9e9786f19c6111e04390a899");
const SALT_T050: [u8; 20] = hex20("7ff579e5acd072915580304c43a2367c60488310");
const SALT_T051: [u8; 20] = hex20("7a4edef4e7ccee5fa4506c19124fc8ccda6e033d");

/// A hex literal of 40 digits (spaces ignored) as bytes, at compile time. Indexes: it only
/// runs on our own constants, where an index out of bounds fails the build.
#[allow(clippy::indexing_slicing)]
const fn hex20(s: &str) -> [u8; 20] {
    let b = s.as_bytes();
    let mut out = [0u8; 20];
    let (mut i, mut n) = (0, 0);
    while i < b.len() {
        let c = b[i];
        i += 1;
        let v = match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            _ => continue,
        };
        if n % 2 == 0 {
            out[n / 2] = v << 4;
        } else {
            out[n / 2] |= v;
        }
        n += 1;
    }
    out
}

/// What a version needs: its salt, whether it uses the v2 labels and packet-type bits.
fn version_params(version: u32) -> Option<(&'static [u8; 20], bool)> {
    Some(match version {
        0x0000_0001 => (&SALT_V1, false),
        0x6b33_43cf => (&SALT_V2, true),
        0x709a_50c4 => (&SALT_V2_DRAFT, true),
        0x5430_3530 => (&SALT_T050, false),
        0x5430_3531 => (&SALT_T051, false),
        0xface_b001 => (&SALT_DRAFT_22, false),
        0xface_b002 | 0xface_b00e => (&SALT_DRAFT_23, false),
        v if v & 0x0f0f_0f0f == 0x0a0a_0a0a => (&SALT_DRAFT_29, false),
        v if v >> 8 == 0x00ff_0000 => match v & 0xff {
            21..=22 => (&SALT_DRAFT_22, false),
            23..=28 => (&SALT_DRAFT_23, false),
            29..=34 => (&SALT_DRAFT_29, false),
            _ => return None,
        },
        _ => return None,
    })
}

/// The client's Initial keys for a version and Destination Connection ID.
#[derive(Clone)]
pub struct Keys {
    aead: Aes128Gcm,
    iv: [u8; 12],
    hp: Aes128,
}

fn expand_label(hk: &Hkdf<Sha256>, label: &str, out: &mut [u8]) -> Option<()> {
    // HkdfLabel: length, "tls13 " + label, empty context (RFC 8446 §7.1).
    let full = format!("tls13 {label}");
    let mut info = Vec::with_capacity(4 + full.len());
    info.extend_from_slice(&(out.len() as u16).to_be_bytes());
    info.push(full.len() as u8);
    info.extend_from_slice(full.as_bytes());
    info.push(0);
    hk.expand(&info, out).ok()
}

pub fn client_keys(version: u32, dcid: &[u8]) -> Option<Keys> {
    let (salt, v2) = version_params(version)?;
    let (initial, _) = Hkdf::<Sha256>::extract(Some(salt), dcid);
    let initial = Hkdf::<Sha256>::from_prk(&initial).ok()?;
    let mut client = [0u8; 32];
    expand_label(&initial, "client in", &mut client)?;
    let hk = Hkdf::<Sha256>::from_prk(&client).ok()?;
    let (lk, li, lh) = if v2 {
        ("quicv2 key", "quicv2 iv", "quicv2 hp")
    } else {
        ("quic key", "quic iv", "quic hp")
    };
    let (mut key, mut iv, mut hp) = ([0u8; 16], [0u8; 12], [0u8; 16]);
    expand_label(&hk, lk, &mut key)?;
    expand_label(&hk, li, &mut iv)?;
    expand_label(&hk, lh, &mut hp)?;
    Some(Keys {
        aead: <Aes128Gcm as AeadKeyInit>::new_from_slice(&key).ok()?,
        iv,
        hp: <Aes128 as KeyInit>::new_from_slice(&hp).ok()?,
    })
}

/// Reads a QUIC variable-length integer (RFC 9000 §16).
pub fn varint(b: &[u8], at: &mut usize) -> Option<u64> {
    let first = *b.get(*at)?;
    let len = 1usize << (first >> 6);
    let bytes = b.get(*at..at.checked_add(len)?)?;
    let mut v = (first & 0x3f) as u64;
    for &x in bytes.get(1..)? {
        v = (v << 8) | x as u64;
    }
    *at += len;
    Some(v)
}

/// The long-header packets of a datagram that could be client Initials.
pub struct InitialPacket<'a> {
    pub version: u32,
    pub dcid: &'a [u8],
    /// The packet's bytes: header and protected payload.
    pub bytes: &'a [u8],
    /// Offset of the packet number in `bytes`.
    pub pn_offset: usize,
}

/// A cheap first look for the reader: could this UDP payload start a client's Initial? Long
/// header with a version we know (RFC 9000 requires client Initial datagrams of >= 1200 bytes).
pub fn may_be_initial(p: &[u8]) -> bool {
    p.len() >= 1200
        && p.first().is_some_and(|first| first & 0x80 != 0)
        && be32(p, 1).is_some_and(|version| version_params(version).is_some())
}

/// Splits a datagram into its coalesced long-header packets and keeps the Initials.
pub fn initials(datagram: &[u8]) -> Vec<InitialPacket<'_>> {
    let mut out = Vec::new();
    let mut rest = datagram;
    while let Some((pkt, next)) = one_packet(rest) {
        if let Some(p) = pkt {
            out.push(p);
        }
        rest = next;
    }
    out
}

/// One long-header packet at the start of `b`: the Initial (if it is one) and what follows.
#[allow(clippy::type_complexity)]
fn one_packet(b: &[u8]) -> Option<(Option<InitialPacket<'_>>, &[u8])> {
    let first = *b.first()?;
    if first & 0x80 == 0 || b.len() < 7 {
        return None;
    }
    let version = be32(b, 1)?;
    let (_, v2) = version_params(version)?;
    let mut at = 5;
    let dcid_len = *b.get(at)? as usize;
    at += 1;
    if dcid_len > 20 {
        return None;
    }
    let dcid = b.get(at..at + dcid_len)?;
    at += dcid_len;
    let scid_len = *b.get(at)? as usize;
    at += 1 + scid_len;
    let ptype = (first >> 4) & 0x3;
    let initial_type = if v2 { 1 } else { 0 };
    let retry_type = if v2 { 0 } else { 3 };
    if ptype == retry_type {
        return None; // Retry: no length field, ends the datagram.
    }
    if ptype == initial_type {
        let token_len = varint(b, &mut at)? as usize;
        at = at.checked_add(token_len)?;
    }
    let len = varint(b, &mut at)? as usize;
    let end = at.checked_add(len)?.min(b.len());
    let pkt = (ptype == initial_type).then(|| InitialPacket {
        version,
        dcid,
        bytes: b.get(..end).unwrap_or_default(),
        pn_offset: at,
    });
    Some((pkt, b.get(end..).unwrap_or_default()))
}

/// Removes header protection and decrypts an Initial with `keys`; returns its frames.
pub fn decrypt(p: &InitialPacket, keys: &Keys) -> Option<Vec<u8>> {
    let b = p.bytes;
    let sample = b.get(p.pn_offset + 4..p.pn_offset + 20)?;
    let mut mask = aes::Block::clone_from_slice(sample);
    keys.hp.encrypt_block(&mut mask);
    let (mask_first, mask_pn) = mask.split_first()?;
    let first = b.first()? ^ (mask_first & 0x0f);
    let pn_len = (first & 0x03) as usize + 1;
    let mut header = b.get(..p.pn_offset + pn_len)?.to_vec();
    *header.first_mut()? = first;
    let mut pn: u64 = 0;
    for (h, m) in header.get_mut(p.pn_offset..)?.iter_mut().zip(mask_pn) {
        *h ^= m;
        pn = (pn << 8) | *h as u64;
    }
    let body = b.get(p.pn_offset + pn_len..)?;
    if body.len() < 16 {
        return None;
    }
    let (ct, tag) = body.split_at(body.len() - 16);
    let mut nonce = keys.iv;
    // RFC 9001 §5.3: the packet number, left-padded to the IV's length, XORed into it.
    for (n, x) in nonce.iter_mut().rev().zip(pn.to_le_bytes()) {
        *n ^= x;
    }
    let mut plain = ct.to_vec();
    keys.aead
        .decrypt_in_place_detached(
            Nonce::from_slice(&nonce),
            &header,
            &mut plain,
            Tag::from_slice(tag),
        )
        .ok()?;
    Some(plain)
}

/// The CRYPTO frames (offset, data) of a decrypted Initial payload of `version`. Stops at
/// the first frame type an Initial may not carry.
pub fn crypto_frames(frames: &[u8], version: u32) -> Vec<(u64, &[u8])> {
    // Google's QUIC-TLS versions (T050, T051) number the CRYPTO frame 0x08.
    let crypto_type = if matches!(version, 0x5430_3530 | 0x5430_3531) {
        0x08
    } else {
        0x06
    };
    let mut out = Vec::new();
    let mut at = 0;
    while at < frames.len() {
        let Some(t) = varint(frames, &mut at) else {
            break;
        };
        match t {
            0x00 | 0x01 => {} // PADDING, PING
            0x02 | 0x03 => {
                // ACK: largest, delay, range count, first range, ranges, [ECN counts]
                let mut ok = || -> Option<()> {
                    varint(frames, &mut at)?;
                    varint(frames, &mut at)?;
                    let n = varint(frames, &mut at)?;
                    varint(frames, &mut at)?;
                    for _ in 0..n.min(1024) {
                        varint(frames, &mut at)?;
                        varint(frames, &mut at)?;
                    }
                    if t == 0x03 {
                        for _ in 0..3 {
                            varint(frames, &mut at)?;
                        }
                    }
                    Some(())
                };
                if ok().is_none() {
                    break;
                }
            }
            t if t == crypto_type => {
                let (Some(off), Some(len)) = (varint(frames, &mut at), varint(frames, &mut at))
                else {
                    break;
                };
                let Some(data) = frames.get(at..at + len as usize) else {
                    break;
                };
                out.push((off, data));
                at += len as usize;
            }
            0x1c | 0x1d => break, // CONNECTION_CLOSE: nothing after it matters
            _ => break,
        }
    }
    out
}

#[cfg(test)]
// Tests may index: a panic there is a failed test, not a crash on hostile bytes.
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    use crate::proto::unhex;

    /// RFC 9001 Appendix A.1: the client Initial keys for DCID 0x8394c8f03e515708.
    #[test]
    fn rfc9001_keys() {
        let dcid = unhex("8394c8f03e515708");
        let k = client_keys(1, &dcid).unwrap();
        assert_eq!(k.iv.to_vec(), unhex("fa044b2f42a3fd3b46fb255c"));
        // hp key 9f50449e04a0e810283a1e9933adedd2: the mask of A.2's sample.
        let mut mask = aes::Block::clone_from_slice(&unhex("d1b1c98dd7689fb8ec11d242b123dc9b"));
        k.hp.encrypt_block(&mut mask);
        assert_eq!(mask[..5].to_vec(), unhex("437b9aec36"));
    }

    /// RFC 9369 Appendix A.1: the v2 client Initial keys for the same DCID.
    #[test]
    fn rfc9369_keys() {
        let k = client_keys(0x6b3343cf, &unhex("8394c8f03e515708")).unwrap();
        assert_eq!(k.iv.to_vec(), unhex("91f73e2351d8fa91660e909f"));
    }

    #[test]
    fn varints() {
        // RFC 9000 §A.1 examples.
        for (bytes, v) in [
            ("c2197c5eff14e88c", 151_288_809_941_952_652u64),
            ("9d7f3e7d", 494_878_333),
            ("7bbd", 15_293),
            ("25", 37),
        ] {
            let b = unhex(bytes);
            let mut at = 0;
            assert_eq!(varint(&b, &mut at), Some(v));
            assert_eq!(at, b.len());
        }
    }

    #[test]
    fn junk_never_panics() {
        let mut seed = 7u64;
        for n in 0..2000usize {
            let mut b = vec![0xc3u8, 0, 0, 0, 1];
            for _ in 0..(n % 1300) {
                seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
                b.push((seed >> 33) as u8);
            }
            for p in initials(&b) {
                if let Some(k) = client_keys(p.version, p.dcid) {
                    let _ = decrypt(&p, &k);
                }
            }
            let _ = crypto_frames(&b, 1);
        }
    }
}
