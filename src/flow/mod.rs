//! Per-flow state: the only place where state about a connection lives.
//!
//! Each parse worker owns one TCP table ([`FlowTable`], in `tcp`) and one QUIC table
//! ([`QuicTable`], in `quic`); flows are sharded by address pair, so both directions of a
//! connection meet in the same worker and no locks are needed. Both put the start of a byte
//! stream back in order with a [`reassembly::Reassembler`] and hand it to `probe`, which asks
//! the parsers what it is. A flow that has given its answer keeps only a small "done" entry,
//! so its later packets cost one hash lookup.
//!
//! Memory is bounded by bytes: the table's entries and every buffer are charged to the
//! worker's share of `--memcap`; when the share runs short, the least recently seen quarter of
//! the flows still holding bytes is evicted, and what still does not fit is refused. Flows idle
//! longer than [`IDLE_TIMEOUT_NS`] of packet time are evicted too. Every drop is counted by name
//! in [`FlowStats`].

use std::net::IpAddr;

use hashbrown::HashMap;

use crate::decode::{Decoded, Transport};
use crate::memcap::Budget;
use crate::table::{entries_within, evict_oldest_quarter, make_room, sweep_idle, Aged};
use crate::time::TsNanos;

mod probe;
pub mod quic;
pub mod reassembly;
pub mod tcp;

pub use quic::QuicTable;
pub use tcp::FlowTable;

/// A flow still waiting for its ClientHello after this much packet time is given up.
pub const IDLE_TIMEOUT_NS: i64 = 120 * 1_000_000_000;
/// How often (in packet time) the table is swept for idle flows.
const SWEEP_EVERY_NS: i64 = 10 * 1_000_000_000;
/// Past this fill of its buffer budget (percent), a table evicts its oldest waiting flows
/// before taking more bytes, so a flood of half-open flows cannot starve the next real one.
const PRESSURE_PERCENT: usize = 90;
/// The share of a table's budget its hash map may take (entries are allocated up front); the
/// rest is for the flows' buffers.
const ENTRY_PERCENT: usize = 25;

/// Direction-independent key: the lower endpoint first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FlowKey {
    pub lo: (IpAddr, u16),
    pub hi: (IpAddr, u16),
    pub tcp: bool,
}

impl FlowKey {
    /// The key and whether the packet goes from `lo` to `hi` (direction 0) or back (1).
    pub fn of(d: &Decoded) -> (FlowKey, usize) {
        let a = (d.src, d.sport);
        let b = (d.dst, d.dport);
        let tcp = matches!(d.transport, Transport::Tcp(_));
        if a <= b {
            (FlowKey { lo: a, hi: b, tcp }, 0)
        } else {
            (FlowKey { lo: b, hi: a, tcp }, 1)
        }
    }
}

/// Counters a worker reports. The `dropped_*` ones are bytes or flows given up because a
/// limit bit; each may be a lost observation.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FlowStats {
    /// TCP and QUIC flows together (the report's `tcp_flows`, a name kept for compatibility).
    pub flows_created: u64,
    /// Flows removed for idleness, the table's entry cap, or memory pressure while still
    /// waiting for bytes.
    pub evicted_idle: u64,
    pub evicted_cap: u64,
    pub evicted_memcap: u64,
    /// Directions given up because their start outgrew what any parser here reads.
    pub buffer_overflows: u64,
    /// Segments (or CRYPTO frames) refused: beyond the window any parser reads, too many
    /// pieces past a gap, or no budget left for their bytes.
    pub dropped_window: u64,
    pub dropped_pieces: u64,
    pub dropped_memcap: u64,
}

impl FlowStats {
    pub fn add(&mut self, b: &FlowStats) {
        self.flows_created += b.flows_created;
        self.evicted_idle += b.evicted_idle;
        self.evicted_cap += b.evicted_cap;
        self.evicted_memcap += b.evicted_memcap;
        self.buffer_overflows += b.buffer_overflows;
        self.dropped_window += b.dropped_window;
        self.dropped_pieces += b.dropped_pieces;
        self.dropped_memcap += b.dropped_memcap;
    }

    /// Everything a limit made this table give up (segments refused, flows evicted for
    /// room): the live `stats` event's `dropped_reassembly`.
    pub fn dropped(&self) -> u64 {
        self.dropped_window + self.dropped_pieces + self.dropped_memcap + self.evicted_memcap
    }

    fn refused(&mut self, r: reassembly::Refused) {
        match r {
            reassembly::Refused::Window => self.dropped_window += 1,
            reassembly::Refused::Pieces => self.dropped_pieces += 1,
            reassembly::Refused::Memcap => self.dropped_memcap += 1,
        }
    }
}

/// Per-connection state of one worker, bounded and aged by the rules in `table`. The TCP
/// flows ([`FlowTable`]) and the QUIC connections ([`QuicTable`]) are its two kinds.
pub struct Flows<V> {
    flows: HashMap<FlowKey, V>,
    cap: usize,
    next_sweep: TsNanos,
    /// What the flows' buffers may hold.
    budget: Budget,
    pub stats: FlowStats,
}

impl<V: Aged> Flows<V> {
    /// A table within `bytes`: its entries (allocated at once: growing by doubling would
    /// briefly hold both tables at the worst moment, under a flood; untouched buckets cost no
    /// resident memory) and, in what is left, its flows' buffers. `max_entries` caps the
    /// entries of tables whose flows are cheap enough for their number to matter more.
    fn within(bytes: usize, max_entries: usize) -> Flows<V> {
        let cap = entries_within::<FlowKey, V>(bytes / 100 * ENTRY_PERCENT).min(max_entries);
        let flows = HashMap::with_capacity(cap);
        let map_bytes = flows.capacity() * (std::mem::size_of::<(FlowKey, V)>() + 1);
        Flows {
            flows,
            cap,
            next_sweep: i64::MIN,
            budget: Budget::new(bytes.saturating_sub(map_bytes)),
            stats: FlowStats::default(),
        }
    }

    pub fn len(&self) -> usize {
        self.flows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.flows.is_empty()
    }

    /// How many flows the table holds at most.
    pub fn capacity(&self) -> usize {
        self.cap
    }

    /// Advances packet time: evicts flows idle past the timeout. Called by the worker with the
    /// reader's clock so that eviction does not depend on how flows are spread over workers.
    pub fn advance(&mut self, now: TsNanos) {
        self.stats.evicted_idle += sweep_idle(
            &mut self.flows,
            &mut self.next_sweep,
            now,
            IDLE_TIMEOUT_NS,
            SWEEP_EVERY_NS,
        );
    }

    /// Adds the entry of a key not in the table, making room first when it is full.
    fn add(&mut self, key: FlowKey, v: V) {
        self.stats.evicted_cap += make_room(&mut self.flows, self.cap);
        self.stats.flows_created += 1;
        self.flows.insert(key, v);
    }

    /// Before bytes may be buffered: when the budget is nearly spent, the oldest quarter of
    /// the flows still waiting goes, so the newest traffic (the likeliest to complete) gets
    /// the room.
    fn relieve_pressure(&mut self) {
        if self.budget.above(PRESSURE_PERCENT) {
            self.stats.evicted_memcap += evict_oldest_quarter(&mut self.flows, |v| v.waiting());
        }
    }
}
