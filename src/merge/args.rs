//! `merge`'s options, beside the command they drive, so that the merge never imports the
//! command line (`cli` names them as a subcommand).

use clap::Args;

use crate::kafka::args::KafkaArgs;

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Reports written by `scan --report` or `live --report`, in any order.
    #[arg(required_unless_present = "kafka", value_name = "REPORT.json")]
    pub reports: Vec<String>,
    /// Also (or instead) the latest report snapshot of every sensor in --kafka-report-topic
    /// (README, "Fleet"); --kafka-topic and the queue options do not apply here.
    #[command(flatten)]
    pub kafka: KafkaArgs,
    /// Write the merged report to FILE; - is standard output.
    #[arg(long, value_name = "FILE")]
    pub report: Option<String>,
    /// Write the merged report as one self-contained HTML page to FILE.
    #[arg(long, value_name = "FILE")]
    pub html: Option<String>,
    /// Write the merged per-host-vendor table as CSV to FILE; - is standard output.
    #[arg(long, value_name = "FILE")]
    pub csv: Option<String>,
    /// Exit with status 1 when the merged report has unsanctioned use.
    #[arg(long)]
    pub fail_on_unsanctioned: bool,
    /// Mark what is new since this earlier report (scan, live or merge), and list what is gone.
    #[arg(long, value_name = "OLD_REPORT.json")]
    pub baseline: Option<String>,
    /// With --baseline: exit with status 1 when a host and vendor pair, a name or a tenant is
    /// new.
    #[arg(long, requires = "baseline")]
    pub fail_on_new: bool,
}
