//! Per-flow state: the only place where state about a connection lives.
//!
//! Each parse worker owns one [`FlowTable`] (flows are sharded by address pair, so both
//! directions of a connection meet in the same worker and no locks are needed). For TCP it
//! reassembles the first bytes of each direction until a ClientHello is complete, or frames
//! DNS-over-TCP messages; a flow that has given its answer keeps only a small "done" entry,
//! so its later packets cost one hash lookup.
//!
//! Memory is bounded three ways: per-direction buffers are capped, flows idle longer than
//! [`IDLE_TIMEOUT_NS`] of packet time are evicted, and the table has a size cap past which
//! the least recently seen quarter is evicted. Every eviction of a flow still waiting for
//! bytes is counted.

use std::net::IpAddr;

use hashbrown::HashMap;

use crate::decode::{Decoded, TcpInfo, Transport};
use crate::proto::preamble::{self, Preamble, ProxyTarget};
use crate::proto::{dns, quic, tls};
use crate::table::{make_room, sweep_idle, Aged};
use crate::time::TsNanos;

/// A flow still waiting for its ClientHello after this much packet time is given up.
pub const IDLE_TIMEOUT_NS: i64 = 120 * 1_000_000_000;
/// How often (in packet time) the table is swept for idle flows.
const SWEEP_EVERY_NS: i64 = 10 * 1_000_000_000;
/// Out-of-order segments held per direction while waiting for a gap to fill.
const MAX_OOO_SEGMENTS: usize = 32;
/// DNS over TCP: a message is at most 65535 bytes plus its 2-byte length.
const MAX_DNS_TCP_BUF: usize = 65_537;
/// Before the stream start is known (no SYN seen), how many data segments we look at for one
/// that starts like a TLS record before calling the flow "not TLS".
const MAX_HEADLESS_SEGMENTS: u8 = 4;
/// Preamble steps (text lines, proxy requests, upgrade requests) looked through before the
/// ClientHello; SMTP sends a handful of lines before STARTTLS.
const MAX_PREAMBLE_STEPS: u8 = 32;

/// Direction-independent key: the lower endpoint first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FlowKey {
    pub lo: (IpAddr, u16),
    pub hi: (IpAddr, u16),
    pub tcp: bool,
}

impl FlowKey {
    /// The key and whether the packet goes from `lo` to `hi` (direction 0) or back (1).
    pub fn of(d: &Decoded) -> (FlowKey, usize) {
        let a = (d.src, d.sport);
        let b = (d.dst, d.dport);
        let tcp = matches!(d.transport, Transport::Tcp(_));
        if a <= b {
            (FlowKey { lo: a, hi: b, tcp }, 0)
        } else {
            (FlowKey { lo: b, hi: a, tcp }, 1)
        }
    }
}

/// What a flow told us, for the extract stage's caller to turn into events.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Found {
    Dns(dns::Message),
    TlsHello(tls::Hello),
    /// An HTTP CONNECT or SOCKS request seen before the TLS it tunnels.
    Proxy(ProxyTarget),
    /// A connection whose client spoke something else (SSH, a database, a VPN): no name
    /// can come from its bytes. Only for connections whose SYN was seen.
    Other,
}

/// Counters a worker reports.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FlowStats {
    pub flows_created: u64,
    /// Flows removed for idleness or the table cap while still waiting for bytes.
    pub evicted_idle: u64,
    pub evicted_cap: u64,
    /// Per-direction buffers that hit their cap (the direction is given up).
    pub buffer_overflows: u64,
    /// Out-of-order segments dropped because the per-direction queue was full.
    pub ooo_dropped: u64,
    pub peak_flows: u64,
}

#[derive(Debug)]
enum Dir {
    /// No data seen yet; the SYN's sequence number once seen.
    Fresh { isn: Option<u32> },
    /// No SYN seen, and the data so far does not look like a stream start: a few segments
    /// wait here in case the start arrives late (boxed: most flows never need it, and the
    /// table entry stays small).
    Early(Box<Early>),
    /// Collecting the start of the stream.
    Collecting(Box<Stream>),
    /// Nothing more to learn from this direction.
    Done,
}

#[derive(Debug, Default)]
struct Early {
    segments: Vec<(u32, Vec<u8>)>,
}

#[derive(Debug)]
struct Stream {
    /// Sequence number of `buf[0]`.
    base: u32,
    buf: Vec<u8>,
    /// Segments beyond a gap, by sequence number.
    ooo: Vec<(u32, Vec<u8>)>,
    /// ClientHellos already reported (a second one follows a HelloRetryRequest).
    hellos: u8,
    /// Preamble steps skipped so far (STARTTLS dialogue, proxy requests).
    preamble_steps: u8,
    /// A hello or a request target came out of this stream.
    named: bool,
}

impl Stream {
    fn next_seq(&self) -> u32 {
        self.base.wrapping_add(self.buf.len() as u32)
    }
}

/// One TCP connection: both directions' stream starts.
#[derive(Debug)]
pub struct FlowState {
    last_ts: TsNanos,
    /// DNS over TCP (port 53 on either side) rather than a TLS probe.
    dns: bool,
    /// The initial sequence number each side's SYN carried, once seen.
    syn_seq: [Option<u32>; 2],
    /// The direction that sent the SYN without ACK, once seen.
    client: Option<usize>,
    dirs: [Dir; 2],
}

impl Aged for FlowState {
    fn last_seen(&self) -> TsNanos {
        self.last_ts
    }

    fn waiting(&self) -> bool {
        self.dirs.iter().any(|d| !matches!(d, Dir::Done))
    }
}

impl Aged for QuicFlow {
    fn last_seen(&self) -> TsNanos {
        self.last_ts
    }

    fn waiting(&self) -> bool {
        !self.done
    }
}

impl FlowState {
    fn new(ts: TsNanos, dns: bool) -> FlowState {
        let fresh = || Dir::Fresh { isn: None };
        FlowState {
            last_ts: ts,
            dns,
            syn_seq: [None, None],
            client: None,
            dirs: [fresh(), fresh()],
        }
    }
}

/// Per-connection state of one worker, bounded and aged by the rules in `table`. The TCP
/// flows ([`FlowTable`]) and the QUIC connections ([`QuicTable`]) are its two kinds.
pub struct Flows<V> {
    flows: HashMap<FlowKey, V>,
    cap: usize,
    next_sweep: TsNanos,
    pub stats: FlowStats,
}

pub type FlowTable = Flows<FlowState>;

/// QUIC connections whose client Initials are still being read. Entries are made only for
/// datagrams that decrypt as a client Initial, so other UDP costs a lookup at most.
pub type QuicTable = Flows<QuicFlow>;

impl<V: Aged> Flows<V> {
    fn with_cap(cap: usize, flows: HashMap<FlowKey, V>) -> Flows<V> {
        Flows {
            flows,
            cap,
            next_sweep: i64::MIN,
            stats: FlowStats::default(),
        }
    }

    pub fn len(&self) -> usize {
        self.flows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.flows.is_empty()
    }

    /// Advances packet time: evicts flows idle past the timeout. Called by the worker with the
    /// reader's clock so that eviction does not depend on how flows are spread over workers.
    pub fn advance(&mut self, now: TsNanos) {
        self.stats.evicted_idle += sweep_idle(
            &mut self.flows,
            &mut self.next_sweep,
            now,
            IDLE_TIMEOUT_NS,
            SWEEP_EVERY_NS,
        );
    }

    /// Adds the entry of a key not in the table, making room first when it is full.
    fn add(&mut self, key: FlowKey, v: V) {
        self.stats.evicted_cap += make_room(&mut self.flows, self.cap);
        self.stats.flows_created += 1;
        self.flows.insert(key, v);
    }
}

impl FlowTable {
    pub fn new(cap: usize) -> FlowTable {
        let cap = cap.max(16);
        // Allocated once at full size: growing by doubling would briefly hold both tables at
        // the worst moment, under a flood. Untouched buckets cost no resident memory.
        Flows::with_cap(cap, HashMap::with_capacity(cap))
    }

    /// Handles one TCP segment; returns what it completed, if anything.
    pub fn tcp(&mut self, d: &Decoded, tcp: TcpInfo, ts: TsNanos, out: &mut Vec<(usize, Found)>) {
        let (key, dir) = FlowKey::of(d);
        if !self.flows.contains_key(&key) {
            if d.payload.is_empty() && !tcp.syn {
                // A bare ACK or FIN of a flow we never tracked: nothing to learn.
                return;
            }
            let dns = d.sport == 53 || d.dport == 53;
            self.add(key, FlowState::new(ts, dns));
            self.stats.peak_flows = self.stats.peak_flows.max(self.flows.len() as u64);
        }
        let Some(flow) = self.flows.get_mut(&key) else {
            return;
        };
        flow.last_ts = flow.last_ts.max(ts);
        if tcp.syn {
            if flow.syn_seq[dir].is_some_and(|isn| isn != tcp.seq) {
                // A SYN with a new ISN on a known 5-tuple is a new connection (port reuse):
                // whatever the old one told us, this one starts from scratch.
                *flow = FlowState::new(ts, flow.dns);
            }
            flow.syn_seq[dir] = Some(tcp.seq);
            if !tcp.ack {
                flow.client = Some(dir);
            }
            on_syn(&mut flow.dirs[dir], tcp.seq);
        }
        if !d.payload.is_empty() {
            let dns_mode = flow.dns;
            let stats = &mut self.stats;
            let unnamed = on_data(
                &mut flow.dirs[dir],
                dns_mode,
                tcp.seq.wrapping_add(tcp.syn as u32),
                d.payload,
                stats,
                |f| out.push((dir, f)),
            );
            if unnamed && !dns_mode && flow.client == Some(dir) {
                out.push((dir, Found::Other));
            }
        }
        if (tcp.rst || tcp.fin) && !flow.waiting() {
            self.flows.remove(&key);
        }
    }
}

fn on_syn(dir: &mut Dir, seq: u32) {
    match dir {
        Dir::Fresh { isn } => *isn = Some(seq),
        // The SYN came late, after data: the stream starts right after it.
        Dir::Early(_) => *dir = Dir::Fresh { isn: Some(seq) },
        // The SYN arrived after data we took as the start (capture reordering): trust it.
        Dir::Collecting(s) if s.base != seq.wrapping_add(1) && s.buf.is_empty() => {
            s.base = seq.wrapping_add(1)
        }
        Dir::Done | Dir::Collecting(_) => {}
    }
}

/// Signed distance from `b` to `a` in sequence space.
fn seq_diff(a: u32, b: u32) -> i32 {
    a.wrapping_sub(b) as i32
}

fn on_data(
    dir: &mut Dir,
    dns_mode: bool,
    seq: u32,
    data: &[u8],
    stats: &mut FlowStats,
    mut emit: impl FnMut(Found),
) -> bool {
    let starting = !matches!(dir, Dir::Collecting(_) | Dir::Done);
    let (isn, early) = match dir {
        Dir::Fresh { isn } => (*isn, None),
        Dir::Early(e) => (None, Some(e)),
        Dir::Collecting(_) | Dir::Done => (None, None),
    };
    if starting {
        let base = match isn {
            Some(isn) => isn.wrapping_add(1),
            // No SYN seen: the capture began mid-connection, or the SYN is late. Take this
            // segment as the start if it looks like one; otherwise look at a few more.
            None if dns_mode
                || tls::may_start_handshake(data)
                || preamble::classify(data) != Preamble::Unknown =>
            {
                seq
            }
            None => {
                let mut e = early.map(std::mem::take).unwrap_or_default();
                if e.segments.len() + 1 >= MAX_HEADLESS_SEGMENTS as usize {
                    *dir = Dir::Done;
                    return true;
                }
                e.segments.push((seq, data.to_vec()));
                *dir = Dir::Early(e);
                return false;
            }
        };
        let ooo = early
            .map(|e| std::mem::take(&mut e.segments))
            .unwrap_or_default();
        *dir = Dir::Collecting(Box::new(Stream {
            base,
            buf: Vec::new(),
            ooo,
            hellos: 0,
            preamble_steps: 0,
            named: false,
        }));
    }
    let Dir::Collecting(s) = dir else {
        return false;
    };
    let rel = seq_diff(seq, s.next_seq());
    if rel > 0 {
        if dns_mode {
            // DNS over TCP after a gap: resynchronise on this segment, as tshark does by
            // default, rather than waiting for bytes that may never come.
            s.buf.clear();
            s.base = seq;
            s.buf.extend_from_slice(data);
        } else {
            if s.ooo.len() >= MAX_OOO_SEGMENTS {
                stats.ooo_dropped += 1;
                return false;
            }
            if !s.ooo.iter().any(|(q, _)| *q == seq) {
                s.ooo.push((seq, data.to_vec()));
            }
            return false;
        }
    } else {
        append(s, seq, data);
        // Drain out-of-order segments that now touch the end of the buffer.
        while let Some(i) = s
            .ooo
            .iter()
            .position(|(q, _)| seq_diff(*q, s.next_seq()) <= 0)
        {
            let (q, bytes) = s.ooo.swap_remove(i);
            append(s, q, &bytes);
        }
    }
    let finished = if dns_mode {
        drain_dns(s, &mut emit)
    } else {
        scan_tls(s, &mut emit)
    };
    let limit = if dns_mode {
        MAX_DNS_TCP_BUF
    } else {
        tls::MAX_CLIENT_HELLO + 5 * 8
    };
    let gave_up = !finished && s.buf.len() > limit;
    stats.buffer_overflows += gave_up as u64;
    let unnamed = (finished || gave_up) && !s.named;
    if finished || gave_up {
        *dir = Dir::Done;
    }
    unnamed
}

/// Appends the part of a segment at `seq` that lies past the end of the buffer (the rest is
/// a retransmission or overlap of bytes we already hold; first copy wins, as in most stacks).
fn append(s: &mut Stream, seq: u32, data: &[u8]) {
    let rel = seq_diff(seq, s.next_seq());
    if rel > 0 {
        return;
    }
    let skip = rel.unsigned_abs() as usize;
    if skip < data.len() {
        s.buf.extend_from_slice(&data[skip..]);
    }
}

/// Returns true when the direction has nothing more to give.
fn scan_tls(s: &mut Stream, emit: &mut impl FnMut(Found)) -> bool {
    loop {
        if s.hellos > 0 {
            let ccs = tls::change_cipher_spec_prefix(&s.buf);
            consume(s, ccs);
        }
        match tls::parse_client_hello(&s.buf) {
            tls::Parse::Incomplete => return false,
            tls::Parse::NotTls if s.hellos > 0 || s.preamble_steps >= MAX_PREAMBLE_STEPS => {
                return true
            }
            // Not TLS (yet): a STARTTLS dialogue or a proxy request may come first.
            tls::Parse::NotTls => match preamble::classify(&s.buf) {
                Preamble::Incomplete => return false,
                Preamble::Unknown => return true,
                Preamble::Skip {
                    len,
                    target,
                    then_tls,
                } => {
                    // A keep-alive HTTP connection may carry any number of requests; each
                    // is an event, so only the other steps use up the budget.
                    let http_request = !then_tls && target.is_some();
                    if !http_request {
                        s.preamble_steps += 1;
                    }
                    if let Some(t) = target {
                        s.named = true;
                        emit(Found::Proxy(t));
                    }
                    consume(s, len);
                }
            },
            tls::Parse::ClientHello { mut hello, end } => {
                s.hellos += 1;
                s.named = true;
                hello.retry = s.hellos > 1;
                emit(Found::TlsHello(hello));
                if s.hellos >= 2 {
                    return true;
                }
                consume(s, end);
            }
        }
    }
}

fn consume(s: &mut Stream, n: usize) {
    let n = n.min(s.buf.len());
    s.buf.drain(..n);
    s.base = s.base.wrapping_add(n as u32);
}

/// Frames length-prefixed DNS messages; returns true if the stream stopped making sense.
fn drain_dns(s: &mut Stream, emit: &mut impl FnMut(Found)) -> bool {
    let mut pos = 0;
    while let Some(len) = s.buf.get(pos..pos + 2) {
        let len = u16::from_be_bytes([len[0], len[1]]) as usize;
        let Some(msg) = s.buf.get(pos + 2..pos + 2 + len) else {
            break;
        };
        if let Ok(m) = dns::parse(msg) {
            emit(Found::Dns(m));
        }
        pos += 2 + len;
    }
    consume(s, pos);
    false
}

/// One QUIC connection: the CRYPTO frames of its client Initials so far.
pub struct QuicFlow {
    last_ts: TsNanos,
    /// Keys from the first Initial's Destination Connection ID; later Initials of the
    /// connection keep using them even when the DCID changes.
    keys: Option<quic::Keys>,
    crypto: Vec<(u64, Vec<u8>)>,
    crypto_bytes: usize,
    done: bool,
}

impl QuicTable {
    pub fn new(cap: usize) -> QuicTable {
        Flows::with_cap(cap.max(16), HashMap::new())
    }

    /// Handles one UDP datagram; appends the ClientHello it completes.
    pub fn datagram(&mut self, d: &Decoded, ts: TsNanos, out: &mut Vec<tls::Hello>) {
        let (key, _) = FlowKey::of(d);
        if self.flows.get(&key).is_some_and(|f| f.done) {
            return;
        }
        for p in quic::initials(d.payload) {
            let existing = self.flows.get(&key).and_then(|f| f.keys.as_ref());
            let (frames, fresh_keys) = match existing.and_then(|k| quic::decrypt(&p, k)) {
                Some(f) => (f, None),
                None => {
                    let Some(k) = quic::client_keys(p.version, p.dcid) else {
                        continue;
                    };
                    match quic::decrypt(&p, &k) {
                        Some(f) => (f, Some(k)),
                        // Not a client Initial (a server's, or not QUIC at all).
                        None => continue,
                    }
                }
            };
            if !self.flows.contains_key(&key) {
                self.add(
                    key,
                    QuicFlow {
                        last_ts: ts,
                        keys: None,
                        crypto: Vec::new(),
                        crypto_bytes: 0,
                        done: false,
                    },
                );
            }
            let Some(f) = self.flows.get_mut(&key) else {
                return;
            };
            f.last_ts = f.last_ts.max(ts);
            if f.keys.is_none() {
                f.keys = fresh_keys;
            }
            for (off, data) in quic::crypto_frames(&frames, p.version) {
                if f.crypto_bytes + data.len() > tls::MAX_CLIENT_HELLO {
                    self.stats.buffer_overflows += 1;
                    f.done = true;
                    break;
                }
                if !f
                    .crypto
                    .iter()
                    .any(|(o, d)| *o == off && d.len() == data.len())
                {
                    f.crypto_bytes += data.len();
                    f.crypto.push((off, data.to_vec()));
                }
            }
            if f.done {
                return;
            }
            // The CRYPTO stream from offset 0, as far as it is contiguous.
            f.crypto.sort_by_key(|(o, _)| *o);
            let mut stream: Vec<u8> = Vec::new();
            for (o, d) in &f.crypto {
                let o = *o as usize;
                if o > stream.len() {
                    break;
                }
                if o + d.len() > stream.len() {
                    stream.extend_from_slice(&d[stream.len() - o..]);
                }
            }
            match tls::parse_handshake_stream(&stream) {
                tls::Parse::Incomplete => {}
                tls::Parse::NotTls => {
                    f.done = true;
                    f.crypto = Vec::new();
                }
                tls::Parse::ClientHello { hello, .. } => {
                    out.push(hello);
                    f.done = true;
                    f.crypto = Vec::new();
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg<'a>(seq: u32, syn: bool, payload: &'a [u8]) -> (Decoded<'a>, TcpInfo) {
        let tcp = TcpInfo {
            seq,
            syn,
            ack: !syn,
            fin: false,
            rst: false,
        };
        let d = Decoded {
            src: "10.0.0.1".parse().unwrap(),
            dst: "10.0.0.2".parse().unwrap(),
            sport: 40000,
            dport: 8443,
            transport: Transport::Tcp(tcp),
            payload,
            truncated: false,
        };
        (d, tcp)
    }

    fn hello() -> Vec<u8> {
        crate::proto::tls::tests::client_hello("acme.zendesk.com", 1700)
    }

    fn run(segs: &[(u32, bool, std::ops::Range<usize>)]) -> Vec<Found> {
        let ch = hello();
        let mut t = FlowTable::new(1024);
        let mut out = Vec::new();
        for (i, (seq, syn, r)) in segs.iter().enumerate() {
            let (d, tcp) = seg(*seq, *syn, &ch[r.clone()]);
            t.tcp(&d, tcp, i as i64, &mut out);
        }
        out.into_iter().map(|(_, f)| f).collect()
    }

    #[test]
    fn other_protocols_are_reported_once_for_connections_whose_syn_was_seen() {
        let ssh = b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n";
        let mut t = FlowTable::new(64);
        let mut out = Vec::new();
        let (d, tcp) = seg(100, true, b"");
        t.tcp(&d, tcp, 0, &mut out);
        let (d, tcp) = seg(101, false, ssh);
        t.tcp(&d, tcp, 1, &mut out);
        // The banner is a text line the preamble stage may skip; the binary KEXINIT that
        // follows settles it.
        let kexinit = [0, 0, 5, 0xdc, 6, 0x14, 0x9a, 0x3b, 0x11, 0x02];
        let (d, tcp) = seg(101 + ssh.len() as u32, false, &kexinit);
        t.tcp(&d, tcp, 2, &mut out);
        assert_eq!(out, vec![(0, Found::Other)]);
        // A SYN-ACK does not make its sender the client; nor does data with no SYN seen.
        let mut t = FlowTable::new(64);
        let mut out = Vec::new();
        let (d, mut tcp) = seg(100, true, b"");
        tcp.ack = true;
        t.tcp(&d, tcp, 0, &mut out);
        let (d, tcp) = seg(101, false, ssh);
        t.tcp(&d, tcp, 1, &mut out);
        assert!(out.is_empty(), "{out:?}");
        // A TLS connection is named, not other.
        let n = hello().len();
        assert!(!run(&[(99, true, 0..0), (100, false, 0..n)]).contains(&Found::Other));
    }

    fn dns_query(name: &str) -> Vec<u8> {
        let mut m = vec![0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
        for l in name.split('.') {
            m.push(l.len() as u8);
            m.extend_from_slice(l.as_bytes());
        }
        m.extend_from_slice(&[0, 0, 1, 0, 1]);
        let mut framed = (m.len() as u16).to_be_bytes().to_vec();
        framed.extend_from_slice(&m);
        framed
    }

    fn dns_names(found: &[(usize, Found)]) -> Vec<String> {
        found
            .iter()
            .filter_map(|(_, f)| match f {
                Found::Dns(m) => Some(m.questions[0].name.clone()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn dns_over_tcp_framing() {
        let mut stream = dns_query("a.example");
        stream.extend(dns_query("b.example"));
        stream.extend(dns_query("c.example"));
        let mut t = FlowTable::new(64);
        let mut out = Vec::new();
        fn mk(seq: u32, p: &[u8]) -> (Decoded<'_>, TcpInfo) {
            let (mut d, tcp) = seg(seq, false, p);
            d.dport = 53;
            (d, tcp)
        }
        // Two messages and the first bytes of the third in one segment, the rest in another.
        let cut = stream.len() - 5;
        for (seq, part) in [(1u32, &stream[..cut]), (1 + cut as u32, &stream[cut..])] {
            let (d, tcp) = mk(seq, part);
            t.tcp(&d, tcp, 0, &mut out);
        }
        assert_eq!(dns_names(&out), ["a.example", "b.example", "c.example"]);
        // After a gap the stream resynchronises on the next segment, as tshark does.
        out.clear();
        let later = dns_query("d.example");
        let (d, tcp) = mk(10_000, &later);
        t.tcp(&d, tcp, 0, &mut out);
        assert_eq!(dns_names(&out), ["d.example"]);
    }

    #[test]
    fn port_reuse_starts_a_new_connection() {
        let ch = hello();
        let mut t = FlowTable::new(1024);
        let mut out = Vec::new();
        for (i, isn) in [999u32, 5_000_000].into_iter().enumerate() {
            let (d, tcp) = seg(isn, true, &[]);
            t.tcp(&d, tcp, i as i64, &mut out);
            let (d, tcp) = seg(isn + 1, false, &ch);
            t.tcp(&d, tcp, i as i64, &mut out);
        }
        assert_eq!(out.len(), 2);
    }

    fn want() -> Vec<Found> {
        vec![Found::TlsHello(tls::Hello {
            names: vec!["acme.zendesk.com".into()],
            ech: None,
            retry: false,
        })]
    }

    #[test]
    fn split_in_order_out_of_order_and_retransmitted() {
        let n = hello().len();
        // SYN at 999: data starts at 1000.
        assert_eq!(
            run(&[
                (999, true, 0..0),
                (1000, false, 0..1448),
                (2448, false, 1448..n)
            ]),
            want()
        );
        assert_eq!(
            run(&[
                (999, true, 0..0),
                (2448, false, 1448..n),
                (1000, false, 0..1448)
            ]),
            want()
        );
        // Retransmission of the first segment and an overlapping second segment.
        assert_eq!(
            run(&[
                (999, true, 0..0),
                (1000, false, 0..1448),
                (1000, false, 0..1448),
                (2400, false, 1400..n)
            ]),
            want()
        );
        // No SYN seen, second segment first.
        assert_eq!(
            run(&[(2448, false, 1448..n), (1000, false, 0..1448)]),
            want()
        );
        // Incomplete: nothing.
        assert!(run(&[(999, true, 0..0), (1000, false, 0..1448)]).is_empty());
    }

    #[test]
    fn idle_flows_are_evicted_and_counted() {
        let ch = hello();
        let mut t = FlowTable::new(1024);
        let mut out = Vec::new();
        let (d, tcp) = seg(1, false, &ch[..100]);
        t.tcp(&d, tcp, 0, &mut out);
        assert_eq!(t.len(), 1);
        t.advance(IDLE_TIMEOUT_NS + 1);
        assert_eq!(t.len(), 0);
        assert_eq!(t.stats.evicted_idle, 1);
    }

    #[test]
    fn table_cap_holds() {
        let ch = hello();
        let mut t = FlowTable::new(64);
        let mut out = Vec::new();
        for i in 0..1000u16 {
            let (mut d, tcp) = seg(1, false, &ch[..100]);
            d.sport = i;
            t.tcp(&d, tcp, i as i64, &mut out);
            assert!(t.len() <= 64);
        }
        assert!(t.stats.evicted_cap > 900);
    }
}
