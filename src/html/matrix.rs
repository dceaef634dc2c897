//! The matrix's data block: a compact copy of the report's hosts (numbers, and names
//! interned once in a string table) that the page's script draws the matrix, timelines and
//! drill-down from.

use std::collections::HashMap;

use serde::Serialize;

use crate::model::Field;
use crate::report::{Host, HostVendor, Report};
use crate::time::TsNanos;

/// The event kinds whose counts a cell carries, in the order of the evidence chain
/// (question, answer, connection); each cell's `by_kind` array follows this order.
pub(super) const KINDS: [&str; 6] = ["dns", "dns_answer", "tls", "quic", "http", "socks"];

/// A cell's verdict, read from the report (not recomputed): `1` when the vendor is in the
/// host's `unsanctioned` list, `0` when sanctioned, `2` when neither (a role the policy
/// does not count, such as `visitor`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Verdict {
    Sanctioned = 0,
    Unsanctioned = 1,
    NotCounted = 2,
}

/// One vendor column.
#[derive(Serialize)]
struct Column<'a> {
    id: &'a str,
    name: Option<&'a str>,
    category: Option<&'a str>,
}

/// One host × vendor cell, serialized as an array (keys would double the page's size):
/// `[vendor, events, verdict, first_ms, last_ms, [hostname], hostnames_not_listed,
/// [tenant], strong, role, [count per KINDS]]`. Names are indices into `strings`; times are
/// milliseconds after `t0`; `role` is a string index or -1.
#[derive(Serialize)]
pub(super) struct Cell(
    u32,
    u64,
    pub(super) u8,
    i64,
    i64,
    Vec<u32>,
    u64,
    Vec<u32>,
    bool,
    i64,
    [u64; 6],
);

/// One host row: `[ip, [cell], [connections, named+attributed, unnamed_hellos,
/// tls+quic hellos, ech], [[resolver, protocol, connections]]]`.
#[derive(Serialize)]
/// A host: address, cells, visibility, encrypted DNS, and who it is ("laptop-alice,
/// alice@corp.test": its first host name and user from `identity`; empty when unknown).
pub(super) struct Row(
    String,
    pub(super) Vec<Cell>,
    [u64; 5],
    Vec<(u32, String, u64)>,
    String,
);

/// The data block the script reads.
#[derive(Serialize)]
pub(super) struct Data<'a> {
    /// Start of the span, Unix milliseconds.
    pub(super) t0: i64,
    /// Length of the span, milliseconds.
    pub(super) span: i64,
    kinds: [&'static str; 6],
    pub(super) roles: bool,
    vendors: Vec<Column<'a>>,
    strings: Vec<&'a str>,
    pub(super) hosts: Vec<Row>,
}

/// Interns names so each is written once, however many hosts share it.
#[derive(Default)]
struct Strings<'a> {
    list: Vec<&'a str>,
    index: HashMap<&'a str, u32>,
}

impl<'a> Strings<'a> {
    fn id(&mut self, s: &'a str) -> u32 {
        if let Some(&i) = self.index.get(s) {
            return i;
        }
        let i = self.list.len() as u32;
        self.list.push(s);
        self.index.insert(s, i);
        i
    }
}

/// The role of a host's use of a vendor (`operator`, `integration`, `visitor`), when the
/// report has that field. Read through the report's own serialization, so the page shows
/// roles as soon as `HostVendor` carries them, whatever their Rust type.
pub(super) fn role_of(v: &impl Serialize) -> Option<String> {
    match serde_json::to_value(v).ok()?.get("role")? {
        serde_json::Value::String(s) => Some(s.clone()),
        _ => None,
    }
}

fn ms(ts: TsNanos) -> i64 {
    ts.div_euclid(1_000_000)
}

pub(super) fn data<'a>(report: &'a Report<'a>) -> Data<'a> {
    let mut strings = Strings::default();
    let mut columns: Vec<Column<'a>> = Vec::new();
    let mut col_of: HashMap<&'a str, u32> = HashMap::new();
    // Columns in the order of the report's per-vendor list; a vendor a host lists but that
    // list lacks still gets one.
    for v in &report.vendors {
        col_of.insert(v.vendor, columns.len() as u32);
        columns.push(Column {
            id: v.vendor,
            name: v.name,
            category: None,
        });
    }
    let mut t0 = i64::MAX;
    let mut t1 = i64::MIN;
    for h in &report.hosts {
        for v in &h.vendors {
            t0 = t0.min(ms(v.first_seen.0));
            t1 = t1.max(ms(v.last_seen.0));
        }
    }
    if t0 > t1 {
        (t0, t1) = (0, 0);
    }
    let mut roles = false;
    // By address, so the page's "address" order is its row order (a built report is
    // already in that order; a merged one need not be).
    let mut by_ip: Vec<&Host<'a>> = report.hosts.iter().collect();
    by_ip.sort_by_key(|h| h.ip);
    let hosts = by_ip
        .into_iter()
        .map(|h| {
            let cells = h
                .vendors
                .iter()
                .map(|v| {
                    let col = *col_of.entry(v.vendor).or_insert_with(|| {
                        columns.push(Column {
                            id: v.vendor,
                            name: v.name,
                            category: v.category,
                        });
                        columns.len() as u32 - 1
                    });
                    if let Some(c) = columns.get_mut(col as usize) {
                        c.category = c.category.or(v.category);
                    }
                    let role = role_of(v);
                    roles |= role.is_some();
                    let role = match role {
                        // Interned as an owned value would outlive nothing: the three role
                        // names are static.
                        Some(r) => match r.as_str() {
                            "operator" => i64::from(strings.id("operator")),
                            "integration" => i64::from(strings.id("integration")),
                            "visitor" => i64::from(strings.id("visitor")),
                            _ => i64::from(strings.id("other")),
                        },
                        None => -1,
                    };
                    let mut by_kind = [0u64; 6];
                    for (k, n) in v.events_by_kind {
                        if let Some(i) = KINDS.iter().position(|x| *x == k.as_str()) {
                            if let Some(slot) = by_kind.get_mut(i) {
                                *slot = *n;
                            }
                        }
                    }
                    Cell(
                        col,
                        v.events,
                        verdict(h, v) as u8,
                        ms(v.first_seen.0).saturating_sub(t0),
                        ms(v.last_seen.0).saturating_sub(t0),
                        v.hostnames.iter().map(|n| strings.id(n)).collect(),
                        v.hostnames_not_listed,
                        v.tenants.iter().map(|n| strings.id(n)).collect(),
                        v.strength == crate::event::Strength::Strong,
                        role,
                        by_kind,
                    )
                })
                .collect();
            let vis = &h.visibility;
            let edns = h
                .encrypted_dns
                .iter()
                .map(|e| {
                    (
                        strings.id(e.resolver),
                        format!("{:?}", e.protocol).to_lowercase(),
                        e.connections,
                    )
                })
                .collect();
            let first = |f: Field| h.identity.iter().find(|i| i.field == f).map(|i| i.value);
            let who = [first(Field::Hostname), first(Field::User)]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(", ");
            Row(
                h.ip.to_string(),
                cells,
                [
                    vis.connections,
                    vis.named + vis.attributed,
                    vis.unnamed_hellos,
                    vis.tls_hellos + vis.quic_hellos,
                    vis.ech,
                ],
                edns,
                who,
            )
        })
        .collect();
    Data {
        t0,
        span: t1.saturating_sub(t0),
        kinds: KINDS,
        roles,
        vendors: columns,
        strings: strings.list,
        hosts,
    }
}

pub(super) fn verdict(h: &Host<'_>, v: &HostVendor<'_>) -> Verdict {
    if h.unsanctioned.contains(&v.vendor) {
        Verdict::Unsanctioned
    } else if v.sanctioned {
        Verdict::Sanctioned
    } else {
        Verdict::NotCounted
    }
}
