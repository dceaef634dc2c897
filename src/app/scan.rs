//! `scan` and `live`: signals, the inputs or interfaces, then the shared analysis.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::capture;
use crate::capture::live::{LiveOptions, LiveSource};
use crate::cli::{LiveArgs, ScanArgs};
use crate::consumer::LiveSettings;
use crate::filter::{self, Window};
use crate::output::Sink;
use crate::pipeline;

use super::analyze::analyze;
use super::*;

pub(super) fn scan(a: ScanArgs) -> Result<u8, Fatal> {
    // SIGINT/SIGTERM stop the reading; what was read is still drained, reported (marked
    // `interrupted`) and flushed. A second signal while that runs ends the process at once,
    // with the same status.
    let stop = Arc::new(AtomicBool::new(false));
    let which = Arc::new(AtomicUsize::new(0));
    for (sig, code) in [
        (signal_hook::consts::SIGINT, EXIT_SIGINT),
        (signal_hook::consts::SIGTERM, EXIT_SIGTERM),
    ] {
        let installed = signal_hook::flag::register_conditional_shutdown(
            sig,
            i32::from(code),
            Arc::clone(&stop),
        )
        .and_then(|_| signal_hook::flag::register_usize(sig, Arc::clone(&which), sig as usize))
        .and_then(|_| signal_hook::flag::register(sig, Arc::clone(&stop)));
        installed.map_err(|e| Fatal(format!("installing signal handlers: {e}")))?;
    }
    let (inputs, missing) = capture::expand(&a.paths);
    for (p, why) in &missing {
        tracing::error!("{p}: {why}");
    }
    let window = Window {
        since: a.common.since,
        until: a.common.until,
    };
    // A relative bound counts back from the last packet, which only a first pass can find.
    let end = match window.needs_end() {
        true => filter::capture_end(&inputs).map_err(Fatal)?,
        false => 0,
    };
    let reader_stop = Arc::clone(&stop);
    let time_order = a.time_order;
    let code = analyze(
        &a.common,
        move || {
            Ok(match time_order {
                true => pipeline::Source::FilesByTime(inputs, reader_stop),
                false => pipeline::Source::Files(inputs, reader_stop),
            })
        },
        missing,
        None,
        Some(&which),
        end,
    )?;
    let sig = which.load(Ordering::Relaxed) as i32;
    if sig != 0 {
        tracing::warn!(
            signal = sig,
            "stopped by {}: the outputs cover what was read until then",
            if sig == signal_hook::consts::SIGINT {
                "SIGINT"
            } else {
                "SIGTERM"
            }
        );
    }
    Ok(match sig {
        signal_hook::consts::SIGINT => EXIT_SIGINT,
        signal_hook::consts::SIGTERM => EXIT_SIGTERM,
        _ => code,
    })
}

pub(super) fn live(a: LiveArgs) -> Result<u8, Fatal> {
    let stop = Arc::new(AtomicBool::new(false));
    let hup = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(sig, Arc::clone(&stop))
            .map_err(|e| Fatal(format!("installing signal handlers: {e}")))?;
    }
    signal_hook::flag::register(signal_hook::consts::SIGHUP, Arc::clone(&hup))
        .map_err(|e| Fatal(format!("installing signal handlers: {e}")))?;
    let opts = LiveOptions {
        interfaces: a.interfaces.clone(),
        filter: a.filter.clone(),
        snaplen: a.snaplen,
        promisc: !a.no_promisc,
        buffer_size: a.buffer_mib.saturating_mul(1024 * 1024),
        immediate: a.immediate,
    };
    let settings = LiveSettings {
        report_interval: Duration::from_secs(a.report_interval.max(1)),
        stats_interval: Duration::from_secs(a.stats_interval.max(1)),
        hup,
        interfaces: a.interfaces.clone(),
    };
    analyze(
        &a.common,
        move || {
            let src = LiveSource::open(&opts, stop).map_err(Fatal)?;
            eprintln!(
                "shadowdesk: capturing on {} (filter: {})",
                opts.interfaces.join(", "),
                if opts.filter.trim().is_empty() {
                    "none"
                } else {
                    &opts.filter
                }
            );
            Ok(pipeline::Source::Live(src))
        },
        Vec::new(),
        Some(settings),
        None,
        // Live has no capture end: a relative bound counts back from the moment the
        // sensor starts ("--since -2h" keeps everything from then on).
        crate::time::wall_clock(),
    )
}

/// How long opening the events file may take before a note says what it waits for.
pub(super) const OPEN_NOTE_AFTER: Duration = Duration::from_secs(1);

/// Opens the events sink. Opening a FIFO for writing waits for its reader; if that takes a
/// while, a note on stderr says so instead of a silent hang.
pub(super) fn open_events(p: &str, live: bool) -> std::io::Result<Sink> {
    let (tx, rx) = crossbeam_channel::bounded(1);
    let path = p.to_owned();
    std::thread::Builder::new()
        .name("open-events".into())
        .spawn(move || {
            let _ = tx.send(Sink::create(&path, live, live));
        })?;
    let gone = || std::io::Error::other("the thread opening it stopped");
    match rx.recv_timeout(OPEN_NOTE_AFTER) {
        Ok(r) => r,
        Err(crossbeam_channel::RecvTimeoutError::Timeout) => {
            tracing::warn!(path = %p, "--events {p}: waiting for a reader to open it (a FIFO?)");
            rx.recv().map_err(|_| gone())?
        }
        Err(crossbeam_channel::RecvTimeoutError::Disconnected) => Err(gone()),
    }
}
