//! The threads and channels: one reader, N parse workers, one aggregator.
//!
//! ```text
//! reader ──WorkBatch (per worker, every chunk)──▶ worker[i] ──Out──▶ aggregator
//!  read + decode + shard by address pair          flow table,         classify, aggregate,
//!                                                  dns/tls extract     write events + report
//! ```
//!
//! The reader decodes each packet once, keeps only what the analysis needs (TCP segments
//! with data or SYN/FIN/RST, UDP to or from port 53), and shards it by a symmetric hash of
//! the address pair, so both directions of a flow meet in one worker and per-flow state needs
//! no lock. Packets travel in chunks: every chunk reaches every worker (possibly empty) with
//! the reader's packet clock, and the aggregator merges the workers' outputs chunk by chunk
//! in packet order. So events come out in the same order, and the report is the same, for
//! any `--threads N`; flow idle eviction runs on the shared clock for the same reason.
//! Channels are bounded, so a slow stage slows the reader instead of growing memory.

use std::io::IsTerminal;
use std::net::IpAddr;
use std::ops::Range;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::{bounded, Receiver, Sender};

use crate::capture::live::{KernelStats, LiveSource};
use crate::capture::{InputPath, Next, Reader, Record};
use crate::decode::{self, Transport};
use crate::defrag::Defrag;
use crate::flow::{FlowStats, FlowTable, Found, QuicTable};
use crate::proto::{dns, ech, tls};
use crate::stats::{LiveCounters, Stats};
use crate::time::TsNanos;

/// Packets per chunk: large enough that per-chunk channel costs vanish, small enough that
/// the reorder buffer in the aggregator stays small.
const CHUNK_PACKETS: usize = 2048;
/// Chunks in flight per worker.
const QUEUE_DEPTH: usize = 4;
/// Live capture: the longest a packet waits in a partial chunk before it is sent on.
const LIVE_FLUSH: Duration = Duration::from_millis(200);
/// Flow table cap, split across workers. 262,144 connections waiting for or past their
/// ClientHello at once; at about 110 bytes an entry (plus a small buffer for the ones still
/// collecting) a flood of half-open connections stays near 60 MiB. When full, the least
/// recently seen quarter is evicted, so short well-formed connections in the middle of a
/// flood keep their state.
pub const FLOW_TABLE_CAP: usize = 1 << 18;

/// A packet the reader kept. Its payload stays where the file reader put it: a range of one
/// of the batch's shared blocks (no copy), or of the batch's own bytes for the rare payload
/// that exists only in memory (a reassembled IP datagram).
#[derive(Clone, Debug)]
struct Pkt {
    order: u64,
    ts: TsNanos,
    src: IpAddr,
    dst: IpAddr,
    sport: u16,
    dport: u16,
    transport: Transport,
    payload: Range<usize>,
    /// Index into `WorkBatch::blocks`, or [`OWN_BYTES`] for `WorkBatch::data`.
    block: u32,
    truncated: bool,
}

const OWN_BYTES: u32 = u32::MAX;

struct WorkBatch {
    now: TsNanos,
    blocks: Vec<Arc<Vec<u8>>>,
    data: Vec<u8>,
    pkts: Vec<Pkt>,
}

impl WorkBatch {
    fn new() -> WorkBatch {
        WorkBatch {
            now: 0,
            blocks: Vec::new(),
            data: Vec::new(),
            pkts: Vec::new(),
        }
    }

    fn payload(&self, p: &Pkt) -> &[u8] {
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

/// What an observation is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum What {
    DnsQuery {
        name: String,
        qtype: u16,
    },
    DnsAnswer {
        msg: dns::Message,
    },
    /// One server name of a ClientHello over TCP ("" when it has none), and the ECH
    /// extension it carries. `again`: the connection already gave a hello observation (a
    /// second server name, or the hello after a HelloRetryRequest), so it is not counted twice.
    TlsHello {
        name: String,
        ech: Option<ech::Offer>,
        again: bool,
    },
    /// The same, for a ClientHello carried in QUIC Initial packets.
    QuicHello {
        name: String,
        ech: Option<ech::Offer>,
        again: bool,
    },
    Proxy {
        target: crate::proto::preamble::ProxyTarget,
    },
    /// A TCP connection whose client spoke neither TLS nor HTTP: counted, not reported.
    OtherTcp,
}

/// One observation, addressed as the packet that completed it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Observation {
    /// Index of the packet across all inputs; orders the output.
    pub order: u64,
    pub ts: TsNanos,
    pub src: IpAddr,
    pub dst: IpAddr,
    pub sport: u16,
    pub dport: u16,
    pub tcp: bool,
    pub what: What,
}

enum Out {
    Chunk(Vec<Observation>),
    Done(FlowStats),
}

/// What the run gives back besides the observations it handed to `sink`.
pub struct RunResult {
    pub stats: Stats,
    pub inputs: Vec<InputSummary>,
    /// A thread panicked: a bug, reported as such (exit status 2).
    pub internal_error: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputSummary {
    pub path: String,
    pub packets: u64,
    pub linktype: Option<String>,
    pub error: Option<String>,
    /// The input could not be read as a capture at all (exit status 2).
    pub fatal: bool,
}

/// Where packets come from.
pub enum Source {
    Files(Vec<InputPath>),
    Live(LiveSource),
    /// A whole capture file held in memory, read like a file named `name`: the in-process
    /// entry the scan fuzz target (fuzz/fuzz_targets/scan.rs) drives, with no file system.
    Bytes {
        name: String,
        data: Vec<u8>,
    },
}

/// Runs the pipeline over `source` with `threads` workers and hands every observation, in
/// packet order, to `sink` on the calling thread; `on_chunk` runs after each chunk (for live
/// capture: at least every few hundred milliseconds), with the live counters.
pub fn run(
    source: Source,
    threads: usize,
    progress: bool,
    mut sink: impl FnMut(Observation),
    mut on_chunk: impl FnMut(&LiveCounters),
) -> RunResult {
    let live = Arc::new(LiveCounters::default());
    let threads = threads.max(1);
    let (out_tx, out_rx) = bounded::<(usize, Out)>(threads * QUEUE_DEPTH * 2);
    let mut work_txs = Vec::new();
    let mut handles = Vec::new();
    for w in 0..threads {
        let (tx, rx) = bounded::<WorkBatch>(QUEUE_DEPTH);
        work_txs.push(tx);
        let out = out_tx.clone();
        let cap = FLOW_TABLE_CAP / threads;
        let counters = Arc::clone(&live);
        handles.push(
            std::thread::Builder::new()
                .name(format!("worker-{w}"))
                .spawn(move || worker(w, rx, out, cap, counters))
                .expect("spawning a worker thread"),
        );
    }
    drop(out_tx);
    let counters = Arc::clone(&live);
    let reader = std::thread::Builder::new()
        .name("reader".into())
        .spawn(move || match source {
            Source::Files(inputs) => {
                let opened = inputs.iter().map(|i| (i.shown.clone(), Reader::open(i)));
                read_all(opened, work_txs, progress, counters)
            }
            Source::Bytes { name, data } => {
                let r = Reader::from_reader(Box::new(std::io::Cursor::new(data)));
                read_all(std::iter::once((name, r)), work_txs, progress, counters)
            }
            Source::Live(src) => read_live(src, work_txs, counters),
        })
        .expect("spawning the reader thread");

    let mut pending: Vec<std::collections::VecDeque<Vec<Observation>>> =
        (0..threads).map(|_| Default::default()).collect();
    let mut flow_stats = FlowStats::default();
    let mut merged = Vec::new();
    for (w, msg) in out_rx.iter() {
        match msg {
            Out::Chunk(obs) => pending[w].push_back(obs),
            Out::Done(fs) => add_flow_stats(&mut flow_stats, &fs),
        }
        while pending.iter().all(|q| !q.is_empty()) {
            merged.clear();
            for q in pending.iter_mut() {
                merged.extend(q.pop_front().unwrap_or_default());
            }
            merged.sort_by_key(|o| o.order);
            for o in merged.drain(..) {
                sink(o);
            }
            on_chunk(&live);
        }
    }
    // Only a bug can leave chunks here (a worker that died): hand over what there is.
    let mut rest: Vec<Observation> = pending.into_iter().flatten().flatten().collect();
    rest.sort_by_key(|o| o.order);
    rest.into_iter().for_each(&mut sink);
    let mut internal_error = None;
    for h in handles {
        if h.join().is_err() {
            internal_error =
                Some("a parse worker stopped on a bug; the results are incomplete".to_owned());
        }
    }
    let (mut stats, inputs) = reader.join().unwrap_or_else(|_| {
        internal_error = Some("the reader stopped on a bug; the results are incomplete".to_owned());
        Default::default()
    });
    stats.flows = flow_stats;
    RunResult {
        stats,
        inputs,
        internal_error,
    }
}

fn add_flow_stats(a: &mut FlowStats, b: &FlowStats) {
    a.flows_created += b.flows_created;
    a.evicted_idle += b.evicted_idle;
    a.evicted_cap += b.evicted_cap;
    a.buffer_overflows += b.buffer_overflows;
    a.ooo_dropped += b.ooo_dropped;
    a.peak_flows += b.peak_flows;
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

struct Chunker {
    txs: Vec<Sender<WorkBatch>>,
    batches: Vec<WorkBatch>,
    in_chunk: usize,
    now: TsNanos,
    /// A worker went away (it can only panic, which is a bug): stop feeding.
    broken: bool,
}

impl Chunker {
    fn new(txs: Vec<Sender<WorkBatch>>) -> Chunker {
        let batches = txs.iter().map(|_| WorkBatch::new()).collect();
        Chunker {
            txs,
            batches,
            in_chunk: 0,
            now: i64::MIN,
            broken: false,
        }
    }

    /// Queues a packet for its worker. `block` is the shared block the payload lies in, if
    /// any; then only its position travels.
    fn push(&mut self, d: &decode::Decoded, order: u64, ts: TsNanos, block: Option<&Arc<Vec<u8>>>) {
        self.now = self.now.max(ts);
        let w = shard(&d.src, &d.dst, self.txs.len());
        let b = &mut self.batches[w];
        let (block_idx, range) =
            match block.and_then(|blk| offset_in(blk, d.payload).map(|r| (blk, r))) {
                Some((blk, r)) => {
                    if !b.blocks.last().is_some_and(|last| Arc::ptr_eq(last, blk)) {
                        b.blocks.push(Arc::clone(blk));
                    }
                    ((b.blocks.len() - 1) as u32, r)
                }
                None => {
                    let start = b.data.len();
                    b.data.extend_from_slice(d.payload);
                    (OWN_BYTES, start..b.data.len())
                }
            };
        b.pkts.push(Pkt {
            order,
            ts,
            src: d.src,
            dst: d.dst,
            sport: d.sport,
            dport: d.dport,
            transport: d.transport,
            payload: range,
            block: block_idx,
            truncated: d.truncated,
        });
        self.in_chunk += 1;
        if self.in_chunk >= CHUNK_PACKETS {
            self.flush();
        }
    }

    /// Sends the chunk to every worker, empty or not, so the aggregator can merge in order.
    fn flush(&mut self) {
        if self.in_chunk > 0 {
            self.flush_always();
        }
    }

    /// Sends the chunk even when it holds no packet: it still carries the clock.
    fn flush_always(&mut self) {
        if self.broken {
            return;
        }
        for (tx, b) in self.txs.iter().zip(self.batches.iter_mut()) {
            let mut full = std::mem::replace(
                b,
                WorkBatch {
                    now: 0,
                    blocks: Vec::new(),
                    data: Vec::new(),
                    pkts: Vec::with_capacity(b.pkts.capacity()),
                },
            );
            full.now = self.now;
            if tx.send(full).is_err() {
                self.broken = true;
            }
        }
        self.in_chunk = 0;
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

fn wanted(d: &decode::Decoded) -> bool {
    match d.transport {
        Transport::Tcp(t) => !d.payload.is_empty() || t.syn || t.fin || t.rst,
        Transport::Udp => {
            d.sport == 53 || d.dport == 53 || crate::proto::quic::may_be_initial(d.payload)
        }
    }
}

/// The reader's per-record work, shared by files and live capture: decode (with fragment
/// reassembly), count, and queue what the workers need.
struct ReaderCore {
    chunker: Chunker,
    defrag: Defrag,
    stats: Stats,
    order: u64,
    live: Arc<LiveCounters>,
}

impl ReaderCore {
    fn new(txs: Vec<Sender<WorkBatch>>, live: Arc<LiveCounters>) -> ReaderCore {
        ReaderCore {
            chunker: Chunker::new(txs),
            defrag: Defrag::default(),
            stats: Stats::default(),
            order: 0,
            live,
        }
    }

    fn record(&mut self, rec: &Record) {
        self.order += 1;
        let stats = &mut self.stats;
        stats.packets += 1;
        stats.bytes += rec.data.len() as u64;
        if (rec.data.len() as u32) < rec.wire_len {
            stats.snapped += 1;
        }
        let mut cx = decode::Cx::new(Some(&mut self.defrag), rec.ts);
        // pcapng interfaces, and live interfaces, may each have their own link type.
        let decoded = decode::decode_with(rec.linktype, rec.data, &mut cx);
        let reassembled = cx.reassembled.take();
        match decoded {
            Ok(d) => keep(&mut self.chunker, stats, &d, self.order, rec.ts, rec.block),
            // A fragment is not a loss: it waits for its datagram.
            Err(decode::Skip::Fragment) => {}
            Err(skip) => stats.count_skip(skip),
        }
        if let Some(packet) = reassembled {
            let mut cx = decode::Cx::new(Some(&mut self.defrag), rec.ts);
            match decode::decode_ip(&packet, &mut cx) {
                Ok(d) => keep(&mut self.chunker, stats, &d, self.order, rec.ts, None),
                Err(skip) => stats.count_skip(skip),
            }
        }
    }

    /// Live capture: time passed with no packet. Sends the chunk so far (even empty) with the
    /// wall clock, so flows age and the aggregator wakes on a quiet link.
    fn idle(&mut self) {
        self.chunker.now = self.chunker.now.max(crate::time::wall_clock());
        self.chunker.flush_always();
        self.publish();
    }

    fn publish(&self) {
        self.live
            .packets
            .store(self.stats.packets, Ordering::Relaxed);
    }

    fn finish(mut self) -> Stats {
        self.chunker.flush();
        self.publish();
        self.stats.defrag = self.defrag.stats.clone();
        self.stats
    }
}

/// `inputs` opens each one only when its turn comes (a folder may hold more files than
/// there are descriptors).
fn read_all(
    inputs: impl Iterator<Item = (String, Result<Reader, String>)>,
    txs: Vec<Sender<WorkBatch>>,
    progress: bool,
    live: Arc<LiveCounters>,
) -> (Stats, Vec<InputSummary>) {
    let mut core = ReaderCore::new(txs, live);
    let mut summaries = Vec::new();
    let started = Instant::now();
    let progress = progress && std::io::stderr().is_terminal();
    let mut next_progress = started + Duration::from_millis(500);
    for (shown, opened) in inputs {
        let mut sum = InputSummary {
            path: shown.clone(),
            packets: 0,
            linktype: None,
            error: None,
            fatal: false,
        };
        let mut reader = match opened {
            Ok(r) => r,
            Err(e) => {
                tracing::error!("{shown}: {e}");
                sum.error = Some(e);
                sum.fatal = true;
                summaries.push(sum);
                continue;
            }
        };
        let lt = reader.linktype;
        sum.linktype = Some(decode::linktype::name(lt));
        if !decode::linktype::supported(lt) {
            let msg = format!(
                "link type {} is not supported; file skipped",
                decode::linktype::name(lt)
            );
            tracing::warn!("{shown}: {msg}");
            sum.error = Some(msg);
            summaries.push(sum);
            continue;
        }
        loop {
            match reader.next_record() {
                Next::Record(r) => core.record(&r),
                Next::End => break,
                Next::Idle => continue,
                Next::Cut(why) => {
                    let msg = format!("{why}; the {} records before it were read", reader.records);
                    tracing::warn!("{shown}: {msg}");
                    sum.error = Some(msg);
                    break;
                }
            };
            if progress && core.stats.packets % 4096 == 0 && Instant::now() >= next_progress {
                next_progress += Duration::from_millis(500);
                show_progress(&core.stats, started);
            }
        }
        sum.packets = reader.records;
        summaries.push(sum);
    }
    let stats = core.finish();
    if progress {
        show_progress(&stats, started);
        eprintln!();
    }
    (stats, summaries)
}

fn publish_kernel(live: &LiveCounters, k: KernelStats) {
    live.kernel_received.store(k.received, Ordering::Relaxed);
    live.kernel_dropped.store(k.dropped, Ordering::Relaxed);
    live.if_dropped.store(k.if_dropped, Ordering::Relaxed);
}

fn read_live(
    mut src: LiveSource,
    txs: Vec<Sender<WorkBatch>>,
    live: Arc<LiveCounters>,
) -> (Stats, Vec<InputSummary>) {
    let mut core = ReaderCore::new(txs, Arc::clone(&live));
    let mut last_flush = Instant::now();
    loop {
        let idle = match src.next_record() {
            Next::Record(r) => {
                core.record(&r);
                false
            }
            Next::Idle => true,
            Next::End | Next::Cut(_) => break,
        };
        // On a quiet link, and at least every LIVE_FLUSH on a busy one, send the chunk on so
        // events come out promptly, and publish the kernel's counters with it.
        if idle || last_flush.elapsed() >= LIVE_FLUSH {
            core.idle();
            publish_kernel(&live, src.kernel_total());
            last_flush = Instant::now();
        }
    }
    let k = src.kernel_total();
    publish_kernel(&live, k);
    let packets: Vec<u64> = src.kernel.iter().map(|k| k.received).collect();
    let summaries = src
        .names
        .iter()
        .enumerate()
        .map(|(i, name)| InputSummary {
            path: format!("interface:{name}"),
            packets: packets[i],
            linktype: Some(decode::linktype::name(src.linktypes[i])),
            error: src
                .failures
                .iter()
                .find(|f| f.starts_with(&format!("interface {name}:")))
                .cloned(),
            fatal: false,
        })
        .collect();
    let mut stats = core.finish();
    stats.kernel = Some(k);
    (stats, summaries)
}

fn keep(
    chunker: &mut Chunker,
    stats: &mut Stats,
    d: &decode::Decoded,
    order: u64,
    ts: TsNanos,
    block: Option<&Arc<Vec<u8>>>,
) {
    if d.truncated {
        stats.truncated += 1;
    }
    if wanted(d) {
        chunker.push(d, order, ts, block);
    }
}

fn show_progress(stats: &Stats, started: Instant) {
    let secs = started.elapsed().as_secs_f64().max(1e-3);
    eprint!(
        "\r{:>8.1} MB  {:>10} packets  {:>8.0} packets/s  {:>6.1} MB/s ",
        stats.bytes as f64 / 1e6,
        stats.packets,
        stats.packets as f64 / secs,
        stats.bytes as f64 / 1e6 / secs
    );
}

fn worker(
    w: usize,
    rx: Receiver<WorkBatch>,
    out: Sender<(usize, Out)>,
    cap: usize,
    live: Arc<LiveCounters>,
) {
    let mut table = FlowTable::new(cap);
    let mut quic_table = QuicTable::new(cap / 4);
    let mut hellos = Vec::new();
    let mut found = Vec::new();
    let (mut shown_flows, mut shown_evicted) = (0u64, 0u64);
    for batch in rx.iter() {
        table.advance(batch.now);
        quic_table.advance(batch.now);
        let mut obs = Vec::new();
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
            match p.transport {
                Transport::Udp if p.sport == 53 || p.dport == 53 => {
                    if let Ok(m) = dns::parse(payload) {
                        push_dns(&mut obs, p, false, m);
                    }
                }
                Transport::Udp => {
                    quic_table.datagram(&d, p.ts, &mut hellos);
                    for hello in hellos.drain(..) {
                        push_hello(&mut obs, p, false, hello);
                    }
                }
                Transport::Tcp(t) => {
                    found.clear();
                    table.tcp(&d, t, p.ts, &mut found);
                    for (_, f) in found.drain(..) {
                        match f {
                            Found::Dns(m) => push_dns(&mut obs, p, true, m),
                            Found::Proxy(target) => {
                                obs.push(observation(p, true, What::Proxy { target }))
                            }
                            Found::TlsHello(hello) => push_hello(&mut obs, p, true, hello),
                            Found::Other => obs.push(observation(p, true, What::OtherTcp)),
                        }
                    }
                }
            }
        }
        // Publish this worker's share of the live counters as differences, so the sum over
        // workers needs no lock.
        let flows = (table.len() + quic_table.len()) as u64;
        let evicted = table.stats.evicted_idle
            + table.stats.evicted_cap
            + quic_table.stats.evicted_idle
            + quic_table.stats.evicted_cap;
        live.flows
            .fetch_add(flows.wrapping_sub(shown_flows), Ordering::Relaxed);
        live.evicted
            .fetch_add(evicted - shown_evicted, Ordering::Relaxed);
        (shown_flows, shown_evicted) = (flows, evicted);
        if out.send((w, Out::Chunk(obs))).is_err() {
            return;
        }
    }
    let mut stats = table.stats.clone();
    add_flow_stats(&mut stats, &quic_table.stats);
    let _ = out.send((w, Out::Done(stats)));
}

/// One observation per server name of a hello. A hello without one is an observation too:
/// the aggregator may attribute it through the client's DNS answers.
fn push_hello(obs: &mut Vec<Observation>, p: &Pkt, tcp: bool, hello: tls::Hello) {
    let what = |name, again| match tcp {
        true => What::TlsHello {
            name,
            ech: hello.ech,
            again,
        },
        false => What::QuicHello {
            name,
            ech: hello.ech,
            again,
        },
    };
    if hello.names.is_empty() {
        obs.push(observation(p, tcp, what(String::new(), hello.retry)));
    }
    for (i, name) in hello.names.into_iter().enumerate() {
        obs.push(observation(p, tcp, what(name, hello.retry || i > 0)));
    }
}

fn observation(p: &Pkt, tcp: bool, what: What) -> Observation {
    Observation {
        order: p.order,
        ts: p.ts,
        src: p.src,
        dst: p.dst,
        sport: p.sport,
        dport: p.dport,
        tcp,
        what,
    }
}

fn push_dns(obs: &mut Vec<Observation>, p: &Pkt, tcp: bool, m: dns::Message) {
    if m.response {
        obs.push(observation(p, tcp, What::DnsAnswer { msg: m }));
    } else {
        for q in m.questions {
            obs.push(observation(
                p,
                tcp,
                What::DnsQuery {
                    name: q.name,
                    qtype: q.qtype,
                },
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_is_symmetric() {
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "fd00::2".parse().unwrap();
        for n in 1..8 {
            assert_eq!(shard(&a, &b, n), shard(&b, &a, n));
        }
    }

    /// The in-memory source (the scan fuzz target's entry) reads a capture exactly as the
    /// file source does: same observations in the same order, same packet count.
    #[test]
    fn bytes_source_reads_like_the_file() {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/captures/mixed.pcapng");
        let collect = |src: Source| {
            let mut obs = Vec::new();
            let r = run(src, 2, false, |o| obs.push(o), |_| {});
            (obs, r.inputs[0].packets, r.internal_error)
        };
        let from_file = collect(Source::Files(vec![InputPath {
            shown: "mixed.pcapng".into(),
            path: path.clone(),
        }]));
        let from_bytes = collect(Source::Bytes {
            name: "mixed.pcapng".into(),
            data: std::fs::read(&path).unwrap(),
        });
        assert!(from_file.0.len() > 10, "the capture has names to find");
        assert!(from_file.1 > 0);
        assert_eq!(from_bytes, from_file);
    }
}
