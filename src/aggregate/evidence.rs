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

mod show;
pub use show::{AnswerReport, ChainReport, ConnectionReport, NameReport, QueryReport};

use super::attribution::Attribution;
use super::{Aggregator, STRING_BYTES};
use crate::event::{AttributionMethod, Kind};
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
const PENDING_BYTES: usize = 64;

/// The chains of one host and vendor.
#[derive(Clone, Debug, Default)]
pub struct Chain {
    /// The first [`MAX_CHAIN_NAMES`] hostnames (the report counts the others from the
    /// usage's names).
    pub names: BTreeMap<String, NameChain>,
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
    pub(super) fn first_ts(&self) -> TsNanos {
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
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize, JsonSchema)]
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
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize, JsonSchema)]
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
    /// Keyed by a keyed hash of (client, name), not the name: every query without a vendor
    /// passes here, and a copy of each name would cost an allocation per query (a flood of
    /// unique names made the scan 20 % slower). The hash is SipHash with a random key, so a
    /// collision (a query joined to another name's answer) cannot be aimed at.
    pending: HashMap<u64, Query>,
    hasher: std::hash::RandomState,
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
        use std::hash::BuildHasher as _;
        let st = &mut self.chains;
        let key = st.hasher.hash_one((client, name));
        if st.pending.contains_key(&key) {
            return;
        }
        let cost = PENDING_BYTES;
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
        use std::hash::BuildHasher as _;
        let st = &mut self.chains;
        if st.pending.is_empty() {
            return None;
        }
        let q = st.pending.remove(&st.hasher.hash_one((client, name)))?;
        st.pending_bytes = st.pending_bytes.saturating_sub(PENDING_BYTES);
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
