//! QUIC: the CRYPTO frames of a connection's client Initials, put back in order until the
//! ClientHello they carry is complete. Entries are made only for datagrams that decrypt as a
//! client Initial, so other UDP costs a lookup at most.

use crate::decode::Decoded;
use crate::memcap::Charge;
use crate::proto::{quic, tls};
use crate::table::Aged;
use crate::time::TsNanos;

use super::reassembly::Reassembler;
use super::{new_track, FlowKey, Flows, Track, Tracked};

/// Connections at most, whatever the budget: a QUIC table's entries are small (the keys and
/// the CRYPTO bytes are charged to the budget apart), and real Initials of one worker's share
/// of a network in two minutes stay far below this.
const MAX_ENTRIES: usize = 1 << 16;

/// One QUIC connection: the CRYPTO stream of its client Initials so far.
pub struct QuicFlow {
    last_ts: TsNanos,
    /// Keys from the first Initial's Destination Connection ID; later Initials of the
    /// connection keep using them even when the DCID changes. Boxed: most of the table is
    /// done entries, which drop them.
    keys: Option<(Box<quic::Keys>, Charge)>,
    crypto: Option<Reassembler>,
    /// The TLS parser needs at least this many CRYPTO bytes before it can say more.
    need: usize,
    /// After the ClientHello: the connection followed until it goes idle (QUIC's close is
    /// encrypted, so idleness is its only end a passive sensor sees).
    track: Option<Box<Track>>,
}

impl Tracked for QuicFlow {
    fn track(&mut self) -> &mut Option<Box<Track>> {
        &mut self.track
    }
}

impl QuicFlow {
    fn done(&self) -> bool {
        self.crypto.is_none()
    }

    fn finish(&mut self) {
        self.crypto = None;
        self.keys = None;
    }
}

impl Aged for QuicFlow {
    fn last_seen(&self) -> TsNanos {
        self.last_ts
    }

    fn waiting(&self) -> bool {
        !self.done()
    }
}

/// QUIC connections whose client Initials are still being read.
pub type QuicTable = Flows<QuicFlow>;

impl QuicTable {
    /// A table within `bytes` of the memory budget (entries, keys and CRYPTO data).
    pub fn new(bytes: usize) -> QuicTable {
        Flows::within(bytes, MAX_ENTRIES)
    }

    /// Handles one UDP datagram; appends the ClientHello it completes.
    pub fn datagram(&mut self, d: &Decoded, ts: TsNanos, out: &mut Vec<tls::Hello>) {
        let (key, dir) = FlowKey::of(d);
        if let Some(f) = self.flows.get_mut(&key) {
            if let Some(t) = f.track.as_mut() {
                f.last_ts = f.last_ts.max(ts);
                t.count(dir, d.payload.len(), ts);
            }
            if f.done() {
                return;
            }
        }
        for p in quic::initials(d.payload) {
            let existing = self.flows.get(&key).and_then(|f| f.keys.as_ref());
            let (frames, fresh_keys) = match existing.and_then(|(k, _)| quic::decrypt(&p, k)) {
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
                self.relieve_pressure();
                let Some(crypto) = Reassembler::new(0, tls::MAX_CLIENT_HELLO, &self.budget) else {
                    self.stats.dropped_memcap += 1;
                    return;
                };
                let flow = QuicFlow {
                    last_ts: ts,
                    keys: None,
                    crypto: Some(crypto),
                    need: 0,
                    track: None,
                };
                self.add(key, flow);
            }
            let Some(f) = self.flows.get_mut(&key) else {
                return;
            };
            f.last_ts = f.last_ts.max(ts);
            if f.keys.is_none() {
                if let Some(k) = fresh_keys {
                    match self.budget.charge(std::mem::size_of::<quic::Keys>()) {
                        Some(c) => f.keys = Some((Box::new(k), c)),
                        None => self.stats.dropped_memcap += 1,
                    }
                }
            }
            let Some(crypto) = f.crypto.as_mut() else {
                return;
            };
            for (off, data) in quic::crypto_frames(&frames, p.version) {
                if let Err(r) = crypto.insert(off, data) {
                    self.stats.refused(r);
                }
            }
            if !crypto.grew() || crypto.bytes().len() < f.need {
                continue;
            }
            match tls::parse_handshake_stream(crypto.bytes()) {
                tls::Parse::Incomplete { need } => {
                    if crypto.full() {
                        self.stats.buffer_overflows += 1;
                        f.finish();
                    }
                    f.need = need;
                }
                tls::Parse::NotTls => f.finish(),
                tls::Parse::ClientHello { hello, .. } => {
                    out.push(hello);
                    f.finish();
                    if f.track.is_none() {
                        f.track = new_track(&self.budget, &mut self.stats, dir, ts);
                        if let Some(t) = f.track.as_mut() {
                            t.count(dir, d.payload.len(), ts);
                        }
                    }
                    return;
                }
            }
        }
    }
}
