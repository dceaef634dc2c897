//! Classify and aggregate: observations become events (vendor, sanction) and fold into the
//! per-host and per-vendor report. Runs on one thread, after the workers, so the
//! cross-flow view (a DNS answer and the host that asked) needs no locks.

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;

use crate::catalog::{Catalog, EchFronts, Match, Resolvers};
use crate::event::{self, EncryptedDnsProtocol, Kind, Method};
use crate::model::{Observation, What};
use crate::policy::Policy;

mod attribution;
pub mod evidence;
pub mod exposure;
mod facts;
pub mod identity;
pub mod roles;
pub mod selfhosted;
#[cfg(test)]
mod tests;
mod usage;
mod visibility;

use attribution::{Answer, EchAnswer};
use facts::Facts;
pub use usage::{Seen, Usage, MAX_HOSTNAMES};
pub use visibility::Visibility;

pub struct Aggregator<'a> {
    catalog: &'a Catalog,
    policy: &'a Policy,
    /// host → vendor id → usage
    pub hosts: BTreeMap<IpAddr, BTreeMap<String, Usage>>,
    pub events: u64,
    /// Events a vendor was matched to (the rest name no vendor): the summary's header.
    pub vendor_events: u64,
    pub events_by_kind: BTreeMap<Kind, u64>,
    pub unsanctioned_events: u64,
    /// host → (protocol, resolver) → when: connections to encrypted DNS, the host's blind spots.
    pub encrypted_dns: BTreeMap<IpAddr, BTreeMap<(EncryptedDnsProtocol, String), Seen>>,
    /// host → how much of its traffic could be named.
    pub visibility: BTreeMap<IpAddr, Visibility>,
    resolvers: &'a Resolvers,
    ech_fronts: &'a EchFronts,
    /// (client, address) → the answer that gave the client that address: what a hello
    /// without a server name is attributed to.
    answers: HashMap<(IpAddr, IpAddr), Answer>,
    /// client → the ECH configs its HTTPS/SVCB answers carried, oldest first.
    ech_answers: HashMap<IpAddr, Vec<EchAnswer>>,
    /// (public name, config id) → cipher suites, from any client's answers.
    ech_configs: HashMap<(String, u8), Vec<(u16, u16)>>,
    limits: Limits,
    /// Bytes the per-host state holds (vendor usage; visibility and encrypted DNS), and the
    /// answer tables, estimated as they grow (these only grow, until the cache is cleared).
    usage_bytes: usize,
    visibility_bytes: usize,
    dns_cache_bytes: usize,
    /// Traffic of hosts past the per-host budget: still counted, in one sum.
    pub untracked: Visibility,
    pub dropped: Dropped,
    /// Tenant ownership facts, CNAME aliases, and connections waiting for their end.
    pub tenancy: roles::Tenancy,
    /// `--flag-visitors`: visitors count as unsanctioned use too.
    pub flag_visitors: bool,
    /// Who each address is (host names, MACs, users).
    pub identity: identity::Identities,
    /// `--since`, `--until`, `--host` for identity facts: every one is learnt (a name given
    /// to `--host`, and the vendor events in the window, need bindings made before), only
    /// those kept make events.
    pub identity_filter: Option<crate::filter::Filter>,
    /// The name events give each input (`Observation::input` indexes it): the file as
    /// shown, or `interface:NAME`. Empty for callers that write no events (tests).
    pub inputs: Vec<String>,
    /// `--sensor`: written on every event.
    pub sensor: Option<String>,
    /// `--baseline`: marks vendor events and the report with what is new since it.
    pub baseline: Option<&'a crate::baseline::Baseline>,
    /// `--vendor` and `--only`.
    pub select: crate::filter::VendorSelect,
    /// The evidence chains' queries waiting for an answer, and their budget.
    pub chains: evidence::State,
    /// Self-hosted help desks recognised on plain HTTP.
    pub self_hosted: selfhosted::SelfHosted,
}

/// What the aggregator may hold, from the `--memcap` shares.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Vendor usage, the report's substance, has a budget of its own, so a flood of hosts
    /// with no name (visibility only) cannot crowd out the hosts that use a vendor.
    pub usage_bytes: usize,
    pub visibility_bytes: usize,
    pub dns_cache_bytes: usize,
    /// The identity bindings (address → name, MAC, user).
    pub identity_bytes: usize,
    /// The evidence chains (per host and vendor: queries, answers, connections).
    pub evidence_bytes: usize,
    /// List every host with hidden traffic, not only the [`MAX_HIDDEN_LISTED`] with the most.
    pub all_hosts: bool,
}

impl Limits {
    pub fn new(shares: &crate::memcap::Shares, all_hosts: bool) -> Limits {
        Limits {
            usage_bytes: shares.hosts / 100 * USAGE_PERCENT,
            visibility_bytes: shares.hosts / 100
                * (100 - USAGE_PERCENT - IDENTITY_PERCENT - EVIDENCE_PERCENT),
            identity_bytes: shares.hosts / 100 * IDENTITY_PERCENT,
            evidence_bytes: shares.hosts / 100 * EVIDENCE_PERCENT,
            dns_cache_bytes: shares.dns_cache,
            all_hosts,
        }
    }
}

/// What the aggregator's limits dropped, by name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Dropped {
    /// Host and vendor pairs not kept in the report (their events were still written).
    pub usage_memcap: u64,
    /// Hosts whose visibility counts went into the untracked sum instead of their own.
    pub visibility_memcap: u64,
    /// Hosts' encrypted-DNS resolvers not kept.
    pub encrypted_dns_memcap: u64,
    /// Times the DNS answers kept for attribution were cleared for room.
    pub dns_cache_cleared: u64,
    /// Exposures of a host and vendor not kept: the usage budget was spent.
    pub exposures_memcap: u64,
}

/// Hosts whose only blind spot is nameless encrypted traffic listed in the report and the
/// summary, the ones with the most first: past this, a flood of SNI-less hellos from spoofed
/// addresses would make the report the attack's amplifier. `--all-hosts` lists them all.
pub const MAX_HIDDEN_LISTED: usize = 1000;

/// The part of the per-host share that vendor usage gets.
const USAGE_PERCENT: usize = 50;
/// The part the evidence chains get: at most 8 names of ~1 KB each per host and vendor,
/// most pairs far less; on the default budget, some thousands of pairs in full.
const EVIDENCE_PERCENT: usize = 10;
/// The part the identity bindings get: a few per host, ~200 bytes each.
const IDENTITY_PERCENT: usize = 10;

/// Estimated bytes of the state a new entry adds: map node, key, value, and the heap parts
/// of its strings (measured shapes, rounded up; the budget is a bound, not an accountant).
const USAGE_BYTES: usize = 400;
const VISIBILITY_BYTES: usize = 160;
const SEEN_BYTES: usize = 120;
const STRING_BYTES: usize = 48;
const ANSWER_BYTES: usize = 120;
const ECH_ANSWER_BYTES: usize = 200;

/// Hosts listed in the report and summary.
pub struct Listed {
    pub ips: std::collections::BTreeSet<IpAddr>,
    /// Hosts with hidden traffic left out (past [`MAX_HIDDEN_LISTED`]).
    pub hidden_not_listed: u64,
}

impl<'a> Aggregator<'a> {
    pub fn new(
        catalog: &'a Catalog,
        policy: &'a Policy,
        resolvers: &'a Resolvers,
        ech_fronts: &'a EchFronts,
        limits: Limits,
    ) -> Aggregator<'a> {
        Aggregator {
            catalog,
            policy,
            resolvers,
            ech_fronts,
            encrypted_dns: BTreeMap::new(),
            visibility: BTreeMap::new(),
            hosts: BTreeMap::new(),
            events: 0,
            vendor_events: 0,
            events_by_kind: BTreeMap::new(),
            unsanctioned_events: 0,
            answers: HashMap::new(),
            ech_answers: HashMap::new(),
            ech_configs: HashMap::new(),
            limits,
            usage_bytes: 0,
            visibility_bytes: 0,
            dns_cache_bytes: 0,
            untracked: Visibility::default(),
            dropped: Dropped::default(),
            tenancy: roles::Tenancy::default(),
            flag_visitors: false,
            identity: identity::Identities::default(),
            identity_filter: None,
            inputs: Vec::new(),
            sensor: None,
            baseline: None,
            select: crate::filter::VendorSelect::default(),
            chains: evidence::State::default(),
            self_hosted: selfhosted::SelfHosted::default(),
        }
    }

    /// What identity facts make events (see `identity_filter`), and how long a binding
    /// without a lease names its address (`--identity-max-age`).
    pub fn with_identity(mut self, filter: crate::filter::Filter, max_age_ns: i64) -> Self {
        self.identity_filter = (!filter.keeps_all()).then_some(filter);
        self.identity.max_age_ns = max_age_ns;
        self
    }

    /// `--vendor` and `--only`: which observations count, and which events are written.
    pub fn with_select(mut self, select: crate::filter::VendorSelect) -> Self {
        self.select = select;
        self
    }

    /// The policy the run decides `sanctioned` by (the report names each decision's rule).
    pub fn policy(&self) -> &'a Policy {
        self.policy
    }

    /// Visitors count as unsanctioned use too (`--flag-visitors`).
    pub fn with_flag_visitors(mut self, on: bool) -> Self {
        self.flag_visitors = on;
        self
    }

    /// `--baseline`.
    pub fn with_baseline(mut self, b: Option<&'a crate::baseline::Baseline>) -> Self {
        self.baseline = b;
        self
    }

    /// The names of the inputs, by `Observation::input`, and the `--sensor` name, for events.
    pub fn with_origins(mut self, inputs: Vec<String>, sensor: Option<String>) -> Self {
        self.inputs = inputs;
        self.sensor = sensor;
        self
    }

    /// The hosts the report and summary list: every one with vendor traffic or encrypted
    /// DNS, and those with hidden traffic (the most unnamed first, up to
    /// [`MAX_HIDDEN_LISTED`] unless all are asked for).
    pub fn listed(&self) -> Listed {
        let mut ips: std::collections::BTreeSet<IpAddr> = self
            .hosts
            .keys()
            .chain(self.encrypted_dns.keys())
            .copied()
            .collect();
        let mut hidden: Vec<(&IpAddr, &Visibility)> = self
            .visibility
            .iter()
            .filter(|(ip, v)| v.has_hidden_traffic() && !ips.contains(ip))
            .collect();
        let mut not_listed = 0;
        if !self.limits.all_hosts && hidden.len() > MAX_HIDDEN_LISTED {
            hidden.sort_by_key(|(ip, v)| (std::cmp::Reverse(v.unnamed_hellos + v.ech), **ip));
            not_listed = (hidden.len() - MAX_HIDDEN_LISTED) as u64;
            hidden.truncate(MAX_HIDDEN_LISTED);
        }
        ips.extend(hidden.into_iter().map(|(ip, _)| *ip));
        Listed {
            ips,
            hidden_not_listed: not_listed,
        }
    }

    /// Turns an observation into its event, records it in the report, and, when `line` is
    /// given, writes the event there as one JSON object (no newline). Returns false when the
    /// observation makes no event (the root name, or a TCP connection that is only counted).
    /// Where `o` was observed, as events say it.
    pub(crate) fn origin(&self, o: &Observation) -> event::Origin<'_> {
        event::Origin {
            input: self.inputs.get(o.input as usize).map(String::as_str),
            sensor: self.sensor.as_deref(),
        }
    }

    pub fn observe(&mut self, o: &Observation, line: Option<&mut Vec<u8>>) -> bool {
        if let What::Identity(w) = &o.what {
            // Learnt whatever is kept; written only when no vendor filter applies.
            let line = line.filter(|_| self.select.writes_identity());
            let wrote = line.is_some();
            return self.observe_identity(o, w, line) && wrote;
        }
        if let What::Exposure(x) = &o.what {
            self.self_hosted_request(o, x);
            return self.observe_exposure(o, x, line);
        }
        if let What::HttpResponse(r) = &o.what {
            self.self_hosted_response(o, r);
            return false;
        }
        if let What::ServerHello(h) = &o.what {
            self.self_hosted_certificate(o, h);
            return false;
        }
        // Who is the client: the sender, except for a DNS response, whose client is the
        // host that asked (the response's destination).
        if let What::SessionEnd(session) = &o.what {
            self.end_session(o, session);
            return false;
        }
        let answer = matches!(o.what, What::DnsAnswer { .. });
        let (client, server, cport, sport) = if answer {
            (o.dst, o.src, o.dport, o.sport)
        } else {
            (o.src, o.dst, o.sport, o.dport)
        };
        if let What::OtherTcp = o.what {
            // No name on the wire; the client's own DNS may still say where it went.
            let resolved = self.resolved(client, server, o.ts).is_some();
            let v = self.visibility_of(client);
            v.other_tcp += 1;
            match resolved {
                true => v.attributed += 1,
                false => v.unnamed += 1,
            }
            return false;
        }
        let hello = match &o.what {
            What::TlsHello {
                name, ech, again, ..
            }
            | What::QuicHello {
                name, ech, again, ..
            } => {
                let mut view = self.judge_hello(client, server, name, *ech, o.ts);
                view.again = *again;
                Some(view)
            }
            _ => None,
        };
        let attributed = hello.as_ref().and_then(|h| h.attributed.as_ref());
        let (kind, hostname, m, via): (Kind, &str, Option<Match>, Option<&str>) = match &o.what {
            What::DnsQuery { name, .. } => (Kind::Dns, name, self.catalog.lookup(name), None),
            What::TlsHello { name, .. } | What::QuicHello { name, .. } => {
                let kind = if o.tcp { Kind::Tls } else { Kind::Quic };
                // An attributed name stands for the destination; the SNI, when there is
                // one, is then only an ECH provider's public name.
                let m = match attributed {
                    Some(a) => self
                        .catalog
                        .lookup(&a.asked)
                        .or_else(|| self.catalog.lookup(&a.owner)),
                    None => self.catalog.lookup(name),
                };
                (kind, name, m, None)
            }
            What::Proxy { target } => {
                // The server a client named: `http` (CONNECT, or a plain request's Host)
                // or `socks`.
                let kind = if Method::from_preamble(target.method).is_socks() {
                    Kind::Socks
                } else {
                    Kind::Http
                };
                let m = if target.is_name {
                    self.catalog.lookup(&target.host)
                } else {
                    None
                };
                (kind, &target.host, m, None)
            }
            What::DnsAnswer { msg } => {
                let qname = msg
                    .questions
                    .first()
                    .map(|q| q.name.as_str())
                    .unwrap_or_default();
                // The chain: the question, then each CNAME target in order. The first name
                // that belongs to a vendor attributes the whole answer, which is how
                // `help.acme-corp.example CNAME acme.zendesk.com` counts as Zendesk.
                let mut via = None;
                let mut m = self.catalog.lookup(qname);
                if m.is_none() {
                    for (_, target) in &msg.cnames {
                        if let Some(found) = self.catalog.lookup(target) {
                            via = Some(target.as_str());
                            m = Some(found);
                            break;
                        }
                    }
                }
                (Kind::DnsAnswer, qname, m, via)
            }
            What::OtherTcp
            | What::SessionEnd(_)
            | What::Identity(_)
            | What::Exposure(_)
            | What::HttpResponse(_)
            | What::ServerHello(_) => return false,
        };
        if hostname.is_empty() && hello.is_none() {
            // The root name: not a hostname (priming queries, NS .).
            return false;
        }
        if let What::DnsAnswer { msg } = &o.what {
            self.remember_answer(client, hostname, msg, o.ts);
            if !msg.cnames.is_empty() {
                self.remember_cnames(hostname, &msg.cnames);
            }
        }
        // The evidence chain's query: one without a vendor waits for its answer, whose
        // CNAME chain may name one.
        let waiting = match &o.what {
            What::DnsQuery { qtype, .. } if m.is_none() => {
                self.chain_pending_query(client, server, hostname, *qtype, o.ts);
                None
            }
            What::DnsAnswer { .. } => self.chain_take_query(client, hostname),
            _ => None,
        };
        // `--vendor`: an observation of another vendor (or of none) counts nowhere; a hello to
        // a CNAME alias of a kept vendor's name still adds to that vendor's evidence.
        let alias_kept = || {
            hello.is_some()
                && attributed.is_none()
                && !hostname.is_empty()
                && self
                    .alias_match(hostname)
                    .is_some_and(|am| self.select.keeps(Some(&am.vendor.id)))
        };
        let vendor_id = m.as_ref().map(|m| m.vendor.id.as_str());
        if !self.select.keeps(vendor_id) && !alias_kept() {
            return false;
        }
        // Encrypted DNS: anything on port 853 (DNS over TLS or QUIC), or a hello to a known
        // DNS-over-HTTPS resolver. The host's names are then out of sight.
        let encrypted_dns = match kind {
            Kind::Tls | Kind::Quic => {
                let name = match attributed {
                    Some(a) => Some(a.asked.as_str()),
                    None if hostname.is_empty() => None,
                    None => Some(hostname),
                };
                let by_name = name
                    .and_then(|n| self.resolvers.lookup(n))
                    .filter(|p| *p != "dot");
                // Name the resolver by what the client sent, by the attributed name when that
                // is what identified it, or else by its address.
                let label = match (hostname.is_empty(), by_name) {
                    (false, _) => hostname.to_owned(),
                    (true, Some(_)) => name.unwrap_or_default().to_owned(),
                    (true, None) => server.to_string(),
                };
                let tls = kind == Kind::Tls;
                match (sport, tls, by_name) {
                    (853, true, _) => Some(EncryptedDnsProtocol::Dot),
                    (853, false, _) => Some(EncryptedDnsProtocol::Doq),
                    (_, true, Some(_)) => Some(EncryptedDnsProtocol::Doh),
                    (_, false, Some(_)) => Some(EncryptedDnsProtocol::Doh3),
                    _ => None,
                }
                .map(|p| (p, label))
            }
            _ => None,
        };
        if let Some((proto, resolver)) = &encrypted_dns {
            let key = (*proto, resolver.clone());
            let known = self
                .encrypted_dns
                .get(&client)
                .is_some_and(|m| m.contains_key(&key));
            if known || self.visibility_room(SEEN_BYTES + resolver.len()) {
                let e = self
                    .encrypted_dns
                    .entry(client)
                    .or_default()
                    .entry(key)
                    .or_insert(Seen {
                        first_seen: o.ts,
                        last_seen: o.ts,
                        connections: 0,
                    });
                e.first_seen = e.first_seen.min(o.ts);
                e.last_seen = e.last_seen.max(o.ts);
                e.connections += 1;
            } else {
                self.dropped.encrypted_dns_memcap += 1;
            }
        }
        // The name the report files this event under: the SNI, or the attributed name.
        let used_name = attributed.map_or(hostname, |a| a.asked.as_str());
        self.count_visibility(
            client,
            kind,
            hostname,
            hello.as_ref(),
            encrypted_dns.is_some(),
        );
        let sanctioned = m
            .as_ref()
            .map(|m| self.policy.sanctioned(&m.vendor.id, client));

        let write = self.select.writes(vendor_id, sanctioned);
        if let Some(buf) = line.filter(|_| write) {
            buf.clear();
            let facts = Facts {
                kind,
                client,
                server,
                cport,
                sport,
                hostname,
                m: m.as_ref(),
                sanctioned,
                via,
                hello: hello.as_ref(),
                encrypted_dns: encrypted_dns.as_ref().map(|(p, _)| *p),
                who: match m {
                    Some(_) => self.identity.at(client, o.ts),
                    None => event::Who::default(),
                },
                new_since_baseline: m.as_ref().and_then(|m| {
                    self.baseline
                        .map(|b| b.is_new(client, &m.vendor.id, used_name))
                }),
            };
            if let Some(e) = facts.event(o, self.origin(o)) {
                event::write(buf, &e);
            }
        }

        // Under `--vendor`, a hello kept only as evidence for its alias's vendor makes no
        // event (its own vendor is none), so it is not counted as one.
        if self.select.keeps(vendor_id) {
            self.events += 1;
            *self.events_by_kind.entry(kind).or_default() += 1;
        }
        if let (Some(m), Some(ok)) = (&m, sanctioned) {
            self.vendor_events += 1;
            if !ok {
                self.unsanctioned_events += 1;
            }
            self.fold_usage(client, m, ok, kind, used_name, o.ts);
            self.chain_event(
                o,
                m.vendor.id.as_str(),
                kind,
                used_name,
                attributed,
                waiting,
            );
        }
        // Role evidence: the name under its endpoint role, a hello's client and connection.
        // A hello to a CNAME alias of a vendor's name (a tenant behind our own name) is
        // evidence for that vendor, though its event has no vendor.
        let hello_client = match &o.what {
            What::TlsHello { client, again, .. } | What::QuicHello { client, again, .. }
                if !again =>
            {
                Some((client.as_ref(), !o.tcp))
            }
            _ => None,
        };
        let conn = (cport, server, sport, o.tcp);
        if let Some(m) = &m {
            self.add_evidence(client, m, used_name, hello_client, conn);
        } else if hello_client.is_some() && attributed.is_none() && !hostname.is_empty() {
            if let Some(am) = self.alias_match(hostname) {
                let am = Match {
                    tenant: am.tenant.clone(),
                    ..am
                };
                self.add_evidence(client, &am, hostname, hello_client, conn);
                let how = evidence::How::Cname;
                let id = am.vendor.id.as_str();
                self.chain_connection(client, id, hostname, kind, how, conn, hostname, o.ts);
            }
        }
        write
    }
}

/// The per-host state turned round (for the report, the summary and the findings): vendor id → the hosts that used it.
pub fn by_vendor<'a>(agg: &'a Aggregator<'_>) -> BTreeMap<&'a str, Vec<(IpAddr, &'a Usage)>> {
    let mut m: BTreeMap<&str, Vec<(IpAddr, &Usage)>> = BTreeMap::new();
    for (ip, vendors) in &agg.hosts {
        for (id, u) in vendors {
            m.entry(id.as_str()).or_default().push((*ip, u));
        }
    }
    m
}
