//! The analysis `scan` and `live` share: configuration, pipeline, outputs, exit status.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use crate::aggregate::{self, Aggregator};
use crate::cli::CommonArgs;
use crate::consumer::{LiveSettings, Outputs};
use crate::filter::{Filter, Window};
use crate::memcap::Shares;
use crate::output::{self};
use crate::pipeline;
use crate::report::Report;

use super::scan::open_events;
use super::setup::*;
use super::*;

pub(super) fn analyze(
    c: &CommonArgs,
    source: impl FnOnce() -> Result<pipeline::Source, Fatal>,
    missing: Vec<(String, String)>,
    live: Option<LiveSettings>,
    interrupted_by: Option<&AtomicUsize>,
    capture_end: crate::time::TsNanos,
) -> Result<u8, Fatal> {
    // Asked before any output is written (a report renamed over stdout's file would no
    // longer be the same file afterwards).
    let stdout_taken = [&c.events, &c.out.report, &c.out.html, &c.out.csv]
        .into_iter()
        .flatten()
        .any(|p| names_stdout(p));
    let catalog = load_catalog(c.catalog.fingerprints.as_deref())?;
    let (policy, policy_file) = load_policy(c, &catalog)?;
    let select = vendor_select(c, &catalog)?;
    let run = run_info(&policy, policy_file, &select);
    let (resolvers, ech_fronts) = load_lists(c.catalog.fingerprints.as_deref())?;
    let baseline = match &c.gate.baseline {
        Some(p) => Some(crate::baseline::Baseline::load(p).map_err(Fatal)?),
        None => None,
    };
    // Every output path is checked before any is opened, so a bad --report does not cost the
    // events file its content, and a bad path fails now, not after hours of capture.
    use crate::outfile::Mode;
    let outputs: Vec<(&str, &str, Mode)> = (c.events.as_deref())
        .map(|p| ("--events", p, Mode::Stream))
        .into_iter()
        .chain(c.out.files())
        .collect();
    crate::outfile::check_all(&outputs).map_err(Fatal)?;
    // Live: append (a restart or a rotation never clobbers a file) and flush every line.
    let events = match &c.events {
        None => None,
        Some(p) => Some(
            open_events(p, live.is_some())
                .map_err(|e| Fatal(format!("cannot write events to {}: {e}", output_name(p))))?,
        ),
    };
    let kafka =
        match crate::kafka::Options::from_args(&c.kafka, c.sensor.as_deref()).map_err(Fatal)? {
            Some(o) => Some(crate::kafka::Publisher::start(o).map_err(Fatal)?),
            None => None,
        };
    let source = source()?;
    let policy_view = policy_view(c);
    // The names events give `Observation::input`, by index.
    let input_names: Vec<String> = match &source {
        pipeline::Source::Files(inputs, _) | pipeline::Source::FilesByTime(inputs, _) => {
            inputs.iter().map(|p| p.shown.clone()).collect()
        }
        pipeline::Source::Bytes { name, .. } => vec![name.clone()],
        pipeline::Source::Live(src) => src.names.iter().map(|n| format!("interface:{n}")).collect(),
    };

    let window = Window {
        since: c.since,
        until: c.until,
    };
    let filter = Filter::new(window, c.host.clone(), capture_end);
    let mut outputs = Outputs {
        filter: filter.clone(),
        agg: Aggregator::new(
            &catalog,
            &policy,
            &resolvers,
            &ech_fronts,
            aggregate::Limits::new(
                &Shares::split((c.memcap as usize) << 20, c.threads as usize),
                c.all_hosts,
            ),
        )
        .with_flag_visitors(c.flag_visitors)
        .with_identity(filter, i64::from(c.identity_max_age) * 3_600_000_000_000)
        .with_origins(input_names, c.sensor.clone())
        .with_baseline(baseline.as_ref())
        .with_select(select),
        catalog: &catalog,
        events,
        events_path: c.events.as_deref(),
        report_path: c.out.report.as_deref(),
        html_path: c.out.html.as_deref(),
        csv_path: c.out.csv.as_deref(),
        run: &run,
        policy_view: &policy_view,
        live: live.as_ref(),
        write_err: None,
        line: Vec::with_capacity(512),
        events_written: 0,
        last_report: Instant::now(),
        last_stats: Instant::now(),
        last_drops: 0,
        kafka,
    };
    let result = pipeline::run(
        source,
        c.threads as usize,
        (c.memcap as usize) << 20,
        !c.quiet,
        &mut outputs,
    );
    let Outputs {
        agg,
        mut events,
        mut write_err,
        kafka,
        ..
    } = outputs;
    if let Some(sink) = events.as_mut() {
        if let Err(e) = sink.flush() {
            write_err.get_or_insert(e);
        }
    }
    if let Some(e) = write_err {
        return Err(Fatal(format!(
            "writing events to {}: {e}",
            output_name(c.events.as_deref().unwrap_or("-"))
        )));
    }
    let mut all_inputs = result.inputs;
    for (p, why) in missing {
        all_inputs.push(pipeline::InputSummary {
            path: p,
            packets: 0,
            linktype: None,
            error: Some(why),
            fatal: true,
        });
    }
    let interrupted = interrupted_by.is_some_and(|w| w.load(Ordering::Relaxed) != 0);
    let mut stats = result.stats;
    if let Some(k) = kafka {
        // The last snapshot goes out before the queue is drained; the report written to
        // files then carries the final delivery counts.
        if k.wants_reports() {
            stats.kafka = Some(k.stats());
            let r = Report::build(&agg, &catalog, &all_inputs, &stats, interrupted, &run);
            k.report(r.to_bytes());
        }
        stats.kafka = Some(k.finish());
    }
    let kafka_lost = stats
        .kafka
        .is_some_and(|k| k.events_dropped_broker + k.reports_dropped > 0);
    // --baseline: the summary's section and --fail-on-new read the marked report.
    let mut since_baseline = String::new();
    let mut any_new = false;
    if c.out.any() || baseline.is_some() {
        let report = Report::build(&agg, &catalog, &all_inputs, &stats, interrupted, &run);
        if let Some(p) = &c.out.report {
            output::write_report(p, &report)
                .map_err(|e| Fatal(format!("writing the report to {}: {e}", output_name(p))))?;
        }
        if let Some(p) = &c.out.html {
            crate::html::write(p, &report, &policy_view).map_err(|e| {
                Fatal(format!(
                    "writing the HTML report to {}: {e}",
                    output_name(p)
                ))
            })?;
        }
        if let Some(p) = &c.out.csv {
            crate::outfile::write_whole(p, crate::csv::table(&report).as_bytes())
                .map_err(|e| Fatal(format!("writing the CSV table to {}: {e}", output_name(p))))?;
        }
        since_baseline = crate::report::baseline::summary(&report);
        any_new = report.baseline.as_ref().is_some_and(|b| !b.new.is_empty());
    }
    // The summary goes wherever stdout is free: also next to outputs written to files.
    if !stdout_taken && !c.no_summary {
        let look = output::Look {
            evidence: c.evidence,
            local_time: c.local_time,
        };
        let mut text = output::summary_with(&agg, &catalog, &all_inputs, &stats, look);
        // Under the header line: which policy the verdicts below come from.
        let at = text.find('\n').map_or(text.len(), |i| i + 1);
        text.insert_str(at, &(policy_line(&run) + &filters_line(&run.filters)));
        text.push_str(&since_baseline);
        write_stdout(&text).map_err(|e| Fatal(format!("writing the summary to {e}")))?;
    }
    if let Some(e) = &result.internal_error {
        tracing::error!(error = %e, "internal error");
        return Ok(EXIT_ERROR);
    }
    if all_inputs.iter().any(|i| i.fatal) {
        return Ok(EXIT_ERROR);
    }
    if let Some(k) = stats.kafka.filter(|_| kafka_lost) {
        // An output that lost lines is a write failure, as a full disk is for --events.
        tracing::error!(
            "kafka: {} events and {} report snapshots were not delivered to {} (see stats.kafka)",
            k.events_dropped_broker,
            k.reports_dropped,
            c.kafka.conn.kafka.join(",")
        );
        return Ok(EXIT_ERROR);
    }
    Ok(c.gate.status(agg.any_unsanctioned_use(), any_new))
}
