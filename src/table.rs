//! The ageing rules every state table shares (TCP flows, QUIC connections, IP fragments):
//! entries idle past a timeout of packet time are swept out, and a full table drops its least
//! recently seen quarter in one pass, so a flood costs O(1) per new entry. Each returns how
//! many of the entries it removed were still waiting for bytes, which the caller counts:
//! each may be a lost observation.

use std::hash::Hash;

use hashbrown::HashMap;

use crate::time::TsNanos;

pub trait Aged {
    fn last_seen(&self) -> TsNanos;
    /// Still waiting for bytes: evicting it may lose an observation.
    fn waiting(&self) -> bool;
}

/// Removes entries last seen more than `timeout` before `now`, at most once per `every` of
/// packet time (`next_sweep` keeps the schedule).
pub fn sweep_idle<K: Eq + Hash, V: Aged>(
    map: &mut HashMap<K, V>,
    next_sweep: &mut TsNanos,
    now: TsNanos,
    timeout: i64,
    every: i64,
) -> u64 {
    if now < *next_sweep {
        return 0;
    }
    *next_sweep = now.saturating_add(every);
    let cutoff = now.saturating_sub(timeout);
    retain_counting(map, |v| v.last_seen() >= cutoff)
}

/// When `map` holds `cap` entries, evicts the least recently seen quarter.
pub fn make_room<K: Eq + Hash, V: Aged>(map: &mut HashMap<K, V>, cap: usize) -> u64 {
    if map.len() < cap {
        return 0;
    }
    evict_oldest_quarter(map, |_| true)
}

/// Evicts the least recently seen quarter of the entries `which` selects: what a table does
/// when its memory budget runs short (selecting those that hold buffers).
pub fn evict_oldest_quarter<K: Eq + Hash, V: Aged>(
    map: &mut HashMap<K, V>,
    which: impl Fn(&V) -> bool,
) -> u64 {
    let mut ts: Vec<TsNanos> = map
        .values()
        .filter(|v| which(v))
        .map(|v| v.last_seen())
        .collect();
    if ts.is_empty() {
        return 0;
    }
    let k = ts.len() / 4;
    let cutoff = *ts.select_nth_unstable(k).1;
    retain_counting(map, |v| !which(v) || v.last_seen() > cutoff)
}

/// How many entries of `V` under key `K` a map can hold within `bytes`, counting what
/// hashbrown allocates: a power-of-two number of buckets, each the entry plus a control byte,
/// filled to 7/8.
pub fn entries_within<K, V>(bytes: usize) -> usize {
    let per = std::mem::size_of::<(K, V)>() + 1;
    let buckets = (bytes / per).max(16);
    let buckets = 1usize << (usize::BITS - 1 - buckets.leading_zeros());
    buckets / 8 * 7
}

fn retain_counting<K, V: Aged>(map: &mut HashMap<K, V>, keep: impl Fn(&V) -> bool) -> u64 {
    let mut lost = 0;
    map.retain(|_, v| {
        let k = keep(v);
        lost += (!k && v.waiting()) as u64;
        k
    });
    lost
}

#[cfg(test)]
mod tests {
    use super::*;

    struct E(TsNanos, bool);
    impl Aged for E {
        fn last_seen(&self) -> TsNanos {
            self.0
        }
        fn waiting(&self) -> bool {
            self.1
        }
    }

    #[test]
    fn sweep_and_room() {
        let mut m: HashMap<u32, E> = (0..100).map(|i| (i, E(i as i64, i % 2 == 0))).collect();
        // Full at 100: the oldest quarter goes (0..=25 by the nth element), 13 were waiting.
        assert_eq!(make_room(&mut m, 100), 13);
        assert_eq!(m.len(), 74);
        assert!(m.keys().all(|k| *k > 25));
        assert_eq!(make_room(&mut m, 100), 0);
        let mut next = i64::MIN;
        // Idle past 50 at time 90: entries last seen before 40 go.
        assert_eq!(sweep_idle(&mut m, &mut next, 90, 50, 10), 7);
        assert_eq!(m.len(), 60);
        // Not again before `every` has passed.
        assert_eq!(sweep_idle(&mut m, &mut next, 99, 1, 10), 0);
        assert_eq!(m.len(), 60);
        // Under memory pressure only the selected (waiting) entries are candidates: the
        // oldest quarter of the 30 waiting ones (40..=98, even) goes, odd ones stay.
        assert_eq!(evict_oldest_quarter(&mut m, |e| e.1), 8);
        assert_eq!(m.len(), 52);
        assert!(m.values().filter(|e| !e.1).count() == 30);
    }

    #[test]
    fn entry_capacity_fits_the_bytes() {
        let n = entries_within::<u64, u64>(1 << 20);
        // 17 bytes a bucket: 61,680 buckets fit, rounded down to 32,768, 7/8 of them usable.
        assert_eq!(n, 28_672);
        let m: HashMap<u64, u64> = HashMap::with_capacity(n);
        assert!(m.capacity() >= n && m.capacity() < 2 * n);
    }
}
