//! One memory budget for everything attacker bytes can fill.
//!
//! A span port carries whatever anyone on the network sends, so every buffer whose size the
//! traffic decides is charged to a [`Budget`], and all budgets are shares of one total
//! (`--memcap`). Shares, not one shared counter: each owner is a single thread (a worker's flow
//! tables, the reader's defragmenter, the aggregator), so charging costs no synchronisation,
//! and what a full budget drops depends only on the traffic, never on thread timing.
//!
//! A [`Charge`] is the receipt for bytes taken from a budget; dropping it gives them back, so
//! every path that frees state (eviction, a finished flow, a reset) frees its budget too.

use std::cell::Cell;
use std::rc::Rc;

/// The default total: with the fixed costs around it (the reader's 16 MiB of I/O blocks, the
/// channels between threads, the catalog) the whole process stays under 256 MiB on every
/// flood of `scripts/flood.sh`.
pub const DEFAULT_MEMCAP: usize = 160 << 20;
/// Below this the tables cannot hold even a handful of flows; `--memcap` refuses less.
pub const MIN_MEMCAP: usize = 16 << 20;

/// Fractions of the total, in percent. TCP reassembly takes the most: it is where most
/// names come from and where floods of half-open connections land. Per-host state is next:
/// it is the report itself.
const TCP_PERCENT: usize = 40;
const QUIC_PERCENT: usize = 15;
/// Fragmented datagrams are rare on a span port: 5 % of the default holds 128 of the largest
/// (64 KiB) in progress.
const DEFRAG_PERCENT: usize = 5;
const HOSTS_PERCENT: usize = 25;
const DNS_CACHE_PERCENT: usize = 10;
/// Observations made and not yet merged (pipeline/inflight.rs): normal traffic makes a few
/// per chunk; floods of pipelined requests make thousands.
const IN_FLIGHT_PERCENT: usize = 5;

/// The total split into the shares each owner gets (per worker for the flow tables).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shares {
    pub total: usize,
    /// Per worker: TCP flow entries and their stream buffers.
    pub tcp: usize,
    /// Per worker: QUIC connections being read (keys and CRYPTO data).
    pub quic: usize,
    pub defrag: usize,
    /// Per-host usage and visibility (the report's hosts).
    pub hosts: usize,
    /// DNS answers and ECH configs kept to attribute hellos without a name.
    pub dns_cache: usize,
    /// All workers together: observations on their way to the merge.
    pub in_flight: usize,
}

impl Shares {
    pub fn split(total: usize, workers: usize) -> Shares {
        let part = |pct: usize| total / 100 * pct;
        let workers = workers.max(1);
        Shares {
            total,
            tcp: part(TCP_PERCENT) / workers,
            quic: part(QUIC_PERCENT) / workers,
            defrag: part(DEFRAG_PERCENT),
            hosts: part(HOSTS_PERCENT),
            dns_cache: part(DNS_CACHE_PERCENT),
            in_flight: part(IN_FLIGHT_PERCENT),
        }
    }
}

#[derive(Debug)]
struct Inner {
    limit: usize,
    used: Cell<usize>,
    peak: Cell<usize>,
}

/// A share of the memory budget, owned by one thread.
#[derive(Clone, Debug)]
pub struct Budget(Rc<Inner>);

impl Budget {
    pub fn new(limit: usize) -> Budget {
        Budget(Rc::new(Inner {
            limit,
            used: Cell::new(0),
            peak: Cell::new(0),
        }))
    }

    /// Takes `bytes` if they fit; the receipt gives them back when dropped.
    pub fn charge(&self, bytes: usize) -> Option<Charge> {
        let used = self.0.used.get().checked_add(bytes)?;
        if used > self.0.limit {
            return None;
        }
        self.0.used.set(used);
        self.0.peak.set(self.0.peak.get().max(used));
        Some(Charge {
            budget: self.clone(),
            bytes,
        })
    }

    /// Whether `bytes` more would fit now.
    pub fn fits(&self, bytes: usize) -> bool {
        self.0.used.get().saturating_add(bytes) <= self.0.limit
    }

    /// Used above this fraction (in percent) of the limit.
    pub fn above(&self, percent: usize) -> bool {
        self.0.used.get() > self.0.limit / 100 * percent
    }

    pub fn limit(&self) -> usize {
        self.0.limit
    }

    pub fn used(&self) -> usize {
        self.0.used.get()
    }

    pub fn peak(&self) -> usize {
        self.0.peak.get()
    }
}

/// Bytes taken from a [`Budget`]; returned when this is dropped.
#[derive(Debug)]
pub struct Charge {
    budget: Budget,
    bytes: usize,
}

impl Charge {
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Grows or shrinks the charge to `bytes`; false (and unchanged) when growing does not fit.
    pub fn resize(&mut self, bytes: usize) -> bool {
        let inner = &self.budget.0;
        if bytes > self.bytes {
            let more = bytes - self.bytes;
            if !self.budget.fits(more) {
                return false;
            }
            inner.used.set(inner.used.get() + more);
            inner.peak.set(inner.peak.get().max(inner.used.get()));
        } else {
            inner.used.set(inner.used.get() - (self.bytes - bytes));
        }
        self.bytes = bytes;
        true
    }
}

impl Drop for Charge {
    fn drop(&mut self) {
        let inner = &self.budget.0;
        inner.used.set(inner.used.get().saturating_sub(self.bytes));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charges_are_refused_past_the_limit_and_returned_on_drop() {
        let b = Budget::new(100);
        let a = b.charge(60).unwrap();
        assert!(b.charge(41).is_none());
        let mut c = b.charge(40).unwrap();
        assert_eq!(b.used(), 100);
        assert!(!c.resize(41));
        assert!(c.resize(10));
        assert_eq!(b.used(), 70);
        drop(a);
        assert_eq!(b.used(), 10);
        drop(c);
        assert_eq!(b.used(), 0);
        assert_eq!(b.peak(), 100);
        assert!(b.charge(usize::MAX).is_none());
    }

    #[test]
    fn shares_stay_within_the_total() {
        for workers in 1..8 {
            let s = Shares::split(DEFAULT_MEMCAP, workers);
            let sum = (s.tcp + s.quic) * workers + s.defrag + s.hosts + s.dns_cache;
            assert!(sum <= s.total, "{s:?}");
        }
    }
}
