//! `shadowdesk merge`: combines reports written by `scan` or `live` into the report one
//! scan of all their inputs would have written, whatever the split of the inputs and the
//! order of the reports. The rules per field are in [`combine`]; what cannot be exact is in
//! the README ("Splitting an archive across machines").

mod args;
mod baseline;
mod combine;
mod exposure;
mod owned;
mod selfhosted;
mod stats;
mod summary;
#[cfg(test)]
mod tests;
mod view;

use crate::exit::Fatal;
use crate::report::{MergedReport, RunInfo};

pub use args::MergeArgs;
pub use combine::Merged;

/// Reports larger than this are refused: a report holds at most a few thousand hosts of a
/// few kilobytes each, and the whole file is read into memory before it is parsed.
const MAX_REPORT_BYTES: u64 = 1 << 30;

/// Reads one report (also `--baseline`).
pub fn read_report(path: &str) -> Result<owned::Report, Fatal> {
    use std::io::Read as _;
    let f = std::fs::File::open(path).map_err(|e| Fatal(format!("report {path}: {e}")))?;
    let mut bytes = Vec::new();
    f.take(MAX_REPORT_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Fatal(format!("report {path}: {e}")))?;
    if bytes.len() as u64 > MAX_REPORT_BYTES {
        return Err(Fatal(format!(
            "report {path}: larger than {} MiB: not a report",
            MAX_REPORT_BYTES >> 20
        )));
    }
    parse_report(path, &bytes)
}

/// A report from its bytes (a file's, or a snapshot's from Kafka).
pub fn parse_report(name: &str, bytes: &[u8]) -> Result<owned::Report, Fatal> {
    serde_json::from_slice(bytes)
        .map_err(|e| Fatal(format!("report {name}: not a shadowdesk report: {e}")))
}

/// A flag the run was given (`--flag-visitors`, `--all-hosts`), from its command line.
fn had_flag(r: &owned::Report, flag: &str) -> bool {
    r.meta
        .command_line
        .iter()
        .take_while(|a| *a != "--")
        .any(|a| a == flag)
}

/// What must be the same in every report for their union to be one scan's: the policy
/// (by digest: the path may differ between machines), `--sanctioned`, the filters, and the
/// flags that change what a report lists.
fn settings(r: &owned::Report) -> String {
    format!(
        "policy {}, --sanctioned [{}], --host [{}], --since {}, --until {}, --flag-visitors {}, --all-hosts {}",
        r.meta.policy.as_ref().map_or("none", |p| p.sha256.as_str()),
        r.meta.sanctioned.join(","),
        r.meta.filters.host.join(","),
        r.meta.filters.since.as_deref().unwrap_or("none"),
        r.meta.filters.until.as_deref().unwrap_or("none"),
        had_flag(r, "--flag-visitors"),
        had_flag(r, "--all-hosts"),
    )
}

pub fn run(a: MergeArgs) -> Result<u8, Fatal> {
    let outputs = a.out.files();
    crate::outfile::check_all(&outputs).map_err(Fatal)?;
    let stdout_taken = outputs.iter().any(|(_, p, _)| *p == "-");
    let baseline = match &a.gate.baseline {
        Some(p) => Some(crate::baseline::Baseline::load(p).map_err(Fatal)?),
        None => None,
    };

    let mut reports = Vec::with_capacity(a.reports.len());
    for p in &a.reports {
        reports.push((p.clone(), read_report(p)?));
    }
    if let Some(o) = crate::kafka::Options::connect(&a.kafka).map_err(Fatal)? {
        let snaps = crate::kafka::fleet::latest_snapshots(&o).map_err(Fatal)?;
        if snaps.is_empty() && reports.is_empty() {
            return Err(Fatal(format!(
                "kafka {}: no report snapshot in {}",
                o.brokers.join(","),
                o.report_topic.as_deref().unwrap_or("")
            )));
        }
        for (sensor, bytes) in snaps {
            let name = format!("kafka:{sensor}");
            reports.push((name.clone(), parse_report(&name, &bytes)?));
        }
    }
    let first = &reports[0];
    let want = settings(&first.1);
    for (p, r) in &reports[1..] {
        let got = settings(r);
        if got != want {
            return Err(Fatal(format!(
                "reports {} and {p} were made with different settings, so their union is no \
                 one scan's:\n  {}: {want}\n  {p}: {got}",
                first.0, first.0
            )));
        }
    }
    let flag_visitors = had_flag(&first.1, "--flag-visitors");
    let all_hosts = had_flag(&first.1, "--all-hosts");

    let mut merged = Merged::default();
    for (p, r) in &reports {
        merged
            .add(r)
            .map_err(|e| Fatal(format!("report {p}: {e}")))?;
    }
    merged.finish(all_hosts);
    if merged.self_hosted.not_listed() > 0 {
        // A scan past the same cap says nothing in the report either.
        tracing::warn!(
            not_listed = merged.self_hosted.not_listed(),
            "merge: more self-hosted help desks than a report lists; the ones first seen latest are left out"
        );
    }

    let mut sources: Vec<MergedReport> = reports
        .iter()
        .map(|(p, r)| MergedReport {
            command_line: r.meta.command_line.clone(),
            generated_at: r.meta.generated_at,
            path: p.clone(),
        })
        .collect();
    sources.sort_by(|a, b| (&a.path, a.generated_at).cmp(&(&b.path, b.generated_at)));
    let run = RunInfo {
        command_line: std::env::args_os()
            .skip(1)
            .map(|a| a.to_string_lossy().into_owned())
            .collect(),
        filters: first.1.meta.filters.clone(),
        policy: first.1.meta.policy.clone(),
        sanctioned: first.1.meta.sanctioned.clone(),
        merged: sources,
    };
    let rules = view::Rules { flag_visitors };
    // Vendor names, catalog facts and regions come from the catalog, as in a scan.
    let catalog = crate::catalog::Catalog::builtin()
        .map_err(|e| Fatal(format!("the built-in catalog: {e}")))?;
    let mut report = merged.report(&run, &rules, &catalog);
    if let Some(b) = &baseline {
        b.apply(&mut report);
    }

    let name = |p: &str| {
        if p == "-" {
            "standard output".to_owned()
        } else {
            p.to_owned()
        }
    };
    if let Some(p) = &a.out.report {
        crate::output::write_report(p, &report)
            .map_err(|e| Fatal(format!("writing the report to {}: {e}", name(p))))?;
    }
    if let Some(p) = &a.out.html {
        let view = crate::html::PolicyView {
            file: None,
            sanctioned: run.sanctioned.clone(),
        };
        crate::html::write(p, &report, &view)
            .map_err(|e| Fatal(format!("writing the HTML report to {}: {e}", name(p))))?;
    }
    if let Some(p) = &a.out.csv {
        crate::outfile::write_whole(p, crate::csv::table(&report).as_bytes())
            .map_err(|e| Fatal(format!("writing the CSV table to {}: {e}", name(p))))?;
    }
    if !stdout_taken {
        let mut text = summary::text(&report, &rules);
        text.push_str(&crate::report::baseline::summary(&report));
        crate::output::write_stdout(&text)
            .map_err(|e| Fatal(format!("writing the summary to {e}")))?;
    }
    if report.inputs.iter().any(|i| i.error.is_some()) {
        tracing::warn!("some inputs of the merged reports were not read to their end");
    }
    Ok(a.gate.status(
        report.hosts.iter().any(|h| !h.unsanctioned.is_empty()),
        report.baseline.as_ref().is_some_and(|b| !b.new.is_empty()),
    ))
}
