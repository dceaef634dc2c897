//! Live capture through libpcap: one thread per interface, each copying packets into blocks
//! of its own and handing them over in small batches, so the rest of the pipeline sees the
//! same shared-block records as for files.
//!
//! Every interface is opened, and its filter compiled, before any thread starts: a bad
//! interface name or filter is an error before capture begins. Each thread wakes at least
//! every [`READ_TIMEOUT_MS`] even on a silent link, so the pipeline can age flows, write
//! reports on time and notice a stop request.
//!
//! By default libpcap is not in immediate mode, so on Linux it uses a TPACKET_V3 ring: the
//! kernel packs packets into blocks and hands a block over when it is full or
//! [`BLOCK_TIMEOUT_MS`] after it was opened. That bounds how late a packet on a quiet link
//! is seen. Immediate mode uses TPACKET_V2, one fixed-size slot per packet sized for the
//! snap length or, on an interface with offloads, 64 KiB: a 64 MiB ring then holds ~1,000
//! packets, under 2 ms of a 600 k packets/s burst, and the kernel drops the rest (19.6 % of
//! the benchmark replay; see the README's load figures).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{bounded, Receiver, Sender};

use super::{Next, Record};
use crate::time::TsNanos;

/// How long a capture thread waits for a packet before reporting that time passed.
pub const READ_TIMEOUT_MS: i32 = 100;
/// libpcap's read timeout, which for a TPACKET_V3 ring is the kernel's block retire timeout:
/// the longest a packet waits in a part-filled block before the capture thread can see it
/// (ignored in immediate mode).
pub const BLOCK_TIMEOUT_MS: i32 = 20;
/// Pause when the interface has nothing queued (non-blocking reads): bounds the latency an
/// idle link adds and the wakeups it costs (500 a second at most).
const EMPTY_POLL: Duration = Duration::from_millis(2);
/// A batch is handed over after this many packets, or this long, whichever comes first.
const BATCH_PACKETS: usize = 256;
const BATCH_AGE: Duration = Duration::from_millis(50);
const BLOCK_BYTES: usize = 256 * 1024;

/// The default capture filter: what the analysis can use. TCP on any port (TLS wherever it
/// hides), UDP (DNS, UDP tunnels), GRE and IP-in-IP tunnels, and every 802.1Q/802.1ad-tagged,
/// MPLS or PPPoE-session frame whole (the decoder looks inside); ICMP, ARP and other link
/// chatter stay out. Written with `ether proto` numbers: libpcap's `vlan`, `mpls` and `pppoes`
/// keywords shift the offsets for the rest of the expression, and combined they either do not
/// compile or make Linux reject the program (measured on a veth; see the README).
pub const DEFAULT_FILTER: &str = "tcp or udp or proto 47 or proto 4 or proto 41 \
     or ether proto 0x8100 or ether proto 0x88a8 or ether proto 0x9100 \
     or ether proto 0x8847 or ether proto 0x8864";
/// For link types with no Ethernet header (raw IP, tun devices), where the default's
/// `ether proto` terms do not compile.
const DEFAULT_FILTER_NO_ETHER: &str = "tcp or udp or proto 47 or proto 4 or proto 41";

#[derive(Clone, Debug)]
pub struct LiveOptions {
    pub interfaces: Vec<String>,
    /// Empty: no filter.
    pub filter: String,
    pub snaplen: i32,
    pub promisc: bool,
    /// Kernel buffer, bytes.
    pub buffer_size: i32,
    pub immediate: bool,
}

/// Counters libpcap keeps per interface (pcap_stats).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KernelStats {
    pub received: u64,
    pub dropped: u64,
    pub if_dropped: u64,
}

struct Batch {
    iface: usize,
    block: Arc<Vec<u8>>,
    /// (ts, start, caplen, wire length)
    recs: Vec<(TsNanos, usize, usize, u32)>,
}

enum Msg {
    Packets(Batch),
    Idle,
    Stats(usize, KernelStats),
    Failed(usize, String),
    Done,
}

pub struct LiveSource {
    rx: Receiver<Msg>,
    current: Option<Batch>,
    next: usize,
    running: usize,
    handles: Vec<JoinHandle<()>>,
    pub names: Vec<String>,
    pub linktypes: Vec<i32>,
    pub kernel: Vec<KernelStats>,
    /// Errors that stopped an interface during capture.
    pub failures: Vec<String>,
}

impl LiveSource {
    /// Opens every interface (and compiles the filter on each) and starts capturing. Capture
    /// stops when `stop` becomes true.
    pub fn open(opts: &LiveOptions, stop: Arc<AtomicBool>) -> Result<LiveSource, String> {
        let mut caps = Vec::new();
        for name in &opts.interfaces {
            let cap = pcap::Capture::from_device(name.as_str())
                .and_then(|c| {
                    c.promisc(opts.promisc)
                        .snaplen(opts.snaplen)
                        .buffer_size(opts.buffer_size)
                        .immediate_mode(opts.immediate)
                        .timeout(BLOCK_TIMEOUT_MS)
                        .open()
                })
                // Non-blocking: with a TPACKET_V3 ring Linux libpcap waits for a block to be
                // retired with no timeout of its own (and in immediate mode it ignores the
                // timeout), so a thread blocked on a silent link could neither report time
                // passing nor stop.
                .and_then(|c| c.setnonblock())
                .map_err(|e| format!("interface {name}: {}", reason(&e)))?;
            let mut cap = cap;
            if !opts.filter.trim().is_empty() {
                let mut r = cap.filter(&opts.filter, true);
                if r.is_err() && opts.filter == DEFAULT_FILTER {
                    r = cap.filter(DEFAULT_FILTER_NO_ETHER, true);
                }
                r.map_err(|e| {
                    format!(
                        "interface {name}: bad filter '{}': {}",
                        opts.filter,
                        reason(&e)
                    )
                })?;
            }
            caps.push(cap);
        }
        let (tx, rx) = bounded::<Msg>(64);
        let linktypes = caps.iter().map(|c| c.get_datalink().0).collect();
        let mut handles = Vec::new();
        for (i, cap) in caps.into_iter().enumerate() {
            let tx = tx.clone();
            let stop = Arc::clone(&stop);
            handles.push(
                std::thread::Builder::new()
                    .name(format!("capture-{}", opts.interfaces[i]))
                    .spawn(move || capture_loop(i, cap, tx, stop))
                    .map_err(|e| format!("starting capture: {e}"))?,
            );
        }
        Ok(LiveSource {
            rx,
            current: None,
            next: 0,
            running: handles.len(),
            handles,
            names: opts.interfaces.clone(),
            kernel: vec![KernelStats::default(); opts.interfaces.len()],
            linktypes,
            failures: Vec::new(),
        })
    }

    /// Sum of the interfaces' kernel counters.
    pub fn kernel_total(&self) -> KernelStats {
        self.kernel
            .iter()
            .fold(KernelStats::default(), |a, k| KernelStats {
                received: a.received + k.received,
                dropped: a.dropped + k.dropped,
                if_dropped: a.if_dropped + k.if_dropped,
            })
    }

    /// The next packet; [`Next::Idle`] when time passed without one; [`Next::End`] once
    /// every interface has stopped.
    pub fn next_record(&mut self) -> Next<'_> {
        loop {
            if let Some(b) = &self.current {
                if self.next < b.recs.len() {
                    break;
                }
                self.current = None;
            }
            if self.running == 0 {
                for h in self.handles.drain(..) {
                    let _ = h.join();
                }
                return Next::End;
            }
            match self.rx.recv() {
                Ok(Msg::Packets(b)) => {
                    self.current = Some(b);
                    self.next = 0;
                }
                Ok(Msg::Idle) => return Next::Idle,
                Ok(Msg::Stats(i, s)) => self.kernel[i] = s,
                Ok(Msg::Failed(i, e)) => {
                    tracing::error!(interface = %self.names[i], error = %e, "capture stopped");
                    self.failures
                        .push(format!("interface {}: {e}", self.names[i]));
                }
                Ok(Msg::Done) => self.running -= 1,
                Err(_) => self.running = 0,
            }
        }
        let b = self.current.as_ref().expect("checked above");
        let (ts, start, len, wire_len) = b.recs[self.next];
        self.next += 1;
        Next::Record(Record {
            ts,
            linktype: self.linktypes[b.iface],
            data: &b.block[start..start + len],
            wire_len,
            block: Some(&b.block),
            iface: b.iface as u32,
        })
    }
}

fn reason(e: &pcap::Error) -> String {
    let s = e.to_string();
    s.strip_prefix("libpcap error: ").unwrap_or(&s).to_owned()
}

fn capture_loop(
    iface: usize,
    mut cap: pcap::Capture<pcap::Active>,
    tx: Sender<Msg>,
    stop: Arc<AtomicBool>,
) {
    let mut block: Vec<u8> = Vec::with_capacity(BLOCK_BYTES);
    let mut recs = Vec::new();
    let take = |block: &mut Vec<u8>, recs: &mut Vec<_>| Batch {
        iface,
        block: Arc::new(std::mem::replace(block, Vec::with_capacity(BLOCK_BYTES))),
        recs: std::mem::take(recs),
    };
    let mut since = Instant::now();
    let mut last_stats = Instant::now();
    let mut last_idle = Instant::now();
    // Packets were handed over since the last Msg::Idle.
    let mut unflushed = false;
    let send_stats = |cap: &mut pcap::Capture<pcap::Active>, tx: &Sender<Msg>| {
        if let Ok(s) = cap.stats() {
            let k = KernelStats {
                received: s.received as u64,
                dropped: s.dropped as u64,
                if_dropped: s.if_dropped as u64,
            };
            let _ = tx.send(Msg::Stats(iface, k));
        }
    };
    while !stop.load(Ordering::Relaxed) {
        let idle = match cap.next_packet() {
            Ok(p) => {
                let start = block.len();
                block.extend_from_slice(p.data);
                // time_t and suseconds_t are i32 on some targets.
                #[allow(clippy::useless_conversion)]
                let ts = i64::from(p.header.ts.tv_sec)
                    .saturating_mul(1_000_000_000)
                    .saturating_add(i64::from(p.header.ts.tv_usec) * 1000);
                recs.push((ts, start, p.data.len(), p.header.len));
                false
            }
            Err(pcap::Error::TimeoutExpired) => true,
            Err(e) => {
                let _ = tx.send(Msg::Failed(iface, reason(&e)));
                break;
            }
        };
        let full = recs.len() >= BATCH_PACKETS || block.len() + 65_536 > BLOCK_BYTES;
        if !recs.is_empty() && (full || idle || since.elapsed() >= BATCH_AGE) {
            if tx.send(Msg::Packets(take(&mut block, &mut recs))).is_err() {
                return;
            }
            since = Instant::now();
            unflushed = true;
        }
        // Time passes even on a silent link: say so every READ_TIMEOUT_MS. Say so at once
        // when the ring has just run empty after packets, so the pipeline passes them on
        // now rather than at its next periodic flush (up to 200 ms later).
        if idle
            && (unflushed || last_idle.elapsed() >= Duration::from_millis(READ_TIMEOUT_MS as u64))
        {
            unflushed = false;
            last_idle = Instant::now();
            if tx.send(Msg::Idle).is_err() {
                return;
            }
        }
        if last_stats.elapsed() >= Duration::from_secs(1) {
            send_stats(&mut cap, &tx);
            last_stats = Instant::now();
        }
        // Only after what was read has been handed over.
        if idle {
            std::thread::sleep(EMPTY_POLL);
        }
    }
    if !recs.is_empty() {
        let _ = tx.send(Msg::Packets(take(&mut block, &mut recs)));
    }
    send_stats(&mut cap, &tx);
    let _ = tx.send(Msg::Done);
}
