//! Run counters, merged once at the end (never shared between threads on the packet path).

use std::collections::BTreeMap;

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
}

impl Stats {
    pub fn count_skip(&mut self, s: Skip) {
        *self.skipped.entry(s.name()).or_default() += 1;
    }
}
