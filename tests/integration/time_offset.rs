//! A pcapng whose `if_tsoffset` pushes every timestamp past the end of the `i64` nanosecond
//! range: the reader holds it at `i64::MAX`, and sums on it must hold too. Before they did, a
//! DNS answer's expiry (`ts + ttl`) panicked with overflow checks and, in a release build,
//! wrapped to 1677, so the hellos that followed the answer lost their attribution.

use std::path::Path;

use crate::util::{capture, events, report, tempdir};

/// Rewrites a classic little-endian microsecond pcap as a pcapng of one interface whose
/// `if_tsoffset` (option 14, RFC draft-ietf-opsawg-pcapng §4.2) is `offset` seconds.
fn pcapng_with_offset(pcap: &Path, offset: i64) -> Vec<u8> {
    let b = std::fs::read(pcap).unwrap();
    assert_eq!(&b[..4], &[0xd4, 0xc3, 0xb2, 0xa1], "LE microsecond pcap");
    let u32_at = |at: usize| u32::from_le_bytes(b[at..at + 4].try_into().unwrap());
    let linktype = u32_at(20) as u16;
    let block = |typ: u32, body: &[u8]| {
        let mut body = body.to_vec();
        body.resize(body.len().div_ceil(4) * 4, 0);
        let total = (body.len() + 12) as u32;
        let mut v = typ.to_le_bytes().to_vec();
        v.extend_from_slice(&total.to_le_bytes());
        v.extend_from_slice(&body);
        v.extend_from_slice(&total.to_le_bytes());
        v
    };
    let mut shb = 0x1a2b_3c4du32.to_le_bytes().to_vec();
    shb.extend_from_slice(&[1, 0, 0, 0]); // version 1.0
    shb.extend_from_slice(&(-1i64).to_le_bytes()); // section length unknown
    let mut out = block(0x0a0d_0d0a, &shb);
    let mut idb = linktype.to_le_bytes().to_vec();
    idb.extend_from_slice(&[0, 0]);
    idb.extend_from_slice(&0u32.to_le_bytes()); // snaplen: none
    idb.extend_from_slice(&[14, 0, 8, 0]); // if_tsoffset, 8 bytes
    idb.extend_from_slice(&offset.to_le_bytes());
    idb.extend_from_slice(&[0, 0, 0, 0]); // opt_endofopt
    out.extend(block(1, &idb));
    let mut at = 24;
    while at + 16 <= b.len() {
        let (secs, usecs, caplen, wire) = (
            u32_at(at) as u64,
            u32_at(at + 4) as u64,
            u32_at(at + 8),
            u32_at(at + 12),
        );
        let ts = secs * 1_000_000 + usecs;
        let mut epb = 0u32.to_le_bytes().to_vec();
        epb.extend_from_slice(&((ts >> 32) as u32).to_le_bytes());
        epb.extend_from_slice(&(ts as u32).to_le_bytes());
        epb.extend_from_slice(&caplen.to_le_bytes());
        epb.extend_from_slice(&wire.to_le_bytes());
        epb.extend_from_slice(&b[at + 16..at + 16 + caplen as usize]);
        out.extend(block(6, &epb));
        at += 16 + caplen as usize;
    }
    out
}

#[test]
fn saturated_timestamps_keep_dns_attribution() {
    // Two IP-literal hellos to a server a DNS answer just gave (testdata/README.md): they are
    // attributed through the answer while its TTL lasts.
    let src = capture("hidden/ip_literal.pcap");
    let dir = tempdir("tsoffset");
    let shifted = dir.join("ip_literal_tsoffset.pcapng");
    std::fs::write(&shifted, pcapng_with_offset(&src, i64::MAX)).unwrap();
    let shifted_s = shifted.to_str().unwrap();

    let (o, evs) = events(&[shifted_s]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(!evs.is_empty());
    // `date -u -d @9223372036`: the last second an i64 of nanoseconds holds.
    for e in &evs {
        assert_eq!(e["ts"], "2262-04-11T23:47:16.854775Z", "{e}");
    }

    let (_, plain) = report(&[src.to_str().unwrap()]);
    let (o, far) = report(&[shifted_s]);
    assert!(o.status.success());
    // Every packet at the same saturated instant is still within every TTL: the answer
    // attributes the same connections as in the original file.
    assert_eq!(plain["visibility"]["attributed"], 2);
    assert_eq!(far["visibility"], plain["visibility"]);
    let _ = std::fs::remove_dir_all(&dir);
}
