//! Kafka output (`--kafka`): every event line, unchanged, keyed by the client address (so one
//! host's events stay in order on one partition), and report snapshots keyed by the sensor
//! name. A thread of its own publishes them, so capture never waits for the broker: the
//! aggregator hands each line to a queue bounded in bytes, and what does not fit is counted
//! as dropped, never lost silently. Delivery is acknowledged by every in-sync replica
//! (`acks=all`, which rskafka always asks for). `fleet` reads the snapshots back for
//! `merge --kafka`.

pub mod args;
pub mod fleet;
pub mod partition;
mod worker;

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::Sender;
use rskafka::client::{Credentials, SaslConfig};

/// How to reach the broker and what to publish.
#[derive(Clone)]
pub struct Options {
    /// `host:port` of one or more brokers (the bootstrap list).
    pub brokers: Vec<String>,
    /// Every event line goes here.
    pub events_topic: Option<String>,
    /// Report snapshots go here, keyed by the sensor name.
    pub report_topic: Option<String>,
    pub tls: Option<Arc<rustls::ClientConfig>>,
    pub sasl: Option<SaslConfig>,
    pub queue_bytes: usize,
    pub flush_timeout: Duration,
    /// The key of report snapshots: `--sensor`, else the host name.
    pub sensor: String,
}

/// The environment variable the SASL password is read from.
pub const PASSWORD_ENV: &str = "SHADOWDESK_KAFKA_PASSWORD";

impl Options {
    /// The options `--kafka...` of scan and live ask for; None without `--kafka`.
    pub fn from_args(a: &args::KafkaArgs, sensor: Option<&str>) -> Result<Option<Options>, String> {
        if !a.conn.kafka.is_empty()
            && a.kafka_topic.is_none()
            && a.conn.kafka_report_topic.is_none()
        {
            return Err("--kafka needs --kafka-topic (events) or --kafka-report-topic (report snapshots), or both".into());
        }
        let Some(mut o) = Options::connect(&a.conn)? else {
            return Ok(None);
        };
        o.events_topic = a.kafka_topic.clone();
        o.queue_bytes = a.kafka_queue;
        o.flush_timeout = Duration::from_secs(a.kafka_flush_secs);
        o.sensor = sensor.map(str::to_owned).unwrap_or_else(host_name);
        Ok(Some(o))
    }

    /// The options merge's `--kafka...` ask for (brokers, TLS, SASL, the report topic), to
    /// read with, not publish; None without `--kafka`.
    pub fn connect(a: &args::KafkaConnArgs) -> Result<Option<Options>, String> {
        if a.kafka.is_empty() {
            return Ok(None);
        }
        for b in &a.kafka {
            if b.rsplit_once(':')
                .is_none_or(|(h, p)| h.is_empty() || p.parse::<u16>().is_err())
            {
                return Err(format!("--kafka {b}: expected HOST:PORT"));
            }
        }
        let tls = match a.kafka_tls {
            true => Some(tls(a.kafka_ca.as_deref())?),
            false => None,
        };
        let sasl = match (&a.kafka_sasl, &a.kafka_user) {
            (Some(m), Some(u)) => {
                let pw = std::env::var(PASSWORD_ENV)
                    .map_err(|_| format!("--kafka-sasl {m}: set the password in the environment variable {PASSWORD_ENV}"))?;
                Some(sasl(m, u.clone(), pw)?)
            }
            _ => None,
        };
        Ok(Some(Options {
            brokers: a.kafka.clone(),
            events_topic: None,
            report_topic: a.kafka_report_topic.clone(),
            tls,
            sasl,
            queue_bytes: args::parse_size(args::DEFAULT_QUEUE)?,
            flush_timeout: Duration::from_secs(args::DEFAULT_FLUSH_SECS),
            sensor: String::new(),
        }))
    }
}

/// The machine's name, the key of report snapshots when no `--sensor` names the sensor.
fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_owned())
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "shadowdesk".into())
}

/// The SASL mechanisms `--kafka-sasl` accepts.
pub fn sasl(mechanism: &str, user: String, password: String) -> Result<SaslConfig, String> {
    let c = Credentials::new(user, password);
    match mechanism.to_ascii_lowercase().as_str() {
        "plain" => Ok(SaslConfig::Plain(c)),
        "scram-sha-256" => Ok(SaslConfig::ScramSha256(c)),
        "scram-sha-512" => Ok(SaslConfig::ScramSha512(c)),
        other => Err(format!(
            "--kafka-sasl {other}: not a mechanism shadowdesk speaks (plain, scram-sha-256, scram-sha-512)"
        )),
    }
}

/// A TLS client configuration: the CA certificates of `ca` (PEM), else the system's store.
pub fn tls(ca: Option<&Path>) -> Result<Arc<rustls::ClientConfig>, String> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::CertificateDer;
    let mut roots = rustls::RootCertStore::empty();
    match ca {
        Some(p) => {
            let certs = CertificateDer::pem_file_iter(p)
                .map_err(|e| format!("--kafka-ca {}: {e}", p.display()))?;
            for c in certs {
                let c = c.map_err(|e| format!("--kafka-ca {}: {e}", p.display()))?;
                roots
                    .add(c)
                    .map_err(|e| format!("--kafka-ca {}: {e}", p.display()))?;
            }
            if roots.is_empty() {
                return Err(format!("--kafka-ca {}: no certificate in it", p.display()));
            }
        }
        None => {
            let found = rustls_native_certs::load_native_certs();
            roots.add_parsable_certificates(found.certs);
            if roots.is_empty() {
                return Err(
                    "--kafka-tls: the system has no CA certificates; give one with --kafka-ca"
                        .into(),
                );
            }
        }
    }
    // The provider is named, not taken from the process default, so a second crypto
    // backend pulled in by another crate can never make the builder panic.
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| format!("--kafka-tls: {e}"))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(Arc::new(config))
}

/// The counters live with the run's other counters, which the report reads.
pub use crate::stats::KafkaStats;

/// Shared between the publishing thread and the aggregator.
#[derive(Default)]
pub(crate) struct Counters {
    events_published: AtomicU64,
    events_dropped: AtomicU64,
    reports_published: AtomicU64,
    reports_dropped: AtomicU64,
    /// Bytes in the queue or in the batch being sent.
    queued_bytes: AtomicUsize,
    /// Set while the broker is unreachable, so "queue full" is said once per outage.
    full_said: AtomicBool,
}

impl Counters {
    fn snapshot(&self) -> KafkaStats {
        KafkaStats {
            events_published: self.events_published.load(Ordering::Relaxed),
            events_dropped_broker: self.events_dropped.load(Ordering::Relaxed),
            reports_published: self.reports_published.load(Ordering::Relaxed),
            reports_dropped: self.reports_dropped.load(Ordering::Relaxed),
        }
    }

    /// `n` messages of `bytes` left the queue: delivered or given up.
    fn settle(&self, report: bool, n: u64, bytes: usize, delivered: bool) {
        let c = match (report, delivered) {
            (false, true) => &self.events_published,
            (false, false) => &self.events_dropped,
            (true, true) => &self.reports_published,
            (true, false) => &self.reports_dropped,
        };
        c.fetch_add(n, Ordering::Relaxed);
        self.queued_bytes.fetch_sub(bytes, Ordering::Relaxed);
    }
}

/// One record on its way.
pub(crate) struct Msg {
    /// A report snapshot, not an event.
    pub report: bool,
    pub key: Vec<u8>,
    pub value: Vec<u8>,
    /// Acknowledged by the broker (and counted); removed from the batch after the send.
    pub delivered: bool,
}

/// The aggregator's handle on the publishing thread.
pub struct Publisher {
    tx: Option<Sender<Msg>>,
    counters: Arc<Counters>,
    /// When the thread must give up what it still holds; set by `finish`.
    deadline: Arc<Mutex<Option<Instant>>>,
    thread: Option<JoinHandle<()>>,
    queue_bytes: usize,
    flush_timeout: Duration,
    has_events: bool,
    has_reports: bool,
    sensor: Vec<u8>,
}

impl Publisher {
    /// Starts the publishing thread. It connects on its own: a broker that does not answer
    /// yet is waited for (and said so on stderr) while events queue up.
    pub fn start(opts: Options) -> Result<Publisher, String> {
        let (tx, rx) = crossbeam_channel::unbounded();
        let counters = Arc::new(Counters::default());
        let deadline = Arc::new(Mutex::new(None));
        let p = Publisher {
            tx: Some(tx),
            counters: Arc::clone(&counters),
            deadline: Arc::clone(&deadline),
            thread: None,
            queue_bytes: opts.queue_bytes,
            flush_timeout: opts.flush_timeout,
            has_events: opts.events_topic.is_some(),
            has_reports: opts.report_topic.is_some(),
            sensor: opts.sensor.clone().into_bytes(),
        };
        let thread = std::thread::Builder::new()
            .name("kafka".into())
            .spawn(move || worker::run(opts, rx, counters, deadline))
            .map_err(|e| format!("starting the Kafka thread: {e}"))?;
        Ok(Publisher {
            thread: Some(thread),
            ..p
        })
    }

    /// Queues one event line (without its newline) under `key`: the client's address (the
    /// sensor's name for `stats` events).
    pub fn event(&self, key: &[u8], line: &[u8]) {
        if self.has_events {
            self.send(false, key.to_vec(), line.to_vec());
        }
    }

    /// Queues a report snapshot, keyed by the sensor name.
    pub fn report(&self, json: Vec<u8>) {
        if self.has_reports {
            self.send(true, self.sensor.clone(), json);
        }
    }

    pub fn wants_reports(&self) -> bool {
        self.has_reports
    }

    fn send(&self, report: bool, key: Vec<u8>, value: Vec<u8>) {
        let c = &self.counters;
        let n = key.len() + value.len();
        // The one bound: bytes waiting. Checked before queueing, so what is counted as
        // dropped here was never sent.
        if c.queued_bytes.load(Ordering::Relaxed) + n > self.queue_bytes {
            c.settle(report, 1, 0, false);
            if !c.full_said.swap(true, Ordering::Relaxed) {
                tracing::warn!(
                    queue_bytes = self.queue_bytes,
                    "kafka: the queue is full ({} bytes): events are dropped and counted until the broker takes them again",
                    self.queue_bytes
                );
            }
            return;
        }
        c.queued_bytes.fetch_add(n, Ordering::Relaxed);
        let sent = self.tx.as_ref().is_some_and(|tx| {
            tx.send(Msg {
                report,
                key,
                value,
                delivered: false,
            })
            .is_ok()
        });
        if !sent {
            c.settle(report, 1, n, false);
        }
    }

    pub fn stats(&self) -> KafkaStats {
        self.counters.snapshot()
    }

    /// Waits up to the flush time for the queue to drain, then counts what is left as
    /// dropped and returns the final counts.
    pub fn finish(mut self) -> KafkaStats {
        if let Ok(mut d) = self.deadline.lock() {
            *d = Some(Instant::now() + self.flush_timeout);
        }
        self.tx = None;
        if let Some(t) = self.thread.take() {
            if t.join().is_err() {
                tracing::error!("kafka: the publishing thread panicked");
            }
        }
        self.counters.snapshot()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sasl_mechanisms_are_named_as_kafka_names_them() {
        for m in ["PLAIN", "scram-sha-256", "SCRAM-SHA-512"] {
            assert!(sasl(m, "u".into(), "p".into()).is_ok(), "{m}");
        }
        let e = sasl("gssapi", "u".into(), "p".into()).unwrap_err();
        assert!(e.contains("scram-sha-512"), "{e}");
    }

    // A queue that is full refuses at once and counts, without waiting for the broker.
    #[test]
    fn a_full_queue_drops_and_counts_every_event() {
        let p = Publisher::start(Options {
            // Nothing listens on port 9 of loopback: the thread keeps failing.
            brokers: vec!["127.0.0.1:9".into()],
            events_topic: Some("t".into()),
            report_topic: None,
            tls: None,
            sasl: None,
            queue_bytes: 100,
            flush_timeout: Duration::from_millis(200),
            sensor: "s".into(),
        })
        .unwrap();
        for _ in 0..10 {
            p.event(b"10.0.0.1", &[b'x'; 40]);
        }
        let s = p.finish();
        assert_eq!(s.events_published, 0);
        assert_eq!(s.events_dropped_broker, 10);
    }
}
