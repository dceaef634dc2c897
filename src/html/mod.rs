//! `--html FILE`: the report as one self-contained page (issue 15), for people who open a
//! file and click rather than read JSON.
//!
//! The page is made from the same typed [`Report`] as `--report`, never from a second pass
//! over the aggregator: the overview is rendered by the template (askama, which escapes
//! every value it inserts), and the matrix, timelines and drill-down are drawn by the page's
//! own small script from a compact copy of the report's hosts (numbers, and names interned
//! once in a string table) embedded as JSON through askama's `json` filter, which writes
//! `<`, `>`, `&` and `'` as `\u003c`-style escapes so no name from the wire can end the
//! data block. The script inserts names only as text (`textContent`), never as markup.
//!
//! No request ever leaves the page: there is nothing external to fetch, and the
//! Content-Security-Policy (`default-src 'none'`, the one script and the one style allowed
//! by their SHA-256) makes the browser refuse any that an escaping bug might add.

use std::collections::HashMap;
use std::io;

use askama::Template;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::model::Field;
use crate::report::{Host, HostVendor, Report};
use crate::time::{rfc3339, TsNanos};

/// The page's script and style, inlined; their hashes go into the CSP.
const SCRIPT: &str = include_str!("../../templates/report.js");
const STYLE: &str = include_str!("../../templates/report.css");

/// The event kinds whose counts a cell carries, in the order of the evidence chain
/// (question, answer, connection); each cell's `by_kind` array follows this order.
const KINDS: [&str; 6] = ["dns", "dns_answer", "tls", "quic", "http", "socks"];

/// What policy applied, as the user gave it: shown verbatim (escaped) in the overview.
#[derive(Debug, Default)]
pub struct PolicyView {
    /// `--policy` path and the file's text.
    pub file: Option<(String, String)>,
    /// `--sanctioned` lists.
    pub sanctioned: Vec<String>,
}

/// A cell's verdict, read from the report (not recomputed): `1` when the vendor is in the
/// host's `unsanctioned` list, `0` when sanctioned, `2` when neither (a role the policy
/// does not count, such as `visitor`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Verdict {
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
struct Cell(
    u32,
    u64,
    u8,
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
struct Row(String, Vec<Cell>, [u64; 5], Vec<(u32, String, u64)>, String);

/// The data block the script reads.
#[derive(Serialize)]
struct Data<'a> {
    /// Start of the span, Unix milliseconds.
    t0: i64,
    /// Length of the span, milliseconds.
    span: i64,
    kinds: [&'static str; 6],
    roles: bool,
    vendors: Vec<Column<'a>>,
    strings: Vec<&'a str>,
    hosts: Vec<Row>,
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
fn role_of(v: &impl Serialize) -> Option<String> {
    match serde_json::to_value(v).ok()?.get("role")? {
        serde_json::Value::String(s) => Some(s.clone()),
        _ => None,
    }
}

fn ms(ts: TsNanos) -> i64 {
    ts.div_euclid(1_000_000)
}

/// A figure of the overview: label and value, rendered (escaped) by the template.
struct Figure {
    label: &'static str,
    value: String,
    /// Draws attention (problems, unsanctioned use).
    warn: bool,
}

struct InputRow<'a> {
    path: &'a str,
    packets: u64,
    linktype: &'a str,
    error: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "report.html")]
struct Page<'a> {
    csp: String,
    style: &'static str,
    script: &'static str,
    figures: Vec<Figure>,
    visibility: Vec<Figure>,
    limits: Vec<Figure>,
    span: String,
    interrupted: bool,
    inputs: Vec<InputRow<'a>>,
    policy: &'a PolicyView,
    data: Data<'a>,
}

fn csp_hash(text: &str) -> String {
    use std::fmt::Write as _;
    // Base64 of the digest, as CSP wants it; written here to need no base64 crate.
    const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let d = Sha256::digest(text.as_bytes());
    let mut out = String::from("'sha256-");
    for chunk in d.chunks(3) {
        let b = [
            chunk.first().copied().unwrap_or(0),
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18u32, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                let _ = write!(out, "{}", B64[((n >> shift) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out.push('\'');
    out
}

fn data<'a>(report: &'a Report<'a>) -> Data<'a> {
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

fn verdict(h: &Host<'_>, v: &HostVendor<'_>) -> Verdict {
    if h.unsanctioned.contains(&v.vendor) {
        Verdict::Unsanctioned
    } else if v.sanctioned {
        Verdict::Sanctioned
    } else {
        Verdict::NotCounted
    }
}

fn fig(label: &'static str, value: impl ToString, warn: bool) -> Figure {
    Figure {
        label,
        value: value.to_string(),
        warn,
    }
}

/// The page for `report`.
pub fn render(report: &Report<'_>, policy: &PolicyView) -> String {
    let data = data(report);
    let with_vendors = report
        .hosts
        .iter()
        .filter(|h| !h.vendors.is_empty())
        .count();
    let unsanctioned = report
        .hosts
        .iter()
        .filter(|h| !h.unsanctioned.is_empty())
        .count();
    let mut figures = vec![
        fig("hosts using support vendors", with_vendors, false),
        fig("hosts listed", report.hosts.len(), false),
        fig("vendors seen", report.vendors.len(), false),
        fig(
            "hosts with unsanctioned use",
            unsanctioned,
            unsanctioned > 0,
        ),
        fig("events", report.stats.events, false),
        fig(
            "unsanctioned events",
            report.stats.unsanctioned_events,
            report.stats.unsanctioned_events > 0,
        ),
    ];
    if data.roles {
        // Visitors apart: hosts that only visited vendors' sites, counted by no policy.
        let visitors = data
            .hosts
            .iter()
            .filter(|r| !r.1.is_empty() && r.1.iter().all(|c| c.2 == Verdict::NotCounted as u8))
            .count();
        figures.push(fig("hosts that were only visitors", visitors, false));
    }
    if report.hosts_not_listed > 0 {
        figures.push(fig(
            "hosts with only hidden traffic, not listed",
            report.hosts_not_listed,
            true,
        ));
    }
    let v = &report.visibility;
    let hellos = v.tls_hellos + v.quic_hellos;
    let visibility = vec![
        fig("connections", v.connections, false),
        fig(
            "with a name (on the wire or from DNS)",
            format!(
                "{} ({})",
                v.named + v.attributed,
                v.named_share
                    .map_or("-".to_owned(), |s| format!("{:.1} %", s * 100.0))
            ),
            false,
        ),
        fig(
            "encrypted hellos (TLS, QUIC) without a name",
            format!("{} of {}", v.unnamed_hellos, hellos),
            v.unnamed_hellos > 0,
        ),
        fig("hellos using ECH", v.ech, v.ech > 0),
        fig(
            "connections to encrypted-DNS resolvers",
            v.encrypted_dns_connections,
            v.encrypted_dns_connections > 0,
        ),
        fig("DNS queries", v.dns_queries, false),
    ];
    let d = &report.stats.dropped;
    let limits = [
        ("defrag memcap", d.defrag_memcap),
        ("DNS cache cleared", d.dns_cache_cleared),
        ("encrypted-DNS memcap", d.encrypted_dns_memcap),
        ("flows memcap", d.flows_memcap),
        ("reassembly memcap", d.reassembly_memcap),
        ("reassembly pieces", d.reassembly_pieces),
        ("reassembly window", d.reassembly_window),
        (
            "host × vendor pairs not kept (usage memcap)",
            d.usage_memcap,
        ),
        ("visibility memcap", d.visibility_memcap),
    ]
    .into_iter()
    .filter(|(_, n)| *n > 0)
    .map(|(l, n)| fig(l, n, true))
    .collect();
    let span = if data.hosts.iter().any(|r| !r.1.is_empty()) {
        let t0 = data.t0.saturating_mul(1_000_000);
        let t1 = data.t0.saturating_add(data.span).saturating_mul(1_000_000);
        format!("{} – {}", rfc3339(t0), rfc3339(t1))
    } else {
        "no vendor traffic".to_owned()
    };
    let inputs = report
        .inputs
        .iter()
        .map(|i| InputRow {
            path: i.path,
            packets: i.packets,
            linktype: i.linktype.unwrap_or("-"),
            error: i.error,
        })
        .collect();
    let page = Page {
        csp: format!(
            "default-src 'none'; style-src {}; script-src {}; base-uri 'none'; form-action 'none'",
            csp_hash(STYLE),
            csp_hash(SCRIPT)
        ),
        style: STYLE,
        script: SCRIPT,
        figures,
        visibility,
        limits,
        span,
        interrupted: report.interrupted,
        inputs,
        policy,
        data,
    };
    // Rendering into a String fails only if a value's Display fails, which none here does.
    page.render().unwrap_or_default()
}

/// Writes the page to `path` as the JSON report is written (atomically, or in place for a
/// device or FIFO; `-` is standard output).
pub fn write(path: &str, report: &Report<'_>, policy: &PolicyView) -> io::Result<()> {
    crate::outfile::write_whole(path, render(report, policy).as_bytes())
}

#[cfg(test)]
mod tests;
