//! `--time-order`: the inputs read together and merged by capture time (a k-way merge on
//! each input's next record), so two captures of the same period, from two taps, come out as
//! one timeline. Within an input the file's own order is kept, even where its timestamps go
//! back; across inputs a tie goes to the input named first.
//!
//! The merge holds one record per input, zero-copy: the reader's block it lies in (an `Arc`)
//! and its range. Memory grows with the number of inputs, not with their size.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use crossbeam_channel::Sender;

use super::{
    cut_short, finish_input, open_checked, read_all, start_progress, summary_of, Input, OpenInput,
    ReaderCore, PROGRESS_EVERY,
};
use crate::capture::{Next, Record};
use crate::memcap::Shares;
use crate::model::InputSummary;
use crate::pipeline::chunk::WorkBatch;
use crate::stats::{LiveCounters, Stats};
use crate::time::TsNanos;

/// Most inputs merged at once. Each one merged is open at the same time: a file descriptor,
/// the reader's 1 MiB block and its reuse pool, and a decompressor's window for a compressed
/// capture (xz and zstd windows reach 64 MiB or more). Past this, the inputs are read one
/// after the other, with a warning, rather than risk the memory of hundreds of open readers.
pub(in crate::pipeline) const MAX_MERGED: usize = 64;

/// The next record of one input, held while the other inputs' records are compared with it.
struct Head {
    ts: TsNanos,
    linktype: i32,
    wire_len: u32,
    iface: u32,
    /// The block the record lies in (the reader's own, shared, or a copy when it has none).
    block: Arc<Vec<u8>>,
    start: usize,
    len: usize,
}

impl Head {
    fn new(r: &Record<'_>) -> Head {
        // The record's place in its block: the reader hands out ranges of shared blocks, so
        // holding the block keeps the bytes without a copy.
        let within = r.block.and_then(|b| {
            let start = (r.data.as_ptr() as usize).checked_sub(b.as_ptr() as usize)?;
            (start.checked_add(r.data.len())? <= b.len()).then(|| (Arc::clone(b), start))
        });
        let (block, start) = within.unwrap_or_else(|| (Arc::new(r.data.to_vec()), 0));
        Head {
            ts: r.ts,
            linktype: r.linktype,
            wire_len: r.wire_len,
            iface: r.iface,
            block,
            start,
            len: r.data.len(),
        }
    }

    fn record(&self) -> Record<'_> {
        Record {
            ts: self.ts,
            linktype: self.linktype,
            data: &self.block[self.start..self.start + self.len],
            wire_len: self.wire_len,
            block: Some(&self.block),
            iface: self.iface,
        }
    }
}

/// One input being merged.
struct Open {
    input: OpenInput,
    sum: InputSummary,
    interrupted: bool,
    /// Bytes it holds, when known (for the progress line once it ends).
    size: Option<u64>,
}

impl Open {
    /// The input's next record, or `None` at its end (noted in its summary).
    fn advance(&mut self, stop: &AtomicBool) -> Option<Head> {
        loop {
            if self.input.check_stop && stop.load(Ordering::Relaxed) {
                self.interrupted = true;
                return None;
            }
            match self.input.reader.next_record() {
                Next::Record(r) => return Some(Head::new(&r)),
                Next::Idle => continue,
                end => {
                    let cut = match end {
                        Next::Cut(why) => Some(why),
                        _ => None,
                    };
                    self.ended(cut, stop);
                    return None;
                }
            }
        }
    }

    /// Notes how the input ended: at its end, cut short, or stopped by a signal.
    fn ended(&mut self, cut: Option<String>, stop: &AtomicBool) {
        let stopped = stop.load(Ordering::Relaxed);
        match cut {
            // A stream stopped by a signal ends where it was: not a fault of the file.
            Some(why) if !stopped => {
                let (records, shown) = (self.input.reader.records, self.sum.path.clone());
                cut_short(&mut self.sum, &shown, &why, records);
            }
            _ => self.interrupted = stopped,
        }
    }
}

/// Reads the inputs merged by capture time; see the module's comment. One input, or more
/// than [`MAX_MERGED`], are read as [`read_all`] does.
pub(in crate::pipeline) fn read_merged(
    inputs: Vec<Input>,
    txs: Vec<Sender<WorkBatch>>,
    shares: Shares,
    progress: bool,
    live: Arc<LiveCounters>,
    stop: &Arc<AtomicBool>,
) -> (Stats, Vec<InputSummary>) {
    if inputs.len() > MAX_MERGED {
        tracing::warn!(
            inputs = inputs.len(),
            max = MAX_MERGED,
            "--time-order merges at most {MAX_MERGED} inputs; these {} are read one after the other",
            inputs.len()
        );
    }
    if inputs.len() < 2 || inputs.len() > MAX_MERGED {
        return read_all(inputs, txs, shares, progress, live, stop);
    }
    let mut core = ReaderCore::new(txs, shares, live);
    let progress = start_progress(progress, &inputs);
    let mut done: u64 = 0;
    let mut open: Vec<Result<Open, InputSummary>> = Vec::with_capacity(inputs.len());
    for (k, input) in inputs.into_iter().enumerate() {
        let size = input.size();
        let mut sum = summary_of(&input);
        open.push(
            match open_checked(k, input, stop, progress.as_ref(), &mut sum, &mut done) {
                Some(input) => Ok(Open {
                    input,
                    sum,
                    interrupted: false,
                    size,
                }),
                None => Err(sum),
            },
        );
    }
    let mut heads: Vec<Option<Head>> = Vec::with_capacity(open.len());
    // (time, input): the earliest record first, a tie to the input named first.
    let mut queue: BinaryHeap<Reverse<(TsNanos, usize)>> = BinaryHeap::new();
    for (k, o) in open.iter_mut().enumerate() {
        let head = o.as_mut().ok().and_then(|o| o.advance(stop));
        if let Some(h) = &head {
            queue.push(Reverse((h.ts, k)));
        }
        heads.push(head);
    }
    let mut next_progress = Instant::now();
    while let Some(Reverse((_, k))) = queue.pop() {
        let Some(head) = heads[k].take() else {
            continue;
        };
        // What the other inputs have consumed: they stand still while this one is read.
        let others: u64 = match progress {
            Some(_) => heads
                .iter()
                .zip(&open)
                .filter(|(h, _)| h.is_some())
                .filter_map(|(_, o)| o.as_ref().ok())
                .map(|o| o.input.consumed())
                .sum(),
            None => 0,
        };
        let Ok(o) = &mut open[k] else { continue };
        core.input = u32::try_from(k).unwrap_or(u32::MAX);
        core.record(&head.record());
        // Let go of the block before reading on, so the reader can reuse it.
        drop(head);
        // Read on in this input while its records come before every other input's next
        // one: no queue work and no held block per record, so inputs that do not overlap
        // in time (hourly files) cost next to nothing over reading them in turn.
        let limit = queue.peek().map(|Reverse(at)| *at);
        loop {
            if o.input.check_stop && stop.load(Ordering::Relaxed) {
                o.interrupted = true;
                done += o.size.unwrap_or_else(|| o.input.consumed());
                break;
            }
            match o.input.reader.next_record() {
                Next::Record(r) if limit.is_none_or(|at| (r.ts, k) < at) => core.record(&r),
                Next::Record(r) => {
                    let h = Head::new(&r);
                    queue.push(Reverse((h.ts, k)));
                    heads[k] = Some(h);
                    break;
                }
                Next::Idle => continue,
                end => {
                    let cut = match end {
                        Next::Cut(why) => Some(why),
                        _ => None,
                    };
                    o.ended(cut, stop);
                    done += o.size.unwrap_or_else(|| o.input.consumed());
                    break;
                }
            }
            if let Some(p) = &progress {
                if core.stats.packets.is_multiple_of(4096) && Instant::now() >= next_progress {
                    next_progress = Instant::now() + PROGRESS_EVERY;
                    p.input(k + 1, &o.sum.path, None);
                    p.set(done + others + o.input.consumed());
                }
            }
        }
    }
    drop(progress);
    let summaries = open
        .into_iter()
        .map(|o| match o {
            Ok(mut o) => {
                finish_input(&mut o.sum, &o.input, o.interrupted);
                o.sum
            }
            Err(sum) => sum,
        })
        .collect();
    (core.finish(), summaries)
}
