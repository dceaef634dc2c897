//! Runs a command: validates the configuration, drives the pipeline, writes the outputs, and
//! decides the exit status (see the README's table).

use std::io::Write;

use crate::aggregate::Aggregator;
use crate::capture;
use crate::catalog::{self, Catalog};
use crate::cli::{Cli, Command, CommonArgs, ScanArgs, VendorsArgs};
use crate::output::{self, Sink};
use crate::pipeline;
use crate::policy::Policy;

pub const EXIT_OK: u8 = 0;
pub const EXIT_UNSANCTIONED: u8 = 1;
pub const EXIT_ERROR: u8 = 2;

/// A configuration or usage error: printed as one line, exit status 2.
#[derive(Debug)]
pub struct Fatal(pub String);

pub fn run(cli: Cli) -> Result<u8, Fatal> {
    match cli.command {
        Command::Scan(a) => scan(a),
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

fn load_policy(c: &CommonArgs, catalog: &Catalog) -> Result<Policy, Fatal> {
    let mut policy = match &c.policy {
        None => Policy::default(),
        Some(p) => {
            let shown = p.display().to_string();
            let text = std::fs::read_to_string(p)
                .map_err(|e| Fatal(format!("policy file {shown}: {e}")))?;
            Policy::parse(&shown, &text, catalog).map_err(Fatal)?
        }
    };
    for s in &c.sanctioned {
        policy
            .allow_everywhere(s, catalog)
            .map_err(|e| Fatal(format!("--sanctioned: {e}")))?;
    }
    Ok(policy)
}

fn open_sink(path: &Option<String>, what: &str) -> Result<Option<Sink>, Fatal> {
    match path {
        None => Ok(None),
        Some(p) => Sink::create(p)
            .map(Some)
            .map_err(|e| Fatal(format!("cannot write {what} to {p}: {e}"))),
    }
}

fn scan(a: ScanArgs) -> Result<u8, Fatal> {
    let c = &a.common;
    if c.events.as_deref() == Some("-") && c.report.as_deref() == Some("-") {
        return Err(Fatal(
            "--events - and --report - cannot both use standard output".into(),
        ));
    }
    let catalog = load_catalog(c.fingerprints.as_deref())?;
    let policy = load_policy(c, &catalog)?;
    let (inputs, missing) = capture::expand(&a.paths);
    for (p, why) in &missing {
        tracing::error!("{p}: {why}");
    }
    let mut events = open_sink(&c.events, "events")?;
    let mut report_sink = open_sink(&c.report, "the report")?;

    let mut agg = Aggregator::new(&catalog, &policy);
    let mut write_err: Option<std::io::Error> = None;
    let mut line = Vec::with_capacity(512);
    let result = pipeline::run(&inputs, c.threads as usize, !c.quiet, |obs| {
        let want_line = events.is_some() && write_err.is_none();
        if agg.observe(&obs, want_line.then_some(&mut line)) && want_line {
            if let Some(sink) = events.as_mut() {
                if let Err(e) = sink.write_line(&line) {
                    write_err = Some(e);
                }
            }
        }
    });
    if let Some(sink) = events.as_mut() {
        if let Err(e) = sink.flush() {
            write_err.get_or_insert(e);
        }
    }
    if let Some(e) = write_err {
        return Err(Fatal(format!("writing events: {e}")));
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
    if let Some(sink) = report_sink.as_mut() {
        let doc = output::report(&agg, &catalog, &all_inputs, &result.stats);
        sink.write_pretty(&doc)
            .and_then(|_| sink.flush())
            .map_err(|e| Fatal(format!("writing the report: {e}")))?;
    }
    if c.events.is_none() && c.report.is_none() {
        let text = output::summary(&agg, &catalog, &all_inputs, &result.stats);
        let mut out = std::io::stdout().lock();
        if let Err(e) = out.write_all(text.as_bytes()) {
            if e.kind() != std::io::ErrorKind::BrokenPipe {
                return Err(Fatal(format!("writing the summary: {e}")));
            }
        }
    }
    if let Some(e) = &result.internal_error {
        tracing::error!("internal error: {e}");
        return Ok(EXIT_ERROR);
    }
    if all_inputs.iter().any(|i| i.fatal) {
        return Ok(EXIT_ERROR);
    }
    if c.fail_on_unsanctioned && agg.unsanctioned_events > 0 {
        return Ok(EXIT_UNSANCTIONED);
    }
    Ok(EXIT_OK)
}

fn vendors(a: VendorsArgs) -> Result<u8, Fatal> {
    let catalog = load_catalog(a.fingerprints.as_deref())?;
    let mut out = String::new();
    if a.json {
        for v in catalog.vendors() {
            let domains: Vec<serde_json::Value> = catalog
                .rules_of(&v.id)
                .iter()
                .map(|r| {
                    serde_json::json!({"pattern": r.pattern, "strength": if r.strong {"strong"} else {"weak"},
                        "exact": r.exact, "tenant": r.tenant})
                })
                .collect();
            let j = serde_json::json!({"id": v.id, "name": v.name, "product": v.product,
                "category": v.category, "domains": domains});
            out.push_str(&j.to_string());
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
                .map(|r| format!("{}{}", r.pattern, if r.strong { "" } else { "(weak)" }))
                .collect();
            out.push_str(&format!(
                "{:<26} {:<32} {:<27} {}\n",
                v.id,
                v.name,
                v.category,
                doms.join(" ")
            ));
        }
        out.push_str(&format!("{} vendors\n", catalog.len()));
    }
    let _ = std::io::stdout().lock().write_all(out.as_bytes());
    Ok(EXIT_OK)
}
