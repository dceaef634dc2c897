//! A parse worker: runs each packet of its batches through the parser the dispatch table
//! chose (DNS directly, TCP and QUIC through the flow tables), and stamps what comes out
//! with the packet that completed it.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use crossbeam_channel::{Receiver, Sender};

use crate::decode::{self, Transport};
use crate::dispatch::Protocol;
use crate::flow::{Ended, FlowTable, QuicTable};
use crate::memcap::Shares;
use crate::model::{Extracted, Identity, Observation, Source, What};
use crate::proto::{dhcp, dhcpv6, dns, kerberos, nbns};
use crate::stats::LiveCounters;

use super::chunk::{Pkt, WorkBatch};
use super::inflight::{weigh, InFlight};
use super::Out;

pub(super) fn worker(
    w: usize,
    rx: Receiver<WorkBatch>,
    out: Sender<(usize, Out)>,
    shares: Shares,
    live: Arc<LiveCounters>,
    in_flight: &InFlight,
) {
    let mut table = FlowTable::new(shares.tcp);
    let mut quic_table = QuicTable::new(shares.quic);
    let mut hellos = Vec::new();
    let mut found = Vec::new();
    let (mut shown_flows, mut shown_evicted, mut shown_dropped) = (0u64, 0u64, 0u64);
    // Chunks arrive in the reader's order, every one to every worker: this count is the
    // chunk's number in the merge too.
    let mut seq = 0u64;
    let mut send = |obs: Vec<Observation>| {
        let bytes = weigh(&obs);
        in_flight.reserve(seq, bytes);
        seq += 1;
        out.send((w, Out::Chunk(obs, bytes))).is_ok()
    };
    for batch in rx.iter() {
        table.advance(batch.start);
        quic_table.advance(batch.start);
        let mut obs = Vec::new();
        // Connections the sweep ended: ordered with this chunk's first packet.
        let first = batch.pkts.first().map_or((0, 0), |p| (p.order, p.input));
        take_ended(&mut obs, &mut table.ended, first);
        take_ended(&mut obs, &mut quic_table.ended, first);
        for p in &batch.pkts {
            let payload = batch.payload(p);
            let d = decode::Decoded {
                src: p.src,
                dst: p.dst,
                sport: p.sport,
                dport: p.dport,
                transport: p.transport,
                payload,
                truncated: p.truncated,
            };
            match (p.protocol, p.transport) {
                (Protocol::Dns, _) => {
                    if let Ok(m) = dns::parse(payload) {
                        push(&mut obs, p, Extracted::Dns(m));
                    }
                }
                (Protocol::Quic, _) => {
                    quic_table.datagram(&d, p.ts, &mut hellos);
                    for hello in hellos.drain(..) {
                        let retry = false;
                        push(&mut obs, p, Extracted::Hello { hello, retry });
                    }
                }
                (
                    Protocol::Dhcp
                    | Protocol::Dhcpv6
                    | Protocol::Mdns
                    | Protocol::Nbns
                    | Protocol::Kerberos,
                    Transport::Udp,
                ) => {
                    if let Some(i) = identity(p.protocol, payload) {
                        push(&mut obs, p, Extracted::Identity(i));
                    }
                }
                (
                    Protocol::DnsOverTcp | Protocol::Stream | Protocol::KerberosOverTcp,
                    Transport::Tcp(t),
                ) => {
                    found.clear();
                    table.tcp(&d, t, p.ts, &mut found);
                    for (_, f) in found.drain(..) {
                        push(&mut obs, p, f);
                    }
                    take_ended(&mut obs, &mut table.ended, (p.order, p.input));
                }
                // The table gives TCP protocols to TCP packets only, UDP ones to UDP.
                (Protocol::DnsOverTcp | Protocol::Stream | Protocol::KerberosOverTcp, _)
                | (_, Transport::Tcp(_)) => {}
            }
        }
        // Publish this worker's share of the live counters as differences, so the sum over
        // workers needs no lock.
        let flows = (table.len() + quic_table.len()) as u64;
        let evicted = table.stats.evicted_idle
            + table.stats.evicted_cap
            + table.stats.evicted_memcap
            + quic_table.stats.evicted_idle
            + quic_table.stats.evicted_cap
            + quic_table.stats.evicted_memcap;
        live.flows
            .fetch_add(flows.wrapping_sub(shown_flows), Ordering::Relaxed);
        live.evicted
            .fetch_add(evicted - shown_evicted, Ordering::Relaxed);
        let dropped = table.stats.dropped() + quic_table.stats.dropped();
        live.dropped
            .fetch_add(dropped - shown_dropped, Ordering::Relaxed);
        (shown_flows, shown_evicted, shown_dropped) = (flows, evicted, dropped);
        if !send(obs) {
            return;
        }
    }
    // The input is over: connections still open end here, in one last chunk that every
    // worker sends, so the merge takes them together.
    table.flush_sessions();
    quic_table.flush_sessions();
    let mut obs = Vec::new();
    take_ended(&mut obs, &mut table.ended, (u64::MAX, u32::MAX));
    take_ended(&mut obs, &mut quic_table.ended, (u64::MAX, u32::MAX));
    if !send(obs) {
        return;
    }
    let mut stats = table.stats.clone();
    stats.add(&quic_table.stats);
    let _ = out.send((w, Out::Done(stats)));
}

/// The observations of connections that ended, addressed client first as their hello was.
fn take_ended(obs: &mut Vec<Observation>, ended: &mut Vec<Ended>, (order, input): (u64, u32)) {
    for e in ended.drain(..) {
        let (client, server) = match e.client {
            0 => (e.key.lo, e.key.hi),
            _ => (e.key.hi, e.key.lo),
        };
        obs.push(Observation {
            order,
            input,
            ts: e.session.end,
            src: client.0,
            dst: server.0,
            sport: client.1,
            dport: server.1,
            tcp: e.key.tcp,
            what: What::SessionEnd(e.session),
        });
    }
}

/// What a datagram of an identity protocol says; a message its parser refuses is counted.
fn identity(protocol: Protocol, b: &[u8]) -> Option<Identity> {
    let bad = Identity::Malformed;
    Some(match protocol {
        Protocol::Dhcp => dhcp::parse(b).map_or(bad(Source::Dhcp), Identity::Dhcp),
        Protocol::Dhcpv6 => dhcpv6::parse(b).map_or(bad(Source::Dhcpv6), Identity::Dhcpv6),
        Protocol::Mdns => dns::parse_mdns(b).map_or(bad(Source::Mdns), Identity::Mdns),
        Protocol::Nbns => nbns::parse(b).map_or(bad(Source::Nbns), Identity::Nbns),
        _ => match kerberos::parse(b) {
            Ok(kerberos::Message::AsReq(r)) => Identity::Kerberos(r),
            // Replies and errors: nothing to learn, nothing wrong.
            Ok(kerberos::Message::Other) => return None,
            Err(_) => bad(Source::Kerberos),
        },
    })
}

/// The observations `found` stands for, addressed as the packet `p` that completed it.
fn push(obs: &mut Vec<Observation>, p: &Pkt, found: Extracted) {
    let tcp = matches!(p.transport, Transport::Tcp(_));
    found.into_whats(tcp, p.src, |what| {
        obs.push(Observation {
            order: p.order,
            input: p.input,
            ts: p.ts,
            src: p.src,
            dst: p.dst,
            sport: p.sport,
            dport: p.dport,
            tcp,
            what,
        })
    });
}
