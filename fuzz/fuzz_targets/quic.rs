//! QUIC Initials. Random bytes never pass the AEAD, so besides raw datagrams this target
//! encrypts the fuzzer's frames as a client would (QUIC v1 Initial keys from the DCID,
//! RFC 9001 §5) and feeds them to `QuicTable::datagram`: the CRYPTO reassembly and the TLS
//! parse behind it see hostile plaintext. The plaintext also goes straight to
//! `proto::quic::crypto_frames` and `tls::parse_handshake_stream`. An input that starts
//! with 0x00 is one raw datagram (the seeds: real Initials from captures).
#![no_main]

use std::net::{IpAddr, Ipv4Addr};

use aes::cipher::{BlockEncrypt, KeyInit as _};
use aes_gcm::aead::AeadInPlace;
use aes_gcm::{Aes128Gcm, Nonce};
use arbitrary::Arbitrary;
use hkdf::Hkdf;
use libfuzzer_sys::fuzz_target;
use sha2::Sha256;
use shadowdesk::decode::{Decoded, Transport};
use shadowdesk::flow::QuicTable;
use shadowdesk::proto::{quic, tls};

const V1_SALT: [u8; 20] = [
    0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17, 0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad,
    0xcc, 0xbb, 0x7f, 0x0a,
];

#[derive(Arbitrary, Debug)]
enum Frame {
    Crypto { offset: u16, data: Vec<u8> },
    Raw(Vec<u8>),
}

#[derive(Arbitrary, Debug)]
enum Datagram {
    Raw(Vec<u8>),
    Initial {
        /// Which of a few connections (client port and DCID).
        conn: u8,
        pn: u32,
        frames: Vec<Frame>,
        /// Pad to the 1200 bytes a client must send.
        pad: bool,
    },
}

fn label(hk: &Hkdf<Sha256>, l: &str, out: &mut [u8]) {
    let full = format!("tls13 {l}");
    let mut info = (out.len() as u16).to_be_bytes().to_vec();
    info.push(full.len() as u8);
    info.extend_from_slice(full.as_bytes());
    info.push(0);
    hk.expand(&info, out).expect("lengths are fixed and small");
}

fn varint(v: u64, out: &mut Vec<u8>) {
    match v {
        0..=63 => out.push(v as u8),
        64..=16_383 => out.extend_from_slice(&(0x4000 | v as u16).to_be_bytes()),
        _ => out.extend_from_slice(&(0x8000_0000 | v as u32).to_be_bytes()),
    }
}

/// A v1 client Initial carrying `plain` (RFC 9001 §5: AEAD, then header protection).
fn seal(dcid: &[u8], pn: u32, plain: &[u8]) -> Vec<u8> {
    let (prk, _) = Hkdf::<Sha256>::extract(Some(&V1_SALT), dcid);
    let initial = Hkdf::<Sha256>::from_prk(&prk).expect("prk length");
    let mut client = [0u8; 32];
    label(&initial, "client in", &mut client);
    let hk = Hkdf::<Sha256>::from_prk(&client).expect("prk length");
    let (mut key, mut iv, mut hp) = ([0u8; 16], [0u8; 12], [0u8; 16]);
    label(&hk, "quic key", &mut key);
    label(&hk, "quic iv", &mut iv);
    label(&hk, "quic hp", &mut hp);

    let mut p = vec![0xc3, 0, 0, 0, 1, dcid.len() as u8];
    p.extend_from_slice(dcid);
    p.push(0); // SCID length
    p.push(0); // token length
    varint((4 + plain.len() + 16) as u64, &mut p);
    let pn_offset = p.len();
    p.extend_from_slice(&pn.to_be_bytes());
    let mut nonce = iv;
    for (i, x) in (pn as u64).to_be_bytes().iter().enumerate() {
        nonce[4 + i] ^= x;
    }
    let mut body = plain.to_vec();
    let aead = Aes128Gcm::new_from_slice(&key).expect("key length");
    let tag = aead
        .encrypt_in_place_detached(Nonce::from_slice(&nonce), &p, &mut body)
        .expect("plaintext is small");
    p.extend_from_slice(&body);
    p.extend_from_slice(&tag);
    let mut mask = aes::Block::clone_from_slice(&p[pn_offset + 4..pn_offset + 20]);
    aes::Aes128::new_from_slice(&hp)
        .expect("key length")
        .encrypt_block(&mut mask);
    p[0] ^= mask[0] & 0x0f;
    for i in 0..4 {
        p[pn_offset + i] ^= mask[1 + i];
    }
    p
}

fuzz_target!(|data: &[u8]| {
    let dgrams: Vec<Datagram> = match data.split_first() {
        Some((0, raw)) => vec![Datagram::Raw(raw.to_vec())],
        _ => match arbitrary::Unstructured::new(data).arbitrary() {
            Ok(d) => d,
            Err(_) => return,
        },
    };
    let mut table = QuicTable::new(1 << 20);
    let mut out = Vec::new();
    let server = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
    for (i, dg) in dgrams.into_iter().enumerate() {
        let (conn, bytes) = match dg {
            Datagram::Raw(b) => {
                for p in quic::initials(&b) {
                    if let Some(k) = quic::client_keys(p.version, p.dcid) {
                        let _ = quic::decrypt(&p, &k);
                    }
                }
                (0, b)
            }
            Datagram::Initial {
                conn,
                pn,
                frames,
                pad,
            } => {
                let mut plain = Vec::new();
                for f in frames {
                    match f {
                        Frame::Crypto { offset, data } => {
                            plain.push(0x06);
                            varint(offset as u64, &mut plain);
                            varint(data.len().min(16_383) as u64, &mut plain);
                            plain.extend_from_slice(&data[..data.len().min(16_383)]);
                        }
                        Frame::Raw(b) => plain.extend_from_slice(&b),
                    }
                }
                plain.truncate(16_000);
                if pad && plain.len() < 1200 {
                    plain.resize(1200, 0);
                }
                // The sample needs 4 bytes past the packet number.
                if plain.len() < 4 {
                    plain.resize(4, 0);
                }
                for (_, data) in quic::crypto_frames(&plain, 1) {
                    let _ = tls::parse_handshake_stream(data);
                }
                let dcid = [conn & 3, 0x5a, 0xa5, 0x01, 0x02, 0x03, 0x04, 0x05];
                (conn, seal(&dcid, pn, &plain))
            }
        };
        let d = Decoded {
            src: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)),
            dst: server,
            sport: 50_000 + (conn & 3) as u16,
            dport: 443,
            transport: Transport::Udp,
            payload: &bytes,
            truncated: false,
        };
        let ts = 1_700_000_000_000_000_000 + i as i64 * 1_000_000;
        table.datagram(&d, ts, &mut out);
        out.clear();
    }
});
