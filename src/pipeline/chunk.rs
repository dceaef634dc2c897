//! Batching: packets the reader keeps travel to the workers in chunks, one batch per worker,
//! with their payloads left in the file reader's shared blocks. Every chunk reaches every
//! worker (possibly empty) with the reader's packet clock, which is what lets the merge in
//! [`super::run`] keep packet order.

use std::net::IpAddr;
use std::ops::Range;
use std::sync::Arc;

use crossbeam_channel::Sender;

use crate::decode::{self, Transport};
use crate::dispatch::Protocol;
use crate::time::TsNanos;

/// Packets per chunk: large enough that per-chunk channel costs vanish, small enough that
/// the reorder buffer in the aggregator stays small.
const CHUNK_PACKETS: usize = 2048;
/// A packet the reader kept. Its payload stays where the file reader put it: a range of one
/// of the batch's shared blocks (no copy), or of the batch's own bytes for the rare payload
/// that exists only in memory (a reassembled IP datagram).
#[derive(Clone, Debug)]
pub(super) struct Pkt {
    pub order: u64,
    /// The input it came from (see `Observation::input`).
    pub input: u32,
    pub ts: TsNanos,
    pub src: IpAddr,
    pub dst: IpAddr,
    pub sport: u16,
    pub dport: u16,
    pub transport: Transport,
    /// The parser the dispatch table chose for it.
    pub protocol: Protocol,
    payload: Range<usize>,
    /// Index into `WorkBatch::blocks`, or [`OWN_BYTES`] for `WorkBatch::data`.
    block: u32,
    pub truncated: bool,
}

const OWN_BYTES: u32 = u32::MAX;

pub(super) struct WorkBatch {
    pub now: TsNanos,
    /// The clock when the chunk began (`now` of the one before): what idle eviction runs on,
    /// so that a chunk spanning minutes of a quiet capture does not evict, before its own
    /// packets are seen, the flows those packets continue.
    pub start: TsNanos,
    blocks: Vec<Arc<Vec<u8>>>,
    data: Vec<u8>,
    pub pkts: Vec<Pkt>,
}

impl WorkBatch {
    fn new() -> WorkBatch {
        WorkBatch {
            now: 0,
            start: i64::MIN,
            blocks: Vec::new(),
            data: Vec::new(),
            pkts: Vec::new(),
        }
    }

    pub fn payload(&self, p: &Pkt) -> &[u8] {
        let bytes = match p.block {
            OWN_BYTES => &self.data[..],
            i => self
                .blocks
                .get(i as usize)
                .map(|b| &b[..])
                .unwrap_or_default(),
        };
        bytes.get(p.payload.clone()).unwrap_or_default()
    }
}

/// Symmetric in the two addresses, so both directions land on the same worker; ports are
/// left out so IP fragments (which lack them) will shard like the rest of their flow.
fn shard(a: &IpAddr, b: &IpAddr, n: usize) -> usize {
    fn h(ip: &IpAddr) -> u64 {
        match ip {
            IpAddr::V4(v) => u32::from(*v) as u64,
            IpAddr::V6(v) => {
                let x = u128::from(*v);
                (x as u64) ^ ((x >> 64) as u64)
            }
        }
    }
    let x = h(a) ^ h(b);
    // A multiplicative mix so that neighbouring addresses spread over workers.
    (x.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 32) as usize % n
}

/// File blocks (1 MiB each) a chunk may keep alive before it is sent on. Dense traffic fills a
/// chunk within two or three; sparse traffic (a flood of fragments or other packets the reader
/// drops, with a kept packet now and then) would otherwise pin one block per kept packet, and
/// the reader would allocate new ones for as long as the file lasts.
const MAX_CHUNK_BLOCKS: usize = 8;

pub(super) struct Chunker {
    txs: Vec<Sender<WorkBatch>>,
    batches: Vec<WorkBatch>,
    in_chunk: usize,
    /// Distinct blocks the chunk holds (by address; each is kept alive by a batch, so an
    /// address is not reused within a chunk), and the last one. Blocks come in file order,
    /// but `--time-order` alternates between the inputs' blocks: counting each change as a
    /// new block would cut chunks to a few packets.
    chunk_blocks: Vec<usize>,
    last_block: usize,
    pub now: TsNanos,
    /// `now` when the current chunk began.
    chunk_start: TsNanos,
    /// A worker went away (it can only panic, which is a bug): stop feeding.
    broken: bool,
}

impl Chunker {
    pub fn new(txs: Vec<Sender<WorkBatch>>) -> Chunker {
        let batches = txs.iter().map(|_| WorkBatch::new()).collect();
        Chunker {
            txs,
            batches,
            in_chunk: 0,
            chunk_blocks: Vec::with_capacity(MAX_CHUNK_BLOCKS),
            last_block: 0,
            now: i64::MIN,
            chunk_start: i64::MIN,
            broken: false,
        }
    }

    /// Queues a packet for its worker. `block` is the shared block the payload lies in, if
    /// any; then only its position travels.
    pub fn push(
        &mut self,
        d: &decode::Decoded,
        protocol: Protocol,
        (order, input): (u64, u32),
        ts: TsNanos,
        block: Option<&Arc<Vec<u8>>>,
    ) {
        self.now = self.now.max(ts);
        let w = shard(&d.src, &d.dst, self.txs.len());
        let b = &mut self.batches[w];
        let (block_idx, range) =
            match block.and_then(|blk| offset_in(blk, d.payload).map(|r| (blk, r))) {
                Some((blk, r)) => {
                    let id = Arc::as_ptr(blk) as usize;
                    if id != self.last_block {
                        self.last_block = id;
                        if !self.chunk_blocks.contains(&id) {
                            self.chunk_blocks.push(id);
                        }
                    }
                    // At most MAX_CHUNK_BLOCKS to search, the last one first.
                    let at = match b.blocks.iter().rposition(|x| Arc::ptr_eq(x, blk)) {
                        Some(at) => at,
                        None => {
                            b.blocks.push(Arc::clone(blk));
                            b.blocks.len() - 1
                        }
                    };
                    (at as u32, r)
                }
                None => {
                    let start = b.data.len();
                    b.data.extend_from_slice(d.payload);
                    (OWN_BYTES, start..b.data.len())
                }
            };
        b.pkts.push(Pkt {
            order,
            input,
            ts,
            src: d.src,
            dst: d.dst,
            sport: d.sport,
            dport: d.dport,
            transport: d.transport,
            protocol,
            payload: range,
            block: block_idx,
            truncated: d.truncated,
        });
        self.in_chunk += 1;
        if self.in_chunk >= CHUNK_PACKETS || self.chunk_blocks.len() >= MAX_CHUNK_BLOCKS {
            self.flush();
        }
    }

    /// Sends the chunk to every worker, empty or not, so the aggregator can merge in order.
    pub fn flush(&mut self) {
        if self.in_chunk > 0 {
            self.flush_always();
        }
    }

    /// Sends the chunk even when it holds no packet: it still carries the clock.
    pub fn flush_always(&mut self) {
        if self.broken {
            return;
        }
        for (tx, b) in self.txs.iter().zip(self.batches.iter_mut()) {
            let mut full = std::mem::replace(
                b,
                WorkBatch {
                    now: 0,
                    start: i64::MIN,
                    blocks: Vec::new(),
                    data: Vec::new(),
                    pkts: Vec::with_capacity(b.pkts.capacity()),
                },
            );
            full.now = self.now;
            full.start = self.chunk_start;
            if tx.send(full).is_err() {
                self.broken = true;
            }
        }
        self.in_chunk = 0;
        self.chunk_blocks.clear();
        self.last_block = 0;
        self.chunk_start = self.now;
    }
}

/// Where `part` lies inside `block`, if it does (compared by address: `part` was sliced out
/// of the block by the decoder).
fn offset_in(block: &[u8], part: &[u8]) -> Option<Range<usize>> {
    let base = block.as_ptr() as usize;
    let start = (part.as_ptr() as usize).checked_sub(base)?;
    let end = start.checked_add(part.len())?;
    (end <= block.len()).then_some(start..end)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An Ethernet frame of a DNS query over UDP/IPv4 (a 12-byte header, no question).
    fn dns_frame() -> Vec<u8> {
        let mut f = vec![0u8; 12];
        f.extend_from_slice(&[0x08, 0x00]);
        f.extend_from_slice(&[
            0x45, 0, 0, 40, 0, 1, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
        ]);
        f.extend_from_slice(&[0x30, 0x39, 0, 53, 0, 20, 0, 0]);
        f.extend_from_slice(&[0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        f
    }

    /// `--time-order` alternates between two inputs' blocks packet by packet: that is two
    /// blocks, not a new one per packet, so the chunk fills to CHUNK_PACKETS instead of being
    /// sent every MAX_CHUNK_BLOCKS packets; each batch holds each block once.
    #[test]
    fn alternating_blocks_do_not_cut_the_chunk_short() {
        let (tx, rx) = crossbeam_channel::unbounded();
        let mut c = Chunker::new(vec![tx]);
        let blocks = [Arc::new(dns_frame()), Arc::new(dns_frame())];
        for i in 0..CHUNK_PACKETS - 1 {
            let blk = &blocks[i % 2];
            let mut cx = decode::Context::new(None, 0);
            let d = decode::decode_with(1, blk, &mut cx).unwrap();
            let p = crate::dispatch::protocol(&d).unwrap();
            c.push(&d, p, (i as u64, (i % 2) as u32), 0, Some(blk));
        }
        assert!(rx.try_recv().is_err(), "a chunk was sent early");
        c.flush();
        let batch = rx.try_recv().unwrap();
        assert_eq!(batch.pkts.len(), CHUNK_PACKETS - 1);
        assert_eq!(batch.blocks.len(), 2);
        assert!(batch.pkts.iter().all(|p| !p.payload.is_empty()));
    }

    #[test]
    fn shard_is_symmetric() {
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "fd00::2".parse().unwrap();
        for n in 1..8 {
            assert_eq!(shard(&a, &b, n), shard(&b, &a, n));
        }
    }
}
