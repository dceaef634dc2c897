//! Which partition a keyed record goes to: the Java client's default partitioner
//! (`murmur2(key) & 0x7fffffff % partitions`), so events of one host land on the partition
//! any other Kafka producer (Zeek's plugin, a shipper) would pick for the same key.

/// Kafka's murmur2 (`org.apache.kafka.common.utils.Utils.murmur2`): seed 0x9747b28c, the
/// tail read little-endian as Java's switch fall-through does.
pub fn murmur2(data: &[u8]) -> u32 {
    const SEED: u32 = 0x9747_b28c;
    const M: u32 = 0x5bd1_e995;
    const R: u32 = 24;
    let mut h = SEED ^ data.len() as u32;
    let mut chunks = data.chunks_exact(4);
    for c in &mut chunks {
        let mut k = u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h = h.wrapping_mul(M);
        h ^= k;
    }
    let tail = chunks.remainder();
    if !tail.is_empty() {
        for (i, b) in tail.iter().enumerate().rev() {
            h ^= u32::from(*b) << (8 * i);
        }
        h = h.wrapping_mul(M);
    }
    h ^= h >> 13;
    h = h.wrapping_mul(M);
    h ^= h >> 15;
    h
}

/// The partition of `key` among `partitions` (at least 1).
pub fn for_key(key: &[u8], partitions: u32) -> u32 {
    (murmur2(key) & 0x7fff_ffff) % partitions.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Apache Kafka's `UtilsTest.testMurmur2` vectors (Java signed ints).
    #[test]
    fn murmur2_matches_kafkas_own_vectors() {
        let cases: [(&[u8], i32); 6] = [
            (b"21", -973_932_308),
            (b"foobar", -790_332_482),
            (b"a-little-bit-long-string", -985_981_536),
            (b"a-little-bit-longer-string", -1_486_304_829),
            (
                b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8",
                -58_897_971,
            ),
            (b"abc", 479_470_107),
        ];
        for (input, want) in cases {
            assert_eq!(
                murmur2(input) as i32,
                want,
                "{:?}",
                String::from_utf8_lossy(input)
            );
        }
    }

    #[test]
    fn partition_is_in_range_and_stable() {
        for n in 1..20 {
            let p = for_key(b"10.0.0.5", n);
            assert!(p < n);
            assert_eq!(p, for_key(b"10.0.0.5", n));
        }
        assert_eq!(for_key(b"x", 0), 0);
    }
}
