//! Runs a command: validates the configuration, drives the pipeline, writes the outputs, and
//! decides the exit status (see the README's table).

use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::aggregate::{self, Aggregator};
use crate::capture;
use crate::capture::live::{LiveOptions, LiveSource};
use crate::catalog::{self, Catalog, EchFronts, Resolvers};
use crate::cli::{Cli, Command, CommonArgs, LiveArgs, ScanArgs, VendorsArgs};
use crate::consumer::{LiveSettings, Outputs};
use crate::filter::{self, Filter, Window};
use crate::memcap::Shares;
use crate::output::{self, Sink};
use crate::pipeline;
use crate::policy::Policy;
use crate::report::{Filters, PolicyFile, Report, RunInfo};
use sha2::Digest as _;

pub const EXIT_OK: u8 = 0;
pub const EXIT_UNSANCTIONED: u8 = 1;
pub const EXIT_ERROR: u8 = 2;

/// A configuration or usage error: printed as one line, exit status 2.
#[derive(Debug)]
pub struct Fatal(pub String);

pub fn run(cli: Cli) -> Result<u8, Fatal> {
    match cli.command {
        Command::Scan(a) => scan(a),
        Command::Live(a) => live(a),
        Command::Merge(a) => crate::merge::run(a),
        Command::Vendors(a) => vendors(a),
    }
}

fn load_catalog(dir: Option<&std::path::Path>) -> Result<Catalog, Fatal> {
    let builtin = Catalog::builtin().map_err(|e| Fatal(format!("built-in catalog: {e}")))?;
    match dir {
        None => Ok(builtin),
        Some(d) => {
            let extra = catalog::load_dir(d).map_err(|e| Fatal(format!("fingerprints: {e}")))?;
            builtin
                .with_overrides(extra)
                .map_err(|e| Fatal(format!("fingerprints: {e}")))
        }
    }
}

/// The built-in resolver and ECH public-name lists, plus those of a `--fingerprints` folder
/// (`encrypted-dns.resolvers`, `ech.public-names`), when it has them.
fn load_lists(dir: Option<&std::path::Path>) -> Result<(Resolvers, EchFronts), Fatal> {
    let mut resolvers =
        Resolvers::builtin().map_err(|e| Fatal(format!("built-in resolver list: {e}")))?;
    let mut fronts =
        EchFronts::builtin().map_err(|e| Fatal(format!("built-in ECH public names: {e}")))?;
    let Some(dir) = dir else {
        return Ok((resolvers, fronts));
    };
    let read = |name: &str| -> Result<Option<(String, String)>, Fatal> {
        let p = dir.join(name);
        let shown = p.display().to_string();
        match std::fs::read_to_string(&p) {
            Ok(text) => Ok(Some((shown, text))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Fatal(format!("fingerprints: {shown}: {e}"))),
        }
    };
    let bad = |e: catalog::CatalogError| Fatal(format!("fingerprints: {e}"));
    if let Some((shown, text)) = read("encrypted-dns.resolvers")? {
        resolvers.extend(Resolvers::parse(&shown, &text).map_err(bad)?);
    }
    if let Some((shown, text)) = read("ech.public-names")? {
        fronts.extend(EchFronts::parse(&shown, &text).map_err(bad)?);
    }
    Ok((resolvers, fronts))
}

/// The policy of `--policy` and `--sanctioned`, and the file's path and digest for the
/// report's `meta` (taken from the one read: a FIFO or /dev/stdin is read once).
fn load_policy(c: &CommonArgs, catalog: &Catalog) -> Result<(Policy, Option<PolicyFile>), Fatal> {
    let (mut policy, file) = match &c.policy {
        None => (Policy::default(), None),
        Some(p) => {
            let shown = p.display().to_string();
            let bytes = std::fs::read(p).map_err(|e| Fatal(format!("policy file {shown}: {e}")))?;
            let text = String::from_utf8(bytes)
                .map_err(|e| Fatal(format!("policy file {shown}: not UTF-8: {e}")))?;
            let policy = Policy::parse(&shown, &text, catalog).map_err(Fatal)?;
            let sha256 = sha2::Sha256::digest(text.as_bytes())
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            (
                policy,
                Some(PolicyFile {
                    path: shown,
                    sha256,
                }),
            )
        }
    };
    for s in &c.sanctioned {
        policy
            .allow_everywhere(s, catalog)
            .map_err(|e| Fatal(format!("--sanctioned: {e}")))?;
    }
    Ok((policy, file))
}

/// The summary's line naming the policy that applied.
fn policy_line(run: &RunInfo) -> String {
    let flag = match run.sanctioned.is_empty() {
        true => String::new(),
        false => format!("--sanctioned {}", run.sanctioned.join(",")),
    };
    match (&run.policy, flag.is_empty()) {
        (Some(f), true) => format!("policy: {} (sha256 {:.12})\n", f.path, f.sha256),
        (Some(f), false) => format!("policy: {} (sha256 {:.12}) and {flag}\n", f.path, f.sha256),
        (None, false) => format!("policy: {flag} (no policy file)\n"),
        (None, true) => {
            "policy: none (no --policy or --sanctioned: no vendor is sanctioned)\n".to_owned()
        }
    }
}

/// The values of a long flag as they appear on the command line (`--flag V` or
/// `--flag=V`), up to a `--` that ends the flags.
fn given(argv: &[String], flag: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut it = argv.iter().take_while(|a| *a != "--");
    while let Some(a) = it.next() {
        if a == flag {
            if let Some(v) = it.next() {
                out.push(v.clone());
            }
        } else if let Some(v) = a.strip_prefix(flag).and_then(|r| r.strip_prefix('=')) {
            out.push(v.to_owned());
        }
    }
    out
}

/// `--vendor` and `--only`, the ids resolved through the catalog (aliases, any case); an
/// unknown id is a usage error that suggests a near one.
fn vendor_select(c: &CommonArgs, catalog: &Catalog) -> Result<filter::VendorSelect, Fatal> {
    let mut ids = std::collections::BTreeSet::new();
    for v in c.vendor.iter().map(|v| v.trim()).filter(|v| !v.is_empty()) {
        let id =
            crate::policy::check_vendor(v, catalog).map_err(|e| Fatal(format!("--vendor: {e}")))?;
        ids.insert(id);
    }
    Ok(filter::VendorSelect {
        vendors: (!ids.is_empty()).then_some(ids),
        only: c.only,
    })
}

/// The summary's line naming the filters that applied, or "" when none did.
fn filters_line(f: &Filters) -> String {
    let mut parts = Vec::new();
    if !f.vendor.is_empty() {
        parts.push(format!("--vendor {}", f.vendor.join(",")));
    }
    if !f.host.is_empty() {
        parts.push(format!("--host {}", f.host.join(",")));
    }
    for (flag, v) in [("--since", &f.since), ("--until", &f.until)] {
        if let Some(v) = v {
            parts.push(format!("{flag} {v}"));
        }
    }
    if let Some(o) = &f.only {
        parts.push(format!("--only {o} (events only; this summary counts all)"));
    }
    match parts.is_empty() {
        true => String::new(),
        false => format!("filters: {}\n", crate::escape::text(&parts.join(", "))),
    }
}

/// What the report's `meta` says of the run.
fn run_info(policy: &Policy, file: Option<PolicyFile>, select: &filter::VendorSelect) -> RunInfo {
    let argv: Vec<String> = std::env::args_os()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let filters = Filters {
        host: given(&argv, "--host")
            .iter()
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .filter(|h| !h.is_empty())
            .map(str::to_owned)
            .collect(),
        since: given(&argv, "--since").pop(),
        until: given(&argv, "--until").pop(),
        only: select.only.map(|o| o.as_str().to_owned()),
        vendor: select.vendors.iter().flatten().cloned().collect(),
    };
    RunInfo {
        command_line: argv,
        filters,
        policy: file,
        sanctioned: policy.sanctioned_by_flag(),
        merged: Vec::new(),
    }
}

/// Exit status after SIGINT: 128 + the signal number, as a shell reports it.
pub const EXIT_SIGINT: u8 = 130;
/// Exit status after SIGTERM.
pub const EXIT_SIGTERM: u8 = 143;

fn scan(a: ScanArgs) -> Result<u8, Fatal> {
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

fn live(a: LiveArgs) -> Result<u8, Fatal> {
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
const OPEN_NOTE_AFTER: Duration = Duration::from_secs(1);

/// Opens the events sink. Opening a FIFO for writing waits for its reader; if that takes a
/// while, a note on stderr says so instead of a silent hang.
fn open_events(p: &str, live: bool) -> std::io::Result<Sink> {
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

/// The analysis shared by `scan` and `live`: configuration, pipeline, outputs, exit status.
fn analyze(
    c: &CommonArgs,
    source: impl FnOnce() -> Result<pipeline::Source, Fatal>,
    missing: Vec<(String, String)>,
    live: Option<LiveSettings>,
    interrupted_by: Option<&AtomicUsize>,
    capture_end: crate::time::TsNanos,
) -> Result<u8, Fatal> {
    let on_stdout: Vec<&str> = [
        ("--events", &c.events),
        ("--report", &c.report),
        ("--csv", &c.csv),
    ]
    .into_iter()
    .filter(|(_, p)| p.as_deref() == Some("-"))
    .map(|(f, _)| f)
    .collect();
    if on_stdout.len() > 1 {
        return Err(Fatal(format!(
            "{} - cannot {} use standard output",
            on_stdout.join(" - and "),
            if on_stdout.len() == 2 { "both" } else { "all" }
        )));
    }
    // Asked before any output is written (a report renamed over stdout's file would no
    // longer be the same file afterwards).
    let stdout_taken = [&c.events, &c.report, &c.html, &c.csv]
        .into_iter()
        .flatten()
        .any(|p| names_stdout(p));
    let catalog = load_catalog(c.fingerprints.as_deref())?;
    let (policy, policy_file) = load_policy(c, &catalog)?;
    let select = vendor_select(c, &catalog)?;
    let run = run_info(&policy, policy_file, &select);
    let (resolvers, ech_fronts) = load_lists(c.fingerprints.as_deref())?;
    let baseline = match &c.baseline {
        Some(p) => Some(crate::baseline::Baseline::load(p).map_err(Fatal)?),
        None => None,
    };
    // Every output path is checked before any is opened, so a bad --report does not cost the
    // events file its content, and a bad path fails now, not after hours of capture.
    use crate::outfile::Mode;
    let outputs: Vec<(&str, &str, Mode)> = [
        ("--events", &c.events, Mode::Stream),
        ("--report", &c.report, Mode::Whole),
        ("--html", &c.html, Mode::Whole),
        ("--csv", &c.csv, Mode::Whole),
    ]
    .into_iter()
    .filter_map(|(flag, p, mode)| p.as_deref().map(|p| (flag, p, mode)))
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
        report_path: c.report.as_deref(),
        html_path: c.html.as_deref(),
        csv_path: c.csv.as_deref(),
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
    if c.report.is_some() || c.html.is_some() || c.csv.is_some() || baseline.is_some() {
        let report = Report::build(&agg, &catalog, &all_inputs, &stats, interrupted, &run);
        if let Some(p) = &c.report {
            output::write_report(p, &report)
                .map_err(|e| Fatal(format!("writing the report to {}: {e}", output_name(p))))?;
        }
        if let Some(p) = &c.html {
            crate::html::write(p, &report, &policy_view).map_err(|e| {
                Fatal(format!(
                    "writing the HTML report to {}: {e}",
                    output_name(p)
                ))
            })?;
        }
        if let Some(p) = &c.csv {
            crate::outfile::write_whole(p, crate::csv::table(&report).as_bytes())
                .map_err(|e| Fatal(format!("writing the CSV table to {}: {e}", output_name(p))))?;
        }
        since_baseline = crate::baseline::summary(&report);
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
            c.kafka.kafka.join(",")
        );
        return Ok(EXIT_ERROR);
    }
    if c.fail_on_unsanctioned && agg.any_unsanctioned_use() {
        return Ok(EXIT_UNSANCTIONED);
    }
    if c.fail_on_new && any_new {
        return Ok(EXIT_UNSANCTIONED);
    }
    Ok(EXIT_OK)
}

/// The policy as the user gave it, for the HTML report's overview (the file was read and
/// checked by [`load_policy`] already; a second read that fails shows no text).
fn policy_view(c: &CommonArgs) -> crate::html::PolicyView {
    // Read again only for a page: a policy given as a FIFO or /dev/stdin is read once.
    if c.html.is_none() {
        return crate::html::PolicyView::default();
    }
    crate::html::PolicyView {
        file: c.policy.as_ref().map(|p| {
            let text = std::fs::read_to_string(p).unwrap_or_default();
            (p.display().to_string(), text)
        }),
        sanctioned: c.sanctioned.clone(),
    }
}

fn vendors(a: VendorsArgs) -> Result<u8, Fatal> {
    let catalog = load_catalog(a.fingerprints.as_deref())?;
    let mut out = String::new();
    if a.json {
        for v in catalog.vendors() {
            let line = output::VendorListing::new(v, &catalog.rules_of(&v.id));
            // Into a String the writer cannot fail; the listing holds only strings and bools.
            out.push_str(&serde_json::to_string(&line).unwrap_or_default());
            out.push('\n');
        }
    } else {
        out.push_str(&format!(
            "{:<26} {:<32} {:<27} DOMAINS\n",
            "ID", "NAME", "CATEGORY"
        ));
        for v in catalog.vendors() {
            let doms: Vec<String> = catalog
                .rules_of(&v.id)
                .iter()
                .map(|r| {
                    format!(
                        "{}{}[{}]",
                        r.pattern,
                        if r.strong { "" } else { "(weak)" },
                        r.endpoint.map_or("?", |e| e.as_str())
                    )
                })
                .collect();
            out.push_str(&format!(
                "{:<26} {:<32} {:<27} {}\n",
                v.id,
                v.name,
                v.category,
                doms.join(" ")
            ));
            out.push_str(&output::vendor_profile_lines(&v.profile));
        }
        out.push_str(&format!("{} vendors\n", catalog.len()));
    }
    write_stdout(&out).map_err(|e| Fatal(format!("writing the vendor list to {e}")))?;
    Ok(EXIT_OK)
}

/// Whether an output path is where standard output goes: `-`, or a name of the same file
/// (`/dev/stdout`, `/dev/fd/1`, the file stdout is redirected to). The summary then stays
/// off stdout, which carries that output.
fn names_stdout(path: &str) -> bool {
    use std::os::fd::AsFd;
    use std::os::unix::fs::MetadataExt;
    if path == "-" {
        return true;
    }
    let Ok(fd) = std::io::stdout().as_fd().try_clone_to_owned() else {
        return false;
    };
    let Ok(out) = std::fs::File::from(fd).metadata() else {
        return false;
    };
    std::fs::metadata(path).is_ok_and(|m| m.dev() == out.dev() && m.ino() == out.ino())
}

/// How an output is named in an error: its path, or "standard output" for `-`.
fn output_name(p: &str) -> &str {
    if p == "-" {
        "standard output"
    } else {
        p
    }
}

/// Writes text to standard output and flushes it, so a full disk (`> /dev/full`) is an error
/// (exit status 2) rather than lost at exit. A closed pipe (`| head`) is not an error: the
/// reader has what it wanted. The error reads "standard output: REASON".
pub fn write_stdout(text: &str) -> Result<(), String> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(format!("standard output: {e}"))
        }
        _ => Ok(()),
    }
}
