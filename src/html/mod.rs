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

use std::io;

use askama::Template;
use sha2::{Digest, Sha256};

use crate::report::Report;
use crate::time::rfc3339;

mod matrix;
mod sections;

use matrix::{data, Data, Verdict};

/// The page's script and style, inlined; their hashes go into the CSP.
const SCRIPT: &str = include_str!("../../templates/report.js");
const STYLE: &str = include_str!("../../templates/report.css");

/// What policy applied, as the user gave it: shown verbatim (escaped) in the overview.
#[derive(Debug, Default)]
pub struct PolicyView {
    /// `--policy` path and the file's text.
    pub file: Option<(String, String)>,
    /// `--sanctioned` lists.
    pub sanctioned: Vec<String>,
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
    /// The parts drawn as markup: findings, evidence, vendors, self-hosted.
    s: sections::Sections<'a>,
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
        ("HTTP heads over 8 KiB, not read", d.http_head_too_long),
        ("HTTP heads cut short, not read", d.http_head_unfinished),
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
        s: sections::build(report),
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
