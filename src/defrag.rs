//! IP fragment reassembly, IPv4 and IPv6, keyed by (source, destination, protocol, id).
//!
//! DNS answers are the usual victims (large responses over UDP, EDNS0), and tunnels whose
//! outer packets get fragmented. Reassembly runs in the reader, before sharding, so the
//! pieces of one datagram never land on different workers.
//!
//! Bounds, all counted when they bite: at most [`MAX_PENDING`] datagrams in progress (the
//! oldest is dropped), their bytes within the defragmenter's share of `--memcap` (when it runs
//! short the oldest quarter goes, then the fragment is dropped), [`TIMEOUT_NS`] of packet time per datagram, datagrams over 65,535
//! bytes and overlapping fragments dropped (overlaps are how evasion and the old teardrop
//! attacks work, and no honest stack sends them differently twice).

use std::net::IpAddr;

use hashbrown::HashMap;

use crate::memcap::{Budget, Charge, Shares, DEFAULT_MEMCAP};
use crate::table::{evict_oldest_quarter, make_room, sweep_idle, Aged};
use crate::time::TsNanos;

pub const MAX_PENDING: usize = 4096;
pub const TIMEOUT_NS: i64 = 30 * 1_000_000_000;
const MAX_DATAGRAM: usize = 65_535;
/// Fragments per datagram: 65,535 bytes in the smallest legal pieces (8 bytes) would be
/// 8192; real ones come in a handful.
const MAX_PIECES: usize = 64;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FragKey {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub proto: u8,
    pub id: u32,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DefragStats {
    pub fragments: u64,
    pub reassembled: u64,
    pub dropped_overlap: u64,
    pub dropped_oversize: u64,
    pub dropped_timeout: u64,
    pub dropped_table_full: u64,
    /// Datagrams given up because the defragmenter's memory share was spent.
    pub dropped_memcap: u64,
}

#[derive(Debug)]
struct Pending {
    first_ts: TsNanos,
    /// The IP header to rebuild the whole packet with (IPv4 header, or a 40-byte IPv6
    /// header whose next-header is the fragmented protocol).
    header: Option<Vec<u8>>,
    pieces: Vec<(usize, Vec<u8>)>,
    total: Option<usize>,
    /// The bytes held, charged to the budget.
    charge: Charge,
}

/// A datagram's time runs from its first fragment (a trickle of fragments cannot keep it
/// alive), and every pending one is waiting: each dropped one is counted.
impl Aged for Pending {
    fn last_seen(&self) -> TsNanos {
        self.first_ts
    }

    fn waiting(&self) -> bool {
        true
    }
}

pub struct Defrag {
    table: HashMap<FragKey, Pending>,
    next_sweep: TsNanos,
    budget: Budget,
    pub stats: DefragStats,
}

impl Default for Defrag {
    fn default() -> Defrag {
        Defrag::new(Shares::split(DEFAULT_MEMCAP, 1).defrag)
    }
}

/// What a pending datagram costs beyond its bytes: the entry, the header, each piece's Vec.
const PENDING_OVERHEAD: usize = 160;
const PIECE_OVERHEAD: usize = 32;

/// One fragment, as decode found it.
pub struct Fragment<'a> {
    pub key: FragKey,
    /// Offset of `data` in the datagram's payload, in bytes.
    pub offset: usize,
    pub more: bool,
    pub data: &'a [u8],
    /// For the first fragment: the header to put in front of the reassembled payload.
    pub header: Option<Vec<u8>>,
}

impl Defrag {
    /// A defragmenter whose pending datagrams hold at most `bytes`.
    pub fn new(bytes: usize) -> Defrag {
        Defrag {
            table: HashMap::new(),
            next_sweep: i64::MIN,
            budget: Budget::new(bytes),
            stats: DefragStats::default(),
        }
    }

    /// Adds a fragment; when it completes its datagram, returns the whole IP packet (header
    /// rebuilt, no fragmentation fields), ready to decode again.
    pub fn add(&mut self, f: Fragment, ts: TsNanos) -> Option<Vec<u8>> {
        self.stats.fragments += 1;
        self.sweep(ts);
        if f.offset + f.data.len() > MAX_DATAGRAM {
            self.stats.dropped_oversize += 1;
            self.table.remove(&f.key);
            return None;
        }
        if !self.table.contains_key(&f.key) {
            if self.table.len() >= MAX_PENDING {
                self.stats.dropped_table_full += make_room(&mut self.table, MAX_PENDING);
            }
            let charge = self.charge(PENDING_OVERHEAD)?;
            self.table.insert(
                f.key,
                Pending {
                    first_ts: ts,
                    header: None,
                    pieces: Vec::new(),
                    total: None,
                    charge,
                },
            );
        }
        let more = f.data.len() + PIECE_OVERHEAD + f.header.as_ref().map_or(0, Vec::len);
        if !self.room_for(more) {
            // Not even after making room: give this datagram up.
            self.stats.dropped_memcap += self.table.remove(&f.key).is_some() as u64;
            return None;
        }
        let p = self.table.get_mut(&f.key)?;
        let end = f.offset + f.data.len();
        let overlaps = p
            .pieces
            .iter()
            .any(|(o, d)| f.offset < o + d.len() && *o < end);
        let duplicate = p
            .pieces
            .iter()
            .any(|(o, d)| *o == f.offset && d[..] == *f.data);
        if duplicate {
            return None;
        }
        if overlaps
            || p.pieces.len() >= MAX_PIECES
            || (!f.more && p.total.is_some_and(|t| t != end))
        {
            self.stats.dropped_overlap += 1;
            self.table.remove(&f.key);
            return None;
        }
        if !f.more {
            p.total = Some(end);
        }
        if !p.charge.resize(p.charge.bytes() + more) {
            // Evicting the oldest quarter removed this datagram too.
            return None;
        }
        if f.header.is_some() {
            p.header = f.header;
        }
        p.pieces.push((f.offset, f.data.to_vec()));
        let total = p.total?;
        p.header.as_ref()?;
        if p.pieces.iter().map(|(_, d)| d.len()).sum::<usize>() != total {
            return None;
        }
        let mut p = self.table.remove(&f.key)?;
        p.pieces.sort_by_key(|(o, _)| *o);
        let mut header = p.header.take()?;
        let hlen = header.len();
        let mut out = Vec::with_capacity(hlen + total);
        if f.key.src.is_ipv4() {
            let len = (hlen + total).min(u16::MAX as usize) as u16;
            header[2..4].copy_from_slice(&len.to_be_bytes());
            header[6] = 0; // flags and offset: no longer a fragment
            header[7] = 0;
        } else {
            header[4..6].copy_from_slice(&(total as u16).to_be_bytes());
        }
        out.extend_from_slice(&header);
        for (_, d) in p.pieces {
            out.extend_from_slice(&d);
        }
        self.stats.reassembled += 1;
        Some(out)
    }

    fn sweep(&mut self, now: TsNanos) {
        self.stats.dropped_timeout += sweep_idle(
            &mut self.table,
            &mut self.next_sweep,
            now,
            TIMEOUT_NS,
            TIMEOUT_NS / 4,
        );
    }

    pub fn pending(&self) -> usize {
        self.table.len()
    }

    /// Whether `bytes` more fit the budget, after evicting the oldest quarter of the pending
    /// datagrams when they did not (each counted).
    fn room_for(&mut self, bytes: usize) -> bool {
        if !self.budget.fits(bytes) {
            self.stats.dropped_memcap += evict_oldest_quarter(&mut self.table, |_| true);
        }
        self.budget.fits(bytes)
    }

    fn charge(&mut self, bytes: usize) -> Option<Charge> {
        if !self.room_for(bytes) {
            self.stats.dropped_memcap += 1;
            return None;
        }
        self.budget.charge(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> FragKey {
        FragKey {
            src: "10.0.0.1".parse().unwrap(),
            dst: "10.0.0.2".parse().unwrap(),
            proto: 17,
            id: 7,
        }
    }

    /// A 20-byte IPv4 header (the first fragment's), fields as the kernel writes them.
    #[rustfmt::skip]
    const V4_HEADER: [u8; 20] = [
        0x45, 0, 0x05, 0xdc, 0, 7, 0x20, 0,  64, 17, 0, 0,  10, 0, 0, 1,  10, 0, 0, 2,
    ];

    fn frag(offset: usize, more: bool, data: &[u8]) -> Fragment<'_> {
        Fragment {
            key: key(),
            offset,
            more,
            data,
            header: (offset == 0).then(|| V4_HEADER.to_vec()),
        }
    }

    #[test]
    fn in_order_and_reversed() {
        let a = [1u8; 1480];
        let b = [2u8; 100];
        for order in [[0, 1], [1, 0]] {
            let mut d = Defrag::default();
            let parts = [frag(0, true, &a), frag(1480, false, &b)];
            let mut out = None;
            for i in order {
                let p = &parts[i];
                out = d.add(
                    Fragment {
                        key: p.key,
                        offset: p.offset,
                        more: p.more,
                        data: p.data,
                        header: p.header.clone(),
                    },
                    0,
                );
            }
            let pkt = out.expect("complete");
            assert_eq!(pkt.len(), 20 + 1580);
            assert_eq!(u16::from_be_bytes([pkt[2], pkt[3]]), 1600);
            assert_eq!(&pkt[6..8], &[0, 0], "no longer a fragment");
            assert_eq!(pkt[20], 1);
            assert_eq!(pkt[20 + 1480], 2);
            assert_eq!(d.pending(), 0);
        }
    }

    #[test]
    fn overlap_oversize_and_timeout_are_dropped_and_counted() {
        let mut d = Defrag::default();
        assert!(d.add(frag(0, true, &[0; 16]), 0).is_none());
        assert!(d.add(frag(8, false, &[0; 16]), 0).is_none());
        assert_eq!(d.stats.dropped_overlap, 1);
        assert_eq!(d.pending(), 0);

        assert!(d.add(frag(65_528, false, &[0; 16]), 0).is_none());
        assert_eq!(d.stats.dropped_oversize, 1);

        assert!(d.add(frag(0, true, &[0; 16]), 0).is_none());
        assert!(d.add(frag(16, false, &[0; 8]), TIMEOUT_NS + 1).is_none());
        assert_eq!(d.stats.dropped_timeout, 1);
    }

    #[test]
    fn duplicate_fragment_is_harmless() {
        let mut d = Defrag::default();
        assert!(d.add(frag(0, true, &[5; 8]), 0).is_none());
        assert!(d.add(frag(0, true, &[5; 8]), 0).is_none());
        assert!(d.add(frag(8, false, &[6; 8]), 0).is_some());
    }

    #[test]
    fn table_is_bounded() {
        let mut d = Defrag::default();
        for id in 0..(MAX_PENDING as u32 + 10) {
            let mut f = frag(0, true, &[0; 8]);
            f.key.id = id;
            let _ = d.add(f, id as i64);
        }
        assert!(d.pending() <= MAX_PENDING);
        // The oldest datagrams went first; the newest is still there.
        assert!(d.stats.dropped_table_full >= 10);
        assert!(d
            .table
            .values()
            .any(|p| p.first_ts == MAX_PENDING as i64 + 9));
    }

    #[test]
    fn pending_bytes_stay_within_the_budget() {
        // Room for a few dozen 1,000-byte first fragments, far below MAX_PENDING of them.
        let mut d = Defrag::new(40_000);
        for id in 0..1000u32 {
            let mut f = frag(0, true, &[0; 1000]);
            f.key.id = id;
            assert!(d.add(f, id as i64).is_none());
            assert!(d.budget.used() <= d.budget.limit());
        }
        assert!(d.pending() < 40);
        assert!(d.stats.dropped_memcap > 900, "{:?}", d.stats);
        // The newest datagram is still there and completes.
        let mut last = frag(1000, false, &[1; 8]);
        last.key.id = 999;
        assert!(d.add(last, 1000).is_some());
    }
}
