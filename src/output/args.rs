//! The report's files, as options: `scan`, `live` and `merge` each flatten [`OutputArgs`],
//! so that one help text describes them for every command that writes a report.

use crate::outfile::Mode;

/// `--report`, `--html` and `--csv`: the whole-report outputs. (`--events` is scan and
/// live's alone: a merge has no events.)
#[derive(Debug, Clone, Default, clap::Args)]
pub struct OutputArgs {
    /// Write the per-host report as one JSON document to FILE; - is standard output.
    #[arg(long, value_name = "FILE")]
    pub report: Option<String>,
    /// Write the report as one self-contained HTML page to FILE (matrix, timelines,
    /// details; no network access needed to view it). Live: rewritten with --report.
    #[arg(long, value_name = "FILE")]
    pub html: Option<String>,
    /// Write the per-host-vendor table as CSV (RFC 4180) to FILE; - is standard output.
    /// Live: rewritten with --report.
    #[arg(long, value_name = "FILE")]
    pub csv: Option<String>,
}

impl OutputArgs {
    /// The files asked for, with their flags, for `outfile::check_all`: each is written
    /// whole, at the end (live: at each report).
    pub fn files(&self) -> Vec<(&'static str, &str, Mode)> {
        [
            ("--report", &self.report),
            ("--html", &self.html),
            ("--csv", &self.csv),
        ]
        .into_iter()
        .filter_map(|(flag, p)| p.as_deref().map(|p| (flag, p, Mode::Whole)))
        .collect()
    }

    /// Whether any of them is asked for.
    pub fn any(&self) -> bool {
        self.report.is_some() || self.html.is_some() || self.csv.is_some()
    }
}
