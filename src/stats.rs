//! Run counters, merged once at the end (never shared between threads on the packet path).

use std::collections::BTreeMap;
use std::sync::atomic::AtomicU64;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::capture::live::KernelStats;

use crate::decode::Skip;
use crate::defrag::DefragStats;
use crate::flow::FlowStats;

#[derive(Clone, Debug, Default)]
pub struct Stats {
    pub packets: u64,
    pub bytes: u64,
    /// Records shorter than the packet on the wire (snaplen).
    pub snapped: u64,
    /// Packets whose headers announce more bytes than were captured.
    pub truncated: u64,
    pub skipped: BTreeMap<&'static str, u64>,
    pub flows: FlowStats,
    pub defrag: DefragStats,
    /// Live capture: libpcap's counters at the end.
    pub kernel: Option<KernelStats>,
    /// `--kafka`: what the publisher delivered and dropped, at the end.
    pub kafka: Option<KafkaStats>,
}

impl Stats {
    pub fn count_skip(&mut self, s: Skip) {
        *self.skipped.entry(s.name()).or_default() += 1;
    }
}

/// Counters the aggregator reads while a live capture runs (for `stats` events). Written once
/// per chunk or batch, never per packet.
#[derive(Debug, Default)]
pub struct LiveCounters {
    pub packets: AtomicU64,
    pub kernel_received: AtomicU64,
    pub kernel_dropped: AtomicU64,
    pub if_dropped: AtomicU64,
    /// Flows in the workers' tables.
    pub flows: AtomicU64,
    /// Flows evicted while still waiting (idle or table cap).
    pub evicted: AtomicU64,
    /// Segments and flows the memory limits gave up (see `FlowStats::dropped`).
    pub dropped: AtomicU64,
}

/// What the publisher did: in the report's `stats.kafka` and, live, in `stats` events.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[schemars(deny_unknown_fields)]
pub struct KafkaStats {
    /// Events refused because the queue was full, or still queued when the run ended and
    /// the flush time ran out. Every event is either published or counted here.
    pub events_dropped_broker: u64,
    /// Events the broker acknowledged (acks=all).
    pub events_published: u64,
    /// Report snapshots given up (same rules as events).
    pub reports_dropped: u64,
    pub reports_published: u64,
}
