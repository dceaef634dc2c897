//! The evidence chain as the report writes it (these types are part of its schema) and as
//! the summary shows it under `--evidence`.

use std::net::IpAddr;

use schemars::JsonSchema;
use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use super::{ConnKind, How, NameChain};
use crate::aggregate::Usage;
use crate::event::{QType, RCode, Timestamp};

/// The evidence chain of a host and vendor, as the report writes it.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct ChainReport<'a> {
    /// The first hostnames (at most 8), in the order they were first seen.
    pub hostnames: Vec<NameReport<'a>>,
    /// Hostnames past that limit or the `--memcap` budget: counted, without a chain.
    pub hostnames_not_listed: u64,
}

/// One hostname: the query, the answer, the connections that followed.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct NameReport<'a> {
    /// The answer the client received (the first with addresses); null if none was seen.
    pub answer: Option<AnswerReport<'a>>,
    /// The first connections (at most 3).
    pub connections: Vec<ConnectionReport<'a>>,
    /// Connections past that limit: counted, not listed.
    pub connections_not_listed: u64,
    pub hostname: Cow<'a, str>,
    /// The client's first DNS question for the name; null if none was seen (cached, or
    /// asked over encrypted DNS, or before the capture).
    pub query: Option<QueryReport>,
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct QueryReport {
    pub qtype: QType,
    /// The server the question was sent to.
    pub resolver: IpAddr,
    pub ts: Timestamp,
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct AnswerReport<'a> {
    /// A and AAAA values, in answer order (at most 8).
    pub addresses: Vec<IpAddr>,
    pub addresses_not_listed: u64,
    /// The CNAME chain: each target in order, from the question's name on (at most 8).
    pub cnames: Vec<Cow<'a, str>>,
    /// The smallest TTL of its A and AAAA records, seconds; null without any.
    pub min_ttl: Option<u32>,
    pub qtype: Option<QType>,
    pub rcode_name: RCode,
    /// The server that answered.
    pub resolver: IpAddr,
    pub ts: Timestamp,
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct ConnectionReport<'a> {
    /// The flow's Community ID v1, as on its event.
    pub community_id: Cow<'a, str>,
    pub kind: ConnKind,
    /// How the connection was tied to the hostname.
    pub method: How,
    pub server_ip: IpAddr,
    pub server_port: u16,
    /// The name on the wire (SNI, Host, proxy target); null for a hello without one.
    pub sni: Option<Cow<'a, str>>,
    pub ts: Timestamp,
}

impl<'a> ChainReport<'a> {
    /// The chain of a host and vendor. The names without one are counted from the usage's
    /// (distinct names, where counting chain events would count a name once per event).
    pub fn of(u: &'a Usage) -> ChainReport<'a> {
        let chain = &u.chain;
        let unchained = u
            .hostnames
            .iter()
            .filter(|n| !chain.names.contains_key(*n))
            .count() as u64;
        let mut names: Vec<(&String, &NameChain)> = chain.names.iter().collect();
        names.sort_by_key(|(n, c)| (c.first_ts(), *n));
        ChainReport {
            hostnames: names
                .into_iter()
                .map(|(name, c)| NameReport {
                    answer: c.answer.as_ref().map(|a| AnswerReport {
                        addresses: a.addrs.clone(),
                        addresses_not_listed: a.addrs_not_kept,
                        cnames: a.cnames.iter().map(|c| Cow::Borrowed(c.as_str())).collect(),
                        min_ttl: a.min_ttl,
                        qtype: a.qtype.map(QType::of),
                        rcode_name: RCode::of(a.rcode),
                        resolver: a.resolver,
                        ts: Timestamp(a.ts),
                    }),
                    connections: c
                        .connections
                        .iter()
                        .map(|k| ConnectionReport {
                            community_id: Cow::Borrowed(&k.community_id),
                            kind: k.kind,
                            method: k.how,
                            server_ip: k.server,
                            server_port: k.port,
                            sni: (!k.sni.is_empty()).then_some(Cow::Borrowed(k.sni.as_str())),
                            ts: Timestamp(k.ts),
                        })
                        .collect(),
                    connections_not_listed: c.connections_not_kept,
                    hostname: Cow::Borrowed(name),
                    query: c.query.map(|q| QueryReport {
                        qtype: QType::of(q.qtype),
                        resolver: q.resolver,
                        ts: Timestamp(q.ts),
                    }),
                })
                .collect(),
            hostnames_not_listed: unchained + u.hostnames_dropped,
        }
    }

    /// The chain under a host and vendor in the summary (`--evidence`).
    pub fn write(u: &Usage, s: &mut String) {
        use std::fmt::Write as _;
        let r = ChainReport::of(u);
        let t = |ts: &Timestamp| crate::time::rfc3339(ts.0);
        let esc = crate::escape::text;
        let q = |q: QType| match q {
            QType::Name(n) => n.to_owned(),
            QType::Number(n) => format!("TYPE{n}"),
        };
        for n in &r.hostnames {
            let _ = writeln!(s, "       chain:  {}", esc(&n.hostname));
            if let Some(x) = &n.query {
                let _ = writeln!(
                    s,
                    "         query   {}  {} to {}",
                    t(&x.ts),
                    q(x.qtype),
                    x.resolver
                );
            }
            if let Some(a) = &n.answer {
                let mut what: Vec<String> = a
                    .cnames
                    .iter()
                    .map(|c| format!("CNAME {}", esc(c)))
                    .collect();
                what.extend(a.addresses.iter().map(IpAddr::to_string));
                if a.addresses_not_listed > 0 {
                    what.push(format!("+{} more", a.addresses_not_listed));
                }
                if what.is_empty() {
                    what.push(match a.rcode_name {
                        RCode::Name(n) => n.to_owned(),
                        RCode::Number(n) => format!("rcode {n}"),
                    });
                }
                let ttl = a.min_ttl.map_or(String::new(), |t| format!(", TTL {t} s"));
                let _ = writeln!(
                    s,
                    "         answer  {}  {} from {}{ttl}",
                    t(&a.ts),
                    what.join(" -> "),
                    a.resolver
                );
            }
            for c in &n.connections {
                let kind = serde_json::to_value(c.kind).unwrap_or_default();
                let how = serde_json::to_value(c.method).unwrap_or_default();
                let sni = c
                    .sni
                    .as_deref()
                    .map_or("no SNI".to_owned(), |n| format!("SNI {}", esc(n)));
                let server = match c.server_ip {
                    IpAddr::V6(a) => format!("[{a}]:{}", c.server_port),
                    IpAddr::V4(a) => format!("{a}:{}", c.server_port),
                };
                let _ = writeln!(
                    s,
                    "         {:<7} {}  {server} {sni}, by {}  {}",
                    kind.as_str().unwrap_or(""),
                    t(&c.ts),
                    how.as_str().unwrap_or(""),
                    c.community_id
                );
            }
            if n.connections_not_listed > 0 {
                let n = n.connections_not_listed;
                let _ = writeln!(
                    s,
                    "         ... and {n} more connection{}",
                    if n == 1 { "" } else { "s" }
                );
            }
        }
        if r.hostnames_not_listed > 0 {
            let n = r.hostnames_not_listed;
            let _ = writeln!(
                s,
                "       chain:  ... and {n} more hostname{}",
                if n == 1 { "" } else { "s" }
            );
        }
    }
}
