//! TCP: each direction's stream start, put back in order until `probe` has what it needs (a
//! ClientHello, a proxy request, DNS messages) or knows there is nothing to find.

use crate::decode::{Decoded, TcpInfo};
use crate::memcap::{Budget, Charge};
use crate::model::{Identity, Source};
use crate::proto::preamble::{self, Preamble};
use crate::proto::{kerberos, ntlm, tls};
use crate::table::Aged;
use crate::time::TsNanos;

use super::probe::{self, Probe, Progress};
use super::reassembly::Reassembler;
use super::{end_of, new_track, FlowKey, FlowStats, Flows, Track, Tracked};
use crate::dispatch::{self, Protocol};
use crate::model::Extracted;

/// Before the stream start is known (no SYN seen), how many data segments we look at for one
/// that starts like a TLS record before calling the flow "not TLS".
const MAX_HEADLESS_SEGMENTS: usize = 4;
/// What a TLS probe may hold of a stream: the largest ClientHello plus its record headers
/// when split into the 8 records a real client might use. Bytes past it are never read, so
/// segments beyond it are refused, not stored.
const TLS_WINDOW: usize = tls::MAX_CLIENT_HELLO + 5 * 8;
/// DNS over TCP: a message is at most 65535 bytes plus its 2-byte length.
const DNS_WINDOW: usize = 65_537;
/// Kerberos over TCP: the largest AS-REQ read, plus its 4-byte record mark.
const KERBEROS_WINDOW: usize = kerberos::MAX_TCP_RECORD + 4;
/// Payloads shorter than this cannot hold an NTLMSSP AUTHENTICATE's fixed part (64 bytes;
/// base64 makes it longer still), so the probe skips them.
const MIN_NTLM_PAYLOAD: usize = 64;

/// How a stream's bytes are read, as the dispatch table says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Framing {
    /// Probed for a ClientHello, a preamble or HTTP.
    Probe,
    /// Length-prefixed DNS messages.
    Dns,
    /// Kerberos messages behind 4-byte record marks.
    Kerberos,
}

impl Framing {
    fn of(d: &Decoded) -> Framing {
        match dispatch::protocol(d) {
            Some(Protocol::DnsOverTcp) => Framing::Dns,
            Some(Protocol::KerberosOverTcp) => Framing::Kerberos,
            _ => Framing::Probe,
        }
    }

    fn window(self) -> usize {
        match self {
            Framing::Probe => TLS_WINDOW,
            Framing::Dns => DNS_WINDOW,
            Framing::Kerberos => KERBEROS_WINDOW,
        }
    }
}
/// The table's entry cap at most, whatever the budget (a worker with a large `--memcap`
/// share still sweeps a bounded table).
const MAX_ENTRIES: usize = 1 << 20;

/// The state of one direction of a connection (`dir`, where it appears, is its index: 0 from
/// the key's `lo` endpoint, 1 back).
#[derive(Debug)]
enum DirState {
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

#[derive(Debug)]
struct Early {
    segments: Vec<(u32, Vec<u8>)>,
    charge: Charge,
}

#[derive(Debug)]
struct Stream {
    /// Sequence number of stream offset 0.
    origin: u32,
    bytes: Reassembler,
    probe: Probe,
}

impl Stream {
    /// The stream offset of a segment's first byte, or None when it lies before the stream
    /// start (such bytes are from before what we follow; the part past the start is kept by
    /// trimming).
    fn offset(&self, seq: u32) -> (u64, usize) {
        let end = self.bytes.end();
        let next = self.origin.wrapping_add(end as u32);
        let rel = seq.wrapping_sub(next) as i32 as i64;
        let off = end as i64 + rel;
        if off < 0 {
            (0, off.unsigned_abs() as usize)
        } else {
            (off as u64, 0)
        }
    }
}

/// One TCP connection: both directions' stream starts.
#[derive(Debug)]
pub struct FlowState {
    last_ts: TsNanos,
    /// How the stream is read (the dispatch table's choice).
    framing: Framing,
    /// A ClientHello came out of it: no NTLMSSP to look for in its bytes.
    tls: bool,
    /// The initial sequence number each side's SYN carried, once seen.
    syn_seq: [Option<u32>; 2],
    /// The direction that sent the SYN without ACK, once seen.
    client: Option<usize>,
    dirs: [DirState; 2],
    /// After a ClientHello: the connection followed to its end.
    track: Option<Box<Track>>,
}

impl Tracked for FlowState {
    fn track(&mut self) -> &mut Option<Box<Track>> {
        &mut self.track
    }

    fn unfinished_http_head(&self) -> bool {
        self.framing == Framing::Probe
            && self.dirs.iter().any(|d| match d {
                DirState::Collecting(s) => probe::unfinished_http_head(s.bytes.bytes()),
                _ => false,
            })
    }
}

impl Aged for FlowState {
    fn last_seen(&self) -> TsNanos {
        self.last_ts
    }

    fn waiting(&self) -> bool {
        self.dirs.iter().any(|d| !matches!(d, DirState::Done))
    }
}

impl FlowState {
    fn new(ts: TsNanos, framing: Framing) -> FlowState {
        let fresh = || DirState::Fresh { isn: None };
        FlowState {
            last_ts: ts,
            framing,
            tls: false,
            syn_seq: [None, None],
            client: None,
            dirs: [fresh(), fresh()],
            track: None,
        }
    }
}

pub type FlowTable = Flows<FlowState>;

impl FlowTable {
    /// A table within `bytes` of the memory budget (entries and buffers).
    pub fn new(bytes: usize) -> FlowTable {
        Flows::within(bytes, MAX_ENTRIES)
    }

    /// Handles one TCP segment; appends what it completed, with its direction.
    pub fn tcp(
        &mut self,
        d: &Decoded,
        tcp: TcpInfo,
        ts: TsNanos,
        out: &mut Vec<(usize, Extracted)>,
    ) {
        let (key, dir) = FlowKey::of(d);
        if !self.flows.contains_key(&key) {
            if d.payload.is_empty() && !tcp.syn {
                // A bare ACK or FIN of a flow we never tracked: nothing to learn.
                return;
            }
            self.add(key, FlowState::new(ts, Framing::of(d)));
        }
        if !d.payload.is_empty() {
            self.relieve_pressure();
        }
        let Some(flow) = self.flows.get_mut(&key) else {
            return;
        };
        flow.last_ts = flow.last_ts.max(ts);
        if let Some(t) = flow.track.as_mut() {
            t.count(dir, d.payload.len(), ts);
        }
        if tcp.syn {
            if flow.syn_seq[dir].is_some_and(|isn| isn != tcp.seq) {
                // A SYN with a new ISN on a known 5-tuple is a new connection (port reuse):
                // whatever the old one told us, this one starts from scratch.
                if let Some(t) = flow.track.take() {
                    self.stats.sessions_ended += 1;
                    self.ended.push(end_of(key, &t, false));
                }
                *flow = FlowState::new(ts, flow.framing);
            }
            flow.syn_seq[dir] = Some(tcp.seq);
            if !tcp.ack {
                flow.client = Some(dir);
            }
            on_syn(&mut flow.dirs[dir], tcp.seq);
        }
        let before = out.len();
        if !d.payload.is_empty() {
            let seg = Segment {
                seq: tcp.seq.wrapping_add(tcp.syn as u32),
                data: d.payload,
            };
            let client = flow.client == Some(dir);
            let framing = flow.framing;
            let before = out.len();
            let unnamed = on_data(
                &mut flow.dirs[dir],
                framing,
                seg,
                &self.budget,
                &mut self.stats,
                &mut |f| out.push((dir, f)),
            );
            let probe = framing == Framing::Probe;
            if unnamed && probe && client {
                out.push((dir, Extracted::Other));
            }
            let tail = out.get(before..).unwrap_or_default();
            flow.tls |= tail
                .iter()
                .any(|(_, f)| matches!(f, Extracted::Hello { .. }));
            // NTLMSSP rides inside many protocols at any point of a connection; it always
            // goes from the client, so a direction known to be the server's is skipped.
            let server = flow.client == Some(1 - dir);
            if probe && !flow.tls && !server && d.payload.len() >= MIN_NTLM_PAYLOAD {
                match ntlm::find_authenticate(d.payload) {
                    ntlm::Found::Nothing => {}
                    ntlm::Found::Authenticate(a) => {
                        out.push((dir, Extracted::Identity(Identity::Ntlm(a))))
                    }
                    ntlm::Found::Malformed => {
                        out.push((dir, Extracted::Identity(Identity::Malformed(Source::Ntlm))))
                    }
                }
            }
        }
        let hello = out
            .get(before..)
            .unwrap_or_default()
            .iter()
            .any(|(_, f)| matches!(f, Extracted::Hello { retry: false, .. }));
        if hello && flow.track.is_none() {
            flow.track = new_track(&self.budget, &mut self.stats, dir, ts);
            if let Some(t) = flow.track.as_mut() {
                t.count(dir, d.payload.len(), ts);
            }
        }
        if let Some(t) = flow.track.as_mut() {
            t.fin[dir] |= tcp.fin;
            if tcp.rst || t.fin == [true, true] {
                self.stats.sessions_ended += 1;
                self.ended.push(end_of(key, t, true));
                flow.track = None;
            }
        }
        if (tcp.rst || tcp.fin) && !flow.waiting() && flow.track.is_none() {
            self.flows.remove(&key);
        }
    }
}

#[derive(Clone, Copy)]
struct Segment<'a> {
    seq: u32,
    data: &'a [u8],
}

fn on_syn(dir: &mut DirState, seq: u32) {
    match dir {
        DirState::Fresh { isn } => *isn = Some(seq),
        // The SYN came late, after data: the stream starts right after it.
        DirState::Early(_) => *dir = DirState::Fresh { isn: Some(seq) },
        // The SYN arrived after data we took as the start (capture reordering): trust it,
        // while nothing has been read yet.
        DirState::Collecting(s) if s.bytes.end() == 0 => s.origin = seq.wrapping_add(1),
        DirState::Done | DirState::Collecting(_) => {}
    }
}

/// Takes one data segment; returns true when the direction ended without a name.
fn on_data(
    dir: &mut DirState,
    framing: Framing,
    seg: Segment,
    budget: &Budget,
    stats: &mut FlowStats,
    emit: &mut impl FnMut(Extracted),
) -> bool {
    if !matches!(dir, DirState::Collecting(_) | DirState::Done) {
        match start(dir, framing, seg, budget, stats) {
            Start::Stream(s) => *dir = DirState::Collecting(s),
            Start::Waiting => return false,
            Start::GaveUp { unnamed } => return unnamed,
        }
        if let DirState::Collecting(s) = dir {
            // The segment that started the stream (and any that waited) is in already.
            return finish(dir_probe(s, framing, emit), dir, stats);
        }
    }
    let DirState::Collecting(s) = dir else {
        return false;
    };
    let (off, skip) = s.offset(seg.seq);
    let data = seg.data.get(skip..).unwrap_or_default();
    if framing != Framing::Probe && off > s.bytes.end() {
        // DNS (or Kerberos) over TCP after a gap: resynchronise on this segment, as tshark
        // does by default, rather than waiting for bytes that may never come.
        s.bytes.restart(off);
    }
    if let Err(r) = s.bytes.insert(off, data) {
        stats.refused(r);
    }
    finish(dir_probe(s, framing, emit), dir, stats)
}

fn dir_probe(s: &mut Stream, framing: Framing, emit: &mut impl FnMut(Extracted)) -> Progress {
    if !s.bytes.grew() {
        return Progress::Waiting;
    }
    match framing {
        Framing::Dns => probe::dns_messages(&mut s.bytes, emit),
        Framing::Kerberos => probe::kerberos_messages(&mut s.bytes, emit),
        Framing::Probe => probe::tls_or_preamble(&mut s.probe, &mut s.bytes, emit),
    }
}

/// Settles a direction after its bytes were probed; returns true when it ended unnamed.
fn finish(p: Progress, dir: &mut DirState, stats: &mut FlowStats) -> bool {
    let DirState::Collecting(s) = dir else {
        return false;
    };
    let gave_up = p == Progress::Waiting && s.bytes.full();
    stats.buffer_overflows += gave_up as u64;
    stats.http_head_too_long += (p == Progress::HeadTooLong) as u64;
    let ended = p != Progress::Waiting || gave_up;
    let unnamed = ended && !s.probe.named;
    if ended {
        *dir = DirState::Done;
    }
    unnamed
}

enum Start {
    /// The stream start is known; the stream holds this segment and any that waited.
    Stream(Box<Stream>),
    /// Headless segments wait for a start.
    Waiting,
    /// The direction is given up: no start in sight (`unnamed`: it spoke something else),
    /// or no memory for it (then nothing is known of it).
    GaveUp { unnamed: bool },
}

/// The first data of a direction: where its stream starts.
fn start(
    dir: &mut DirState,
    framing: Framing,
    seg: Segment,
    budget: &Budget,
    stats: &mut FlowStats,
) -> Start {
    let origin = match dir {
        DirState::Fresh { isn: Some(isn) } => isn.wrapping_add(1),
        // No SYN seen: the capture began mid-connection, or the SYN is late. Take this
        // segment as the start if it looks like one; otherwise look at a few more.
        _ if framing != Framing::Probe
            || tls::may_start_handshake(seg.data)
            || preamble::classify(seg.data) != Preamble::Unknown =>
        {
            seg.seq
        }
        _ => return wait_for_start(dir, seg, budget, stats),
    };
    let window = framing.window();
    let Some(bytes) = Reassembler::new(0, window, budget) else {
        stats.dropped_memcap += 1;
        *dir = DirState::Done;
        return Start::GaveUp { unnamed: false };
    };
    let mut s = Box::new(Stream {
        origin,
        bytes,
        probe: Probe::default(),
    });
    let early = match std::mem::replace(dir, DirState::Done) {
        DirState::Early(e) => e.segments,
        _ => Vec::new(),
    };
    for (seq, data) in early
        .iter()
        .map(|(q, d)| (*q, d.as_slice()))
        .chain([(seg.seq, seg.data)])
    {
        let (off, skip) = s.offset(seq);
        if let Err(r) = s.bytes.insert(off, data.get(skip..).unwrap_or_default()) {
            stats.refused(r);
        }
    }
    Start::Stream(s)
}

/// Keeps a headless segment in case the stream start arrives late; gives the direction up
/// after a few, or when the budget cannot hold it.
fn wait_for_start(
    dir: &mut DirState,
    seg: Segment,
    budget: &Budget,
    stats: &mut FlowStats,
) -> Start {
    let memcap = |stats: &mut FlowStats| {
        stats.dropped_memcap += 1;
        Start::GaveUp { unnamed: false }
    };
    let mut early = match std::mem::replace(dir, DirState::Done) {
        DirState::Early(e) => e,
        _ => match budget.charge(std::mem::size_of::<Early>()) {
            Some(charge) => Box::new(Early {
                segments: Vec::new(),
                charge,
            }),
            None => return memcap(stats),
        },
    };
    if early.segments.len() + 1 >= MAX_HEADLESS_SEGMENTS {
        return Start::GaveUp { unnamed: true };
    }
    // The segment's bytes and its Vec header in the list.
    let cost = early.charge.bytes() + seg.data.len() + 32;
    if !early.charge.resize(cost) {
        return memcap(stats);
    }
    early.segments.push((seg.seq, seg.data.to_vec()));
    *dir = DirState::Early(early);
    Start::Waiting
}

#[cfg(test)]
mod session_tests;
#[cfg(test)]
mod tests;
