//! The byte budget of the observations between the workers and the merge.
//!
//! The channels are bounded in chunks, and a chunk is bounded in packets, but not what a
//! chunk's packets make: a keep-alive connection of pipelined HTTP requests with credentials
//! gives ~35 observations per packet, each with its strings, so the 24 chunks two workers may
//! have queued held 113 MB (heaptrack, `http-exposure` flood at 250k requests) outside
//! `--memcap`. So a worker weighs each chunk's observations before it sends them, and waits
//! while the chunks in flight weigh more than this budget, unless its chunk is the one the
//! merge needs next: that chunk always goes, so the merge can always move and no one waits
//! for ever. Waiting slows the reader (its channels fill), as any slow stage does; live
//! capture then drops in the kernel, counted there.

use std::sync::{Condvar, Mutex, PoisonError};

use crate::model::{IdentityWhat, Observation, What};

/// What a chunk's observations weigh: the vector's slots and what each observation holds
/// beyond them, from the lengths of its strings and vectors (an allocator may round up a
/// little; the budget has room for that).
pub(super) fn weigh(obs: &Vec<Observation>) -> usize {
    let slots = obs.capacity() * std::mem::size_of::<Observation>();
    obs.iter()
        .fold(slots, |n, o| n.saturating_add(held(&o.what)))
}

fn held(what: &What) -> usize {
    fn s(v: &str) -> usize {
        v.len()
    }
    fn o(v: &Option<String>) -> usize {
        v.as_deref().map_or(0, str::len)
    }
    fn all<T>(v: &[T], each: impl Fn(&T) -> usize) -> usize {
        std::mem::size_of_val(v) + v.iter().map(each).sum::<usize>()
    }
    match what {
        What::DnsQuery { name, .. } => s(name),
        What::DnsAnswer { msg } => {
            all(&msg.questions, |q| s(&q.name))
                + all(&msg.cnames, |(a, b)| s(a) + s(b))
                + all(&msg.addrs, |(a, _)| s(a))
                + all(&msg.ech, |r| {
                    s(&r.owner)
                        + all(&r.configs, |c| {
                            s(&c.public_name) + std::mem::size_of_val(c.suites.as_slice())
                        })
                })
        }
        What::TlsHello { name, client, .. } | What::QuicHello { name, client, .. } => {
            s(name)
                + client
                    .as_ref()
                    .map_or(0, |c| s(&c.ja4_rest) + all(&c.alpn, |a| s(a)))
        }
        What::Proxy { target } => s(&target.host),
        What::Exposure(e) => {
            s(&e.host) + o(&e.path) + e.credential.as_ref().map_or(0, |c| o(&c.name))
        }
        What::HttpResponse(r) => {
            all(&r.header_names, |h| s(h))
                + all(&r.cookie_names, |c| s(c))
                + o(&r.server)
                + o(&r.powered_by)
                + o(&r.title)
        }
        What::ServerHello(h) => all(&h.names, |n| s(n)),
        What::OtherTcp | What::SessionEnd(_) => 0,
        What::Identity(i) => match i {
            IdentityWhat::Claim(c) => o(&c.value),
            IdentityWhat::DhcpClient { hostname, fqdn, .. } => o(hostname) + o(fqdn),
            IdentityWhat::Dhcpv6Client { fqdn, .. } => o(fqdn),
            IdentityWhat::DhcpRelease { mac, .. } => s(mac),
            IdentityWhat::Malformed(_) => 0,
        },
    }
}

#[derive(Default)]
struct State {
    /// Bytes of the chunks sent and not yet merged.
    bytes: usize,
    /// The chunk the merge waits for (chunks are numbered from 0 in every worker alike:
    /// every chunk reaches every worker).
    merging: u64,
    /// The most `bytes` ever was.
    peak: usize,
    /// Times a worker waited for the merge.
    waits: u64,
    /// A worker died (a bug): the merge cannot reach its chunks, so no one waits any more
    /// and the run ends with what it has.
    broken: bool,
}

pub(super) struct InFlight {
    limit: usize,
    state: Mutex<State>,
    merged: Condvar,
}

impl InFlight {
    pub(super) fn new(limit: usize) -> InFlight {
        InFlight {
            limit,
            state: Mutex::default(),
            merged: Condvar::new(),
        }
    }

    /// A worker's chunk `seq`, weighing `bytes`: returns when it may be sent.
    pub(super) fn reserve(&self, seq: u64, bytes: usize) {
        // A poisoned lock means another thread panicked; the run reports that, and the
        // numbers here stay usable.
        let mut st = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let mut waited = false;
        while !st.broken && seq > st.merging && st.bytes.saturating_add(bytes) > self.limit {
            waited = true;
            st = self.merged.wait(st).unwrap_or_else(PoisonError::into_inner);
        }
        st.waits += u64::from(waited);
        st.bytes = st.bytes.saturating_add(bytes);
        st.peak = st.peak.max(st.bytes);
    }

    /// The merge handed over one chunk of every worker, weighing `bytes` together.
    pub(super) fn release(&self, bytes: usize) {
        let mut st = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        st.bytes = st.bytes.saturating_sub(bytes);
        st.merging += 1;
        drop(st);
        self.merged.notify_all();
    }

    /// Held by a worker thread: if the worker dies, the others stop waiting for a merge that
    /// cannot come (without this a panic in one worker would hang the run, not end it).
    pub(super) fn guard(&self) -> Guard<'_> {
        Guard(self)
    }

    /// The largest weight in flight, and how often a worker waited.
    pub(super) fn peak_and_waits(&self) -> (usize, u64) {
        let st = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        (st.peak, st.waits)
    }
}

pub(super) struct Guard<'a>(&'a InFlight);

impl Drop for Guard<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let mut st = self.0.state.lock().unwrap_or_else(PoisonError::into_inner);
            st.broken = true;
            drop(st);
            self.0.merged.notify_all();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Duration;

    /// A chunk ahead of the merge waits while the budget is spent, and goes once the merge
    /// frees it; the chunk the merge needs goes at once however heavy.
    #[test]
    fn ahead_waits_and_the_next_chunk_never_does() {
        let f = Arc::new(InFlight::new(100));
        f.reserve(0, 1_000); // the merge's chunk: past the limit, not held
        let g = Arc::clone(&f);
        let ahead = std::thread::spawn(move || g.reserve(1, 10));
        std::thread::sleep(Duration::from_millis(50));
        assert!(
            !ahead.is_finished(),
            "chunk 1 must wait while 1,000 of 100 bytes are out"
        );
        f.release(1_000);
        ahead.join().unwrap();
        assert_eq!(f.peak_and_waits(), (1_000, 1));
    }

    /// A worker that dies releases the others: chunk 1 waits, then goes once a thread
    /// holding a guard panics.
    #[test]
    fn a_dead_worker_stops_the_waiting() {
        let f = Arc::new(InFlight::new(100));
        f.reserve(0, 1_000);
        let g = Arc::clone(&f);
        let ahead = std::thread::spawn(move || g.reserve(1, 10));
        std::thread::sleep(Duration::from_millis(50));
        assert!(!ahead.is_finished());
        let h = Arc::clone(&f);
        let dies = std::thread::spawn(move || {
            let _g = h.guard();
            panic!("a worker's bug");
        });
        assert!(dies.join().is_err());
        ahead.join().unwrap();
    }
}
