//! Combining reports: the state one scan of all their inputs would have ended with, built
//! from what each report kept. Every rule is commutative and associative (sums, minima,
//! maxima, unions, "any"), so the result does not depend on how the inputs were split nor on
//! the order of the reports; what is derived from that state (roles, tenant ownership,
//! `unsanctioned`, the per-vendor view) is then recomputed by the scan's own rules.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use crate::aggregate::evidence::{NameReport, MAX_CHAIN_CONNECTIONS};
use crate::aggregate::roles::{Client, Ep, Evidence, OursBy, Sessions, MAX_JA4, MAX_NAMES};
use crate::aggregate::{Visibility, MAX_HIDDEN_LISTED, MAX_HOSTNAMES};
use crate::event::Timestamp;
use crate::event::{EncryptedDnsProtocol, Kind};
use crate::model::{Field, Source};
use crate::policy::DecidedBy;
use crate::report::VisibilityCounts;
use crate::time::TsNanos;

use super::owned;

/// The combined state of every report read.
#[derive(Debug, Default)]
pub struct Merged {
    pub hosts: BTreeMap<IpAddr, Host>,
    /// Hosts with only hidden traffic that some report, or the cap here, left out.
    pub hosts_not_listed: u64,
    pub inputs: Vec<owned::Input>,
    /// Any report was interrupted.
    pub interrupted: bool,
    pub stats: owned::RunStats,
    pub tenants: BTreeMap<(String, String), Tenant>,
    /// Every host's visibility, listed or not: a sum.
    pub visibility: Visibility,
    /// Per vendor and region code, the policy's verdict (`region_ok`) as the reports gave
    /// it: every report read the same policy, so a code has one verdict. The regions
    /// themselves are recomputed from the merged names with the catalog.
    pub region_ok: BTreeMap<(String, String), Option<bool>>,
    /// The reports' policy findings, one per finding with the hosts joined.
    pub findings: BTreeMap<FindingKey, crate::findings::Finding>,
    pub self_hosted: super::selfhosted::SelfHosted,
}

/// What makes two reports' findings one: the same statement about the same thing.
pub type FindingKey = (
    crate::findings::Severity,
    crate::findings::FindingKind,
    String,
    Option<String>,
    usize,
    Option<String>,
);

/// One host: the union of its entries in every report.
#[derive(Debug, Default)]
pub struct Host {
    /// Per resolver: connections summed, first seen the minimum, last seen the maximum.
    pub encrypted_dns: BTreeMap<(EncryptedDnsProtocol, String), Span>,
    /// Per field and source, each value held in turn; see [`Merged::add_identity`].
    pub identity: BTreeMap<(Field, Source), Vec<Held>>,
    pub vendors: BTreeMap<String, Vendor>,
    /// Summed over the reports that list the host (one that does not list it had no vendor,
    /// no encrypted DNS and no hidden traffic from it, but may have had other connections:
    /// those are in the total only; see the README).
    pub visibility: Visibility,
}

#[derive(Clone, Copy, Debug)]
pub struct Span {
    pub count: u64,
    pub first: TsNanos,
    pub last: TsNanos,
}

impl Span {
    fn add(&mut self, o: Span) {
        self.count += o.count;
        self.first = self.first.min(o.first);
        self.last = self.last.max(o.last);
    }
}

#[derive(Clone, Debug)]
pub struct Held {
    pub value: String,
    pub first: TsNanos,
    pub last: TsNanos,
}

/// One host and vendor.
#[derive(Debug)]
pub struct Vendor {
    pub category: Option<String>,
    pub name: Option<String>,
    /// The same policy decided every report (checked before merging): any report's.
    pub decided_by: DecidedBy,
    pub sanctioned: bool,
    /// Summed.
    pub events: u64,
    pub by_kind: BTreeMap<Kind, u64>,
    /// Minimum and maximum.
    pub first: TsNanos,
    pub last: TsNanos,
    /// Union; past [`MAX_HOSTNAMES`] the first in name order are kept and the rest counted
    /// in `hostnames_not_listed` (a scan keeps the first seen: see the README).
    pub hostnames: BTreeSet<String>,
    /// Summed, plus the union's overflow: a name one part could not list may be listed by
    /// another, so this can count a name twice.
    pub hostnames_not_listed: u64,
    /// Any report saw a strong pattern.
    pub strong: bool,
    pub tenants: BTreeSet<String>,
    /// Per endpoint role, client and tenant: counts summed, longest and most bursts the
    /// maximum, names the union (at most [`MAX_NAMES`], first in name order); JA4s the union
    /// (at most [`MAX_JA4`], first in order).
    pub evidence: Evidence,
    /// From the per-vendor view: unions, at most [`MAX_HOSTNAMES`] each.
    pub host_macs: BTreeSet<String>,
    pub host_names: BTreeSet<String>,
    pub users: BTreeSet<String>,
    /// The evidence chains by hostname: per name the earliest query and answer, the
    /// earliest connections (at most [`MAX_CHAIN_CONNECTIONS`], the rest counted); at the
    /// report, the names first seen earliest (at most `MAX_CHAIN_NAMES`).
    pub chain: BTreeMap<String, NameReport<'static>>,
    pub chain_not_listed: u64,
    pub exposures: super::exposure::Exposures,
}

/// One part's chain of a name joined to the others'.
fn absorb_chain(m: &mut NameReport<'static>, o: NameReport<'static>) {
    let earlier = |a: &Option<Timestamp>, b: &Option<Timestamp>| match (a, b) {
        (Some(a), Some(b)) => b.0 < a.0,
        (None, Some(_)) => true,
        _ => false,
    };
    if earlier(
        &m.query.as_ref().map(|q| q.ts),
        &o.query.as_ref().map(|q| q.ts),
    ) {
        m.query = o.query;
    }
    // As a scan keeps it: the first answer, or a later one with addresses when the first
    // had none; so an answer with addresses beats one without, then the earlier wins.
    let rank = |a: &Option<crate::aggregate::evidence::AnswerReport<'static>>| {
        a.as_ref().map(|a| (a.addresses.is_empty(), a.ts.0))
    };
    let better = match (rank(&m.answer), rank(&o.answer)) {
        (None, Some(_)) => true,
        (Some(x), Some(y)) => y < x,
        _ => false,
    };
    if better {
        m.answer = o.answer;
    }
    m.connections.extend(o.connections);
    m.connections
        .sort_by_key(|c| (c.ts.0, c.community_id.clone()));
    m.connections_not_listed += o.connections_not_listed;
    if m.connections.len() > MAX_CHAIN_CONNECTIONS {
        m.connections_not_listed += (m.connections.len() - MAX_CHAIN_CONNECTIONS) as u64;
        m.connections.truncate(MAX_CHAIN_CONNECTIONS);
    }
}

/// When a name was first seen in its chain.
pub fn chain_first(n: &NameReport<'_>) -> i64 {
    [
        n.query.as_ref().map(|q| q.ts.0),
        n.answer.as_ref().map(|a| a.ts.0),
        n.connections.first().map(|c| c.ts.0),
    ]
    .into_iter()
    .flatten()
    .min()
    .unwrap_or(i64::MAX)
}

/// A vendor tenant: hosts and CNAME names the union (names at most [`MAX_NAMES`]);
/// declared ours when any report says so (all read the same policy).
#[derive(Debug, Default)]
pub struct Tenant {
    pub cnames_ours: BTreeSet<String>,
    pub cnames_third_party: BTreeSet<String>,
    pub hosts: BTreeSet<IpAddr>,
    pub declared: bool,
}

impl Tenant {
    /// The scan's rule ([`crate::aggregate::Aggregator::ownership`]) on the combined facts.
    pub fn ours_by(&self) -> OursBy {
        if self.declared {
            OursBy::Declared
        } else if !self.cnames_ours.is_empty() {
            OursBy::OwnDomainCname
        } else if !self.cnames_third_party.is_empty() {
            OursBy::ThirdPartyCname
        } else {
            OursBy::Unknown
        }
    }
}

/// What a report says that cannot be read as this version writes it.
pub type Bad = String;

impl Merged {
    /// Adds one report.
    pub fn add(&mut self, r: &owned::Report) -> Result<(), Bad> {
        self.interrupted |= r.interrupted;
        self.self_hosted.add(&r.self_hosted)?;
        self.hosts_not_listed += r.hosts_not_listed;
        self.inputs.extend(r.inputs.iter().cloned());
        super::stats::add(&mut self.stats, &r.stats);
        self.visibility = std::mem::take(&mut self.visibility).plus(&visibility(&r.visibility));
        for h in &r.hosts {
            let host = self.hosts.entry(h.ip).or_default();
            host.visibility = std::mem::take(&mut host.visibility).plus(&visibility(&h.visibility));
            for e in &h.encrypted_dns {
                let s = Span {
                    count: e.connections,
                    first: e.first_seen.0,
                    last: e.last_seen.0,
                };
                host.encrypted_dns
                    .entry((e.protocol, e.resolver.clone()))
                    .and_modify(|t| t.add(s))
                    .or_insert(s);
            }
            for i in &h.identity {
                host.identity
                    .entry((i.field, i.source))
                    .or_default()
                    .push(Held {
                        value: i.value.clone(),
                        first: i.first_seen.0,
                        last: i.last_seen.0,
                    });
            }
            for v in &h.vendors {
                let new = vendor(v)?;
                match host.vendors.get_mut(&v.vendor) {
                    Some(old) => old.absorb(new),
                    None => {
                        host.vendors.insert(v.vendor.clone(), new);
                    }
                }
            }
        }
        for vu in &r.vendors {
            for vh in &vu.hosts {
                // The host's own entry names this vendor (the report is built so).
                if let Some(v) = self
                    .hosts
                    .get_mut(&vh.ip)
                    .and_then(|h| h.vendors.get_mut(&vu.vendor))
                {
                    union_capped(&mut v.host_macs, &vh.host_macs, MAX_HOSTNAMES);
                    union_capped(&mut v.host_names, &vh.host_names, MAX_HOSTNAMES);
                    union_capped(&mut v.users, &vh.users, MAX_HOSTNAMES);
                }
            }
        }
        let mut verdict = |vendor: &str, code: &Option<String>, ok: Option<bool>| {
            if let Some(c) = code {
                self.region_ok
                    .entry((vendor.to_owned(), c.clone()))
                    .or_insert(ok);
            }
        };
        for h in &r.hosts {
            for v in &h.vendors {
                verdict(&v.vendor, &v.region, v.region_ok);
                for t in &v.tenant_ownership {
                    verdict(&v.vendor, &t.region, t.region_ok);
                }
            }
        }
        for t in &r.tenants {
            verdict(&t.vendor, &t.region, t.region_ok);
        }
        for f in &r.policy_findings {
            let key = (
                f.severity,
                f.kind,
                f.vendor.clone(),
                f.tenant.clone(),
                f.line,
                f.region_by.clone(),
            );
            match self.findings.get_mut(&key) {
                Some(m) => {
                    m.hosts.extend(f.hosts.iter().copied());
                    m.hosts.sort();
                    m.hosts.dedup();
                }
                None => {
                    self.findings.insert(key, f.clone());
                }
            }
        }
        for t in &r.tenants {
            let m = self
                .tenants
                .entry((t.vendor.clone(), t.tenant.clone()))
                .or_default();
            m.hosts.extend(t.hosts.iter().copied());
            union_capped(
                &mut m.cnames_ours,
                &t.cnames_ours.iter().cloned().collect(),
                MAX_NAMES,
            );
            union_capped(
                &mut m.cnames_third_party,
                &t.cnames_third_party.iter().cloned().collect(),
                MAX_NAMES,
            );
            m.declared |= t.ours_by == OursBy::Declared.as_str();
        }
        Ok(())
    }

    /// Puts the combined state in the shape one scan gives: identity histories joined,
    /// inputs in path order, the hidden-only hosts capped as a scan caps them.
    pub fn finish(&mut self, all_hosts: bool) {
        for h in self.hosts.values_mut() {
            for history in h.identity.values_mut() {
                *history = join_history(std::mem::take(history));
            }
        }
        // A scan lists its inputs in the order given; reports of parts have no order between
        // them, so the merged list is in path order (stable: a file read twice stays twice).
        self.inputs.sort_by(|a, b| a.path.cmp(&b.path));
        let mut hidden: Vec<(IpAddr, u64)> = self
            .hosts
            .iter()
            .filter(|(_, h)| h.vendors.is_empty() && h.encrypted_dns.is_empty())
            .map(|(ip, h)| (*ip, h.visibility.unnamed_hellos + h.visibility.ech))
            .collect();
        if !all_hosts && hidden.len() > MAX_HIDDEN_LISTED {
            hidden.sort_by_key(|(ip, n)| (std::cmp::Reverse(*n), *ip));
            for (ip, _) in &hidden[MAX_HIDDEN_LISTED..] {
                self.hosts.remove(ip);
            }
            self.hosts_not_listed += (hidden.len() - MAX_HIDDEN_LISTED) as u64;
        }
        self.stats.dropped.hidden_hosts_not_listed = self.hosts_not_listed;
    }
}

/// A binding's values as one scan records them: in time order, a value that continues from
/// one report into the next (the same value, nothing else in between) is one entry.
pub(super) fn join_history(mut v: Vec<Held>) -> Vec<Held> {
    v.sort_by(|a, b| (a.first, a.last, &a.value).cmp(&(b.first, b.last, &b.value)));
    let mut out: Vec<Held> = Vec::with_capacity(v.len());
    for h in v {
        match out.last_mut() {
            Some(l) if l.value == h.value => {
                l.first = l.first.min(h.first);
                l.last = l.last.max(h.last);
            }
            _ => out.push(h),
        }
    }
    out
}

fn union_capped<T: Ord + Clone>(into: &mut BTreeSet<T>, from: &BTreeSet<T>, cap: usize) {
    into.extend(from.iter().cloned());
    while into.len() > cap {
        into.pop_last();
    }
}

impl Vendor {
    fn absorb(&mut self, o: Vendor) {
        self.events += o.events;
        for (k, n) in o.by_kind {
            *self.by_kind.entry(k).or_default() += n;
        }
        self.first = self.first.min(o.first);
        self.last = self.last.max(o.last);
        self.hostnames_not_listed += o.hostnames_not_listed;
        self.hostnames.extend(o.hostnames);
        if self.hostnames.len() > MAX_HOSTNAMES {
            self.hostnames_not_listed += (self.hostnames.len() - MAX_HOSTNAMES) as u64;
            while self.hostnames.len() > MAX_HOSTNAMES {
                self.hostnames.pop_last();
            }
        }
        self.strong |= o.strong;
        self.sanctioned |= o.sanctioned;
        union_capped(&mut self.tenants, &o.tenants, MAX_HOSTNAMES);
        for (k, s) in o.evidence.by {
            let m = self.evidence.by.entry(k).or_default();
            m.events += s.events;
            m.connections += s.connections;
            m.ended += s.ended;
            m.longest_ns = m.longest_ns.max(s.longest_ns);
            m.total_ns = m.total_ns.saturating_add(s.total_ns);
            m.bytes_up = m.bytes_up.saturating_add(s.bytes_up);
            m.bytes_down = m.bytes_down.saturating_add(s.bytes_down);
            m.sustained += s.sustained;
            m.most_bursts = m.most_bursts.max(s.most_bursts);
            union_capped(&mut m.names, &s.names, MAX_NAMES);
        }
        union_capped(&mut self.evidence.ja4, &o.evidence.ja4, MAX_JA4);
        self.exposures.absorb(o.exposures);
        self.chain_not_listed += o.chain_not_listed;
        for (name, c) in o.chain {
            match self.chain.get_mut(&name) {
                Some(m) => absorb_chain(m, c),
                None => {
                    self.chain.insert(name, c);
                }
            }
        }
    }
}

/// A host's vendor entry as the merge keeps it.
fn vendor(v: &owned::HostVendor) -> Result<Vendor, Bad> {
    let mut by = BTreeMap::new();
    for e in &v.role_evidence.endpoints {
        let ep =
            parse_ep(&e.endpoint).ok_or_else(|| format!("unknown endpoint {:?}", e.endpoint))?;
        let client = match e.client.as_deref() {
            None => Client::None,
            Some("browser") => Client::Browser,
            Some("library") => Client::Library,
            Some(c) => return Err(format!("unknown client {c:?}")),
        };
        let s = Sessions {
            names: e.names.iter().cloned().collect(),
            events: e.events,
            connections: e.connections,
            ended: e.sessions_ended,
            longest_ns: nanos(e.longest_s),
            total_ns: nanos(e.total_s),
            bytes_up: e.bytes_up,
            bytes_down: e.bytes_down,
            sustained: e.sustained_sessions,
            most_bursts: e.most_client_bursts,
        };
        by.insert((ep, client, e.tenant.clone().unwrap_or_default()), s);
    }
    Ok(Vendor {
        category: v.category.clone(),
        name: v.name.clone(),
        decided_by: parse_decided_by(&v.decided_by)
            .ok_or_else(|| format!("unknown decided_by {:?}", v.decided_by))?,
        sanctioned: v.sanctioned,
        events: v.events,
        by_kind: v.events_by_kind.clone(),
        first: v.first_seen.0,
        last: v.last_seen.0,
        hostnames: v.hostnames.clone(),
        hostnames_not_listed: v.hostnames_not_listed,
        strong: v.strength == "strong",
        tenants: v.tenants.clone(),
        evidence: Evidence {
            by,
            ja4: v.role_evidence.ja4.iter().cloned().collect(),
        },
        host_macs: BTreeSet::new(),
        host_names: BTreeSet::new(),
        users: BTreeSet::new(),
        chain: v
            .evidence_chain
            .iter()
            .flat_map(|c| c.hostnames.iter().cloned())
            .map(|n| (n.hostname.clone().into_owned(), n))
            .collect(),
        chain_not_listed: v
            .evidence_chain
            .as_ref()
            .map_or(0, |c| c.hostnames_not_listed),
        exposures: super::exposure::Exposures::read(&v.exposures, v.exposures_not_listed)?,
    })
}

/// Seconds as the report writes them (0.1 s) back to nanoseconds.
fn nanos(s: f64) -> i64 {
    (s * 1e9).round() as i64
}

fn parse_ep(s: &str) -> Option<Ep> {
    [
        Ep::Agent,
        Ep::Api,
        Ep::EndUser,
        Ep::Shared,
        Ep::Tenant,
        Ep::Unclassified,
    ]
    .into_iter()
    .find(|e| e.as_str() == s)
}

pub(super) fn parse_decided_by(s: &str) -> Option<DecidedBy> {
    match s {
        "default" => Some(DecidedBy::Default),
        "--sanctioned" => Some(DecidedBy::Flag),
        _ => s
            .strip_prefix("policy line ")
            .and_then(|n| n.parse().ok())
            .map(DecidedBy::Line),
    }
}

fn visibility(v: &VisibilityCounts) -> Visibility {
    Visibility {
        tls_hellos: v.tls_hellos,
        quic_hellos: v.quic_hellos,
        http_requests: v.http_requests,
        other_tcp: v.other_tcp,
        named: v.named,
        attributed: v.attributed,
        unnamed: v.unnamed,
        unnamed_hellos: v.unnamed_hellos,
        ech: v.ech,
        ech_offered: v.ech_offered,
        encrypted_dns: v.encrypted_dns_connections,
        dns_queries: v.dns_queries,
    }
}
