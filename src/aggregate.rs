//! Classify and aggregate: observations become events (vendor, sanction) and fold into the
//! per-host and per-vendor report. Runs on one thread, after the workers, so the
//! cross-flow view (a DNS answer and the host that asked) needs no locks.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::IpAddr;

use crate::catalog::{Catalog, EchFronts, Match, Resolvers};
use crate::event::{
    self, AttributionMethod, AttributionShown, Body, Dns, DnsAnswer, EchEvidence,
    EncryptedDnsProtocol, Event, Hello, Kind, Method, Named, QType, Request, Strength, Timestamp,
    Transport, VendorMatch,
};
use crate::model::{Observation, What};
use crate::policy::Policy;
use crate::proto::{dns, ech};
use crate::time::{self, TsNanos};

/// Distinct hostnames kept per host and vendor; more are counted, not kept, so a host that
/// asks for a million tenant names cannot grow the report without bound.
const MAX_HOSTNAMES: usize = 64;

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
}

pub struct Aggregator<'a> {
    catalog: &'a Catalog,
    policy: &'a Policy,
    /// host → vendor id → usage
    pub hosts: BTreeMap<IpAddr, BTreeMap<String, Usage>>,
    pub events: u64,
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
}

/// What the aggregator may hold, from the `--memcap` shares.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Vendor usage, the report's substance, has a budget of its own, so a flood of hosts
    /// with no name (visibility only) cannot crowd out the hosts that use a vendor.
    pub usage_bytes: usize,
    pub visibility_bytes: usize,
    pub dns_cache_bytes: usize,
    /// List every host with hidden traffic, not only the [`MAX_HIDDEN_LISTED`] with the most.
    pub all_hosts: bool,
}

impl Limits {
    pub fn new(shares: &crate::memcap::Shares, all_hosts: bool) -> Limits {
        Limits {
            usage_bytes: shares.hosts / 100 * USAGE_PERCENT,
            visibility_bytes: shares.hosts / 100 * (100 - USAGE_PERCENT),
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
}

/// Hosts whose only blind spot is nameless encrypted traffic listed in the report and the
/// summary, the ones with the most first: past this, a flood of SNI-less hellos from spoofed
/// addresses would make the report the attack's amplifier. `--all-hosts` lists them all.
pub const MAX_HIDDEN_LISTED: usize = 1000;

/// The part of the per-host share that vendor usage gets.
const USAGE_PERCENT: usize = 60;

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

/// How much of a host's traffic the sensor could put a name on. Counted per TLS or QUIC
/// connection (its first hello), per plain-HTTP or proxy request, and per other TCP connection
/// whose SYN was seen.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Visibility {
    pub tls_hellos: u64,
    pub quic_hellos: u64,
    pub http_requests: u64,
    /// TCP connections whose client spoke neither TLS nor HTTP (SSH, databases, VPNs).
    pub other_tcp: u64,
    /// The destination's name was on the wire (SNI, Host, proxy target), and was not an
    /// ECH provider's public name.
    pub named: u64,
    /// No usable name on the wire, but one was recovered from the client's own DNS: the
    /// answer that gave it the server's address, or the HTTPS record whose ECH config it used.
    /// named + attributed + unnamed = every hello, request and other TCP connection.
    pub attributed: u64,
    /// No name at all: no SNI and no answer, or ECH with no HTTPS record seen.
    pub unnamed: u64,
    /// Of those, TLS and QUIC hellos: encrypted traffic whose destination stays unknown, the
    /// blind spot that puts a host on the report.
    pub unnamed_hellos: u64,
    /// Hellos that used ECH for real (evidence in the event), and hellos that merely carried
    /// the extension, GREASE included.
    pub ech: u64,
    pub ech_offered: u64,
    /// Connections to encrypted-DNS resolvers (the names they resolve are not visible).
    pub encrypted_dns: u64,
    pub dns_queries: u64,
}

impl Visibility {
    /// Encrypted traffic whose destination has no name, or real ECH: what lists a host as
    /// hidden in the report and the summary. (Other TCP with no name alone does not: SSH to
    /// an address is no blind spot for support vendors.)
    pub fn has_hidden_traffic(&self) -> bool {
        self.unnamed_hellos > 0 || self.ech > 0
    }

    /// Every connection counted: each is named, attributed or unnamed.
    pub fn connections(&self) -> u64 {
        self.tls_hellos + self.quic_hellos + self.http_requests + self.other_tcp
    }

    pub fn plus(mut self, o: &Visibility) -> Visibility {
        self.tls_hellos += o.tls_hellos;
        self.quic_hellos += o.quic_hellos;
        self.http_requests += o.http_requests;
        self.other_tcp += o.other_tcp;
        self.named += o.named;
        self.attributed += o.attributed;
        self.unnamed += o.unnamed;
        self.unnamed_hellos += o.unnamed_hellos;
        self.ech += o.ech;
        self.ech_offered += o.ech_offered;
        self.encrypted_dns += o.encrypted_dns;
        self.dns_queries += o.dns_queries;
        self
    }
}

/// An A/AAAA answer a client received.
#[derive(Clone, Debug)]
struct Answer {
    asked: String,
    owner: String,
    ts: TsNanos,
    expiry: TsNanos,
}

/// An ECH config a client received in an HTTPS/SVCB answer.
#[derive(Clone, Debug)]
struct EchAnswer {
    asked: String,
    owner: String,
    config: ech::Config,
    ts: TsNanos,
    expiry: TsNanos,
}

/// What the aggregator makes of a ClientHello.
#[derive(Debug, Default)]
struct HelloView {
    /// The connection was already counted (see `What::TlsHello`).
    again: bool,
    ech_offered: bool,
    /// Why the ECH is believed real, when it is.
    ech: Option<EchEvidence>,
    attributed: Option<Attribution>,
}

/// A name recovered for a hello from the client's DNS, with the evidence.
#[derive(Debug)]
struct Attribution {
    /// The name the client asked for, and the owner of the record that answered.
    asked: String,
    owner: String,
    how: AttributionMethod,
    /// When the answer was seen.
    ts: TsNanos,
    /// Distinct names that fit the evidence equally (ECH: other sites behind the same
    /// provider); the newest, preferring one that resolved to this server, is chosen.
    candidates: usize,
}

/// Answers remembered for SNI-less attribution; past this, expired ones are dropped first,
/// then the table is cleared (it refills from the next answers). The ECH tables share it.
const MAX_ANSWERS: usize = 1 << 16;
/// ECH configs remembered per client (the newest are kept).
const MAX_ECH_PER_CLIENT: usize = 64;
/// DNS TTLs are honoured within these bounds: a TTL of 0 still covers the connection that
/// follows the answer, and a week-long TTL does not pin memory.
const MIN_ANSWER_TTL_NS: i64 = 60 * 1_000_000_000;
const MAX_ANSWER_TTL_NS: i64 = 86_400 * 1_000_000_000;

fn ttl_ns(ttl: u32) -> i64 {
    (ttl as i64 * 1_000_000_000).clamp(MIN_ANSWER_TTL_NS, MAX_ANSWER_TTL_NS)
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
        }
    }

    /// Takes `bytes` of the usage budget if they fit.
    fn usage_room(&mut self, bytes: usize) -> bool {
        let fits = self.usage_bytes + bytes <= self.limits.usage_bytes;
        self.usage_bytes += bytes * fits as usize;
        fits
    }

    /// Takes `bytes` of the visibility budget (visibility and encrypted DNS) if they fit.
    fn visibility_room(&mut self, bytes: usize) -> bool {
        let fits = self.visibility_bytes + bytes <= self.limits.visibility_bytes;
        self.visibility_bytes += bytes * fits as usize;
        fits
    }

    /// A host's visibility counts; past the budget, new hosts count in the untracked sum.
    fn visibility_of(&mut self, client: IpAddr) -> &mut Visibility {
        if !self.visibility.contains_key(&client) && !self.visibility_room(VISIBILITY_BYTES) {
            self.dropped.visibility_memcap += 1;
            return &mut self.untracked;
        }
        self.visibility.entry(client).or_default()
    }

    /// Every host's visibility, tracked or not.
    pub fn visibility_total(&self) -> Visibility {
        self.visibility
            .values()
            .fold(self.untracked.clone(), |a, v| a.plus(v))
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
    pub fn observe(&mut self, o: &Observation, line: Option<&mut Vec<u8>>) -> bool {
        // Who is the client: the sender, except for a DNS response, whose client is the
        // host that asked (the response's destination).
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
            What::TlsHello { name, ech, again } | What::QuicHello { name, ech, again } => {
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
            What::OtherTcp => return false,
        };
        if hostname.is_empty() && hello.is_none() {
            // The root name: not a hostname (priming queries, NS .).
            return false;
        }
        if let What::DnsAnswer { msg } = &o.what {
            self.remember_answer(client, hostname, msg, o.ts);
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

        if let Some(buf) = line {
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
            };
            if let Some(e) = facts.event(o) {
                event::write(buf, &e);
            }
        }

        self.events += 1;
        *self.events_by_kind.entry(kind).or_default() += 1;
        if let (Some(m), Some(ok)) = (&m, sanctioned) {
            if !ok {
                self.unsanctioned_events += 1;
            }
            let known = self
                .hosts
                .get(&client)
                .is_some_and(|v| v.contains_key(&m.vendor.id));
            if !known && !self.usage_room(USAGE_BYTES) {
                self.dropped.usage_memcap += 1;
                return true;
            }
            let room = self.limits.usage_bytes.saturating_sub(self.usage_bytes);
            let u = self
                .hosts
                .entry(client)
                .or_default()
                .entry(m.vendor.id.clone())
                .or_insert_with(|| Usage {
                    first_seen: o.ts,
                    last_seen: o.ts,
                    ..Usage::default()
                });
            u.first_seen = u.first_seen.min(o.ts);
            u.last_seen = u.last_seen.max(o.ts);
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
            self.usage_bytes += grew;
        }
        true
    }
}

/// What [`Aggregator::observe`] decided about an observation that makes an event.
struct Facts<'o> {
    kind: Kind,
    client: IpAddr,
    server: IpAddr,
    cport: u16,
    sport: u16,
    hostname: &'o str,
    m: Option<&'o Match<'o>>,
    sanctioned: Option<bool>,
    /// The CNAME target that named the vendor (DNS answers).
    via: Option<&'o str>,
    hello: Option<&'o HelloView>,
    encrypted_dns: Option<EncryptedDnsProtocol>,
}

impl<'o> Facts<'o> {
    /// The event; None only for what makes none (other TCP returns before this).
    fn event(&self, o: &'o Observation) -> Option<Event<'o>> {
        let Facts {
            kind,
            client,
            server,
            cport,
            sport,
            hostname,
            m,
            sanctioned,
            via,
            hello,
            encrypted_dns,
        } = *self;
        let attributed = hello.and_then(|h| h.attributed.as_ref());
        let named = Named {
            src_ip: client,
            src_port: cport,
            dst_ip: server,
            dst_port: sport,
            transport: if o.tcp {
                Transport::Tcp
            } else {
                Transport::Udp
            },
            hostname,
            vendor: m.map(|m| m.vendor.id.as_str()),
            sanctioned,
            vendor_match: m.map(|m| VendorMatch {
                vendor_name: &m.vendor.name,
                category: &m.vendor.category,
                matched: m.pattern,
                strength: Strength::of(m.strong),
                tenant: m.tenant.as_deref(),
            }),
        };
        let body = match &o.what {
            What::DnsQuery { qtype, .. } => Some(Body::Dns(Dns {
                named,
                qtype: QType::of(*qtype),
            })),
            What::Proxy { target } => {
                let r = Request {
                    named,
                    method: Method::from_preamble(target.method),
                    target_port: target.port,
                };
                Some(match kind {
                    Kind::Socks => Body::Socks(r),
                    _ => Body::Http(r),
                })
            }
            What::DnsAnswer { msg } => Some(Body::DnsAnswer(DnsAnswer {
                named,
                rcode: msg.rcode,
                cnames: msg.cnames.iter().map(|(_, t)| t.as_str()).collect(),
                answers: msg.addrs.iter().map(|(_, a)| *a).collect(),
                ech_public_names: (!msg.ech.is_empty()).then(|| {
                    let mut names: Vec<&str> = msg
                        .ech
                        .iter()
                        .flat_map(|r| &r.configs)
                        .map(|c| c.public_name.as_str())
                        .collect();
                    names.sort_unstable();
                    names.dedup();
                    names
                }),
                via,
            })),
            What::TlsHello { .. } | What::QuicHello { .. } => hello.map(|h| {
                let e = Hello {
                    named,
                    encrypted_dns,
                    ech_offered: h.ech_offered,
                    ech: h.ech.is_some(),
                    ech_evidence: h.ech,
                    // When the wire has no usable name (none, or an ECH public name),
                    // say how (and whether) one was recovered.
                    attribution: (hostname.is_empty() || h.ech.is_some()).then(|| {
                        AttributionShown {
                            attributed_hostname: attributed.map(|a| a.asked.as_str()),
                            attribution: attributed.map(|a| a.how),
                        }
                    }),
                    attribution_owner: attributed
                        .filter(|a| a.owner != a.asked)
                        .map(|a| a.owner.as_str()),
                    attribution_ts: attributed.map(|a| Timestamp(a.ts)),
                    attribution_candidates: attributed
                        .filter(|a| a.how == AttributionMethod::EchHttpsRecord)
                        .map(|a| a.candidates as u64),
                };
                match kind {
                    Kind::Quic => Body::Quic(e),
                    _ => Body::Tls(e),
                }
            }),
            What::OtherTcp => None,
        };
        Some(Event {
            ts: Timestamp(o.ts),
            body: body?,
        })
    }
}

impl Aggregator<'_> {
    /// Remembers which name a client resolved each answered address from, and the ECH configs
    /// its HTTPS/SVCB answers carried, for as long as the TTL (within bounds).
    fn remember_answer(&mut self, client: IpAddr, asked: &str, msg: &dns::Message, ts: TsNanos) {
        let expiry = time::after(ts, ttl_ns(msg.min_ttl.unwrap_or(0)));
        let ech_bytes: usize = msg
            .ech
            .iter()
            .flat_map(|r| &r.configs)
            .map(|c| ECH_ANSWER_BYTES + 2 * (asked.len() + c.public_name.len()))
            .sum();
        let answer_bytes = msg.addrs.len() * (ANSWER_BYTES + asked.len()) + ech_bytes;
        if self.dns_cache_bytes + answer_bytes > self.limits.dns_cache_bytes {
            self.make_dns_cache_room(ts);
        }
        self.dns_cache_bytes += answer_bytes;
        for (owner, addr) in &msg.addrs {
            if self.answers.len() >= MAX_ANSWERS {
                self.make_dns_cache_room(ts);
            }
            let a = Answer {
                asked: asked.to_owned(),
                owner: owner.clone(),
                ts,
                expiry,
            };
            self.answers.insert((client, *addr), a);
        }
        if msg.ech.is_empty() {
            return;
        }
        if self.ech_answers.len() >= MAX_ANSWERS || self.ech_configs.len() >= MAX_ANSWERS {
            self.make_dns_cache_room(ts);
        }
        let mine = self.ech_answers.entry(client).or_default();
        for rec in &msg.ech {
            for c in &rec.configs {
                self.ech_configs
                    .insert((c.public_name.clone(), c.config_id), c.suites.clone());
                if mine.len() >= MAX_ECH_PER_CLIENT {
                    mine.remove(0);
                }
                mine.push(EchAnswer {
                    asked: asked.to_owned(),
                    owner: rec.owner.clone(),
                    config: c.clone(),
                    ts,
                    expiry: time::after(ts, ttl_ns(rec.ttl)),
                });
            }
        }
    }

    /// Drops expired answers, and when that is not enough, all of them (the tables refill
    /// from the next answers; hellos in between go unattributed, and the clearing is counted).
    fn make_dns_cache_room(&mut self, now: TsNanos) {
        self.answers.retain(|_, a| a.expiry >= now);
        for list in self.ech_answers.values_mut() {
            list.retain(|a| a.expiry >= now);
        }
        self.ech_answers.retain(|_, l| !l.is_empty());
        let answers: usize = self
            .answers
            .values()
            .map(|a| ANSWER_BYTES + a.asked.len())
            .sum();
        let ech: usize = self
            .ech_answers
            .values()
            .flatten()
            .map(|a| ECH_ANSWER_BYTES + 2 * (a.asked.len() + a.config.public_name.len()))
            .sum();
        self.dns_cache_bytes = answers + ech;
        if self.dns_cache_bytes > self.limits.dns_cache_bytes / 2
            || self.answers.len() >= MAX_ANSWERS
            || self.ech_answers.len() >= MAX_ANSWERS
            || self.ech_configs.len() >= MAX_ANSWERS
        {
            self.answers.clear();
            self.ech_answers.clear();
            self.ech_configs.clear();
            self.dns_cache_bytes = 0;
            self.dropped.dns_cache_cleared += 1;
        }
    }

    /// Decides whether a hello's ECH is real and what name, if any, stands for its
    /// destination.
    ///
    /// ECH is real when the hello names a config someone was given: its SNI is the config's
    /// public name and its config id and cipher suite match (a GREASE extension picks a random
    /// id, so it matches by chance 1 time in 256, and never carries a public name as SNI
    /// unless the site is the provider itself). The inner name is the one whose HTTPS record
    /// gave this client that config; among several, the one it resolved to this server's
    /// address, else the newest.
    fn judge_hello(
        &self,
        client: IpAddr,
        server: IpAddr,
        sni: &str,
        offer: Option<ech::Offer>,
        now: TsNanos,
    ) -> HelloView {
        let mut view = HelloView {
            ech_offered: offer.is_some(),
            ..HelloView::default()
        };
        if let Some(o) = offer.filter(|_| !sni.is_empty()) {
            let fits: Vec<&EchAnswer> = self
                .ech_answers
                .get(&client)
                .into_iter()
                .flatten()
                .filter(|e| {
                    e.expiry >= now && e.config.public_name == sni && e.config.offered_by(&o)
                })
                .collect();
            view.ech = if !fits.is_empty() {
                Some(EchEvidence::ClientHttpsRecord)
            } else if self.config_known(sni, &o) {
                Some(EchEvidence::HttpsRecord)
            } else if self.ech_fronts.contains(sni) {
                Some(EchEvidence::KnownPublicName)
            } else {
                None
            };
            if let Some(newest) = fits.last() {
                let resolved = self.resolved(client, server, now);
                let same_server = |e: &&&EchAnswer| {
                    resolved.is_some_and(|a| a.asked == e.asked || a.owner == e.owner)
                };
                let e = fits.iter().rev().find(same_server).unwrap_or(newest);
                let mut names: Vec<&str> = fits.iter().map(|e| e.asked.as_str()).collect();
                names.sort_unstable();
                names.dedup();
                view.attributed = Some(Attribution {
                    asked: e.asked.clone(),
                    owner: e.owner.clone(),
                    how: AttributionMethod::EchHttpsRecord,
                    ts: e.ts,
                    candidates: names.len(),
                });
            }
        } else if sni.is_empty() {
            view.attributed = self.resolved(client, server, now).map(|a| Attribution {
                asked: a.asked.clone(),
                owner: a.owner.clone(),
                how: AttributionMethod::DnsAnswer,
                ts: a.ts,
                candidates: 1,
            });
        }
        view
    }

    /// The answer that gave this client that server's address, while its TTL lasts.
    fn resolved(&self, client: IpAddr, server: IpAddr, now: TsNanos) -> Option<&Answer> {
        self.answers
            .get(&(client, server))
            .filter(|a| a.expiry >= now)
    }

    /// Some client got this (public name, config id) with this cipher suite.
    fn config_known(&self, sni: &str, o: &ech::Offer) -> bool {
        // Most hellos carry GREASE: no key is built when nothing can match.
        !self.ech_configs.is_empty()
            && self
                .ech_configs
                .get(&(sni.to_owned(), o.config_id))
                .is_some_and(|suites| suites.contains(&(o.kdf, o.aead)))
    }

    fn count_visibility(
        &mut self,
        client: IpAddr,
        kind: Kind,
        hostname: &str,
        hello: Option<&HelloView>,
        encrypted_dns: bool,
    ) {
        let v = self.visibility_of(client);
        if hello.is_some_and(|h| h.again) {
            return;
        }
        match kind {
            Kind::Dns => {
                v.dns_queries += 1;
                return;
            }
            Kind::Tls => v.tls_hellos += 1,
            Kind::Quic => v.quic_hellos += 1,
            Kind::Http | Kind::Socks => v.http_requests += 1,
            Kind::DnsAnswer | Kind::Stats => return,
        }
        v.encrypted_dns += encrypted_dns as u64;
        let (ech, attributed) = match hello {
            Some(h) => {
                v.ech_offered += h.ech_offered as u64;
                (h.ech.is_some(), h.attributed.is_some())
            }
            None => (false, false),
        };
        v.ech += ech as u64;
        if attributed {
            v.attributed += 1;
        } else if hostname.is_empty() || ech {
            v.unnamed += 1;
            v.unnamed_hellos += hello.is_some() as u64;
        } else {
            v.named += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::dns::EchRecord;

    const C: &str = "10.0.0.5";
    const S: &str = "10.0.0.9";

    fn config(id: u8) -> ech::Config {
        ech::Config {
            config_id: id,
            kem: 0x20,
            suites: vec![(1, 1)],
            public_name: "public.ech-front.example".into(),
        }
    }

    fn obs(ts: i64, src: &str, dst: &str, what: What) -> Observation {
        Observation {
            order: ts as u64,
            ts,
            src: src.parse().unwrap(),
            dst: dst.parse().unwrap(),
            sport: if src == S { 53 } else { 50000 },
            dport: if src == S { 50000 } else { 443 },
            tcp: true,
            what,
        }
    }

    /// The answer to `asked`'s HTTPS query: one ECH config, and an A record to `S`.
    fn https_answer(ts: i64, client: &str, asked: &str, id: u8) -> Observation {
        let msg = dns::Message {
            response: true,
            questions: vec![dns::Question {
                name: asked.into(),
                qtype: 65,
            }],
            addrs: vec![(asked.into(), S.parse().unwrap())],
            min_ttl: Some(300),
            ech: vec![EchRecord {
                owner: asked.into(),
                ttl: 300,
                configs: vec![config(id)],
            }],
            ..dns::Message::default()
        };
        let mut o = obs(ts, S, client, What::DnsAnswer { msg });
        o.tcp = false;
        o
    }

    fn hello(ts: i64, client: &str, sni: &str, id: Option<u8>) -> Observation {
        let ech = id.map(|config_id| ech::Offer {
            kdf: 1,
            aead: 1,
            config_id,
        });
        obs(
            ts,
            client,
            S,
            What::TlsHello {
                name: sni.into(),
                ech,
                again: false,
            },
        )
    }

    fn run(list: &[Observation]) -> (Vec<serde_json::Value>, BTreeMap<IpAddr, Visibility>) {
        let catalog = Catalog::builtin().unwrap();
        let policy = Policy::default();
        let resolvers = Resolvers::builtin().unwrap();
        let fronts = EchFronts::builtin().unwrap();
        let shares = crate::memcap::Shares::split(crate::memcap::DEFAULT_MEMCAP, 1);
        let limits = Limits::new(&shares, false);
        let mut agg = Aggregator::new(&catalog, &policy, &resolvers, &fronts, limits);
        let mut out = Vec::new();
        for o in list {
            let mut buf = Vec::new();
            if agg.observe(o, Some(&mut buf)) {
                out.push(serde_json::from_slice(&buf).unwrap());
            }
        }
        (out, agg.visibility)
    }

    const SEC: i64 = 1_000_000_000;

    #[test]
    fn ech_is_real_when_the_hello_names_a_config_the_client_got() {
        let (ev, vis) = run(&[
            https_answer(0, C, "acme.kustomerapp.com", 0x2a),
            hello(SEC, C, "public.ech-front.example", Some(0x2a)),
        ]);
        let h = &ev[1];
        assert_eq!(h["hostname"], "public.ech-front.example");
        assert_eq!(h["ech"], true);
        assert_eq!(h["ech_evidence"], "client_https_record");
        assert_eq!(h["attributed_hostname"], "acme.kustomerapp.com");
        assert_eq!(h["attribution"], "ech_https_record");
        assert_eq!(h["attribution_candidates"], 1);
        assert_eq!(h["vendor"], "kustomer");
        let v = &vis[&C.parse::<IpAddr>().unwrap()];
        assert_eq!((v.tls_hellos, v.attributed, v.ech, v.named), (1, 1, 1, 0));
    }

    #[test]
    fn grease_and_mismatched_configs_are_not_ech() {
        let (ev, vis) = run(&[
            https_answer(0, C, "acme.kustomerapp.com", 0x2a),
            // Another config id: GREASE picks a random one.
            hello(SEC, C, "public.ech-front.example", Some(0x2b)),
            // GREASE with the real name as SNI: the name is visible.
            hello(SEC, C, "docs.helpscout.net", Some(0x2a)),
            // After the answer's TTL the config is still known to be real, but this client's
            // lookup no longer names the site.
            hello(400 * SEC, C, "public.ech-front.example", Some(0x2a)),
        ]);
        for e in &ev[1..3] {
            assert_eq!(e["ech_offered"], true);
            assert_eq!(e["ech"], false, "{e}");
            assert!(e.get("attribution").is_none(), "{e}");
        }
        assert_eq!(ev[2]["vendor"], "helpscout");
        assert_eq!(ev[3]["ech_evidence"], "https_record");
        assert_eq!(ev[3]["attribution"], serde_json::Value::Null);
        let v = &vis[&C.parse::<IpAddr>().unwrap()];
        assert_eq!((v.named, v.unnamed, v.ech_offered, v.ech), (2, 1, 3, 1));
    }

    #[test]
    fn other_clients_configs_and_known_fronts_confirm_ech_without_a_name() {
        let other = "10.0.0.6";
        let (ev, _) = run(&[
            https_answer(0, C, "acme.kustomerapp.com", 0x2a),
            hello(SEC, other, "public.ech-front.example", Some(0x2a)),
            hello(SEC, other, "cloudflare-ech.com", Some(0x77)),
            hello(SEC, other, "cloudflare-ech.com", None),
        ]);
        assert_eq!(ev[1]["ech_evidence"], "https_record");
        assert_eq!(ev[2]["ech_evidence"], "known_public_name");
        for e in &ev[1..3] {
            assert_eq!(e["ech"], true);
            assert_eq!(e["attributed_hostname"], serde_json::Value::Null);
            assert_eq!(e["vendor"], serde_json::Value::Null);
        }
        assert_eq!(ev[3]["ech"], false);
    }

    #[test]
    fn among_several_sites_the_one_resolved_to_this_server_wins() {
        let mut second = https_answer(SEC, C, "docs.helpscout.net", 0x2a);
        // This one resolved elsewhere.
        if let What::DnsAnswer { msg } = &mut second.what {
            msg.addrs[0].1 = "10.0.0.99".parse().unwrap();
        }
        let (ev, _) = run(&[
            https_answer(0, C, "acme.kustomerapp.com", 0x2a),
            second,
            hello(2 * SEC, C, "public.ech-front.example", Some(0x2a)),
        ]);
        assert_eq!(ev[2]["attributed_hostname"], "acme.kustomerapp.com");
        assert_eq!(ev[2]["attribution_candidates"], 2);
    }

    #[test]
    fn sni_less_hellos_are_attributed_through_the_answer() {
        let (ev, vis) = run(&[
            https_answer(0, C, "acme.kustomerapp.com", 0x2a),
            hello(SEC, C, "", None),
            hello(SEC, "10.0.0.6", "", None),
        ]);
        assert_eq!(ev[1]["attribution"], "dns_answer");
        assert_eq!(ev[1]["attributed_hostname"], "acme.kustomerapp.com");
        assert_eq!(ev[1]["attribution_ts"], "1970-01-01T00:00:00.000000Z");
        assert_eq!(ev[2]["attribution"], serde_json::Value::Null);
        let unnamed: u64 = vis.values().map(|v| v.unnamed).sum();
        assert_eq!(unnamed, 1);
    }

    #[test]
    fn hosts_past_the_budget_are_summed_and_hidden_ones_past_the_limit_counted() {
        let catalog = Catalog::builtin().unwrap();
        let policy = Policy::default();
        let resolvers = Resolvers::builtin().unwrap();
        let fronts = EchFronts::builtin().unwrap();
        // Room for the visibility of 1,200 hosts, and no vendor usage.
        let limits = |all_hosts| Limits {
            usage_bytes: 0,
            visibility_bytes: 1200 * VISIBILITY_BYTES,
            dns_cache_bytes: 1 << 20,
            all_hosts,
        };
        for all in [false, true] {
            let mut agg = Aggregator::new(&catalog, &policy, &resolvers, &fronts, limits(all));
            for i in 0..1500u32 {
                let client = std::net::Ipv4Addr::from(0x0a00_0000 + i).to_string();
                // SNI-less: hidden; the first host sends two.
                for _ in 0..1 + (i == 0) as usize {
                    agg.observe(&hello(i as i64, &client, "", None), None);
                }
            }
            assert_eq!(agg.visibility.len(), 1200);
            assert_eq!(agg.dropped.visibility_memcap, 300);
            let total = agg.visibility_total();
            assert_eq!(total.tls_hellos, 1501);
            assert_eq!(total.unnamed_hellos, 1501);
            let listed = agg.listed();
            match all {
                false => {
                    assert_eq!(listed.ips.len(), MAX_HIDDEN_LISTED);
                    assert_eq!(listed.hidden_not_listed, 200);
                    // The host with the most nameless hellos is among those listed.
                    assert!(listed.ips.contains(&"10.0.0.0".parse().unwrap()));
                }
                true => {
                    assert_eq!(listed.ips.len(), 1200);
                    assert_eq!(listed.hidden_not_listed, 0);
                }
            }
            // A vendor pair past the budget is dropped from the report, counted, and its
            // event still made.
            let mut line = Vec::new();
            let o = hello(9, "10.9.9.9", "acme.zendesk.com", None);
            assert!(agg.observe(&o, Some(&mut line)));
            assert!(!line.is_empty());
            assert_eq!(agg.dropped.usage_memcap, 1);
            assert!(agg.hosts.is_empty());
        }
        // Hosts with no name filling the visibility budget do not crowd out vendor usage.
        let limits = Limits {
            usage_bytes: 10 * USAGE_BYTES,
            visibility_bytes: 0,
            dns_cache_bytes: 1 << 20,
            all_hosts: false,
        };
        let mut agg = Aggregator::new(&catalog, &policy, &resolvers, &fronts, limits);
        agg.observe(&hello(1, "10.0.0.1", "", None), None);
        agg.observe(&hello(2, "10.9.9.9", "acme.zendesk.com", None), None);
        assert_eq!(agg.dropped.visibility_memcap, 2);
        assert_eq!(agg.dropped.usage_memcap, 0);
        assert_eq!(agg.hosts.len(), 1);
        assert_eq!(agg.visibility_total().tls_hellos, 2);
    }
}
