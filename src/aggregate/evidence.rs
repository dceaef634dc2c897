//! The evidence chain: for each hostname a host reached of a vendor, the first DNS query for
//! it, the answer (CNAME chain, addresses, TTL), and the first connections that followed,
//! each with how it was tied to the name (its SNI, a CNAME alias, the client's DNS answer,
//! an ECH config). What an incident responder reads to check why the report says host X
//! used vendor Y, and pivots on (`community_id`) into Zeek or Suricata.
//!
//! A query is asked before its name is known to be a vendor's when the vendor only shows in
//! the answer's CNAME chain (`help.acme-corp.example CNAME acme.zendesk.com`), so queries
//! without a vendor wait in a small table until their answer.

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;

use schemars::JsonSchema;
use serde::Serialize;

use super::attribution::Attribution;
use super::{Aggregator, STRING_BYTES};
use crate::event::{AttributionMethod, Kind, QType, RCode, Timestamp};
use crate::model::{Observation, What};
use crate::proto::dns;
use crate::time::TsNanos;

/// Hostnames with a chain per host and vendor: the first ones; later names are counted. The
/// report's `hostnames` lists every name; the chain is the proof for a few.
pub const MAX_CHAIN_NAMES: usize = 8;
/// Connections kept per hostname: the first ones (the proof); later ones are counted.
pub const MAX_CHAIN_CONNECTIONS: usize = 3;
/// CNAME targets and addresses kept of an answer: a chain is a few hops, a name a few
/// addresses; a hostile answer can hold hundreds (counted in `addresses_not_listed`).
const MAX_CHAIN_CNAMES: usize = 8;
const MAX_CHAIN_ADDRS: usize = 8;
/// Queries without a vendor waiting for their answer: most are answered within
/// milliseconds, so this only fills with a flood of unanswered queries; then it is cleared
/// (counted), and a chain may lack its query.
const MAX_PENDING: usize = 1 << 14;
/// Estimated bytes of a hostname's entry, a query, an answer and a connection (map node,
/// fixed fields; strings are added at their length).
const NAME_BYTES: usize = 160;
const QUERY_BYTES: usize = 48;
const ANSWER_BYTES: usize = 96;
const ADDR_BYTES: usize = 24;
const CONNECTION_BYTES: usize = 120;
const PENDING_BYTES: usize = 96;

/// The chains of one host and vendor.
#[derive(Clone, Debug, Default)]
pub struct Chain {
    pub names: BTreeMap<String, NameChain>,
    /// Hostnames past [`MAX_CHAIN_NAMES`].
    pub names_not_kept: u64,
}

/// One hostname's chain.
#[derive(Clone, Debug, Default)]
pub struct NameChain {
    pub query: Option<Query>,
    pub answer: Option<Answer>,
    pub connections: Vec<Connection>,
    /// Connections past [`MAX_CHAIN_CONNECTIONS`] (or the budget).
    pub connections_not_kept: u64,
}

impl NameChain {
    fn first_ts(&self) -> TsNanos {
        let q = self.query.as_ref().map(|q| q.ts);
        let a = self.answer.as_ref().map(|a| a.ts);
        let c = self.connections.first().map(|c| c.ts);
        [q, a, c]
            .into_iter()
            .flatten()
            .min()
            .unwrap_or(TsNanos::MAX)
    }
}

/// A DNS question for the name, as the client sent it.
#[derive(Clone, Copy, Debug)]
pub struct Query {
    pub ts: TsNanos,
    pub resolver: IpAddr,
    pub qtype: u16,
}

/// The answer the client received for the name.
#[derive(Clone, Debug)]
pub struct Answer {
    pub ts: TsNanos,
    pub resolver: IpAddr,
    pub qtype: Option<u16>,
    pub rcode: u8,
    pub cnames: Vec<String>,
    pub addrs: Vec<IpAddr>,
    pub addrs_not_kept: u64,
    pub min_ttl: Option<u32>,
}

/// A connection (or a plain HTTP or proxy request) that followed.
#[derive(Clone, Debug)]
pub struct Connection {
    pub ts: TsNanos,
    pub kind: ConnKind,
    pub server: IpAddr,
    pub port: u16,
    /// The name on the wire: SNI, Host, proxy target ("" for a hello without one).
    pub sni: String,
    pub how: How,
    pub community_id: String,
}

/// What carried a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConnKind {
    Tls,
    Quic,
    /// A plain HTTP request.
    Http,
    /// An HTTP CONNECT or a SOCKS request.
    Proxy,
}

/// How a connection was tied to the hostname.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum How {
    /// Its SNI is the name.
    Sni,
    /// Its SNI is a name whose DNS answer has a CNAME to the vendor's name.
    Cname,
    /// No SNI: the client's DNS answer gave it the server's address.
    DnsAnswer,
    /// ECH: the client's HTTPS record gave it the config the hello used.
    EchHttpsRecord,
    /// A plain HTTP request's Host.
    Host,
    /// A proxy request's target.
    ProxyTarget,
}

/// The aggregator's side: queries waiting for their answer, and what the chains hold.
#[derive(Default)]
pub struct State {
    pending: HashMap<(IpAddr, String), Query>,
    pending_bytes: usize,
    bytes: usize,
    /// Parts of chains not kept because the budget was spent.
    pub dropped_memcap: u64,
    /// Times the waiting queries were cleared for room.
    pub pending_cleared: u64,
}

impl Aggregator<'_> {
    /// A DNS question whose name has no vendor: kept until its answer, which may reveal one.
    pub(super) fn chain_pending_query(
        &mut self,
        client: IpAddr,
        resolver: IpAddr,
        name: &str,
        qtype: u16,
        ts: TsNanos,
    ) {
        let st = &mut self.chains;
        let key = (client, name.to_owned());
        if st.pending.contains_key(&key) {
            return;
        }
        let cost = PENDING_BYTES + name.len();
        // A quarter of the evidence share: the rest is for the chains themselves.
        if st.pending.len() >= MAX_PENDING
            || st.pending_bytes + cost > self.limits.evidence_bytes / 4
        {
            st.pending.clear();
            st.pending_bytes = 0;
            st.pending_cleared += 1;
        }
        st.pending_bytes += cost;
        st.pending.insert(
            key,
            Query {
                ts,
                resolver,
                qtype,
            },
        );
    }

    /// The waiting query an answer answers, taken out of the table.
    pub(super) fn chain_take_query(&mut self, client: IpAddr, name: &str) -> Option<Query> {
        let st = &mut self.chains;
        if st.pending.is_empty() {
            return None;
        }
        let q = st.pending.remove(&(client, name.to_owned()))?;
        st.pending_bytes = st.pending_bytes.saturating_sub(PENDING_BYTES + name.len());
        Some(q)
    }

    /// Takes `bytes` of the chains' share if they fit, else counts the drop.
    fn chain_room(&mut self, bytes: usize) -> bool {
        let limit = self.limits.evidence_bytes - self.limits.evidence_bytes / 4;
        let fits = self.chains.bytes + bytes <= limit;
        match fits {
            true => self.chains.bytes += bytes,
            false => self.chains.dropped_memcap += 1,
        }
        fits
    }

    /// The chain of `name` in `client`'s use of `vendor`, made if there is room; None when
    /// the pair is not in the report or the name is past the caps.
    fn chain_of(&mut self, client: IpAddr, vendor: &str, name: &str) -> Option<&mut NameChain> {
        let known = self
            .hosts
            .get(&client)
            .and_then(|v| v.get(vendor))
            .map(|u| u.chain.names.contains_key(name))?;
        if !known {
            let full = self.hosts[&client][vendor].chain.names.len() >= MAX_CHAIN_NAMES;
            if full || !self.chain_room(NAME_BYTES + name.len()) {
                let u = self.hosts.get_mut(&client)?.get_mut(vendor)?;
                u.chain.names_not_kept += 1;
                return None;
            }
        }
        let u = self.hosts.get_mut(&client)?.get_mut(vendor)?;
        Some(u.chain.names.entry(name.to_owned()).or_default())
    }

    /// A DNS question for a vendor's name (`query`), or the waiting one its answer took.
    pub(super) fn chain_query(&mut self, client: IpAddr, vendor: &str, name: &str, q: Query) {
        let has = |c: &mut NameChain| c.query.is_some();
        if self.chain_of(client, vendor, name).is_none_or(has) || !self.chain_room(QUERY_BYTES) {
            return;
        }
        if let Some(c) = self.chain_of(client, vendor, name) {
            c.query = Some(q);
        }
    }

    /// The answer for a vendor's name: the first one, or a later one with addresses when the
    /// first had none (an AAAA question answered with no AAAA record).
    pub(super) fn chain_answer(
        &mut self,
        client: IpAddr,
        resolver: IpAddr,
        vendor: &str,
        name: &str,
        msg: &dns::Message,
        ts: TsNanos,
    ) {
        let better = |c: &mut NameChain| match &c.answer {
            None => true,
            Some(a) => a.addrs.is_empty() && !msg.addrs.is_empty(),
        };
        if !self.chain_of(client, vendor, name).is_some_and(better) {
            return;
        }
        let cnames: Vec<String> = msg
            .cnames
            .iter()
            .take(MAX_CHAIN_CNAMES)
            .map(|(_, t)| t.clone())
            .collect();
        let addrs: Vec<IpAddr> = msg
            .addrs
            .iter()
            .take(MAX_CHAIN_ADDRS)
            .map(|(_, a)| *a)
            .collect();
        let cost = ANSWER_BYTES
            + addrs.len() * ADDR_BYTES
            + cnames.iter().map(|c| c.len() + STRING_BYTES).sum::<usize>();
        if !self.chain_room(cost) {
            return;
        }
        let answer = Answer {
            ts,
            resolver,
            qtype: msg.questions.first().map(|q| q.qtype),
            rcode: msg.rcode,
            cnames,
            addrs_not_kept: (msg.addrs.len() - addrs.len()) as u64,
            addrs,
            min_ttl: msg.min_ttl,
        };
        if let Some(c) = self.chain_of(client, vendor, name) {
            c.answer = Some(answer);
        }
    }

    /// A connection to the name: kept while it is among the first.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn chain_connection(
        &mut self,
        client: IpAddr,
        vendor: &str,
        name: &str,
        kind: Kind,
        how: How,
        conn: (u16, IpAddr, u16, bool),
        sni: &str,
        ts: TsNanos,
    ) {
        let (cport, server, sport, tcp) = conn;
        let Some(c) = self.chain_of(client, vendor, name) else {
            return;
        };
        if c.connections.len() >= MAX_CHAIN_CONNECTIONS {
            c.connections_not_kept += 1;
            return;
        }
        if !self.chain_room(CONNECTION_BYTES + sni.len()) {
            if let Some(c) = self.chain_of(client, vendor, name) {
                c.connections_not_kept += 1;
            }
            return;
        }
        let kind = match kind {
            Kind::Quic => ConnKind::Quic,
            Kind::Http if how == How::Host => ConnKind::Http,
            Kind::Http | Kind::Socks => ConnKind::Proxy,
            _ => ConnKind::Tls,
        };
        let proto = match tcp {
            true => crate::community_id::TCP,
            false => crate::community_id::UDP,
        };
        let community_id = crate::community_id::v1(proto, client, cport, server, sport);
        if let Some(c) = self.chain_of(client, vendor, name) {
            c.connections.push(Connection {
                ts,
                kind,
                server,
                port: sport,
                sni: sni.to_owned(),
                how,
                community_id,
            });
        }
    }
}

impl Aggregator<'_> {
    /// Adds a vendor event to the chain of its name: a query, an answer (with the query it
    /// took from the waiting ones), or a connection (a hello's first, or a request).
    pub(super) fn chain_event(
        &mut self,
        o: &Observation,
        vendor: &str,
        kind: Kind,
        name: &str,
        attributed: Option<&Attribution>,
        waiting: Option<Query>,
    ) {
        let answer = kind == Kind::DnsAnswer;
        let (client, server, cport, sport) = match answer {
            true => (o.dst, o.src, o.dport, o.sport),
            false => (o.src, o.dst, o.sport, o.dport),
        };
        let conn = (cport, server, sport, o.tcp);
        match &o.what {
            What::DnsQuery { qtype, .. } => {
                let q = Query {
                    ts: o.ts,
                    resolver: server,
                    qtype: *qtype,
                };
                self.chain_query(client, vendor, name, q);
            }
            What::DnsAnswer { msg } => {
                if let Some(q) = waiting {
                    self.chain_query(client, vendor, name, q);
                }
                self.chain_answer(client, server, vendor, name, msg, o.ts);
            }
            What::TlsHello {
                name: sni, again, ..
            }
            | What::QuicHello {
                name: sni, again, ..
            } if !again => {
                let how = match attributed.map(|a| a.how) {
                    None => How::Sni,
                    Some(AttributionMethod::DnsAnswer) => How::DnsAnswer,
                    Some(AttributionMethod::EchHttpsRecord) => How::EchHttpsRecord,
                };
                self.chain_connection(client, vendor, name, kind, how, conn, sni, o.ts);
            }
            What::Proxy { target } => {
                let how = match kind == Kind::Http && target.method != "CONNECT" {
                    true => How::Host,
                    false => How::ProxyTarget,
                };
                let host = target.host.as_str();
                self.chain_connection(client, vendor, name, kind, how, conn, host, o.ts);
            }
            _ => {}
        }
    }
}

/// The evidence chain of a host and vendor, as the report writes it.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct ChainReport<'a> {
    /// The first hostnames (at most 8), in the order they were first seen.
    pub hostnames: Vec<NameReport<'a>>,
    /// Hostnames past that limit or the `--memcap` budget: counted, without a chain.
    pub hostnames_not_listed: u64,
}

/// One hostname: the query, the answer, the connections that followed.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct NameReport<'a> {
    /// The answer the client received (the first with addresses); null if none was seen.
    pub answer: Option<AnswerReport<'a>>,
    /// The first connections (at most 3).
    pub connections: Vec<ConnectionReport<'a>>,
    /// Connections past that limit: counted, not listed.
    pub connections_not_listed: u64,
    pub hostname: &'a str,
    /// The client's first DNS question for the name; null if none was seen (cached, or
    /// asked over encrypted DNS, or before the capture).
    pub query: Option<QueryReport>,
}

#[derive(Debug, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct QueryReport {
    pub qtype: QType,
    /// The server the question was sent to.
    pub resolver: IpAddr,
    pub ts: Timestamp,
}

#[derive(Debug, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct AnswerReport<'a> {
    /// A and AAAA values, in answer order (at most 8).
    pub addresses: Vec<IpAddr>,
    pub addresses_not_listed: u64,
    /// The CNAME chain: each target in order, from the question's name on (at most 8).
    pub cnames: Vec<&'a str>,
    /// The smallest TTL of its A and AAAA records, seconds; null without any.
    pub min_ttl: Option<u32>,
    pub qtype: Option<QType>,
    pub rcode_name: RCode,
    /// The server that answered.
    pub resolver: IpAddr,
    pub ts: Timestamp,
}

#[derive(Debug, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct ConnectionReport<'a> {
    /// The flow's Community ID v1, as on its event.
    pub community_id: &'a str,
    pub kind: ConnKind,
    /// How the connection was tied to the hostname.
    pub method: How,
    pub server_ip: IpAddr,
    pub server_port: u16,
    /// The name on the wire (SNI, Host, proxy target); null for a hello without one.
    pub sni: Option<&'a str>,
    pub ts: Timestamp,
}

impl Chain {
    pub fn report(&self) -> ChainReport<'_> {
        let mut names: Vec<(&String, &NameChain)> = self.names.iter().collect();
        names.sort_by_key(|(n, c)| (c.first_ts(), *n));
        ChainReport {
            hostnames: names
                .into_iter()
                .map(|(name, c)| NameReport {
                    answer: c.answer.as_ref().map(|a| AnswerReport {
                        addresses: a.addrs.clone(),
                        addresses_not_listed: a.addrs_not_kept,
                        cnames: a.cnames.iter().map(String::as_str).collect(),
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
                            community_id: &k.community_id,
                            kind: k.kind,
                            method: k.how,
                            server_ip: k.server,
                            server_port: k.port,
                            sni: (!k.sni.is_empty()).then_some(k.sni.as_str()),
                            ts: Timestamp(k.ts),
                        })
                        .collect(),
                    connections_not_listed: c.connections_not_kept,
                    hostname: name,
                    query: c.query.map(|q| QueryReport {
                        qtype: QType::of(q.qtype),
                        resolver: q.resolver,
                        ts: Timestamp(q.ts),
                    }),
                })
                .collect(),
            hostnames_not_listed: self.names_not_kept,
        }
    }

    /// The chain under a host and vendor in the summary (`--evidence`).
    pub fn write(&self, s: &mut String) {
        use std::fmt::Write as _;
        let r = self.report();
        let t = |ts: &Timestamp| crate::time::rfc3339(ts.0);
        let esc = crate::escape::text;
        let q = |q: QType| match q {
            QType::Name(n) => n.to_owned(),
            QType::Number(n) => format!("TYPE{n}"),
        };
        for n in &r.hostnames {
            let _ = writeln!(s, "       chain:  {}", esc(n.hostname));
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
                let _ = writeln!(
                    s,
                    "         ... and {} more connection(s)",
                    n.connections_not_listed
                );
            }
        }
        if r.hostnames_not_listed > 0 {
            let _ = writeln!(
                s,
                "       chain:  ... and {} more hostname(s)",
                r.hostnames_not_listed
            );
        }
    }
}
