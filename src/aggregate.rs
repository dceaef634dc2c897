//! Classify and aggregate: observations become events (vendor, sanction) and fold into the
//! per-host and per-vendor report. Runs on one thread, after the workers, so the
//! cross-flow view (a DNS answer and the host that asked) needs no locks.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::IpAddr;

use crate::catalog::{Catalog, Match, Resolvers};
use crate::output::JsonLine;
use crate::pipeline::{Observation, What};
use crate::policy::Policy;
use crate::time::TsNanos;

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
    /// Events per kind (dns, dns_answer, tls).
    pub by_kind: BTreeMap<&'static str, u64>,
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
    pub events_by_kind: BTreeMap<&'static str, u64>,
    pub unsanctioned_events: u64,
    /// host → (protocol, resolver) → when: connections to encrypted DNS, the host's blind spots.
    pub encrypted_dns: BTreeMap<IpAddr, BTreeMap<(&'static str, String), Seen>>,
    resolvers: &'a Resolvers,
    /// (client, address) → (the name the client asked, the answer's owner name, expiry): what
    /// a hello without a server name is attributed to.
    answers: HashMap<(IpAddr, IpAddr), (String, String, TsNanos)>,
}

/// Answers remembered for SNI-less attribution; past this, expired ones are dropped first,
/// then the table is cleared (it refills from the next answers).
const MAX_ANSWERS: usize = 1 << 16;
/// DNS TTLs are honoured within these bounds: a TTL of 0 still covers the connection that
/// follows the answer, and a week-long TTL does not pin memory.
const MIN_ANSWER_TTL_NS: i64 = 60 * 1_000_000_000;
const MAX_ANSWER_TTL_NS: i64 = 86_400 * 1_000_000_000;

impl<'a> Aggregator<'a> {
    pub fn new(
        catalog: &'a Catalog,
        policy: &'a Policy,
        resolvers: &'a Resolvers,
    ) -> Aggregator<'a> {
        Aggregator {
            catalog,
            policy,
            resolvers,
            encrypted_dns: BTreeMap::new(),
            hosts: BTreeMap::new(),
            events: 0,
            events_by_kind: BTreeMap::new(),
            unsanctioned_events: 0,
            answers: HashMap::new(),
        }
    }

    /// Turns an observation into its event, records it in the report, and, when `line` is
    /// given, writes the event there as one JSON object (no newline). Returns false when the
    /// observation makes no event (the root name).
    pub fn observe(&mut self, o: &Observation, line: Option<&mut Vec<u8>>) -> bool {
        // Who is the client: the sender, except for a DNS response, whose client is the
        // host that asked (the response's destination).
        let answer = matches!(o.what, What::DnsAnswer { .. });
        let (client, server, cport, sport) = if answer {
            (o.dst, o.src, o.dport, o.sport)
        } else {
            (o.src, o.dst, o.sport, o.dport)
        };
        // A hello without a server name: the name this client last resolved to that address.
        let attributed = match &o.what {
            What::TlsHello { name } | What::QuicHello { name } if name.is_empty() => self
                .answers
                .get(&(client, server))
                .filter(|(_, _, expiry)| *expiry >= o.ts)
                .map(|(asked, owner, _)| (asked.clone(), owner.clone())),
            _ => None,
        };
        let by_answer = |cat: &'a Catalog| {
            attributed
                .as_ref()
                .and_then(|(asked, owner)| cat.lookup(asked).or_else(|| cat.lookup(owner)))
        };
        let (kind, hostname, m, via): (&'static str, &str, Option<Match>, Option<&str>) =
            match &o.what {
                What::DnsQuery { name, .. } => ("dns", name, self.catalog.lookup(name), None),
                What::TlsHello { name } if name.is_empty() => {
                    ("tls", name, by_answer(self.catalog), None)
                }
                What::QuicHello { name } if name.is_empty() => {
                    ("quic", name, by_answer(self.catalog), None)
                }
                What::TlsHello { name } => ("tls", name, self.catalog.lookup(name), None),
                What::QuicHello { name } => ("quic", name, self.catalog.lookup(name), None),
                What::Proxy { target } => {
                    // The server a client named: `http` (CONNECT, or a plain request's Host)
                    // or `socks`.
                    let kind = if target.method.starts_with("SOCKS") {
                        "socks"
                    } else {
                        "http"
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
                    ("dns_answer", qname, m, via)
                }
            };
        if hostname.is_empty() && !matches!(o.what, What::TlsHello { .. } | What::QuicHello { .. })
        {
            // The root name: not a hostname (priming queries, NS .).
            return false;
        }
        if let What::DnsAnswer { msg } = &o.what {
            self.remember_answer(client, hostname, msg, o.ts);
        }
        // Encrypted DNS: anything on port 853 (DNS over TLS or QUIC), or a hello to a known
        // DNS-over-HTTPS resolver. The host's names are then out of sight.
        let encrypted_dns = match kind {
            "tls" | "quic" => {
                let name = if hostname.is_empty() {
                    attributed.as_ref().map(|(a, _)| a.as_str())
                } else {
                    Some(hostname)
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
                match (sport, kind, by_name) {
                    (853, "tls", _) => Some("dot"),
                    (853, _, _) => Some("doq"),
                    (_, "tls", Some(_)) => Some("doh"),
                    (_, _, Some(_)) => Some("doh3"),
                    _ => None,
                }
                .map(|p| (p, label))
            }
            _ => None,
        };
        if let Some((proto, resolver)) = &encrypted_dns {
            let e = self
                .encrypted_dns
                .entry(client)
                .or_default()
                .entry((proto, resolver.clone()))
                .or_insert(Seen {
                    first_seen: o.ts,
                    last_seen: o.ts,
                    connections: 0,
                });
            e.first_seen = e.first_seen.min(o.ts);
            e.last_seen = e.last_seen.max(o.ts);
            e.connections += 1;
        }
        // The name the report files this event under: the SNI, or the attributed name.
        let used_name = attributed
            .as_ref()
            .map_or(hostname, |(asked, _)| asked.as_str());
        let sanctioned = m
            .as_ref()
            .map(|m| self.policy.sanctioned(&m.vendor.id, client));

        if let Some(buf) = line {
            let mut j = JsonLine::new(buf);
            j.ts("ts", o.ts);
            j.str("kind", kind);
            j.display("src_ip", &client);
            j.num("src_port", cport as u64);
            j.display("dst_ip", &server);
            j.num("dst_port", sport as u64);
            j.str("transport", if o.tcp { "tcp" } else { "udp" });
            j.str("hostname", hostname);
            j.opt_str("vendor", m.as_ref().map(|m| m.vendor.id.as_str()));
            j.opt_bool("sanctioned", sanctioned);
            if let Some(m) = &m {
                j.str("vendor_name", &m.vendor.name);
                j.str("category", &m.vendor.category);
                j.str("matched", m.pattern);
                j.str("strength", if m.strong { "strong" } else { "weak" });
                j.opt_str("tenant", m.tenant.as_deref());
            }
            match &o.what {
                What::DnsQuery { qtype, .. } => match qtype_name(*qtype) {
                    Some(n) => j.str("qtype", n),
                    None => j.num("qtype", *qtype as u64),
                },
                What::Proxy { target } => {
                    j.str("method", target.method);
                    j.num("target_port", target.port as u64);
                }
                What::DnsAnswer { msg } => {
                    j.num("rcode", msg.rcode as u64);
                    j.str_array("cnames", msg.cnames.iter().map(|(_, t)| t.as_str()));
                    j.display_array("answers", msg.addrs.iter().map(|(_, a)| a));
                    if let Some(v) = via {
                        j.str("via", v);
                    }
                }
                What::TlsHello { name } | What::QuicHello { name } if name.is_empty() => {
                    j.opt_str("encrypted_dns", encrypted_dns.as_ref().map(|(p, _)| *p));
                    // No server name on the wire: say how (and whether) it was attributed.
                    j.opt_str(
                        "attributed_hostname",
                        attributed.as_ref().map(|(a, _)| a.as_str()),
                    );
                    j.opt_str("attribution", attributed.as_ref().map(|_| "dns_answer"));
                }
                What::TlsHello { .. } | What::QuicHello { .. } => {
                    j.opt_str("encrypted_dns", encrypted_dns.as_ref().map(|(p, _)| *p));
                }
            }
            j.end();
        }

        self.events += 1;
        *self.events_by_kind.entry(kind).or_default() += 1;
        if let (Some(m), Some(ok)) = (&m, sanctioned) {
            if !ok {
                self.unsanctioned_events += 1;
            }
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
            if u.hostnames.contains(used_name) {
            } else if u.hostnames.len() < MAX_HOSTNAMES {
                u.hostnames.insert(used_name.to_owned());
            } else {
                u.hostnames_dropped += 1;
            }
            if let Some(t) = &m.tenant {
                if u.tenants.len() < MAX_HOSTNAMES && !u.tenants.contains(t) {
                    u.tenants.insert(t.clone());
                }
            }
        }
        true
    }
}

impl Aggregator<'_> {
    /// Remembers which name a client resolved each answered address from, for as long as the
    /// answer's TTL (within bounds).
    fn remember_answer(
        &mut self,
        client: IpAddr,
        asked: &str,
        msg: &crate::proto::dns::Message,
        ts: TsNanos,
    ) {
        let ttl = (msg.min_ttl.unwrap_or(0) as i64 * 1_000_000_000)
            .clamp(MIN_ANSWER_TTL_NS, MAX_ANSWER_TTL_NS);
        for (owner, addr) in &msg.addrs {
            if self.answers.len() >= MAX_ANSWERS {
                self.answers.retain(|_, (_, _, expiry)| *expiry >= ts);
                if self.answers.len() >= MAX_ANSWERS {
                    self.answers.clear();
                }
            }
            self.answers
                .insert((client, *addr), (asked.to_owned(), owner.clone(), ts + ttl));
        }
    }
}

fn qtype_name(t: u16) -> Option<&'static str> {
    Some(match t {
        1 => "A",
        2 => "NS",
        5 => "CNAME",
        6 => "SOA",
        12 => "PTR",
        15 => "MX",
        16 => "TXT",
        28 => "AAAA",
        33 => "SRV",
        64 => "SVCB",
        65 => "HTTPS",
        255 => "ANY",
        _ => return None,
    })
}
