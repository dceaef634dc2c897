//! Per-host vendor usage: what the report says each host used, within the usage budget.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use super::{Aggregator, STRING_BYTES, USAGE_BYTES};
use crate::catalog::Match;
use crate::event::Kind;
use crate::time::TsNanos;

/// Distinct hostnames kept per host and vendor; more are counted, not kept, so a host that
/// asks for a million tenant names cannot grow the report without bound.
pub const MAX_HOSTNAMES: usize = 64;

/// First and last time, and how many connections.
#[derive(Clone, Copy, Debug, Default)]
pub struct Seen {
    pub first_seen: TsNanos,
    pub last_seen: TsNanos,
    pub connections: u64,
}

#[derive(Clone, Debug, Default)]
pub struct Usage {
    pub hostnames: BTreeSet<String>,
    pub hostnames_dropped: u64,
    pub tenants: BTreeSet<String>,
    pub first_seen: TsNanos,
    pub last_seen: TsNanos,
    pub events: u64,
    /// Events per kind.
    pub by_kind: BTreeMap<Kind, u64>,
    /// Some hostname matched a strong pattern (otherwise only shared infrastructure).
    pub strong: bool,
    pub sanctioned: bool,
    /// What the role rules read: names by endpoint role and client, sessions, JA4s.
    pub evidence: super::roles::Evidence,
    /// Who used it: the device names, MACs and users that held the address at its events
    /// (at most [`MAX_HOSTNAMES`] each; an address on a shared network holds many devices).
    pub who: Devices,
    /// Per hostname: the query, the answer and the connections that followed.
    pub chain: super::evidence::Chain,
    /// What its connections exposed (plain HTTP, credentials, weak TLS).
    pub exposures: super::exposure::Exposures,
}

/// The device names, MACs and users seen at a host's vendor events, as they held together
/// (so an address that two devices held in turn keeps them apart).
#[derive(Clone, Debug, Default)]
pub struct Devices {
    /// (host name, MAC, user), each None when unknown at that event; never all three None.
    pub seen: BTreeSet<(Option<String>, Option<String>, Option<String>)>,
}

impl Devices {
    pub fn host_names(&self) -> BTreeSet<&str> {
        self.seen.iter().filter_map(|t| t.0.as_deref()).collect()
    }
    pub fn host_macs(&self) -> BTreeSet<&str> {
        self.seen.iter().filter_map(|t| t.1.as_deref()).collect()
    }
    pub fn users(&self) -> BTreeSet<&str> {
        self.seen.iter().filter_map(|t| t.2.as_deref()).collect()
    }
}

impl Aggregator<'_> {
    /// Takes `bytes` of the usage budget if they fit.
    fn usage_room(&mut self, bytes: usize) -> bool {
        let fits = self.usage_bytes + bytes <= self.limits.usage_bytes;
        self.usage_bytes += bytes * fits as usize;
        fits
    }

    /// Folds an event into its host's usage of the vendor it matched; past the budget a new
    /// host and vendor pair is counted as dropped, not kept.
    pub(super) fn fold_usage(
        &mut self,
        client: IpAddr,
        m: &Match,
        ok: bool,
        kind: Kind,
        used_name: &str,
        ts: TsNanos,
    ) {
        let known = self
            .hosts
            .get(&client)
            .is_some_and(|v| v.contains_key(&m.vendor.id));
        if !known && !self.usage_room(USAGE_BYTES) {
            self.dropped.usage_memcap += 1;
            return;
        }
        let room = self.limits.usage_bytes.saturating_sub(self.usage_bytes);
        let who = self.identity.at(client, ts);
        let u = self
            .hosts
            .entry(client)
            .or_default()
            .entry(m.vendor.id.clone())
            .or_insert_with(|| Usage {
                first_seen: ts,
                last_seen: ts,
                ..Usage::default()
            });
        u.first_seen = u.first_seen.min(ts);
        u.last_seen = u.last_seen.max(ts);
        u.events += 1;
        *u.by_kind.entry(kind).or_default() += 1;
        u.strong |= m.strong;
        u.sanctioned = ok;
        // Names are kept while they fit the host budget too; past it they are counted.
        let mut grew = 0;
        if u.hostnames.contains(used_name) {
        } else if u.hostnames.len() < MAX_HOSTNAMES && used_name.len() + STRING_BYTES <= room {
            u.hostnames.insert(used_name.to_owned());
            grew += used_name.len() + STRING_BYTES;
        } else {
            u.hostnames_dropped += 1;
        }
        if let Some(t) = &m.tenant {
            if u.tenants.len() < MAX_HOSTNAMES
                && !u.tenants.contains(t)
                && grew + t.len() + STRING_BYTES <= room
            {
                u.tenants.insert(t.clone());
                grew += t.len() + STRING_BYTES;
            }
        }
        if who != crate::event::Who::default() {
            let cost: usize = [who.host_name, who.host_mac, who.user]
                .iter()
                .map(|v| v.map_or(0, |v| v.len() + STRING_BYTES))
                .sum();
            let t = (
                who.host_name.map(str::to_owned),
                who.host_mac.map(str::to_owned),
                who.user.map(str::to_owned),
            );
            if u.who.seen.len() < MAX_HOSTNAMES && grew + cost <= room && !u.who.seen.contains(&t) {
                u.who.seen.insert(t);
                grew += cost;
            }
        }
        self.usage_bytes += grew;
    }
}
