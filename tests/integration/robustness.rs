//! No panic on any input: real captures with their packet bytes corrupted, truncated and
//! shuffled still give exit status 0, parsable events, and no panic message.

use crate::util::*;

/// xorshift64: a fixed seed gives the same corruption on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// Record (offset of data, length) pairs of a little-endian classic pcap.
fn records(b: &[u8]) -> Vec<(usize, usize)> {
    let mut v = Vec::new();
    let mut at = 24;
    while at + 16 <= b.len() {
        let incl = u32::from_le_bytes(b[at + 8..at + 12].try_into().unwrap()) as usize;
        if at + 16 + incl > b.len() {
            break;
        }
        v.push((at + 16, incl));
        at += 16 + incl;
    }
    v
}

#[test]
fn corrupted_packets_never_panic() {
    let dir = tempdir("fuzz");
    let mut rng = Rng(0x5eed_cafe_f00d_d00d);
    let mut files = Vec::new();
    for cap in captures_with_truth() {
        let name = cap.file_name().unwrap().to_string_lossy().into_owned();
        if !name.ends_with(".pcap") {
            continue;
        }
        let orig = std::fs::read(&cap).unwrap();
        for round in 0..3 {
            let mut b = orig.clone();
            let recs = records(&b);
            for &(off, len) in &recs {
                if len == 0 {
                    continue;
                }
                // Flip a few bytes in most packets; sometimes shrink the captured length
                // (the record header says fewer bytes, as a snaplen would).
                for _ in 0..(1 + rng.next() % 4) {
                    let i = off + (rng.next() as usize % len);
                    b[i] = rng.next() as u8;
                }
            }
            let path = dir.join(format!("{round}-{name}"));
            std::fs::write(&path, &b).unwrap();
            files.push(path);
        }
    }
    assert!(files.len() >= 30);
    let args: Vec<&str> = files.iter().map(|p| p.to_str().unwrap()).collect();
    let (o, _evs) = events(&args);
    let err = stderr(&o);
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(o.status.code(), Some(0), "{err}");
}

#[test]
fn snapped_packets_are_read_as_far_as_they_go() {
    // Rewrite each record to keep only its first 64..200 bytes (incl_len lowered, orig_len
    // kept), as `tcpdump -s N` would have captured it.
    let dir = tempdir("snap");
    for cap in ["mixed.pcap", "tls_chromium_split.pcap", "dns_tcp.pcap"] {
        let orig = std::fs::read(capture(cap)).unwrap();
        for snap in [64usize, 96, 200] {
            let longer = records(&orig).iter().filter(|(_, len)| *len > snap).count() as u64;
            let mut out = orig[..24].to_vec();
            out[16..20].copy_from_slice(&(snap as u32).to_le_bytes());
            for (off, len) in records(&orig) {
                let hdr = &orig[off - 16..off];
                let keep = len.min(snap);
                out.extend_from_slice(&hdr[..8]);
                out.extend_from_slice(&(keep as u32).to_le_bytes());
                out.extend_from_slice(&hdr[12..16]);
                out.extend_from_slice(&orig[off..off + keep]);
            }
            let p = dir.join(format!("{snap}-{cap}"));
            std::fs::write(&p, &out).unwrap();
            let (o, rep) = report(&[p.to_str().unwrap()]);
            assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
            assert!(!stderr(&o).contains("panicked"));
            assert_eq!(
                rep["stats"]["packets_snapped"].as_u64(),
                Some(longer),
                "{snap}-{cap}"
            );
        }
    }
}
