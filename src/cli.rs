//! Command-line flags (clap derive). Flag-shaped only: no I/O here; `app` validates.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// The Kafka options are the publisher's own (`kafka::args`), flattened into the commands
/// that publish.
pub use crate::kafka::args::{parse_size, KafkaArgs, DEFAULT_FLUSH_SECS, DEFAULT_QUEUE};
/// `merge`'s options sit with the command they drive, below this module.
pub use crate::merge::MergeArgs;
/// The options `scan`, `live` and `merge` share, one declaration each, below both this
/// module and `merge`: the report's files, and the exit gates with their baseline; and
/// `--fingerprints`, which `scan`, `live` and `vendors` share.
pub use crate::{catalog::CatalogArgs, exit::GateArgs, output::OutputArgs};

/// Which customer-support SaaS vendors does each host use, and which are not sanctioned?
///
/// shadowdesk reads packet captures or live interfaces, pulls the hostnames clients reveal
/// on the wire (DNS questions and answers, TLS and QUIC SNI, HTTP Host) and maps them to
/// support platforms (Zendesk, Help Scout, Intercom, Freshdesk, ...).
#[derive(Debug, Parser)]
#[command(name = "shadowdesk", version, propagate_version = true, after_help = AFTER_HELP)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// The policy grammar and the exit statuses, in brief, after `--help` of the commands that
/// take them (the README has the long form).
pub const AFTER_HELP: &str = "\
Inputs: pcap or pcapng, also compressed with gzip, zstd, xz or lz4 (recognised by their
first bytes, not their name).

Policy file (--policy FILE), one statement per line, # starts a comment:
  group NAME CIDR[, CIDR...]              a named set of hosts (IPv4/IPv6)
  allow VENDOR[, VENDOR...]               sanctioned for every host
  allow VENDOR[, ...] for GROUP|CIDR[, ...]
                                          sanctioned for those hosts only
  domain NAME[, NAME...]                  our DNS domains: names under them are ours,
                                          and so is any tenant they CNAME to
  tenant VENDOR TENANT                    a tenant of a vendor that belongs to us
  require-region CODE[,CODE...] for VENDOR[, ...]|*
                                          a tenant in use whose names show another
                                          region is a finding (unknown region: none)
  require-cert CERT[,CERT...] [for unsanctioned|for *]
                                          a vendor in use (operator, integration)
                                          whose catalog entry lacks one is a finding:
                                          high when unsanctioned, else medium
Everything not allowed is unsanctioned; --sanctioned adds vendors allowed everywhere.
Vendor ids: shadowdesk vendors.

Exit status:
  0         every input read, to its end or to where it is cut short or corrupt (a warning
            names the file and the record)
  1         --fail-on-unsanctioned, and unsanctioned vendor traffic was seen; or
            --fail-on-new, and a host and vendor pair, a name or a tenant is new since
            the --baseline report
  2         an input is not a capture at all (missing, empty, not pcap/pcapng, an archive),
            a usage or configuration error, or an output could not be written (a full disk
            included)
  130, 143  scan stopped by SIGINT or SIGTERM; the outputs cover what was read";

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan pcap/pcapng files (gzip, zstd, xz, lz4 too), folders (recursive) or - (standard
    /// input).
    #[command(after_help = AFTER_HELP)]
    Scan(ScanArgs),
    /// Capture live on one or more interfaces until SIGINT/SIGTERM, streaming events;
    /// then write the final report.
    #[command(after_help = AFTER_HELP)]
    Live(LiveArgs),
    /// Combine reports of `scan` or `live` into the report one scan of all their inputs
    /// would give (an archive split across machines, several sensors).
    #[command(after_help = AFTER_HELP)]
    Merge(MergeArgs),
    /// List the vendor catalog.
    Vendors(VendorsArgs),
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Capture files, folders, or - for standard input.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<String>,
    /// Several inputs (taps of the same period): read them together and write events in
    /// capture-time order, not file after file (each file's own order is kept).
    #[arg(long)]
    pub time_order: bool,
    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Debug, Args)]
pub struct LiveArgs {
    /// Interface to capture on (repeat for several).
    #[arg(short = 'i', long = "interface", value_name = "IFACE", required = true)]
    pub interfaces: Vec<String>,
    /// BPF capture filter; '' for none. The default keeps TCP, UDP, GRE and IP-in-IP, and
    /// every VLAN-tagged, MPLS or PPPoE frame; it drops ICMP, ARP and other chatter.
    #[arg(long, value_name = "BPF", default_value = crate::capture::live::DEFAULT_FILTER)]
    pub filter: String,
    /// Bytes captured per packet.
    #[arg(long, value_name = "BYTES", default_value_t = 65535)]
    pub snaplen: i32,
    /// Do not put the interfaces in promiscuous mode.
    #[arg(long)]
    pub no_promisc: bool,
    /// Kernel capture buffer per interface, MiB.
    #[arg(long, value_name = "MIB", default_value_t = 64)]
    pub buffer_mib: i32,
    /// Deliver each packet at once (libpcap immediate mode) instead of in kernel blocks that
    /// are handed over when full or after 20 ms. Lower latency, but packets are dropped at
    /// rates the default keeps up with (see the README's load figures).
    #[arg(long)]
    pub immediate: bool,
    /// Kernel blocks instead of immediate delivery: now the default; the flag is still accepted.
    #[arg(long, hide = true, conflicts_with = "immediate")]
    pub no_immediate: bool,
    /// Rewrite the --report file (atomically) this often.
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    pub report_interval: u64,
    /// Write a `stats` event (packets, kernel drops, flows, evictions) this often.
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    pub stats_interval: u64,
    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Debug, Args)]
pub struct CommonArgs {
    /// Write one JSON object per observation (NDJSON) to FILE; - is standard output.
    #[arg(long, value_name = "FILE")]
    pub events: Option<String>,
    #[command(flatten)]
    pub out: OutputArgs,
    /// Vendors allowed for every host, comma-separated ids (see `shadowdesk vendors`).
    #[arg(long, value_name = "ID,...")]
    pub sanctioned: Vec<String>,
    /// Policy file: which vendors are allowed for which hosts (statements below).
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// Parse worker threads (the output is the same for any number).
    #[arg(long, value_name = "N", default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub threads: u16,
    #[command(flatten)]
    pub catalog: CatalogArgs,
    /// Memory for everything traffic can fill (reassembly, fragments, per-host state, the DNS
    /// answers kept for attribution), MiB; what does not fit is dropped and counted.
    #[arg(long, value_name = "MIB", default_value_t = (crate::memcap::DEFAULT_MEMCAP >> 20) as u32,
          value_parser = clap::value_parser!(u32).range((crate::memcap::MIN_MEMCAP >> 20) as i64..=1 << 20))]
    pub memcap: u32,
    /// List every host with hidden traffic in the report, not only the first ones (past
    /// them, hosts whose only traffic has no name are counted, not listed).
    #[arg(long)]
    pub all_hosts: bool,
    #[command(flatten)]
    pub gate: GateArgs,
    /// Count visitors (hosts that only loaded a vendor's widgets or read other
    /// organisations' help centers) as unsanctioned use too, as operators and integrations are.
    #[arg(long)]
    pub flag_visitors: bool,
    /// The summary shows each role's evidence: names by endpoint role, client, sessions.
    #[arg(long)]
    pub evidence: bool,
    /// No summary on stdout. It is printed whenever stdout is free: also when --events,
    /// --report, --html or --csv write to files; not when one of them writes to -.
    #[arg(long)]
    pub no_summary: bool,
    /// The summary's times in the local time zone (TZ, else /etc/localtime), each labelled
    /// with its UTC offset, instead of UTC.
    #[arg(long)]
    pub local_time: bool,
    /// No progress bar on stderr (it shows only on a terminal).
    #[arg(long, short)]
    pub quiet: bool,
    /// Keep only observations at or after this time: RFC 3339 (2024-01-02T09:00:00Z) or
    /// relative to the end of the capture (-2h; units s, m, h, d).
    #[arg(long, value_name = "TIME", value_parser = crate::filter::Bound::parse, allow_hyphen_values = true)]
    pub since: Option<crate::filter::Bound>,
    /// Keep only observations at or before this time (same forms as --since).
    #[arg(long, value_name = "TIME", value_parser = crate::filter::Bound::parse, allow_hyphen_values = true)]
    pub until: Option<crate::filter::Bound>,
    /// Name this sensor: written as `sensor` on every event, so events of several sensors
    /// can be told apart once they are collected in one place.
    #[arg(long, value_name = "NAME")]
    pub sensor: Option<String>,
    /// Keep only these hosts (the client side), comma-separated: addresses, CIDR ranges, or
    /// devices by host name or MAC address (whichever address the device held at each
    /// observation, from DHCP, mDNS, NetBIOS and NTLM; see the README's Identity section).
    #[arg(long, value_name = "IP|CIDR|NAME|MAC,...", value_parser = crate::filter::HostSel::parse, value_delimiter = ',')]
    pub host: Vec<crate::filter::HostSel>,
    /// Keep only these vendors' observations, comma-separated ids or aliases in any case
    /// (see `shadowdesk vendors`): in events, report, summary, CSV and HTML.
    #[arg(long, value_name = "ID,...", value_delimiter = ',')]
    pub vendor: Vec<String>,
    /// Write only these events: `vendor` (a vendor matched) or `unsanctioned` (a vendor not
    /// sanctioned for the client). The event stream only: the report, summary, CSV and HTML
    /// still count every observation.
    #[arg(long, value_name = "WHAT")]
    pub only: Option<crate::filter::Only>,
    /// Hours a host name or user learnt from mDNS, NetBIOS, Kerberos or NTLM names the
    /// address's vendor events after it was last seen (DHCP bindings last their lease).
    #[arg(long, value_name = "HOURS", default_value_t = 24, value_parser = clap::value_parser!(u32).range(1..=87_600))]
    pub identity_max_age: u32,
    #[command(flatten)]
    pub kafka: KafkaArgs,
}

#[derive(Debug, Args)]
pub struct VendorsArgs {
    #[command(flatten)]
    pub catalog: CatalogArgs,
    /// One JSON object per vendor, with its domains.
    #[arg(long)]
    pub json: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn live(args: &[&str]) -> Result<LiveArgs, clap::Error> {
        let argv = ["shadowdesk", "live", "-i", "eth0"].iter().chain(args);
        match Cli::try_parse_from(argv)?.command {
            Command::Live(a) => Ok(a),
            _ => unreachable!("parsed as live"),
        }
    }

    // Kernel blocks are the default; immediate mode is asked for; the old flag for the
    // default still parses (scripts and unit files written before the change keep working)
    // and contradicts --immediate.
    #[test]
    fn immediate_mode_is_opt_in_and_the_old_flag_is_accepted() {
        assert!(!live(&[]).unwrap().immediate);
        assert!(live(&["--immediate"]).unwrap().immediate);
        let old = live(&["--no-immediate"]).unwrap();
        assert!(!old.immediate && old.no_immediate);
        let both = live(&["--immediate", "--no-immediate"]).unwrap_err();
        assert_eq!(both.kind(), clap::error::ErrorKind::ArgumentConflict);
    }
}
