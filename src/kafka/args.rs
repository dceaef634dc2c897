//! The `--kafka...` options, in the publisher's module so that it reads its own options
//! rather than the command line's (`cli` flattens them into `scan`, `live` and `merge`).

use std::path::PathBuf;

use clap::Args;

/// Default bound of the queue between the aggregator and the broker. At the ~300 bytes of
/// an event line this holds about 200,000 events: minutes of a busy office's traffic while a
/// broker restarts, yet small next to the traffic budget (`--memcap`).
pub const DEFAULT_QUEUE: &str = "64M";

/// `--kafka-queue`: bytes, with an optional K, M or G suffix (powers of 1024).
pub fn parse_size(s: &str) -> Result<usize, String> {
    let t = s.trim();
    let (num, shift) = match t.char_indices().last() {
        Some((i, 'k' | 'K')) => (&t[..i], 10),
        Some((i, 'm' | 'M')) => (&t[..i], 20),
        Some((i, 'g' | 'G')) => (&t[..i], 30),
        _ => (t, 0),
    };
    let n: usize = num
        .parse()
        .map_err(|_| format!("{s}: expected a size such as 64M, 512K or 100000"))?;
    n.checked_shl(shift)
        .filter(|v| *v >> shift == n && *v > 0)
        .ok_or_else(|| format!("{s}: the size must be above 0 and below 2^64 bytes"))
}
/// Default time the end of a run waits for the queue to drain before counting the rest as
/// dropped: long enough for a broker that is merely slow, short enough that a sensor told to
/// stop does stop.
pub const DEFAULT_FLUSH_SECS: u64 = 10;

/// Reaching the brokers, and the topic of report snapshots: what every command that talks to
/// Kafka needs (`merge` takes only these; README "Fleet").
#[derive(Debug, Args, Clone, Default)]
pub struct KafkaConnArgs {
    /// Kafka brokers, HOST:PORT, comma-separated: scan and live publish to them, merge reads
    /// the report snapshots of --kafka-report-topic from them.
    #[arg(long, value_name = "HOST:PORT,...", value_delimiter = ',')]
    pub kafka: Vec<String>,
    /// Topic for report snapshots, keyed by --sensor: scan and live publish one at each
    /// --report-interval (live) and at the end of the run; merge reads each sensor's latest.
    #[arg(long, value_name = "TOPIC", requires = "kafka")]
    pub kafka_report_topic: Option<String>,
    /// Reach the brokers over TLS (CA certificates from --kafka-ca, else the system's).
    #[arg(long, requires = "kafka")]
    pub kafka_tls: bool,
    /// PEM file of the CA certificates that sign the brokers' certificates.
    #[arg(long, value_name = "FILE", requires = "kafka_tls")]
    pub kafka_ca: Option<PathBuf>,
    /// SASL mechanism: plain, scram-sha-256 or scram-sha-512. The user is --kafka-user; the
    /// password is read from the environment variable SHADOWDESK_KAFKA_PASSWORD, never from
    /// the command line (which other users of the machine can read).
    #[arg(long, value_name = "MECHANISM", requires = "kafka_user")]
    pub kafka_sasl: Option<String>,
    /// SASL user name (with --kafka-sasl).
    #[arg(long, value_name = "USER", requires = "kafka_sasl")]
    pub kafka_user: Option<String>,
}

/// Publishing to Kafka (scan and live): the connection, then what is published and how long
/// it may wait. Apart from [`KafkaConnArgs`] so that `merge`, which publishes nothing,
/// refuses these options rather than ignoring them.
#[derive(Debug, Args, Clone, Default)]
pub struct KafkaArgs {
    #[command(flatten)]
    pub conn: KafkaConnArgs,
    /// Topic for every event line, unchanged, keyed by the client's address.
    #[arg(long, value_name = "TOPIC", requires = "kafka")]
    pub kafka_topic: Option<String>,
    /// Bytes of events waiting for the broker (suffix K, M or G); past it, events are dropped
    /// and counted (`events_dropped_broker`).
    #[arg(long, value_name = "SIZE", default_value = DEFAULT_QUEUE,
          value_parser = parse_size)]
    pub kafka_queue: usize,
    /// Seconds the end of a run waits for queued events to reach the broker before counting
    /// them as dropped.
    #[arg(long, value_name = "SECS", default_value_t = DEFAULT_FLUSH_SECS)]
    pub kafka_flush_secs: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_binary_suffixes() {
        assert_eq!(parse_size("64M"), Ok(64 << 20));
        assert_eq!(parse_size("512k"), Ok(512 << 10));
        assert_eq!(parse_size("1G"), Ok(1 << 30));
        assert_eq!(parse_size("100000"), Ok(100_000));
        assert!(parse_size("0").is_err());
        assert!(parse_size("M").is_err());
        assert!(parse_size("-1K").is_err());
        assert!(parse_size("99999999999999999999G").is_err());
        assert!(parse_size("17179869184G").is_err());
    }
}
