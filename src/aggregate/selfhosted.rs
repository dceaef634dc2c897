//! The organisation's own help desks: servers whose plain HTTP requests or responses carry a
//! self-hosted product's signature (`crate::selfhosted`), with the names they were reached
//! by and the hosts that used them.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::IpAddr;

use schemars::JsonSchema;
use serde::Serialize;

use super::exposure::ExposureUse;
use super::Aggregator;
use crate::event::Timestamp;
use crate::exposure::{Exposure, ExposureKind};
use crate::model::Observation;
use crate::proto::http::{CredentialKind, ResponseHead};
use crate::proto::tls_server::ServerHello;
use crate::selfhosted::{Field, Signatures};
use crate::time::TsNanos;

/// Connections whose request Host is kept for their response: the table is cleared when it
/// reaches this (a response whose request was forgotten still counts, without a name).
const MAX_CONNS: usize = 65_536;
/// Instances kept (product, server, port): an organisation runs a handful.
pub const MAX_INSTANCES: usize = 1024;
/// Names and client hosts kept per instance; more are counted.
pub const MAX_NAMES: usize = 16;
pub const MAX_CLIENTS: usize = 256;

type Conn = (IpAddr, u16, IpAddr, u16);

#[derive(Clone, Debug, Default)]
pub struct Instance {
    names: BTreeSet<String>,
    clients: BTreeSet<IpAddr>,
    clients_not_listed: u64,
    first_seen: TsNanos,
    last_seen: TsNanos,
    /// Indexes into the signatures that matched.
    matched: BTreeSet<usize>,
    /// The server certificate's names that tied this port to the same help desk found on
    /// another port of the address (plain HTTP).
    certificate_names: BTreeSet<String>,
}

#[derive(Debug, Default)]
pub struct SelfHosted {
    conns: HashMap<Conn, String>,
    instances: BTreeMap<(usize, IpAddr, u16), Instance>,
    pub instances_not_listed: u64,
}

/// A self-hosted help desk in the report.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct SelfHostedUse<'a> {
    /// The product's id (`zammad`, `otrs`, `osticket`, `request-tracker`, `freescout`,
    /// `glpi`, `uvdesk`, `chatwoot`) and name.
    pub product: &'a str,
    pub product_name: &'a str,
    pub server_ip: IpAddr,
    pub server_port: u16,
    /// The Host names it was reached by (at most 16).
    pub server_names: Vec<&'a str>,
    /// The hosts that used it (at most 256).
    pub hosts: Vec<IpAddr>,
    pub hosts_not_listed: u64,
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
    /// The signatures that matched, with the product source each cites.
    pub signatures: Vec<SignatureShown<'a>>,
    /// HTTPS ports: the names in the server's certificate (TLS 1.2 and older) that are names
    /// of the help desk found on plain HTTP at the same address; empty otherwise.
    pub certificate_names: Vec<&'a str>,
}

#[derive(Debug, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct SignatureShown<'a> {
    /// `cookie`, `title`, `header` or `path`.
    pub field: &'static str,
    /// `exact`, `prefix` or `contains`.
    #[serde(rename = "match")]
    pub how: &'static str,
    pub pattern: &'a str,
    pub source: &'a str,
}

impl SelfHosted {
    fn record(&mut self, sig: usize, conn: Conn, name: Option<&str>, ts: TsNanos) {
        let (client, _, server, port) = conn;
        let product = Signatures::builtin().sigs.get(sig).map_or(0, |s| s.product);
        let key = (product, server, port);
        if !self.instances.contains_key(&key) && self.instances.len() >= MAX_INSTANCES {
            self.instances_not_listed += 1;
            return;
        }
        let i = self.instances.entry(key).or_insert(Instance {
            first_seen: ts,
            last_seen: ts,
            ..Instance::default()
        });
        i.first_seen = i.first_seen.min(ts);
        i.last_seen = i.last_seen.max(ts);
        i.matched.insert(sig);
        if let Some(n) = name.filter(|n| !n.is_empty()) {
            if i.names.len() < MAX_NAMES {
                i.names.insert(n.to_owned());
            }
        }
        if !i.clients.contains(&client) {
            match i.clients.len() < MAX_CLIENTS {
                true => drop(i.clients.insert(client)),
                false => i.clients_not_listed += 1,
            }
        }
    }

    /// The report's list, by product, then server.
    pub fn listed(&self) -> Vec<SelfHostedUse<'_>> {
        let s = Signatures::builtin();
        self.instances
            .iter()
            .filter_map(|(&(p, ip, port), i)| {
                let product = s.products.get(p)?;
                Some(SelfHostedUse {
                    product: &product.id,
                    product_name: &product.name,
                    server_ip: ip,
                    server_port: port,
                    server_names: i.names.iter().map(String::as_str).collect(),
                    hosts: i.clients.iter().copied().collect(),
                    hosts_not_listed: i.clients_not_listed,
                    first_seen: Timestamp(i.first_seen),
                    last_seen: Timestamp(i.last_seen),
                    signatures: SignatureShown::of(s, &i.matched),
                    certificate_names: i.certificate_names.iter().map(String::as_str).collect(),
                })
            })
            .collect()
    }
}

impl<'s> SignatureShown<'s> {
    /// The report's list of the signatures `matched` indexes, in index order: for a scan's
    /// desks and a merge's alike.
    pub fn of(s: &'s Signatures, matched: &BTreeSet<usize>) -> Vec<Self> {
        matched
            .iter()
            .filter_map(|&g| s.sigs.get(g))
            .map(|g| SignatureShown {
                field: g.field.as_str(),
                how: g.how.as_str(),
                pattern: &g.pattern,
                source: &g.source,
            })
            .collect()
    }
}

/// The terminal summary's EXPOSURES and SELF-HOSTED HELP DESKS sections, for a scan's and a
/// merge's alike: `exposed` holds each host and vendor with exposures. Nothing when empty.
pub fn write_sections(
    s: &mut String,
    exposed: &[(IpAddr, &str, &[ExposureUse<'_>])],
    desks: &[SelfHostedUse<'_>],
) {
    use std::fmt::Write as _;
    if !exposed.is_empty() {
        let _ = writeln!(
            s,
            "\nEXPOSURES (insecure integrations; names only, never the secret)"
        );
        for (ip, vendor, list) in exposed {
            for x in *list {
                let _ = writeln!(s, "{}", x.summary_line(ip, vendor));
            }
        }
    }
    if !desks.is_empty() {
        let _ = writeln!(s, "\nSELF-HOSTED HELP DESKS");
        for x in desks {
            let _ = writeln!(
                s,
                "  {:<24} {}:{:<5} {:<28} {} host(s)",
                x.product_name,
                x.server_ip,
                x.server_port,
                x.server_names.join(", "),
                x.hosts.len() as u64 + x.hosts_not_listed
            );
        }
    }
}

/// Whether certificate name `c` covers host name `n`: equal, or a wildcard for one label
/// (RFC 6125 §6.4.3).
fn covers(c: &str, n: &str) -> bool {
    match c.strip_prefix("*.") {
        Some(base) => n
            .split_once('.')
            .is_some_and(|(label, rest)| !label.is_empty() && rest == base),
        None => c == n,
    }
}

impl Aggregator<'_> {
    /// A server certificate (TLS 1.2 and older): when it names a help desk already found on
    /// plain HTTP at the same address, this port is that help desk too.
    pub(super) fn self_hosted_certificate(&mut self, o: &Observation, h: &ServerHello) {
        if h.names.is_empty() {
            return;
        }
        let conn = (o.dst, o.dport, o.src, o.sport);
        let tied: Vec<(Vec<usize>, Vec<String>)> = self
            .self_hosted
            .instances
            .iter()
            .filter(|((_, ip, port), _)| *ip == o.src && *port != o.sport)
            .filter_map(|(_, i)| {
                let names: Vec<String> = i
                    .names
                    .iter()
                    .filter(|n| h.names.iter().any(|c| covers(c, n)))
                    .cloned()
                    .collect();
                (!names.is_empty()).then(|| (i.matched.iter().copied().collect(), names))
            })
            .collect();
        for (sigs, names) in tied {
            for sig in &sigs {
                for n in &names {
                    self.self_hosted.record(*sig, conn, Some(n), o.ts);
                }
            }
            let product = sigs
                .first()
                .and_then(|g| Signatures::builtin().sigs.get(*g))
                .map_or(0, |g| g.product);
            if let Some(i) = self
                .self_hosted
                .instances
                .get_mut(&(product, o.src, o.sport))
            {
                for c in &h.names {
                    if names.iter().any(|n| covers(c, n)) && i.certificate_names.len() < MAX_NAMES {
                        i.certificate_names.insert(c.clone());
                    }
                }
            }
        }
    }

    /// A plain request: remembered for its response, and matched by path and cookie names.
    /// A name that is a cloud vendor's is that vendor, never a self-hosted instance.
    pub(super) fn self_hosted_request(&mut self, o: &Observation, x: &Exposure) {
        if self.catalog.lookup(&x.host).is_some() {
            return;
        }
        let conn = (o.src, o.sport, o.dst, o.dport);
        let s = Signatures::builtin();
        let mut hits: Vec<usize> = Vec::new();
        match (x.kind, &x.credential) {
            (ExposureKind::PlainHttp, _) => {
                let sh = &mut self.self_hosted;
                if sh.conns.len() >= MAX_CONNS {
                    sh.conns.clear();
                }
                sh.conns.insert(conn, x.host.clone());
                let path = x.path.as_deref().unwrap_or_default();
                let path = path.split('?').next().unwrap_or_default();
                hits.extend(s.find(Field::Path, path));
            }
            (ExposureKind::CredentialsInClear, Some(c)) if c.kind == CredentialKind::Cookie => {
                for name in c.name.as_deref().unwrap_or_default().split(',') {
                    hits.extend(s.find(Field::Cookie, name));
                }
            }
            _ => {}
        }
        for h in hits {
            self.self_hosted.record(h, conn, Some(&x.host), o.ts);
        }
    }

    /// A plain response (addressed server first): matched by cookie names, title and header
    /// names, filed under the Host its connection's request named.
    pub(super) fn self_hosted_response(&mut self, o: &Observation, r: &ResponseHead) {
        let conn = (o.dst, o.dport, o.src, o.sport);
        let name = self.self_hosted.conns.get(&conn).cloned();
        if name
            .as_deref()
            .is_some_and(|n| self.catalog.lookup(n).is_some())
        {
            return;
        }
        let s = Signatures::builtin();
        let mut hits: Vec<usize> = Vec::new();
        for c in &r.cookie_names {
            hits.extend(s.find(Field::Cookie, c));
        }
        for h in &r.header_names {
            hits.extend(s.find(Field::Header, h));
        }
        if let Some(t) = &r.title {
            hits.extend(s.find(Field::Title, t));
        }
        for h in hits {
            self.self_hosted.record(h, conn, name.as_deref(), o.ts);
        }
    }
}

/// The terminal summary's sections of a scan: exposures per host and vendor, then the
/// self-hosted help desks. Nothing when there are none.
pub fn summary(agg: &Aggregator, s: &mut String) {
    let lists: Vec<(IpAddr, &str, Vec<ExposureUse>)> = agg
        .hosts
        .iter()
        .flat_map(|(ip, vs)| vs.iter().map(move |(id, u)| (*ip, id.as_str(), u)))
        .map(|(ip, id, u)| (ip, id, u.exposures.listed()))
        .filter(|(_, _, l)| !l.is_empty())
        .collect();
    let exposed: Vec<_> = lists
        .iter()
        .map(|(ip, id, l)| (*ip, *id, l.as_slice()))
        .collect();
    write_sections(s, &exposed, &agg.self_hosted.listed());
}
