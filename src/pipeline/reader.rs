//! The reader thread's loops, for files and for live interfaces: read each record, decode it
//! once (with IP fragment reassembly), count it, ask the dispatch table whether a parser
//! wants it, and queue it for its worker.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::Sender;

use crate::capture::live::{KernelStats, LiveSource};
use crate::capture::{self, InputPath, Next, Reader, Record};
use crate::decode::{self, Transport};
use crate::defrag::Defrag;
use crate::dispatch;
use crate::memcap::Shares;
use crate::model::InputSummary;
use crate::stats::{LiveCounters, Stats};
use crate::term::Progress;
use crate::time::TsNanos;

use super::chunk::{Chunker, WorkBatch};

mod merge;
pub(super) use merge::read_merged;

/// Live capture: the longest a packet waits in a partial chunk before it is sent on.
const LIVE_FLUSH: Duration = Duration::from_millis(200);

/// The reader's per-record work, shared by files and live capture: decode (with fragment
/// reassembly), count, and queue what the workers need.
struct ReaderCore {
    chunker: Chunker,
    defrag: Defrag,
    stats: Stats,
    order: u64,
    /// The input being read (files); live capture takes it from each record.
    input: u32,
    live: Arc<LiveCounters>,
}

impl ReaderCore {
    fn new(txs: Vec<Sender<WorkBatch>>, shares: Shares, live: Arc<LiveCounters>) -> ReaderCore {
        ReaderCore {
            chunker: Chunker::new(txs),
            defrag: Defrag::new(shares.defrag),
            stats: Stats::default(),
            order: 0,
            input: 0,
            live,
        }
    }

    fn record(&mut self, rec: &Record) {
        self.order += 1;
        // Files: `iface` is 0 and `input` the file; live: `input` stays 0, `iface` says.
        let at = (self.order, self.input.max(rec.iface));
        let stats = &mut self.stats;
        stats.packets += 1;
        stats.bytes += rec.data.len() as u64;
        if (rec.data.len() as u32) < rec.wire_len {
            stats.snapped += 1;
        }
        let mut cx = decode::Context::new(Some(&mut self.defrag), rec.ts);
        // pcapng interfaces, and live interfaces, may each have their own link type.
        let decoded = decode::decode_with(rec.linktype, rec.data, &mut cx);
        let reassembled = cx.reassembled.take();
        match decoded {
            Ok(d) => keep(&mut self.chunker, stats, &d, at, rec.ts, rec.block),
            // A fragment is not a loss: it waits for its datagram.
            Err(decode::Skip::Fragment) => {}
            Err(skip) => stats.count_skip(skip),
        }
        if let Some(packet) = reassembled {
            let mut cx = decode::Context::new(Some(&mut self.defrag), rec.ts);
            match decode::decode_ip(&packet, &mut cx) {
                Ok(d) => keep(&mut self.chunker, stats, &d, at, rec.ts, None),
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

/// One input of a scan: a path, or (the scan fuzz target's entry) a whole capture in memory.
pub(super) enum Input {
    Path(InputPath),
    Bytes { name: String, data: Vec<u8> },
}

impl Input {
    fn shown(&self) -> &str {
        match self {
            Input::Path(p) => &p.shown,
            Input::Bytes { name, .. } => name,
        }
    }

    /// Bytes of input this is, when known up front: a regular file's size (compressed or
    /// not), a capture in memory. Unknown for standard input from a pipe, FIFOs and devices.
    fn size(&self) -> Option<u64> {
        match self {
            Input::Path(p) => {
                let path = if p.shown == "-" {
                    std::path::Path::new("/dev/stdin")
                } else {
                    p.path.as_path()
                };
                std::fs::metadata(path)
                    .ok()
                    .filter(|m| m.is_file())
                    .map(|m| m.len())
            }
            Input::Bytes { data, .. } => Some(data.len() as u64),
        }
    }

    fn open(self, stop: &Arc<AtomicBool>) -> Result<OpenInput, String> {
        let o = match self {
            Input::Path(p) => capture::open_input(&p, stop)?,
            Input::Bytes { data, .. } => capture::open_bytes(data)?,
        };
        let compression = o.compression;
        let reader = Reader::from_reader(o.read).map_err(|e| match compression {
            Some(c) => format!("{c}-compressed, and what it holds: {e}"),
            None => e,
        })?;
        Ok(OpenInput {
            reader,
            check_stop: o.caller_checks_stop,
            compression,
            consumed: o.consumed,
        })
    }
}

/// An input ready to read.
struct OpenInput {
    reader: Reader,
    /// Whether the loop must check `stop` between records (see `capture::Opened`).
    check_stop: bool,
    compression: Option<capture::Compression>,
    /// Compressed bytes consumed, when compressed.
    consumed: Option<Arc<AtomicU64>>,
}

impl OpenInput {
    /// Bytes of the input consumed so far: what the progress line counts.
    fn consumed(&self) -> u64 {
        match &self.consumed {
            Some(c) => c.load(Ordering::Relaxed),
            None => self.reader.bytes_in,
        }
    }
}

/// Opens input `k` and checks its link type. `None` when it cannot be read: `sum` then says
/// why, and `done` has counted its bytes.
fn open_checked(
    k: usize,
    input: Input,
    stop: &Arc<AtomicBool>,
    progress: Option<&Progress>,
    sum: &mut InputSummary,
    done: &mut u64,
) -> Option<OpenInput> {
    let shown = sum.path.clone();
    let size = input.size();
    if stop.load(Ordering::Relaxed) {
        sum.error = Some("not read: interrupted by a signal".into());
        return None;
    }
    if let Some(p) = progress {
        p.input(k + 1, &shown, None);
    }
    let open = match input.open(stop) {
        Ok(r) => r,
        Err(_) if stop.load(Ordering::Relaxed) => {
            sum.error = Some("not read: interrupted by a signal".into());
            return None;
        }
        Err(e) => {
            tracing::error!(file = %shown, "{e}");
            sum.error = Some(e);
            sum.fatal = true;
            *done += size.unwrap_or(0);
            return None;
        }
    };
    if let (Some(p), Some(c)) = (progress, open.compression) {
        p.input(k + 1, &shown, Some(&c.to_string()));
    }
    let lt = open.reader.linktype;
    sum.linktype = Some(decode::linktype::name(lt));
    if !decode::linktype::supported(lt) {
        let msg = format!(
            "link type {} is not supported; file skipped",
            decode::linktype::name(lt)
        );
        tracing::warn!(file = %shown, linktype = lt, "{msg}");
        sum.error = Some(msg);
        *done += size.unwrap_or(0);
        return None;
    }
    Some(open)
}

/// The progress bar, when asked for and stderr is a terminal, sized by the inputs' bytes.
fn start_progress(progress: bool, inputs: &[Input]) -> Option<Progress> {
    (progress && std::io::stderr().is_terminal()).then(|| {
        let sizes: Option<Vec<u64>> = inputs.iter().map(Input::size).collect();
        Progress::start(sizes.map(|s| s.iter().sum()), inputs.len())
    })
}

fn summary_of(input: &Input) -> InputSummary {
    InputSummary {
        path: input.shown().to_owned(),
        packets: 0,
        linktype: None,
        error: None,
        fatal: false,
    }
}

/// Reads the inputs one after the other, in the order given.
pub(super) fn read_all(
    inputs: Vec<Input>,
    txs: Vec<Sender<WorkBatch>>,
    shares: Shares,
    progress: bool,
    live: Arc<LiveCounters>,
    stop: &Arc<AtomicBool>,
) -> (Stats, Vec<InputSummary>) {
    let mut core = ReaderCore::new(txs, shares, live);
    let mut summaries = Vec::new();
    let progress = start_progress(progress, &inputs);
    // Bytes of the inputs before the current one.
    let mut done: u64 = 0;
    let mut next_progress = Instant::now();
    for (k, input) in inputs.into_iter().enumerate() {
        core.input = u32::try_from(k).unwrap_or(u32::MAX);
        let size = input.size();
        let mut sum = summary_of(&input);
        let Some(mut open) = open_checked(k, input, stop, progress.as_ref(), &mut sum, &mut done)
        else {
            summaries.push(sum);
            continue;
        };
        let shown = sum.path.clone();
        // The input ends early once `stop` is set: checked here between records for files,
        // and by the stream thread of FIFOs and stdin (see `capture::open_input`).
        let mut interrupted = false;
        let check_stop = open.check_stop;
        loop {
            if check_stop && stop.load(Ordering::Relaxed) {
                interrupted = true;
                break;
            }
            match open.reader.next_record() {
                Next::Record(r) => core.record(&r),
                Next::End => {
                    interrupted = stop.load(Ordering::Relaxed);
                    break;
                }
                Next::Idle => continue,
                // A stream stopped by a signal ends where it was: not a fault of the file.
                Next::Cut(_) if stop.load(Ordering::Relaxed) => {
                    interrupted = true;
                    break;
                }
                Next::Cut(why) => {
                    cut_short(&mut sum, &shown, &why, open.reader.records);
                    break;
                }
            };
            // A clock read per 4096 records, a bar update every 100 ms: nothing measurable.
            if let Some(p) = &progress {
                if core.stats.packets.is_multiple_of(4096) && Instant::now() >= next_progress {
                    next_progress = Instant::now() + PROGRESS_EVERY;
                    p.set(done + open.consumed());
                }
            }
        }
        finish_input(&mut sum, &open, interrupted);
        summaries.push(sum);
        // The whole input counts as done, also when it was cut short.
        done += size.unwrap_or_else(|| open.consumed());
        if let Some(p) = &progress {
            p.set(done);
        }
    }
    // Dropping the bar clears it before the summary is printed.
    drop(progress);
    let stats = core.finish();
    (stats, summaries)
}

/// An input that stops inside a record or is corrupt there: warned and noted.
fn cut_short(sum: &mut InputSummary, shown: &str, why: &str, records: u64) {
    let msg = format!("{why}; the {records} records before it were read");
    tracing::warn!(file = %shown, records_read = records, "{msg}");
    sum.error = Some(msg);
}

/// Notes an input's records, and a signal that ended it early.
fn finish_input(sum: &mut InputSummary, open: &OpenInput, interrupted: bool) {
    sum.packets = open.reader.records;
    if interrupted {
        sum.error = Some(format!(
            "interrupted by a signal after {} records",
            open.reader.records
        ));
    }
}

/// How often the progress bar is given the reader's position.
const PROGRESS_EVERY: Duration = Duration::from_millis(100);

fn publish_kernel(live: &LiveCounters, k: KernelStats) {
    live.kernel_received.store(k.received, Ordering::Relaxed);
    live.kernel_dropped.store(k.dropped, Ordering::Relaxed);
    live.if_dropped.store(k.if_dropped, Ordering::Relaxed);
}

pub(super) fn read_live(
    mut src: LiveSource,
    txs: Vec<Sender<WorkBatch>>,
    shares: Shares,
    live: Arc<LiveCounters>,
) -> (Stats, Vec<InputSummary>) {
    let mut core = ReaderCore::new(txs, shares, Arc::clone(&live));
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

/// Counts a decoded packet and queues it when a parser wants it: TCP segments with data or
/// SYN/FIN/RST (the flow table needs those to follow a connection), UDP the dispatch table
/// claims.
fn keep(
    chunker: &mut Chunker,
    stats: &mut Stats,
    d: &decode::Decoded,
    at: (u64, u32),
    ts: TsNanos,
    block: Option<&Arc<Vec<u8>>>,
) {
    if d.truncated {
        stats.truncated += 1;
    }
    if let Transport::Tcp(t) = d.transport {
        if d.payload.is_empty() && !(t.syn || t.fin || t.rst) {
            return;
        }
    }
    if let Some(protocol) = dispatch::protocol(d) {
        chunker.push(d, protocol, at, ts, block);
    }
}
