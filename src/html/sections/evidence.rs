//! Per host: who it is (its identity), and per vendor the region its names show, the
//! insecure integrations seen (exposures), and the evidence chain (the first DNS question,
//! the answer, the first connections): what an incident responder checks before acting on
//! "host X used vendor Y".
//!
//! Each host and vendor pair is one closed `<details>`, so the browser lays out none of it
//! until opened; it still parses it, so the section stops at [`MAX_PAIRS`], the pairs that
//! need attention first.

use std::net::IpAddr;

use super::word;
use crate::report::{Host, HostVendor, Report};

/// Host and vendor pairs given a chain in the page. Each is about 0.8 kB of markup that the
/// browser parses: at 1000 the 10,000-host page took 0.3-0.6 s longer to be usable (README,
/// HTML report); at this many it stays within its goal. The JSON report has every chain.
const MAX_PAIRS: usize = 500;
/// Identity entries shown per host (a host name, a MAC and a user or two is typical; a
/// shared address collects more).
const MAX_IDENTITY: usize = 16;

pub struct HostView<'a> {
    pub ip: String,
    pub identity: Vec<Identity<'a>>,
    pub identity_more: usize,
    pub pairs: Vec<Pair<'a>>,
}

pub struct Identity<'a> {
    pub field: String,
    pub value: &'a str,
    pub source: String,
    pub first_seen: String,
    pub last_seen: String,
}

pub struct Pair<'a> {
    pub vendor: &'a str,
    pub name: &'a str,
    /// 0 sanctioned, 1 unsanctioned, 2 not counted: the matrix's classes.
    pub verdict: u8,
    pub verdict_text: &'static str,
    pub role: String,
    pub events: u64,
    pub first_seen: String,
    pub last_seen: String,
    pub region: Option<&'a str>,
    pub region_by: Option<&'a str>,
    pub region_ok: Option<bool>,
    pub exposures: Vec<Exposure<'a>>,
    pub exposures_more: u64,
    pub chain: Vec<NameView<'a>>,
    pub chain_more: u64,
}

pub struct Exposure<'a> {
    pub exposure: String,
    pub credential: String,
    /// Names only (a header, parameter or cookie name), never a secret.
    pub credential_name: Option<&'a str>,
    pub reason: String,
    pub tls_version: String,
    pub weak_suite: Option<&'a str>,
    pub count: u64,
    pub first_seen: String,
    pub last_seen: String,
    pub example_host: &'a str,
    pub example_method: String,
    pub example_path: Option<&'a str>,
}

pub struct NameView<'a> {
    pub hostname: &'a str,
    /// time, type, resolver.
    pub query: Option<[String; 3]>,
    pub answer: Option<Answer<'a>>,
    pub connections: Vec<Conn<'a>>,
    pub connections_more: u64,
}

pub struct Answer<'a> {
    pub ts: String,
    pub qtype: String,
    pub rcode: String,
    pub resolver: String,
    pub cnames: Vec<&'a str>,
    pub addresses: Vec<String>,
    pub addresses_more: u64,
    pub min_ttl: Option<u32>,
}

pub struct Conn<'a> {
    pub ts: String,
    pub kind: String,
    pub method: String,
    pub server: String,
    pub sni: Option<&'a str>,
    pub community_id: &'a str,
}

/// Needs a look first: unsanctioned use, an exposure, or data outside a required region.
fn flagged(h: &Host<'_>, v: &HostVendor<'_>) -> bool {
    h.unsanctioned.contains(&v.vendor) || !v.exposures.is_empty() || v.region_ok == Some(false)
}

/// The hosts with vendors, those with a flagged pair first, then by address; and how many
/// pairs were shown and left out.
pub fn hosts<'a>(report: &'a Report<'a>) -> (Vec<HostView<'a>>, usize, usize) {
    let mut order: Vec<&Host<'a>> = report
        .hosts
        .iter()
        .filter(|h| !h.vendors.is_empty())
        .collect();
    order.sort_by_key(|h| (!h.vendors.iter().any(|v| flagged(h, v)), h.ip));
    let total: usize = order.iter().map(|h| h.vendors.len()).sum();
    let mut budget = MAX_PAIRS;
    let mut out = Vec::new();
    for h in order {
        if budget == 0 {
            break;
        }
        // Within a host, flagged pairs first too.
        let mut vs: Vec<&HostVendor<'a>> = h.vendors.iter().collect();
        vs.sort_by_key(|v| !flagged(h, v));
        vs.truncate(budget);
        budget -= vs.len();
        out.push(HostView {
            ip: h.ip.to_string(),
            identity: h
                .identity
                .iter()
                .take(MAX_IDENTITY)
                .map(|i| Identity {
                    field: word(&i.field),
                    value: i.value,
                    source: word(&i.source),
                    first_seen: word(&i.first_seen),
                    last_seen: word(&i.last_seen),
                })
                .collect(),
            identity_more: h.identity.len().saturating_sub(MAX_IDENTITY),
            pairs: vs.into_iter().map(|v| pair(h, v)).collect(),
        });
    }
    let shown = MAX_PAIRS - budget;
    (out, shown, total - shown)
}

fn server(ip: IpAddr, port: u16) -> String {
    std::net::SocketAddr::new(ip, port).to_string()
}

fn pair<'a>(h: &Host<'a>, v: &'a HostVendor<'a>) -> Pair<'a> {
    let verdict = super::super::matrix::verdict(h, v) as u8;
    let chain = &v.evidence_chain;
    Pair {
        vendor: v.vendor,
        name: v.name.unwrap_or(v.vendor),
        verdict,
        verdict_text: match verdict {
            0 => "\u{2713} sanctioned",
            1 => "\u{2717} unsanctioned",
            _ => "\u{25cb} not counted",
        },
        role: word(&v.role),
        events: v.events,
        first_seen: word(&v.first_seen),
        last_seen: word(&v.last_seen),
        region: v.region,
        region_by: v.region_by,
        region_ok: v.region_ok,
        exposures: v
            .exposures
            .iter()
            .map(|x| Exposure {
                exposure: word(&x.exposure),
                credential: word(&x.credential),
                credential_name: x.credential_name,
                reason: word(&x.reason),
                tls_version: word(&x.tls_version),
                weak_suite: x.weak_suite,
                count: x.count,
                first_seen: word(&x.first_seen),
                last_seen: word(&x.last_seen),
                example_host: x.example_host,
                example_method: word(&x.example_method),
                example_path: x.example_path,
            })
            .collect(),
        exposures_more: v.exposures_not_listed,
        chain: chain
            .hostnames
            .iter()
            .map(|n| NameView {
                hostname: &n.hostname,
                query: n
                    .query
                    .as_ref()
                    .map(|q| [word(&q.ts), word(&q.qtype), q.resolver.to_string()]),
                answer: n.answer.as_ref().map(|a| Answer {
                    ts: word(&a.ts),
                    qtype: word(&a.qtype),
                    rcode: word(&a.rcode_name),
                    resolver: a.resolver.to_string(),
                    cnames: a.cnames.iter().map(|c| c.as_ref()).collect(),
                    addresses: a.addresses.iter().map(IpAddr::to_string).collect(),
                    addresses_more: a.addresses_not_listed,
                    min_ttl: a.min_ttl,
                }),
                connections: n
                    .connections
                    .iter()
                    .map(|c| Conn {
                        ts: word(&c.ts),
                        kind: word(&c.kind),
                        method: word(&c.method),
                        server: server(c.server_ip, c.server_port),
                        sni: c.sni.as_deref(),
                        community_id: &c.community_id,
                    })
                    .collect(),
                connections_more: n.connections_not_listed,
            })
            .collect(),
        chain_more: chain.hostnames_not_listed,
    }
}
