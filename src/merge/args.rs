//! `merge`'s options, beside the command they drive, so that the merge never imports the
//! command line (`cli` names them as a subcommand).

use clap::Args;

use crate::exit::GateArgs;
use crate::kafka::args::KafkaConnArgs;
use crate::output::OutputArgs;

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Reports written by `scan --report` or `live --report`, in any order.
    #[arg(required_unless_present = "kafka", value_name = "REPORT.json")]
    pub reports: Vec<String>,
    /// Also (or instead) the latest report snapshot of every sensor in --kafka-report-topic
    /// (README, "Fleet"). Only the options that reach the brokers: merge publishes nothing.
    #[command(flatten)]
    pub kafka: KafkaConnArgs,
    #[command(flatten)]
    pub out: OutputArgs,
    #[command(flatten)]
    pub gate: GateArgs,
}
