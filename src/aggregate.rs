//! Classify and aggregate: observations become events (vendor, sanction) and fold into the
//! per-host and per-vendor report. Runs on one thread, after the workers, so the
//! cross-flow view (a DNS answer and the host that asked) needs no locks.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use serde_json::{json, Map, Value};

use crate::catalog::{Catalog, Match};
use crate::pipeline::{Observation, What};
use crate::policy::Policy;
use crate::time::{rfc3339, TsNanos};

/// Distinct hostnames kept per host and vendor; more are counted, not kept, so a host that
/// asks for a million tenant names cannot grow the report without bound.
const MAX_HOSTNAMES: usize = 64;

/// An event, ready to write: CONTRACT.md's fields plus ours.
pub struct Event {
    pub json: Value,
    pub client: IpAddr,
    pub vendor: Option<String>,
    pub sanctioned: Option<bool>,
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
}

impl<'a> Aggregator<'a> {
    pub fn new(catalog: &'a Catalog, policy: &'a Policy) -> Aggregator<'a> {
        Aggregator {
            catalog,
            policy,
            hosts: BTreeMap::new(),
            events: 0,
            events_by_kind: BTreeMap::new(),
            unsanctioned_events: 0,
        }
    }

    /// Turns an observation into its event and records it in the report.
    pub fn observe(&mut self, o: Observation) -> Option<Event> {
        let ts = rfc3339(o.ts);
        let transport = if o.tcp { "tcp" } else { "udp" };
        let mut j = Map::new();
        j.insert("ts".into(), ts.into());
        let (kind, client, server, cport, sport, hostname, m, extra): (
            &'static str,
            _,
            _,
            _,
            _,
            String,
            Option<Match>,
            Vec<(&str, Value)>,
        ) = match &o.what {
            What::DnsQuery { name, qtype } => {
                if name.is_empty() {
                    // The root name: not a hostname (priming queries, NS .).
                    return None;
                }
                let m = self.catalog.lookup(name);
                (
                    "dns",
                    o.src,
                    o.dst,
                    o.sport,
                    o.dport,
                    name.clone(),
                    m,
                    vec![("qtype", json!(qtype_name(*qtype)))],
                )
            }
            What::TlsHello { name } => {
                let m = self.catalog.lookup(name);
                (
                    "tls",
                    o.src,
                    o.dst,
                    o.sport,
                    o.dport,
                    name.clone(),
                    m,
                    vec![],
                )
            }
            What::Proxy { target } => {
                // The target a client asked its proxy for: `http` (CONNECT) or `socks`.
                let kind = if target.method == "CONNECT" {
                    "http"
                } else {
                    "socks"
                };
                let m = if target.is_name {
                    self.catalog.lookup(&target.host)
                } else {
                    None
                };
                let extra = vec![
                    ("method", json!(target.method)),
                    ("target_port", json!(target.port)),
                ];
                (
                    kind,
                    o.src,
                    o.dst,
                    o.sport,
                    o.dport,
                    target.host.clone(),
                    m,
                    extra,
                )
            }
            What::DnsAnswer { msg } => {
                let qname = msg
                    .questions
                    .first()
                    .map(|q| q.name.clone())
                    .unwrap_or_default();
                if qname.is_empty() {
                    return None;
                }
                // The chain: the question, then each CNAME target in order. The first
                // name that belongs to a vendor attributes the whole answer, which is how
                // `help.acme-corp.example CNAME acme.zendesk.com` counts as Zendesk.
                let mut via = None;
                let mut m = self.catalog.lookup(&qname);
                if m.is_none() {
                    for (_, target) in &msg.cnames {
                        if let Some(found) = self.catalog.lookup(target) {
                            via = Some(target.clone());
                            m = Some(found);
                            break;
                        }
                    }
                }
                let cnames: Vec<&str> = msg.cnames.iter().map(|(_, t)| t.as_str()).collect();
                let answers: Vec<String> = msg.addrs.iter().map(|(_, a)| a.to_string()).collect();
                let mut extra = vec![
                    ("rcode", json!(msg.rcode)),
                    ("cnames", json!(cnames)),
                    ("answers", json!(answers)),
                ];
                if let Some(v) = via {
                    extra.push(("via", json!(v)));
                }
                // The client is the host that asked: the response's destination.
                (
                    "dns_answer",
                    o.dst,
                    o.src,
                    o.dport,
                    o.sport,
                    qname,
                    m,
                    extra,
                )
            }
        };
        j.insert("kind".into(), kind.into());
        j.insert("src_ip".into(), client.to_string().into());
        j.insert("dst_ip".into(), server.to_string().into());
        j.insert("src_port".into(), cport.into());
        j.insert("dst_port".into(), sport.into());
        j.insert("transport".into(), transport.into());
        j.insert("hostname".into(), hostname.clone().into());
        let (vendor, sanctioned) = match &m {
            Some(m) => {
                let ok = self.policy.sanctioned(&m.vendor.id, client);
                (Some(m.vendor.id.clone()), Some(ok))
            }
            None => (None, None),
        };
        j.insert("vendor".into(), json!(vendor));
        j.insert("sanctioned".into(), json!(sanctioned));
        if let Some(m) = &m {
            j.insert("vendor_name".into(), m.vendor.name.clone().into());
            j.insert("category".into(), m.vendor.category.clone().into());
            j.insert("matched".into(), m.pattern.into());
            j.insert(
                "strength".into(),
                if m.strong { "strong" } else { "weak" }.into(),
            );
            j.insert("tenant".into(), json!(m.tenant));
        }
        for (k, v) in extra {
            j.insert(k.into(), v);
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
            if u.hostnames.len() < MAX_HOSTNAMES || u.hostnames.contains(&hostname) {
                u.hostnames.insert(hostname);
            } else {
                u.hostnames_dropped += 1;
            }
            if let Some(t) = &m.tenant {
                if u.tenants.len() < MAX_HOSTNAMES {
                    u.tenants.insert(t.clone());
                }
            }
        }
        Some(Event {
            json: Value::Object(j),
            client,
            vendor,
            sanctioned,
        })
    }
}

fn qtype_name(t: u16) -> Value {
    let s = match t {
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
        _ => return json!(t),
    };
    json!(s)
}
