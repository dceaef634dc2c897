//! The run's counters of several reports: each is a sum.

use crate::report::CaptureCounts;

use super::owned;

/// Every counter of the run is a sum; live capture counters are absent (null) only when no
/// report has them.
pub fn add(a: &mut owned::RunStats, b: &owned::RunStats) {
    a.bytes += b.bytes;
    a.kafka = match (a.kafka, b.kafka) {
        (None, None) => None,
        (x, y) => {
            let (x, y) = (x.unwrap_or_default(), y.unwrap_or_default());
            Some(crate::kafka::KafkaStats {
                events_dropped_broker: x.events_dropped_broker + y.events_dropped_broker,
                events_published: x.events_published + y.events_published,
                reports_dropped: x.reports_dropped + y.reports_dropped,
                reports_published: x.reports_published + y.reports_published,
            })
        }
    };
    a.capture = match (a.capture.take(), &b.capture) {
        (None, None) => None,
        (x, y) => {
            let x = x.unwrap_or_default();
            let y = y.clone().unwrap_or_default();
            Some(CaptureCounts {
                packets_dropped_interface: x.packets_dropped_interface
                    + y.packets_dropped_interface,
                packets_dropped_kernel: x.packets_dropped_kernel + y.packets_dropped_kernel,
                packets_received: x.packets_received + y.packets_received,
            })
        }
    };
    a.dropped.add(&b.dropped);
    a.events += b.events;
    for (k, n) in &b.events_by_kind {
        *a.events_by_kind.entry(*k).or_default() += n;
    }
    a.flow_buffer_overflows += b.flow_buffer_overflows;
    a.flows_evicted_cap += b.flows_evicted_cap;
    a.flows_evicted_idle += b.flows_evicted_idle;
    a.flows_evicted_memcap += b.flows_evicted_memcap;
    a.identity_malformed += b.identity_malformed;
    a.ip_datagrams_reassembled += b.ip_datagrams_reassembled;
    a.ip_fragments += b.ip_fragments;
    let (f, g) = (&mut a.ip_fragments_dropped, &b.ip_fragments_dropped);
    f.overlap += g.overlap;
    f.oversize += g.oversize;
    f.table_full += g.table_full;
    f.timeout += g.timeout;
    a.packets += b.packets;
    for (k, n) in &b.packets_skipped {
        *a.packets_skipped.entry(k.clone()).or_default() += n;
    }
    a.packets_snapped += b.packets_snapped;
    a.packets_truncated += b.packets_truncated;
    a.tcp_flows += b.tcp_flows;
    a.unsanctioned_events += b.unsanctioned_events;
}
