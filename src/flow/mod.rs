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
use crate::memcap::{Budget, Charge};
use crate::model::Session;
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

/// A new track for a connection whose hello (direction `dir`) just completed at `ts`, when
/// the budget has room to spare (under pressure the bytes go to flows still waiting for a
/// name, which matter more than a duration).
fn new_track(
    budget: &Budget,
    stats: &mut FlowStats,
    dir: usize,
    ts: TsNanos,
) -> Option<Box<Track>> {
    let charge = match budget.above(PRESSURE_PERCENT) {
        false => budget.charge(std::mem::size_of::<Track>()),
        true => None,
    };
    let Some(charge) = charge else {
        stats.sessions_memcap += 1;
        return None;
    };
    stats.sessions_tracked += 1;
    Some(Box::new(Track {
        session: Session {
            start: ts,
            end: ts,
            ..Session::default()
        },
        client: dir as u8,
        fin: [false; 2],
        last_up: ts,
        _charge: charge,
    }))
}

fn end_of(key: FlowKey, t: &Track, closed: bool) -> Ended {
    Ended {
        key,
        client: t.client as usize,
        session: Session {
            closed,
            ..t.session
        },
    }
}

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
    /// HTTP request or response heads with no end within `http::MAX_HEAD` bytes: not read
    /// (a plain request whose Host, credentials and path went unseen).
    pub http_head_too_long: u64,
    /// HTTP heads whose start was held when their flow went idle or the input ended: a
    /// request or response cut short, not read.
    pub http_head_unfinished: u64,
    /// Connections with a hello followed to their end, and of those how many ended (FIN/RST,
    /// idle, or the capture's end); the difference was evicted by the entry cap.
    pub sessions_tracked: u64,
    pub sessions_ended: u64,
    /// Connections with a hello not followed: the budget was nearly spent.
    pub sessions_memcap: u64,
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
        self.http_head_too_long += b.http_head_too_long;
        self.http_head_unfinished += b.http_head_unfinished;
        self.sessions_tracked += b.sessions_tracked;
        self.sessions_ended += b.sessions_ended;
        self.sessions_memcap += b.sessions_memcap;
    }

    /// Sessions whose end was never seen: tracked, then evicted for the entry cap.
    pub fn sessions_lost(&self) -> u64 {
        self.sessions_tracked.saturating_sub(self.sessions_ended)
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

/// A connection that carried a ClientHello, followed from the hello to its end: counters
/// only, a fixed size, boxed so that flows without a hello pay one pointer, and charged to
/// the table's budget.
#[derive(Debug)]
pub struct Track {
    session: Session,
    /// The direction (0 or 1, as in [`FlowKey::of`]) that sent the hello.
    client: u8,
    fin: [bool; 2],
    /// When the client last sent payload.
    last_up: TsNanos,
    _charge: Charge,
}

impl Track {
    /// Counts one packet of `len` payload bytes in direction `dir` at `ts`.
    fn count(&mut self, dir: usize, len: usize, ts: TsNanos) {
        let s = &mut self.session;
        s.end = s.end.max(ts);
        if len == 0 {
            return;
        }
        if dir == self.client as usize {
            s.bytes_up = s.bytes_up.saturating_add(len as u64);
            s.packets_up = s.packets_up.saturating_add(1);
            if s.bursts_up == 0 || ts.saturating_sub(self.last_up) >= crate::model::BURST_GAP_NS {
                s.bursts_up = s.bursts_up.saturating_add(1);
            }
            self.last_up = self.last_up.max(ts);
        } else {
            s.bytes_down = s.bytes_down.saturating_add(len as u64);
            s.packets_down = s.packets_down.saturating_add(1);
        }
    }
}

/// A tracked connection's end, for the worker to hand on as an observation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ended {
    pub key: FlowKey,
    /// Which end of `key` is the client: 0 for `lo`, 1 for `hi`.
    pub client: usize,
    pub session: Session,
}

/// Table entries that may follow their connection past its hello.
pub trait Tracked {
    fn track(&mut self) -> &mut Option<Box<Track>>;
    /// It holds the start of an HTTP head that never ended (idle, or the input is over).
    fn unfinished_http_head(&self) -> bool {
        false
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
    /// Tracked connections that ended since the worker last took them.
    pub ended: Vec<Ended>,
}

impl<V: Aged + Tracked> Flows<V> {
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
            ended: Vec::new(),
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
        if now >= self.next_sweep {
            // The sweep below removes these: their sessions end at their last packet.
            let cutoff = now.saturating_sub(IDLE_TIMEOUT_NS);
            for (key, v) in self.flows.iter_mut() {
                if v.last_seen() < cutoff {
                    self.stats.http_head_unfinished += v.unfinished_http_head() as u64;
                    if let Some(t) = v.track().take() {
                        self.stats.sessions_ended += 1;
                        self.ended.push(end_of(*key, &t, false));
                    }
                }
            }
        }
        self.stats.evicted_idle += sweep_idle(
            &mut self.flows,
            &mut self.next_sweep,
            now,
            IDLE_TIMEOUT_NS,
            SWEEP_EVERY_NS,
        );
    }

    /// Ends every tracked connection (the input is over): their sessions as far as seen.
    pub fn flush_sessions(&mut self) {
        for (key, v) in self.flows.iter_mut() {
            self.stats.http_head_unfinished += v.unfinished_http_head() as u64;
            if let Some(t) = v.track().take() {
                self.stats.sessions_ended += 1;
                self.ended.push(end_of(*key, &t, false));
            }
        }
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
