//! The aggregator thread's side of a run: every observation goes to the aggregator and, as
//! an event line, to `--events`; in live capture, after each chunk, SIGHUP reopens the events
//! file and the `stats` events and report rewrites fall due. `app` builds an [`Outputs`] and
//! hands it to `pipeline::run` as its [`Consumer`].

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::aggregate::Aggregator;
use crate::capture::live::KernelStats;
use crate::catalog::Catalog;
use crate::event::{self, Body, Event, LiveStats, Timestamp};
use crate::filter::Filter;
use crate::model::{InputSummary, Observation};
use crate::output::{self, Sink};
use crate::pipeline::Consumer;
use crate::report::Report;
use crate::stats::{LiveCounters, Stats};

/// Live-only behaviour of the aggregator thread.
pub struct LiveSettings {
    pub report_interval: Duration,
    pub stats_interval: Duration,
    /// Set by SIGHUP: reopen the output files (logrotate moved them).
    pub hup: Arc<AtomicBool>,
    pub interfaces: Vec<String>,
}

/// What the aggregator thread owns while the pipeline runs.
pub struct Outputs<'a> {
    pub agg: Aggregator<'a>,
    /// `--since`, `--until`, `--host`: what is not kept never reaches the aggregator.
    pub filter: Filter,
    pub catalog: &'a Catalog,
    pub events: Option<Sink>,
    pub events_path: Option<&'a str>,
    pub report_path: Option<&'a str>,
    /// `--html`: rewritten with the report.
    pub html_path: Option<&'a str>,
    /// `--csv`: rewritten with the report.
    pub csv_path: Option<&'a str>,
    /// The report's `meta`, but for its time.
    pub run: &'a crate::report::RunInfo,
    pub policy_view: &'a crate::html::PolicyView,
    /// `None` for `scan`: no ticks, no SIGHUP.
    pub live: Option<&'a LiveSettings>,
    /// The first write error; once set, no more event lines are formatted.
    pub write_err: Option<std::io::Error>,
    pub line: Vec<u8>,
    pub events_written: u64,
    pub last_report: Instant,
    pub last_stats: Instant,
    /// Kernel and interface drops at the last `stats` event, to warn about new ones.
    pub last_drops: u64,
    /// `--kafka`: every event line also goes to the broker.
    pub kafka: Option<crate::kafka::Publisher>,
}

impl Consumer for Outputs<'_> {
    fn observe(&mut self, obs: Observation) {
        // Identity facts all reach the aggregator, which learns them and applies the filter
        // to their events itself (see `Aggregator::identity_filter`).
        let identity = matches!(obs.what, crate::model::What::Identity(_));
        if !identity && !self.filter.keeps(&obs, &self.agg.identity) {
            return;
        }
        let want_line = (self.events.is_some() && self.write_err.is_none()) || self.kafka.is_some();
        if self.agg.observe(&obs, want_line.then_some(&mut self.line)) && want_line {
            if let Some(sink) = self.events.as_mut().filter(|_| self.write_err.is_none()) {
                match sink.write_line(&self.line) {
                    Ok(()) => self.events_written += 1,
                    Err(e) => self.write_err = Some(e),
                }
            }
            if let Some(k) = &self.kafka {
                k.event(client_key(&obs).as_bytes(), &self.line);
            }
        }
    }

    fn chunk_done(&mut self, counters: &LiveCounters) {
        if let Some(l) = self.live {
            self.tick(l, counters);
        }
    }
}

/// The Kafka key of an observation's event: the client's address, the host the event is
/// about (a DNS answer goes to the client that asked; an identity fact names its address).
fn client_key(obs: &Observation) -> String {
    use crate::model::{IdentityWhat, What};
    match &obs.what {
        What::DnsAnswer { .. } => obs.dst.to_string(),
        What::Identity(IdentityWhat::Claim(c)) => c.ip.to_string(),
        _ => obs.src.to_string(),
    }
}

impl Outputs<'_> {
    /// Live capture, after each chunk: reopen files on SIGHUP, rewrite the report and emit a
    /// `stats` event when their intervals have passed.
    fn tick(&mut self, l: &LiveSettings, counters: &LiveCounters) {
        if l.hup.swap(false, Ordering::Relaxed) {
            self.reopen_events();
        }
        let kernel = KernelStats {
            received: counters.kernel_received.load(Ordering::Relaxed),
            dropped: counters.kernel_dropped.load(Ordering::Relaxed),
            if_dropped: counters.if_dropped.load(Ordering::Relaxed),
        };
        if self.last_stats.elapsed() >= l.stats_interval {
            self.last_stats = Instant::now();
            self.stats_event(l, counters, &kernel);
        }
        if self.last_report.elapsed() >= l.report_interval {
            self.last_report = Instant::now();
            self.rewrite_report(l, counters, kernel);
        }
    }

    fn reopen_events(&mut self) {
        let Some(p) = self.events_path.filter(|p| *p != "-") else {
            return;
        };
        if self.events.is_none() {
            return;
        }
        match Sink::create(p, true, true) {
            Ok(s) => {
                self.events = Some(s);
                tracing::info!(path = p, "SIGHUP: reopened the events file");
            }
            Err(e) => {
                tracing::error!(path = p, error = %e, "SIGHUP: cannot reopen the events file")
            }
        }
    }

    fn stats_event(&mut self, l: &LiveSettings, counters: &LiveCounters, kernel: &KernelStats) {
        let drops = kernel.dropped + kernel.if_dropped;
        if drops > self.last_drops {
            tracing::warn!(
                "the kernel and interfaces dropped {} packets in the last {} s ({} in all): \
                 raise --buffer-mib, narrow --filter, or give the sensor more CPU",
                drops - self.last_drops,
                l.stats_interval.as_secs(),
                drops
            );
        }
        self.last_drops = drops;
        if self.events.is_none() && self.kafka.is_none() {
            return;
        }
        let k = self.kafka.as_ref().map(|k| k.stats());
        let e = Event {
            ts: Timestamp(crate::time::wall_clock()),
            origin: event::Origin {
                input: None,
                sensor: self.agg.sensor.as_deref(),
            },
            body: Body::Stats(LiveStats {
                packets_received: kernel.received,
                packets_dropped_kernel: kernel.dropped,
                packets_dropped_interface: kernel.if_dropped,
                packets_analysed: counters.packets.load(Ordering::Relaxed),
                flows_tracked: counters.flows.load(Ordering::Relaxed),
                flows_evicted: counters.evicted.load(Ordering::Relaxed),
                dropped_reassembly: counters.dropped.load(Ordering::Relaxed),
                events_written: self.events_written,
                events_published: k.map(|k| k.events_published),
                events_dropped_broker: k.map(|k| k.events_dropped_broker),
            }),
        };
        self.line.clear();
        event::write(&mut self.line, &e);
        if let Some(sink) = self.events.as_mut() {
            if let Err(e) = sink.write_line(&self.line) {
                self.write_err.get_or_insert(e);
            }
        }
        if let Some(k) = &self.kafka {
            let key = self.agg.sensor.as_deref().unwrap_or("stats");
            k.event(key.as_bytes(), &self.line);
        }
    }

    fn rewrite_report(&self, l: &LiveSettings, counters: &LiveCounters, kernel: KernelStats) {
        let kafka_reports = self.kafka.as_ref().filter(|k| k.wants_reports());
        if self.report_path.is_none()
            && self.html_path.is_none()
            && self.csv_path.is_none()
            && kafka_reports.is_none()
        {
            return;
        }
        let stats = Stats {
            packets: counters.packets.load(Ordering::Relaxed),
            kernel: Some(kernel),
            kafka: self.kafka.as_ref().map(|k| k.stats()),
            ..Stats::default()
        };
        let inputs: Vec<InputSummary> = l
            .interfaces
            .iter()
            .map(|i| InputSummary {
                path: format!("interface:{i}"),
                packets: 0,
                linktype: None,
                error: None,
                fatal: false,
            })
            .collect();
        let report = Report::build(&self.agg, self.catalog, &inputs, &stats, false, self.run);
        if let Some(k) = kafka_reports {
            k.report(report.to_bytes());
        }
        if let Some(p) = self.report_path {
            if let Err(e) = output::write_report(p, &report) {
                tracing::error!(path = p, error = %e, "writing the report");
            }
        }
        if let Some(p) = self.html_path {
            if let Err(e) = crate::html::write(p, &report, self.policy_view) {
                tracing::error!(path = p, error = %e, "writing the HTML report");
            }
        }
        if let Some(p) = self.csv_path {
            if let Err(e) = crate::outfile::write_whole(p, crate::csv::table(&report).as_bytes()) {
                tracing::error!(path = p, error = %e, "writing the CSV table");
            }
        }
    }
}
