//! Putting a byte stream back in order: TCP segments by sequence number, QUIC CRYPTO frames by
//! offset. Both keep only the start of a stream (a ClientHello, a DNS message, a proxy
//! request), so a [`Reassembler`] holds a bounded window of it:
//!
//! - bytes past `base + window` are refused at once (no parser here looks that far, so storing
//!   them would only serve a flood);
//! - pieces beyond a gap sit in a `BTreeMap` by offset, trimmed on insert so they never
//!   overlap each other or the contiguous part (first copy wins, as in most stacks):
//!   duplicates and zero-length pieces cost one lookup and are dropped;
//! - what is held is charged to the owner's [`Budget`] share as it grows; a charge that does
//!   not fit refuses the bytes;
//! - [`Reassembler::grew`] tells the caller whether new contiguous bytes arrived, so a parser
//!   runs only when it can learn something.

use std::collections::BTreeMap;

use crate::memcap::{Budget, Charge};

/// Pieces held beyond a gap. A real sender leaves a handful (a lost segment or two of a
/// ClientHello); a window filled with tiny pieces costs map nodes, not only bytes, so their
/// number is capped too.
pub const MAX_PIECES: usize = 64;
/// What one held piece costs beyond its bytes: its `Vec` header and its share of a `BTreeMap`
/// node (measured as ~48 bytes per entry; rounded up).
const PIECE_OVERHEAD: usize = 64;

/// Why bytes were not kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refused {
    /// Past the window: beyond what any parser here reads.
    Window,
    /// Too many pieces beyond a gap.
    Pieces,
    /// The owner's memory budget is spent.
    Memcap,
}

#[derive(Debug)]
pub struct Reassembler {
    /// Stream offset of `buf[0]`.
    base: u64,
    buf: Vec<u8>,
    /// Pieces past the end of `buf`, by stream offset; disjoint, none touching `buf`.
    pending: BTreeMap<u64, Vec<u8>>,
    pending_bytes: usize,
    /// Bytes from `base` that may be held.
    window: usize,
    /// Contiguous length at the last [`Reassembler::grew`].
    seen_len: usize,
    charge: Charge,
}

impl Reassembler {
    /// A stream whose next byte is at `base`; `None` when the budget cannot hold even its
    /// bookkeeping.
    pub fn new(base: u64, window: usize, budget: &Budget) -> Option<Reassembler> {
        Some(Reassembler {
            base,
            buf: Vec::new(),
            pending: BTreeMap::new(),
            pending_bytes: 0,
            window,
            seen_len: 0,
            charge: budget.charge(std::mem::size_of::<Reassembler>())?,
        })
    }

    /// The contiguous bytes from `base`.
    pub fn bytes(&self) -> &[u8] {
        &self.buf
    }

    pub fn base(&self) -> u64 {
        self.base
    }

    /// Offset just past the contiguous bytes.
    pub fn end(&self) -> u64 {
        self.base + self.buf.len() as u64
    }

    /// True once since the last call if the contiguous part has grown.
    pub fn grew(&mut self) -> bool {
        let grew = self.buf.len() != self.seen_len;
        self.seen_len = self.buf.len();
        grew
    }

    /// The window is full of contiguous bytes: nothing more can be added.
    pub fn full(&self) -> bool {
        self.buf.len() >= self.window
    }

    /// Drops `n` bytes from the front (a parsed message); the window moves with them.
    pub fn consume(&mut self, n: usize) {
        let n = n.min(self.buf.len());
        self.buf.drain(..n);
        self.base += n as u64;
        self.seen_len = self.seen_len.saturating_sub(n);
        self.recharge();
    }

    /// Forgets everything and restarts at `base` (DNS over TCP after a gap).
    pub fn restart(&mut self, base: u64) {
        self.buf.clear();
        self.pending.clear();
        self.pending_bytes = 0;
        self.base = base;
        self.seen_len = 0;
        self.recharge();
    }

    /// Adds the bytes `data` at stream offset `off`. Bytes before `base` (already consumed or
    /// retransmitted) are ignored. Returns what was refused, if anything; the part that fit
    /// is kept.
    pub fn insert(&mut self, off: u64, data: &[u8]) -> Result<(), Refused> {
        let (mut off, mut data) = (off, data);
        let end = self.end();
        if off < end {
            // Overlap with what is held: only the part past it is new.
            let skip = usize::try_from(end - off).unwrap_or(usize::MAX);
            data = data.get(skip..).unwrap_or_default();
            off = end;
        }
        let limit = self.base + self.window as u64;
        let room = usize::try_from(limit.saturating_sub(off)).unwrap_or(usize::MAX);
        let refused = (data.len() > room).then_some(Refused::Window);
        data = &data[..data.len().min(room)];
        if data.is_empty() {
            return refused.map_or(Ok(()), Err);
        }
        if off == end {
            self.append(data)?;
            self.drain_pending();
        } else {
            self.hold(off, data)?;
        }
        refused.map_or(Ok(()), Err)
    }

    fn append(&mut self, data: &[u8]) -> Result<(), Refused> {
        // Vec grows by doubling; charge the capacity it will have, not just the length.
        let len = self.buf.len() + data.len();
        let cap = if len > self.buf.capacity() {
            len.max(self.buf.capacity() * 2).min(self.window)
        } else {
            self.buf.capacity()
        };
        if !self
            .charge
            .resize(self.cost_with(cap, self.pending_bytes, self.pending.len()))
        {
            return Err(Refused::Memcap);
        }
        if cap > self.buf.capacity() {
            self.buf.reserve_exact(cap - self.buf.len());
        }
        self.buf.extend_from_slice(data);
        Ok(())
    }

    /// Keeps the parts of a piece past a gap that no held piece covers yet.
    fn hold(&mut self, off: u64, data: &[u8]) -> Result<(), Refused> {
        let stop = off + data.len() as u64;
        // The gaps of [off, stop) between pieces already held.
        let mut gaps = Vec::new();
        let mut at = off;
        // A piece starting before `off` may cover its start.
        if let Some((&o, d)) = self.pending.range(..off).next_back() {
            at = at.max(o + d.len() as u64);
        }
        for (&o, d) in self.pending.range(off..stop) {
            if o > at {
                gaps.push((at, o));
            }
            at = at.max(o + d.len() as u64);
        }
        if at < stop {
            gaps.push((at, stop));
        }
        if gaps.is_empty() {
            return Ok(()); // a duplicate
        }
        if self.pending.len() + gaps.len() > MAX_PIECES {
            return Err(Refused::Pieces);
        }
        let bytes: usize = gaps.iter().map(|(a, b)| (b - a) as usize).sum();
        let cost = self.cost_with(
            self.buf.capacity(),
            self.pending_bytes + bytes,
            self.pending.len() + gaps.len(),
        );
        if !self.charge.resize(cost) {
            return Err(Refused::Memcap);
        }
        for (a, b) in gaps {
            let piece = &data[(a - off) as usize..(b - off) as usize];
            self.pending.insert(a, piece.to_vec());
        }
        self.pending_bytes += bytes;
        Ok(())
    }

    /// Moves held pieces that now touch the contiguous part into it.
    fn drain_pending(&mut self) {
        loop {
            let end = self.end();
            let Some(entry) = self.pending.first_entry() else {
                break;
            };
            if *entry.key() > end {
                break;
            }
            let (o, d) = entry.remove_entry();
            self.pending_bytes -= d.len();
            let skip = (end - o) as usize;
            if let Some(rest) = d.get(skip..) {
                // Already charged as a piece; moving it cannot need more than it freed plus
                // the buffer's growth, which `append` checks.
                if self.append(rest).is_err() {
                    self.pending.clear();
                    self.pending_bytes = 0;
                    break;
                }
            }
        }
        self.recharge();
    }

    fn cost_with(&self, buf_cap: usize, pending_bytes: usize, pieces: usize) -> usize {
        std::mem::size_of::<Reassembler>() + buf_cap + pending_bytes + pieces * PIECE_OVERHEAD
    }

    /// Charges what is held now (shrinking never fails).
    fn recharge(&mut self) {
        let cost = self.cost_with(self.buf.capacity(), self.pending_bytes, self.pending.len());
        if !self.charge.resize(cost) {
            // Only reachable when a caller grew the buffer outside `append`; keep the old
            // charge rather than undercount.
            debug_assert!(false, "recharge grew");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(window: usize) -> (Budget, Reassembler) {
        let b = Budget::new(1 << 20);
        let r = Reassembler::new(100, window, &b).unwrap();
        (b, r)
    }

    #[test]
    fn in_order_out_of_order_overlapping_and_duplicate() {
        let (_b, mut s) = r(1000);
        let data: Vec<u8> = (0..=255).collect();
        // Pieces out of order, overlapping each other and duplicated.
        s.insert(150, &data[50..80]).unwrap();
        s.insert(140, &data[40..60]).unwrap();
        s.insert(150, &data[50..80]).unwrap();
        s.insert(170, &data[70..100]).unwrap();
        assert!(s.bytes().is_empty());
        assert!(!s.grew());
        s.insert(100, &data[0..45]).unwrap();
        assert_eq!(s.bytes(), &data[0..100]);
        assert!(s.grew());
        assert!(!s.grew());
        // A retransmission of consumed bytes changes nothing.
        s.consume(10);
        s.insert(100, &data[0..50]).unwrap();
        assert_eq!(s.bytes(), &data[10..100]);
        assert_eq!(s.base(), 110);
    }

    #[test]
    fn first_copy_wins() {
        let (_b, mut s) = r(100);
        s.insert(105, b"AAAA").unwrap();
        s.insert(103, b"bbbbbbbb").unwrap();
        s.insert(100, b"ccc").unwrap();
        assert_eq!(s.bytes(), b"cccbbAAAAbb");
    }

    #[test]
    fn window_pieces_and_budget_refuse_and_are_returned() {
        let (b, mut s) = r(10);
        assert_eq!(s.insert(108, b"xyzw"), Err(Refused::Window));
        assert_eq!(s.insert(200, b"x"), Err(Refused::Window));
        s.insert(100, b"01234567").unwrap();
        assert_eq!(s.bytes(), b"01234567xy");
        assert!(s.full());
        let (_, mut s) = r(10_000);
        for i in 0..MAX_PIECES as u64 {
            s.insert(200 + 2 * i, b"x").unwrap();
        }
        assert_eq!(s.insert(1000, b"x"), Err(Refused::Pieces));
        let small = Budget::new(std::mem::size_of::<Reassembler>() + 100);
        let mut t = Reassembler::new(0, 1000, &small).unwrap();
        assert_eq!(t.insert(0, &[0; 101]), Err(Refused::Memcap));
        t.insert(0, &[0; 100]).unwrap();
        drop(t);
        drop(s);
        assert_eq!(small.used(), 0);
        assert!(b.used() > 0);
    }

    #[test]
    fn zero_length_pieces_cost_nothing() {
        let (b, mut s) = r(100_000);
        let before = b.used();
        for i in 0..10_000 {
            s.insert(200 + i, b"").unwrap();
        }
        assert_eq!(b.used(), before);
    }
}
