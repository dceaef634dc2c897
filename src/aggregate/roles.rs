//! Roles and ownership: what a host does with a vendor (operator, integration, visitor), from
//! the endpoint roles of the names it reached, the client that reached them (browser or
//! library, from the ClientHello) and how its connections went (from their session ends);
//! and whose each tenant is, from the policy and the CNAMEs that lead to it. The rules and
//! their thresholds are the README's "Roles and ownership".

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use super::{Aggregator, STRING_BYTES};
use crate::catalog::{Endpoint, Match};
use crate::model::Session;
use crate::proto::ja4::ClientClass;

/// A browser connection to a tenant counts as sustained work when it lasted this long...
pub const SUSTAINED_NS: i64 = 180 * 1_000_000_000;
/// ...and its client sent a new burst of data at least this often on average (so at least
/// `SUSTAINED_NS / BURST_EVERY_NS` = 9 bursts): a console polling or a person clicking does,
/// a help-center page left open does not (the server closes an idle connection within a
/// minute or two), nor does a chat widget's keep-alive (one every 25-60 s).
pub const BURST_EVERY_NS: i64 = 20 * 1_000_000_000;
/// Names kept per endpoint role and client, JA4 strings per host and vendor, tenants per
/// host and vendor, CNAME names per tenant: evidence to show, not to count, so a few suffice.
pub const MAX_NAMES: usize = 8;
pub const MAX_JA4: usize = 4;
const MAX_KEYS: usize = 24;
/// Connections whose hello named a vendor, waiting for their end; past this a hello's
/// session is not joined (counted in `sessions_unjoined`). A connection lives here from its
/// hello to its end, and every end is handed over when the input ends, so only connections
/// the flow table lost (its entry cap) stay until then.
const MAX_OPEN: usize = 1 << 16;
/// Tenants whose CNAME facts are kept, and CNAME aliases kept to join hellos sent to an
/// alias (`desk.acme-corp.test` → `acme.kustomerapp.com`) to the vendor.
const MAX_TENANTS: usize = 4096;
const MAX_ALIASES: usize = 4096;
/// Estimated bytes of one evidence entry and one open connection (map node, key, value).
const ENTRY_BYTES: usize = 200;

/// What a host does with a vendor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    Operator,
    Integration,
    Visitor,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Operator => "operator",
            Role::Integration => "integration",
            Role::Visitor => "visitor",
        }
    }
}

/// How a tenant's owner was decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum OursBy {
    /// The policy's `tenant` statement.
    Declared,
    /// One of our domains (`domain`) has a CNAME to it.
    OwnDomainCname,
    /// Only names outside our domains have a CNAME to it: another organisation's.
    ThirdPartyCname,
    Unknown,
}

impl OursBy {
    pub fn as_str(self) -> &'static str {
        match self {
            OursBy::Declared => "declared",
            OursBy::OwnDomainCname => "own_domain_cname",
            OursBy::ThirdPartyCname => "third_party_cname",
            OursBy::Unknown => "unknown",
        }
    }

    /// How the summary says it: a reader should not need the JSON's enum names.
    pub fn phrase(self) -> &'static str {
        match self {
            OursBy::Declared => "ours: declared in the policy",
            OursBy::OwnDomainCname => "ours: one of our domains points to it",
            OursBy::ThirdPartyCname => "another organisation's: only outside names point to it",
            OursBy::Unknown => "owner unknown",
        }
    }

    pub fn ours(self) -> Option<bool> {
        match self {
            OursBy::Declared | OursBy::OwnDomainCname => Some(true),
            OursBy::ThirdPartyCname => Some(false),
            OursBy::Unknown => None,
        }
    }
}

/// The client class of evidence: a hello's, or none (a DNS query or answer, or a hello too
/// short to fingerprint).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Client {
    Browser,
    Library,
    None,
}

impl Client {
    pub fn of(c: Option<ClientClass>) -> Client {
        match c {
            Some(ClientClass::Browser) => Client::Browser,
            Some(ClientClass::Library) => Client::Library,
            None => Client::None,
        }
    }

    pub fn as_str(self) -> Option<&'static str> {
        match self {
            Client::Browser => Some("browser"),
            Client::Library => Some("library"),
            Client::None => None,
        }
    }
}

/// Evidence of one kind: the names of one endpoint role reached by one kind of client
/// (for tenants, of one tenant), and how their connections went.
#[derive(Clone, Debug, Default)]
pub struct Sessions {
    pub names: BTreeSet<String>,
    /// Events (DNS and hellos) of this kind.
    pub events: u64,
    /// Hellos (connections), and of them how many had their end seen.
    pub connections: u64,
    pub ended: u64,
    pub longest_ns: i64,
    pub total_ns: i64,
    pub bytes_up: u64,
    pub bytes_down: u64,
    /// Connections that were sustained interactive work ([`SUSTAINED_NS`], [`BURST_EVERY_NS`]).
    pub sustained: u64,
    /// The most client bursts one connection had.
    pub most_bursts: u32,
}

impl Sessions {
    fn add(&mut self, s: &Session) {
        let d = s.duration();
        self.ended += 1;
        self.longest_ns = self.longest_ns.max(d);
        self.total_ns = self.total_ns.saturating_add(d);
        self.bytes_up = self.bytes_up.saturating_add(s.bytes_up);
        self.bytes_down = self.bytes_down.saturating_add(s.bytes_down);
        self.most_bursts = self.most_bursts.max(s.bursts_up);
        self.sustained += is_sustained(s) as u64;
    }
}

/// One connection is sustained interactive work: long enough, and busy all along.
pub fn is_sustained(s: &Session) -> bool {
    let d = s.duration();
    d >= SUSTAINED_NS && (s.bursts_up as i64).saturating_mul(BURST_EVERY_NS) >= d
}

/// The endpoint role of the catalog line a name matched; `Unclassified` when it has none
/// (vendors whose roles are not written yet: read like a tenant's name).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Ep {
    Agent,
    Api,
    EndUser,
    Shared,
    Tenant,
    Unclassified,
}

impl Ep {
    pub fn of(e: Option<Endpoint>) -> Ep {
        match e {
            Some(Endpoint::Agent) => Ep::Agent,
            Some(Endpoint::Api) => Ep::Api,
            Some(Endpoint::EndUser) => Ep::EndUser,
            Some(Endpoint::Shared) => Ep::Shared,
            Some(Endpoint::Tenant) => Ep::Tenant,
            None => Ep::Unclassified,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Ep::Agent => "agent",
            Ep::Api => "api",
            Ep::EndUser => "end_user",
            Ep::Shared => "shared",
            Ep::Tenant => "tenant",
            Ep::Unclassified => "unclassified",
        }
    }
}

/// The key of a piece of evidence: endpoint role, client, tenant ("" without one).
pub type EvidenceKey = (Ep, Client, String);

/// What a host did with a vendor, as the role rules read it.
#[derive(Clone, Debug, Default)]
pub struct Evidence {
    pub by: BTreeMap<EvidenceKey, Sessions>,
    pub ja4: BTreeSet<String>,
}

/// A hello's connection, waiting for its end.
struct Open {
    vendor: String,
    key: EvidenceKey,
}

/// Facts about tenants and aliases, across hosts.
#[derive(Default)]
pub struct Tenancy {
    /// (vendor, tenant) → names that CNAME to it: ours, and others'.
    tenants: BTreeMap<(String, String), (BTreeSet<String>, BTreeSet<String>)>,
    /// alias → the vendor name it leads to.
    aliases: hashbrown::HashMap<String, String>,
    open: hashbrown::HashMap<(IpAddr, u16, IpAddr, u16, bool), Open>,
    /// Hellos whose session could not be joined (the open table was full).
    pub sessions_unjoined: u64,
    /// CNAME facts not kept (tables full).
    pub tenants_not_kept: u64,
}

/// The role of a host and vendor, and the sentences that say why.
#[derive(Clone, Debug)]
pub struct Verdict {
    pub role: Role,
    pub reasons: Vec<String>,
}

fn secs(ns: i64) -> String {
    format!("{:.0} s", ns as f64 / 1e9)
}

impl<'a> Aggregator<'a> {
    /// The catalog match of a name, or of the vendor name a CNAME alias of it leads to.
    pub(super) fn alias_match(&self, name: &str) -> Option<Match<'a>> {
        let target = self.tenancy.aliases.get(name)?;
        self.catalog.lookup(target)
    }

    /// Records the CNAME facts of a DNS answer: which names lead to which tenant, and the
    /// aliases later hellos may use.
    pub(super) fn remember_cnames(&mut self, qname: &str, cnames: &[(String, String)]) {
        // The names in the chain before the first vendor name are aliases of it.
        let mut aliases = vec![qname];
        for (_, target) in cnames {
            if let Some(m) = self.catalog.lookup(target) {
                for a in aliases {
                    if self.tenancy.aliases.contains_key(a) {
                        continue;
                    }
                    if self.tenancy.aliases.len() < MAX_ALIASES {
                        self.tenancy.aliases.insert(a.to_owned(), target.clone());
                    } else {
                        self.tenancy.tenants_not_kept += 1;
                    }
                }
                let Some(tenant) = m.tenant else { return };
                let key = (m.vendor.id.clone(), tenant);
                if !self.tenancy.tenants.contains_key(&key)
                    && self.tenancy.tenants.len() >= MAX_TENANTS
                {
                    self.tenancy.tenants_not_kept += 1;
                    return;
                }
                let ours = self.policy.ours_domain(qname);
                let (own, others) = self.tenancy.tenants.entry(key).or_default();
                let set = if ours { own } else { others };
                if set.len() < MAX_NAMES {
                    set.insert(qname.to_owned());
                }
                return;
            }
            aliases.push(target);
        }
    }

    /// Whose tenant `tenant` of `vendor` is, how that was decided, and the CNAME names
    /// (ours, then others') that lead to it.
    pub fn ownership(&self, vendor: &str, tenant: &str) -> (OursBy, Vec<&str>, Vec<&str>) {
        let facts = self
            .tenancy
            .tenants
            .get(&(vendor.to_owned(), tenant.to_owned()));
        let own: Vec<&str> = facts
            .map(|(o, _)| o.iter().map(String::as_str).collect())
            .unwrap_or_default();
        let others: Vec<&str> = facts
            .map(|(_, t)| t.iter().map(String::as_str).collect())
            .unwrap_or_default();
        let by = if self.policy.declared_tenant(vendor, tenant) {
            OursBy::Declared
        } else if !own.is_empty() {
            OursBy::OwnDomainCname
        } else if !others.is_empty() {
            OursBy::ThirdPartyCname
        } else {
            OursBy::Unknown
        };
        (by, own, others)
    }

    /// Every (vendor, tenant) the run saw: in some host's usage, or behind a CNAME.
    pub fn tenants_seen(&self) -> BTreeMap<(&str, &str), BTreeSet<IpAddr>> {
        let mut out: BTreeMap<(&str, &str), BTreeSet<IpAddr>> = BTreeMap::new();
        for (ip, vendors) in &self.hosts {
            for (id, u) in vendors {
                for t in &u.tenants {
                    out.entry((id.as_str(), t.as_str()))
                        .or_default()
                        .insert(*ip);
                }
            }
        }
        for (v, t) in self.tenancy.tenants.keys() {
            out.entry((v.as_str(), t.as_str())).or_default();
        }
        out
    }

    /// Adds an event's evidence to its host and vendor: the name under its endpoint role and
    /// client; a hello's connection waits for its end.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn add_evidence(
        &mut self,
        client: IpAddr,
        m: &Match,
        name: &str,
        hello: Option<(Option<&crate::proto::ja4::Client>, bool)>,
        conn: (u16, IpAddr, u16, bool),
    ) {
        let class = hello
            .and_then(|(c, _)| c)
            .map(|c| c.class)
            .map_or(Client::None, |c| Client::of(Some(c)));
        let key: EvidenceKey = (
            Ep::of(m.endpoint),
            class,
            m.tenant.clone().unwrap_or_default(),
        );
        let room = self.limits.usage_bytes.saturating_sub(self.usage_bytes);
        let Some(u) = self
            .hosts
            .get_mut(&client)
            .and_then(|v| v.get_mut(&m.vendor.id))
        else {
            return;
        };
        let ev = &mut u.evidence;
        let mut grew = 0;
        if !ev.by.contains_key(&key) {
            if ev.by.len() >= MAX_KEYS || ENTRY_BYTES > room {
                return;
            }
            grew += ENTRY_BYTES;
        }
        let s = ev.by.entry(key.clone()).or_default();
        s.events += 1;
        if s.names.len() < MAX_NAMES
            && !s.names.contains(name)
            && grew + name.len() + STRING_BYTES <= room
        {
            s.names.insert(name.to_owned());
            grew += name.len() + STRING_BYTES;
        }
        if let Some((c, quic)) = hello {
            s.connections += 1;
            if let Some(c) = c {
                if ev.ja4.len() < MAX_JA4 && grew + 40 + STRING_BYTES <= room {
                    let j = c.ja4(quic);
                    if ev.ja4.insert(j) {
                        grew += 40 + STRING_BYTES;
                    }
                }
            }
            let (cport, server, sport, tcp) = conn;
            let k = (client, cport, server, sport, tcp);
            if self.tenancy.open.len() < MAX_OPEN || self.tenancy.open.contains_key(&k) {
                self.tenancy.open.insert(
                    k,
                    Open {
                        vendor: m.vendor.id.clone(),
                        key,
                    },
                );
            } else {
                self.tenancy.sessions_unjoined += 1;
            }
        }
        self.usage_bytes += grew;
    }

    /// A connection ended: its duration and bytes join the evidence of its hello.
    pub(super) fn end_session(&mut self, o: &crate::model::Observation, s: &Session) {
        let k = (o.src, o.sport, o.dst, o.dport, o.tcp);
        let Some(open) = self.tenancy.open.remove(&k) else {
            return;
        };
        if let Some(e) = self
            .hosts
            .get_mut(&o.src)
            .and_then(|v| v.get_mut(&open.vendor))
            .and_then(|u| u.evidence.by.get_mut(&open.key))
        {
            e.add(s);
        }
    }

    /// The role of `ip`'s use of `vendor` (rules in the README, "Roles and ownership").
    pub fn verdict(&self, vendor: &str, ev: &Evidence) -> Verdict {
        decide(ev, |tenant| self.ownership(vendor, tenant).0)
    }

    /// Whether a host and vendor pair counts as unsanctioned use: not sanctioned, and an
    /// operator or integration (any role with `--flag-visitors`).
    pub fn counts_unsanctioned(&self, vendor: &str, u: &super::Usage) -> bool {
        !u.sanctioned
            && (self.flag_visitors || self.verdict(vendor, &u.evidence).role != Role::Visitor)
    }

    /// Whether any host's use counts as unsanctioned (`--fail-on-unsanctioned`).
    pub fn any_unsanctioned_use(&self) -> bool {
        self.hosts
            .values()
            .flat_map(|v| v.iter())
            .any(|(id, u)| self.counts_unsanctioned(id, u))
    }
}

/// The role rules, in order; `owner` says whose a tenant is.
pub fn decide(ev: &Evidence, owner: impl Fn(&str) -> OursBy) -> Verdict {
    let mut operator = Vec::new();
    let mut integration = Vec::new();
    let hellos_to = |ep: Ep| {
        ev.by
            .iter()
            .any(|((e, c, _), s)| *e == ep && *c != Client::None && s.connections > 0)
    };
    for ((ep, client, tenant), s) in &ev.by {
        let names = s.names.iter().cloned().collect::<Vec<_>>().join(", ");
        let seen = match client {
            Client::None if s.connections > 0 => "a hello too short to fingerprint",
            Client::None => "DNS only",
            Client::Browser => "a browser",
            Client::Library => "a library client (not a browser)",
        };
        // DNS alone counts only where no hello to that kind of endpoint was seen: the hello,
        // when there is one, says who the client was.
        let dns_only = *client == Client::None && !hellos_to(*ep);
        match ep {
            Ep::Agent => match client {
                Client::Library => {
                    integration.push(format!("agent endpoint {names} reached by {seen}"))
                }
                Client::Browser => {
                    operator.push(format!("agent endpoint {names} reached by {seen}"))
                }
                Client::None if dns_only || s.connections > 0 => {
                    operator.push(format!("agent endpoint {names} ({seen})"))
                }
                Client::None => {}
            },
            Ep::Api => match client {
                Client::Library => {
                    integration.push(format!("API endpoint {names} called by {seen}"))
                }
                Client::None if dns_only || s.connections > 0 => {
                    integration.push(format!("API endpoint {names} ({seen})"))
                }
                // A browser calls API hosts from a console or a widget: the other names say
                // which.
                _ => {}
            },
            Ep::EndUser | Ep::Shared => {}
            Ep::Tenant | Ep::Unclassified => {
                let by = owner(tenant);
                let what = match tenant.is_empty() {
                    true => names.clone(),
                    false => format!("tenant {tenant} ({names}; owner: {})", by.as_str()),
                };
                match client {
                    Client::Library => integration.push(format!("{what} called by {seen}")),
                    Client::Browser if s.sustained > 0 && by.ours() != Some(false) => operator
                        .push(format!(
                            "{what}: {} sustained browser session{}, longest {} with {} client burst{}",
                            s.sustained,
                            if s.sustained == 1 { "" } else { "s" },
                            secs(s.longest_ns),
                            s.most_bursts,
                            if s.most_bursts == 1 { "" } else { "s" },
                        )),
                    _ => {}
                }
            }
        }
    }
    if !operator.is_empty() {
        return Verdict {
            role: Role::Operator,
            reasons: operator,
        };
    }
    if !integration.is_empty() {
        return Verdict {
            role: Role::Integration,
            reasons: integration,
        };
    }
    let why = ev
        .by
        .iter()
        .map(|((ep, client, tenant), s)| {
            let ep = ep.as_str();
            let who = client.as_str().unwrap_or("dns");
            let t = match tenant.is_empty() {
                true => String::new(),
                false => format!(" tenant {tenant} (owner: {})", owner(tenant).as_str()),
            };
            format!(
                "{ep}{t} by {who}: {} (longest session {})",
                s.names.iter().cloned().collect::<Vec<_>>().join(", "),
                secs(s.longest_ns)
            )
        })
        .collect();
    Verdict {
        role: Role::Visitor,
        reasons: why,
    }
}

#[cfg(test)]
mod tests;
