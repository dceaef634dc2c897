//! The threads and channels: one reader, N parse workers, one aggregator.
//!
//! ```text
//! reader ──WorkBatch (per worker, every chunk)──▶ worker[i] ──Out──▶ run (merge) ──▶ sink
//!  read + decode + dispatch + shard                flow tables,       packet order
//!  (reader.rs, chunk.rs)                            extract (worker.rs)
//! ```
//!
//! The reader decodes each packet once, keeps only what a parser wants (TCP segments with
//! data or SYN/FIN/RST; UDP the dispatch table claims: DNS, possible QUIC Initials), and
//! shards it by a symmetric hash of the address pair, so both directions of a flow meet in
//! one worker and per-flow state needs no lock. Packets travel in chunks: every chunk reaches
//! every worker (possibly empty) with the reader's packet clock, and [`run`] merges the
//! workers' outputs chunk by chunk in packet order. So events come out in the same order, and
//! the report is the same, for any `--threads N`; flow idle eviction runs on the shared clock
//! for the same reason. Channels are bounded, so a slow stage slows the reader instead of
//! growing memory, and the observations between the workers and the merge are weighed
//! against a byte budget ([`inflight`]), since a chunk's packets can make far more
//! observations than packets. The types that cross stages live in [`crate::model`].

use std::collections::VecDeque;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use crossbeam_channel::bounded;

use crate::capture::live::LiveSource;
use crate::capture::InputPath;
use crate::flow::FlowStats;
use crate::memcap::Shares;
// Re-exported: they are the types of `run`'s interface, defined where every stage can use them.
pub use crate::model::{InputSummary, Observation};
use crate::stats::{LiveCounters, Stats};

mod chunk;
mod inflight;
mod reader;
mod worker;

use chunk::WorkBatch;

/// Chunks in flight per worker.
const QUEUE_DEPTH: usize = 4;

/// What a worker sends: its observations of one chunk (every chunk, even with none) with
/// their weight ([`inflight::weigh`]), or its flow counters once its input ends.
enum Out {
    Chunk(Vec<Observation>, usize),
    Done(FlowStats),
}

/// What the run gives back besides the observations it handed to `sink`.
pub struct RunResult {
    pub stats: Stats,
    pub inputs: Vec<InputSummary>,
    /// A thread panicked: a bug, reported as such (exit status 2).
    pub internal_error: Option<String>,
}

/// Where packets come from.
pub enum Source {
    /// The inputs, and a flag that stops the reading (SIGINT/SIGTERM).
    Files(Vec<InputPath>, Arc<AtomicBool>),
    /// The same, read together and merged by capture time (`--time-order`): events of
    /// several inputs come out as one timeline.
    FilesByTime(Vec<InputPath>, Arc<AtomicBool>),
    Live(LiveSource),
    /// A whole capture file held in memory, read like a file named `name`: the in-process
    /// entry the scan fuzz target (fuzz/fuzz_targets/scan.rs) drives, with no file system.
    Bytes {
        name: String,
        data: Vec<u8>,
    },
}

/// What takes the pipeline's output, on the thread that called [`run`].
pub trait Consumer {
    /// One observation; they arrive in packet order.
    fn observe(&mut self, obs: Observation);
    /// After each chunk (live capture: at least every few hundred milliseconds), with the
    /// live counters.
    fn chunk_done(&mut self, _live: &LiveCounters) {}
}

/// A closure is a consumer that only wants observations (tests, the fuzz target).
impl<F: FnMut(Observation)> Consumer for F {
    fn observe(&mut self, obs: Observation) {
        self(obs)
    }
}

/// Runs the pipeline over `source` with `threads` workers and hands its output to `consumer`.
pub fn run(
    source: Source,
    threads: usize,
    memcap: usize,
    progress: bool,
    consumer: &mut impl Consumer,
) -> RunResult {
    let live = Arc::new(LiveCounters::default());
    let threads = threads.max(1);
    let shares = Shares::split(memcap, threads);
    let in_flight = Arc::new(inflight::InFlight::new(shares.in_flight));
    let (out_tx, out_rx) = bounded::<(usize, Out)>(threads * QUEUE_DEPTH * 2);
    let mut work_txs = Vec::new();
    let mut handles = Vec::new();
    for w in 0..threads {
        let (tx, rx) = bounded::<WorkBatch>(QUEUE_DEPTH);
        work_txs.push(tx);
        let out = out_tx.clone();
        let counters = Arc::clone(&live);
        let in_flight = Arc::clone(&in_flight);
        handles.push(
            std::thread::Builder::new()
                .name(format!("worker-{w}"))
                .spawn(move || {
                    let _dies = in_flight.guard();
                    worker::worker(w, rx, out, shares, counters, &in_flight)
                })
                .expect("spawning a worker thread"),
        );
    }
    drop(out_tx);
    let counters = Arc::clone(&live);
    let reader = std::thread::Builder::new()
        .name("reader".into())
        .spawn(move || match source {
            Source::Files(inputs, stop) => {
                let inputs = inputs.into_iter().map(reader::Input::Path).collect();
                reader::read_all(inputs, work_txs, shares, progress, counters, &stop)
            }
            Source::FilesByTime(inputs, stop) => {
                let inputs = inputs.into_iter().map(reader::Input::Path).collect();
                reader::read_merged(inputs, work_txs, shares, progress, counters, &stop)
            }
            Source::Bytes { name, data } => {
                let inputs = vec![reader::Input::Bytes { name, data }];
                let stop = Arc::new(AtomicBool::new(false));
                reader::read_all(inputs, work_txs, shares, progress, counters, &stop)
            }
            Source::Live(src) => reader::read_live(src, work_txs, shares, counters),
        })
        .expect("spawning the reader thread");

    let mut pending: Vec<VecDeque<(Vec<Observation>, usize)>> =
        (0..threads).map(|_| Default::default()).collect();
    let mut flow_stats = FlowStats::default();
    let mut merged = Vec::new();
    for (w, msg) in out_rx.iter() {
        match msg {
            Out::Chunk(obs, bytes) => pending[w].push_back((obs, bytes)),
            Out::Done(fs) => flow_stats.add(&fs),
        }
        while pending.iter().all(|q| !q.is_empty()) {
            merged.clear();
            let mut bytes = 0;
            for (obs, b) in pending.iter_mut().filter_map(VecDeque::pop_front) {
                merged.extend(obs);
                bytes += b;
            }
            merged.sort_by_key(|o| o.order);
            for o in merged.drain(..) {
                consumer.observe(o);
            }
            in_flight.release(bytes);
            consumer.chunk_done(&live);
        }
    }
    // Only a bug can leave chunks here (a worker that died): hand over what there is.
    let mut rest: Vec<Observation> = pending
        .into_iter()
        .flatten()
        .flat_map(|(obs, _)| obs)
        .collect();
    rest.sort_by_key(|o| o.order);
    rest.into_iter().for_each(|o| consumer.observe(o));
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
    let (peak, waits) = in_flight.peak_and_waits();
    tracing::debug!(peak_bytes = peak, waits, "observations in flight");
    RunResult {
        stats,
        inputs,
        internal_error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The in-memory source (the scan fuzz target's entry) reads a capture exactly as the
    /// file source does: same observations in the same order, same packet count.
    #[test]
    fn bytes_source_reads_like_the_file() {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/captures/mixed.pcapng");
        let collect = |src: Source| {
            let mut obs = Vec::new();
            let r = run(src, 2, crate::memcap::DEFAULT_MEMCAP, false, &mut |o| {
                obs.push(o)
            });
            (obs, r.inputs[0].packets, r.internal_error)
        };
        let from_file = collect(Source::Files(
            vec![InputPath {
                shown: "mixed.pcapng".into(),
                path: path.clone(),
            }],
            Arc::new(AtomicBool::new(false)),
        ));
        let from_bytes = collect(Source::Bytes {
            name: "mixed.pcapng".into(),
            data: std::fs::read(&path).unwrap(),
        });
        assert!(from_file.0.len() > 10, "the capture has names to find");
        assert!(from_file.1 > 0);
        assert_eq!(from_bytes, from_file);
    }
}
