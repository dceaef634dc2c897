//! The publishing thread: takes batches off the queue, sends each partition's records in
//! order, and on any failure keeps the batch, reconnects with a growing pause and says on
//! stderr when the broker went away and when it came back.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError, TryRecvError};
use rskafka::client::partition::{Compression, PartitionClient, UnknownTopicHandling};
use rskafka::client::{Client, ClientBuilder, SaslConfig};
use rskafka::record::Record;
use rskafka::BackoffConfig;

use super::{partition, Counters, Msg, Options};

/// Records per produce request. Kafka's own producer batches by 16 KiB per partition; a
/// few hundred lines is of that order and keeps one failed request's retry small.
const BATCH_RECORDS: usize = 500;
/// Bytes per batch: below the broker's default `message.max.bytes` (1 MiB) with room for
/// the record framing.
const BATCH_BYTES: usize = 768 * 1024;
/// How long a connection attempt or one produce request may take before the broker counts
/// as unreachable: a healthy broker on a LAN answers in milliseconds.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
/// How long rskafka may keep retrying a request by itself: the sum of its pauses, not wall
/// time, so attempts that each take long (a SCRAM login hashes the password thousands of
/// times) can make its retrying last far longer than this.
const CONNECT_RETRY: Duration = Duration::from_secs(1);
/// How long building a connection may take before the broker counts as unreachable (one
/// that drops SYNs: the OS would wait minutes). Well above CONNECT_RETRY and a few slow
/// attempts, so rskafka gives up with its own error (a refused login, a certificate it
/// does not trust) before this timeout would hide it behind "no answer".
const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);
/// The error of a send the end of the run cut short: not a cause worth repeating.
const FLUSH_RAN_OUT: &str = "the flush time ran out";
/// The pause between attempts while the broker is unreachable grows to this.
const MAX_PAUSE: Duration = Duration::from_secs(2);

struct Worker {
    opts: Options,
    client: Option<Client>,
    /// Per topic, one client per partition, by partition index.
    partitions: HashMap<String, Vec<PartitionClient>>,
    /// Since when sends fail, if they do.
    down_since: Option<Instant>,
    /// Why the last attempt failed, for the message when the flush time runs out.
    last_error: Option<String>,
    pause: Duration,
}

pub(super) fn run(
    opts: Options,
    rx: Receiver<Msg>,
    counters: Arc<Counters>,
    deadline: Arc<Mutex<Option<Instant>>>,
) {
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            tracing::error!(error = %e, "kafka: cannot start the I/O runtime; nothing is published");
            drain_as_dropped(&rx, &mut VecDeque::new(), &counters);
            return;
        }
    };
    let mut w = Worker {
        opts,
        client: None,
        partitions: HashMap::new(),
        down_since: None,
        last_error: None,
        pause: Duration::from_millis(100),
    };
    let mut pending: VecDeque<Msg> = VecDeque::new();
    let mut closed = false;
    loop {
        // Fill the batch: wait briefly for the first message, take what else is there.
        if pending.is_empty() && !closed {
            match rx.recv_timeout(Duration::from_millis(100)) {
                Ok(m) => pending.push_back(m),
                Err(RecvTimeoutError::Timeout) => continue,
                Err(RecvTimeoutError::Disconnected) => closed = true,
            }
        }
        let mut bytes: usize = pending.iter().map(|m| m.key.len() + m.value.len()).sum();
        while !closed && pending.len() < BATCH_RECORDS && bytes < BATCH_BYTES {
            match rx.try_recv() {
                Ok(m) => {
                    bytes += m.key.len() + m.value.len();
                    pending.push_back(m);
                }
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => closed = true,
            }
        }
        if pending.is_empty() {
            if closed {
                return;
            }
            continue;
        }
        let past_deadline = || {
            deadline
                .lock()
                .ok()
                .and_then(|d| *d)
                .is_some_and(|d| Instant::now() >= d)
        };
        if past_deadline() {
            let n = drain_as_dropped(&rx, &mut pending, &counters);
            let why = w
                .last_error
                .as_deref()
                .map(|e| format!(" (last error: {e})"))
                .unwrap_or_default();
            tracing::error!(
                brokers = %w.opts.brokers.join(","),
                "kafka: {n} messages could not be delivered before the flush time ran out{why}; counted as dropped"
            );
            return;
        }
        // Once the run ends, a send may not outlast the flush time.
        let left = deadline
            .lock()
            .ok()
            .and_then(|d| *d)
            .map(|d| d.saturating_duration_since(Instant::now()));
        let sent = rt.block_on(async {
            match left {
                None => w.send(&mut pending, &counters).await,
                Some(left) => tokio::time::timeout(left, w.send(&mut pending, &counters))
                    .await
                    .unwrap_or_else(|_| Err(FLUSH_RAN_OUT.into())),
            }
        });
        pending.retain(|m| !m.delivered);
        match sent {
            Ok(()) => {
                if let Some(since) = w.down_since.take() {
                    tracing::warn!(
                        brokers = %w.opts.brokers.join(","),
                        "kafka: the broker answers again after {:.1} s; queued events are being delivered",
                        since.elapsed().as_secs_f64()
                    );
                    counters.full_said.store(false, Ordering::Relaxed);
                }
                w.pause = Duration::from_millis(100);
            }
            Err(e) => {
                if e != FLUSH_RAN_OUT {
                    w.last_error = Some(e.clone());
                }
                if w.down_since.is_none() {
                    w.down_since = Some(Instant::now());
                    tracing::warn!(
                        brokers = %w.opts.brokers.join(","),
                        error = %e,
                        "kafka: cannot deliver ({e}); events are queued (up to {} bytes) and sent when the broker answers",
                        w.opts.queue_bytes
                    );
                }
                w.client = None;
                w.partitions.clear();
                std::thread::sleep(w.pause);
                w.pause = (w.pause * 2).min(MAX_PAUSE);
            }
        }
    }
}

/// Counts everything still held or queued as dropped; returns how many.
fn drain_as_dropped(rx: &Receiver<Msg>, pending: &mut VecDeque<Msg>, c: &Counters) -> u64 {
    let mut n = 0;
    for m in pending.drain(..).chain(rx.try_iter()) {
        c.settle(m.report, 1, m.key.len() + m.value.len(), false);
        n += 1;
    }
    n
}

impl Worker {
    async fn connect(&mut self) -> Result<(), String> {
        if self.client.is_some() {
            return Ok(());
        }
        let mut b = ClientBuilder::new(self.opts.brokers.clone())
            .client_id(format!("shadowdesk/{}", self.opts.sensor))
            // rskafka retries inside each call; the loop above does the waiting, so its
            // own retries stop quickly and a dead broker shows as an error here.
            .backoff_config(BackoffConfig {
                init_backoff: Duration::from_millis(50),
                max_backoff: Duration::from_millis(500),
                base: 2.0,
                deadline: Some(CONNECT_RETRY),
            });
        if let Some(t) = &self.opts.tls {
            b = b.tls_config(Arc::clone(t));
        }
        if let Some(s) = &self.opts.sasl {
            b = b.sasl_config(s.clone());
        }
        let client = tokio::time::timeout(CONNECT_TIMEOUT, b.build())
            .await
            .map_err(|_| explain(&self.opts, Failure::NoAnswer))?
            .map_err(|e| explain(&self.opts, Failure::Client(&e.to_string())))?;
        self.client = Some(client);
        Ok(())
    }

    /// The partition clients of `topic`, made on first use.
    async fn topic(&mut self, topic: &str) -> Result<&[PartitionClient], String> {
        if !self.partitions.contains_key(topic) {
            let client = self.client.as_ref().ok_or("not connected")?;
            let topics = tokio::time::timeout(REQUEST_TIMEOUT, client.list_topics())
                .await
                .map_err(|_| "no answer to the metadata request".to_string())?
                .map_err(|e| e.to_string())?;
            let Some(t) = topics.into_iter().find(|t| t.name == topic) else {
                return Err(format!("the topic {topic} does not exist on the broker"));
            };
            let mut clients = Vec::with_capacity(t.partitions.len());
            for p in t.partitions {
                let pc = client
                    .partition_client(topic, p, UnknownTopicHandling::Error)
                    .await
                    .map_err(|e| e.to_string())?;
                clients.push(pc);
            }
            if clients.is_empty() {
                return Err(format!("the topic {topic} has no partitions"));
            }
            self.partitions.insert(topic.to_owned(), clients);
        }
        Ok(self.partitions.get(topic).map(Vec::as_slice).unwrap_or(&[]))
    }

    /// Sends `pending`, partition by partition, in order. Each delivered message is marked
    /// (and counted) as its request is acknowledged, so a send cut short, by an error or by
    /// the flush time, leaves exactly the undelivered ones for the caller to keep.
    async fn send(&mut self, pending: &mut VecDeque<Msg>, c: &Counters) -> Result<(), String> {
        self.connect().await?;
        let ts =
            chrono::DateTime::from_timestamp_millis((crate::time::wall_clock() / 1_000_000).max(0))
                .unwrap_or_default();
        let topics = [
            self.opts.events_topic.clone(),
            self.opts.report_topic.clone(),
        ];
        let mut counts = [0u32; 2];
        for (i, t) in topics.iter().enumerate() {
            if let Some(t) = t {
                counts[i] = self.topic(t).await?.len() as u32;
            }
        }
        // Indices by (topic, partition), each group in queue order.
        let mut groups: BTreeMap<(bool, u32), Vec<usize>> = BTreeMap::new();
        for (i, m) in pending.iter().enumerate() {
            let p = partition::for_key(&m.key, counts[usize::from(m.report)]);
            groups.entry((m.report, p)).or_default().push(i);
        }
        for ((report, p), idx) in groups {
            let Some(topic) = &topics[usize::from(report)] else {
                continue;
            };
            let Some(pc) = self.partitions.get(topic).and_then(|c| c.get(p as usize)) else {
                return Err(format!("partition {p} of {topic} vanished"));
            };
            let records: Vec<Record> = idx
                .iter()
                .filter_map(|&i| pending.get(i))
                .map(|m| Record {
                    key: Some(m.key.clone()),
                    value: Some(m.value.clone()),
                    headers: BTreeMap::new(),
                    timestamp: ts,
                })
                .collect();
            match tokio::time::timeout(
                REQUEST_TIMEOUT,
                pc.produce(records, Compression::NoCompression),
            )
            .await
            {
                Ok(Ok(_offsets)) => {
                    let mut bytes = 0;
                    for &i in &idx {
                        if let Some(m) = pending.get_mut(i) {
                            m.delivered = true;
                            bytes += m.key.len() + m.value.len();
                        }
                    }
                    c.settle(report, idx.len() as u64, bytes, true);
                }
                Ok(Err(e)) => return Err(e.to_string()),
                Err(_) => return Err("no answer to the produce request".into()),
            }
        }
        Ok(())
    }
}

/// Why building a connection failed.
enum Failure<'a> {
    /// CONNECT_TIMEOUT passed.
    NoAnswer,
    /// rskafka's error, as it words it.
    Client(&'a str),
}

/// The cause of a failed connection in the operator's terms: which broker, and whether the
/// SASL login or the broker's certificate was refused. rskafka wraps the cause in its retry
/// messages ("all retries failed: Retry exceeded deadline. Source: ..."); only the cause is
/// kept. Never shows the password: the SASL configuration is only read for the mechanism
/// and user names.
fn explain(opts: &Options, f: Failure) -> String {
    let brokers = opts.brokers.join(",");
    let e = match f {
        Failure::NoAnswer if opts.tls.is_some() => {
            return format!(
                "no answer from {brokers} within {} s (with --kafka-tls: a listener that does not speak TLS never answers the handshake)",
                CONNECT_TIMEOUT.as_secs()
            )
        }
        Failure::NoAnswer => {
            return format!(
                "no answer from {brokers} within {} s",
                CONNECT_TIMEOUT.as_secs()
            )
        }
        Failure::Client(e) => e,
    };
    let cause = e.rsplit_once("Source: ").map_or(e, |(_, c)| c);
    if let Some(sasl) = &opts.sasl {
        if cause.contains("Sasl") || cause.contains("SASL") {
            let (mechanism, user) = match sasl {
                SaslConfig::Plain(c) => ("PLAIN", c.username.as_str()),
                SaslConfig::ScramSha256(c) => ("SCRAM-SHA-256", c.username.as_str()),
                SaslConfig::ScramSha512(c) => ("SCRAM-SHA-512", c.username.as_str()),
                _ => ("OAUTHBEARER", ""),
            };
            return format!(
                "the broker {brokers} refused the SASL {mechanism} login of user {user:?} ({cause})"
            );
        }
    }
    if opts.tls.is_some() && cause.contains("certificate") {
        return format!(
            "the TLS certificate of {brokers} is not trusted: check --kafka-ca ({cause})"
        );
    }
    cause.to_owned()
}

#[cfg(test)]
mod tests;
