//! The summary a person reads on the terminal: per host (those that operate or integrate
//! with a vendor first), the visitors apart, per vendor, then the sections the run calls for.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use crate::aggregate::by_vendor;
use crate::aggregate::roles::{Role, Verdict};
use crate::aggregate::{Aggregator, Usage};
use crate::catalog::Catalog;
use crate::model::InputSummary;
use crate::stats::Stats;
use crate::time::{rfc3339, TsNanos};

mod sections;
use sections::*;

/// How the summary is written: evidence under each role, and the zone of its times.
#[derive(Clone, Copy, Debug, Default)]
pub struct Look {
    /// Each role's evidence under its line (`--evidence`).
    pub evidence: bool,
    /// Times in the local zone, each labelled with its offset (`--local-time`); else UTC.
    pub local_time: bool,
}

impl Look {
    /// A first..last range as the summary prints it: `2026-11-27 10:32:08 .. 10:42:01 UTC`
    /// style, with the date repeated, and the zone after it (local time: the UTC offset, on
    /// each end when they differ, as across a daylight-saving change).
    fn span(self, first: TsNanos, last: TsNanos) -> String {
        if !self.local_time {
            return format!("{} .. {} UTC", utc_short(first), utc_short(last));
        }
        let ((a, oa), (b, ob)) = (local_short(first), local_short(last));
        match oa == ob {
            true => format!("{a} .. {b} {oa}"),
            false => format!("{a} {oa} .. {b} {ob}"),
        }
    }

    /// What the header says of the times.
    fn zone(self) -> &'static str {
        match self.local_time {
            true => "times in local time, with their UTC offset",
            false => "times in UTC",
        }
    }
}

/// `2026-11-27 10:32:08`, UTC.
fn utc_short(ts: TsNanos) -> String {
    rfc3339(ts)[..19].replace('T', " ")
}

/// The local time of `ts` and its zone's offset then (`UTC+01:00`), from `TZ` or
/// /etc/localtime.
fn local_short(ts: TsNanos) -> (String, String) {
    use chrono::{Offset, TimeZone};
    let t = chrono::Local.timestamp_nanos(ts);
    let off = t.offset().fix().local_minus_utc();
    let sign = if off < 0 { '-' } else { '+' };
    let abs = off.unsigned_abs();
    (
        t.format("%Y-%m-%d %H:%M:%S").to_string(),
        format!("UTC{sign}{:02}:{:02}", abs / 3600, abs % 3600 / 60),
    )
}

/// A vendor as people know it: the product (`Dynamics 365 Customer Service`), or the
/// company when the catalog names no product; the id for a vendor the catalog lacks.
fn product(catalog: &Catalog, id: &str) -> String {
    match catalog.vendor(id) {
        Some(v) if !v.product.is_empty() => v.product.clone(),
        Some(v) => v.name.clone(),
        None => id.to_owned(),
    }
}

/// The product, the company behind it when its name differs, and the id: the BY VENDOR
/// heading (`Dynamics 365 Customer Service, Microsoft (dynamics-365)`).
fn product_company(catalog: &Catalog, id: &str) -> String {
    let p = product(catalog, id);
    match catalog.vendor(id) {
        Some(v) if v.name != p => format!("{p}, {} ({id})", v.name),
        _ => format!("{p} ({id})"),
    }
}

/// Vendor ids in the order of their display names (case aside), then of ids.
fn by_product<'a>(catalog: &Catalog, ids: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    let mut v: Vec<(String, &str)> = ids
        .into_iter()
        .map(|id| (product(catalog, id).to_lowercase(), id))
        .collect();
    v.sort();
    v.dedup();
    v.into_iter().map(|(_, id)| id).collect()
}

/// The readable summary for a terminal: per host (those that operate or integrate with a
/// vendor first, the most unsanctioned first), the visitors apart, then per vendor.
/// `evidence` adds each role's evidence under its line. Times in UTC.
pub fn summary(
    agg: &Aggregator,
    catalog: &Catalog,
    inputs: &[InputSummary],
    stats: &Stats,
    evidence: bool,
) -> String {
    let look = Look {
        evidence,
        local_time: false,
    };
    summary_with(agg, catalog, inputs, stats, look)
}

/// [`summary`], written as `look` says. Its first two lines are the header (inputs,
/// packets, observations and vendor events) and the totals (hosts, hosts with unsanctioned
/// use, vendors).
pub fn summary_with(
    agg: &Aggregator,
    catalog: &Catalog,
    inputs: &[InputSummary],
    stats: &Stats,
    look: Look,
) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let evidence = look.evidence;
    let name = |id: &str| product(catalog, id);
    // The role of every host and vendor, once.
    let roles: BTreeMap<(IpAddr, &str), Verdict> = agg
        .hosts
        .iter()
        .flat_map(|(ip, vs)| {
            vs.iter()
                .map(move |(id, u)| ((*ip, id.as_str()), agg.verdict(id, &u.evidence)))
        })
        .collect();
    // Shown in a host's section: operators and integrations (every role with
    // --flag-visitors); the rest are visitors, summarised apart.
    let shown = |ip: &IpAddr, id: &str| {
        agg.flag_visitors
            || roles
                .get(&(*ip, id))
                .is_some_and(|v| v.role != Role::Visitor)
    };
    let mut order: Vec<(&IpAddr, usize)> = agg
        .hosts
        .iter()
        .map(|(ip, vs)| {
            let bad = vs
                .iter()
                .filter(|(id, u)| shown(ip, id) && agg.counts_unsanctioned(id, u))
                .count();
            (ip, bad)
        })
        .filter(|(ip, _)| agg.hosts[*ip].keys().any(|id| shown(ip, id)))
        .collect();
    let users = order.len() as u64;
    let flagged = order.iter().filter(|(_, bad)| *bad > 0).count() as u64;
    let vendors_seen: BTreeSet<&str> = agg
        .hosts
        .values()
        .flat_map(|vs| vs.keys().map(String::as_str))
        .collect();
    let _ = writeln!(
        s,
        "shadowdesk: {}, {}, {}: {}, {} with no vendor; {}",
        count(inputs.len() as u64, "input"),
        count(stats.packets, "packet"),
        count(agg.events, "observation"),
        count(agg.vendor_events, "vendor event"),
        agg.events.saturating_sub(agg.vendor_events),
        look.zone(),
    );
    let _ = writeln!(
        s,
        "totals: {} using support vendors, {users} operating or integrating with one, {flagged} with unsanctioned use; {}",
        count(agg.hosts.len() as u64, "host"),
        count(vendors_seen.len() as u64, "vendor"),
    );
    if agg.hosts.is_empty() {
        let _ = writeln!(s, "\nNo customer-support vendor traffic seen.");
    }
    order.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    for (ip, bad) in order {
        let vendors = &agg.hosts[ip];
        let mine: Vec<(&String, &Usage)> = vendors.iter().filter(|(id, _)| shown(ip, id)).collect();
        let _ = writeln!(
            s,
            "\nHOST {}  ({} used, {bad} unsanctioned)",
            known_as(*ip, vendors.values()),
            count(mine.len() as u64, "vendor"),
        );
        if let Some(v) = agg.visibility.get(ip) {
            let connections = v.connections();
            if let Some(share) = (100 * (v.named + v.attributed)).checked_div(connections) {
                let _ = writeln!(
                    s,
                    "     visibility: {share}% of {} named ({} on the wire, {} from its DNS), {} no name",
                    count(connections, "connection"),
                    v.named,
                    v.attributed,
                    v.unnamed
                );
            }
        }
        let mut mine = mine;
        // Unsanctioned use first, then by name.
        mine.sort_by_cached_key(|(id, u)| {
            (!agg.counts_unsanctioned(id, u), name(id).to_lowercase())
        });
        // Wide enough for the longest name here (the catalog's run to 38 characters).
        let width = mine
            .iter()
            .map(|(id, _)| name(id).chars().count())
            .max()
            .unwrap_or(0)
            .max(28);
        for (id, u) in mine {
            let verdict = &roles[&(*ip, id.as_str())];
            let flagged = agg.counts_unsanctioned(id, u);
            let mark = if flagged { "  !! " } else { "  ok " };
            let status = if u.sanctioned {
                "sanctioned"
            } else {
                "UNSANCTIONED"
            };
            let weak = if u.strong {
                ""
            } else {
                " (weak evidence: shared infrastructure only)"
            };
            let _ = writeln!(
                s,
                "{mark}{:<width$} {status:<12} {:<11} {:>5} {:<6}  {}{weak}",
                name(id),
                verdict.role.as_str(),
                u.events,
                noun(u.events, "event"),
                look.span(u.first_seen, u.last_seen)
            );
            if !u.tenants.is_empty() {
                let owned: Vec<String> = u
                    .tenants
                    .iter()
                    .map(|t| format!("{t} ({})", agg.ownership(id, t).0.phrase()))
                    .collect();
                let _ = writeln!(s, "       tenant: {}", owned.join(", "));
            }
            if let Some(r) =
                crate::findings::region_of(catalog, id, crate::findings::usage_names(u))
            {
                let verdict = match agg.policy().requirements.region_ok(id, Some(&r.code)) {
                    Some(false) => ", OUTSIDE the policy's regions",
                    _ => "",
                };
                let _ = writeln!(s, "       region: {} (by {}){verdict}", r.code, r.pattern);
            }
            let mut hn: Vec<String> = u.hostnames.iter().cloned().collect();
            if u.hostnames_dropped > 0 {
                hn.push(format!("(+{} more)", u.hostnames_dropped));
            }
            let _ = writeln!(s, "       names:  {}", hn.join(", "));
            if evidence {
                write_evidence(&mut s, u, verdict);
            }
        }
        let visited: Vec<String> = by_product(
            catalog,
            vendors
                .keys()
                .map(String::as_str)
                .filter(|id| !shown(ip, id)),
        )
        .into_iter()
        .map(name)
        .collect();
        if !visited.is_empty() {
            let _ = writeln!(
                s,
                "       also visited sites built on: {}",
                visited.join(", ")
            );
        }
    }
    if !agg.flag_visitors {
        // Visitors apart: per vendor, how many hosts only visited sites built on it.
        let mut visitors: BTreeMap<&str, Vec<IpAddr>> = BTreeMap::new();
        for ((ip, id), v) in &roles {
            if v.role == Role::Visitor {
                visitors.entry(id).or_default().push(*ip);
            }
        }
        if !visitors.is_empty() {
            let _ = writeln!(
                s,
                "\nVISITORS (hosts that only loaded widgets or read help centers built on a vendor: not counted as use; --flag-visitors counts them)"
            );
            for id in by_product(catalog, visitors.keys().copied()) {
                let ips = &visitors[id];
                let list: Vec<String> = ips
                    .iter()
                    .take(8)
                    .map(|i| known_as(*i, agg.hosts.get(i).into_iter().flat_map(|v| v.values())))
                    .collect();
                let more = if ips.len() > 8 { ", ..." } else { "" };
                let _ = writeln!(
                    s,
                    "  {} visited sites built on {}: {}{more}",
                    count(ips.len() as u64, "host"),
                    name(id),
                    list.join(", ")
                );
                // The names they loaded (already in presentation form, odd bytes escaped).
                let mut names: BTreeSet<&str> = BTreeSet::new();
                for ip in ips {
                    if let Some(u) = agg.hosts.get(ip).and_then(|v| v.get(id)) {
                        names.extend(u.hostnames.iter().map(String::as_str));
                    }
                }
                let shown: Vec<&str> = names.iter().take(8).copied().collect();
                let more = if names.len() > 8 { ", ..." } else { "" };
                let _ = writeln!(s, "       names:  {}{more}", shown.join(", "));
                if evidence {
                    for ip in ips.iter().take(8) {
                        if let Some(u) = agg.hosts.get(ip).and_then(|v| v.get(id)) {
                            let _ = writeln!(s, "    {ip}:");
                            write_evidence(&mut s, u, &roles[&(*ip, id)]);
                        }
                    }
                }
            }
        }
    }
    let turned = by_vendor(agg);
    if !turned.is_empty() {
        let _ = writeln!(s, "\nBY VENDOR");
        for id in by_product(catalog, turned.keys().copied()) {
            let hs = &turned[id];
            let is_visitor = |ip: &IpAddr| {
                !agg.flag_visitors
                    && roles
                        .get(&(*ip, id))
                        .is_some_and(|v| v.role == Role::Visitor)
            };
            let visitors = hs.iter().filter(|(ip, _)| is_visitor(ip)).count();
            let unsanctioned = hs
                .iter()
                .filter(|(_, u)| agg.counts_unsanctioned(id, u))
                .count();
            // Visitors' use is not counted: a vendor only they touched is not unsanctioned.
            let what = match (visitors == hs.len(), unsanctioned) {
                (true, _) => ", visitors only".to_owned(),
                (false, 0) => String::new(),
                (false, n) => format!(", {n} with unsanctioned use"),
            };
            let _ = writeln!(
                s,
                "  {}: {}{what}",
                product_company(catalog, id),
                count(hs.len() as u64, "host")
            );
            for (ip, u) in hs {
                let status = match (u.sanctioned, is_visitor(ip)) {
                    (true, _) => "sanctioned",
                    (false, true) => "not counted",
                    (false, false) => "UNSANCTIONED",
                };
                let role = roles.get(&(*ip, id)).map_or("", |v| v.role.as_str());
                let _ = writeln!(
                    s,
                    "    {:<40} {status:<12} {role:<11} {:>5} {:<6}  {}",
                    known_as(*ip, [*u]),
                    u.events,
                    noun(u.events, "event"),
                    look.span(u.first_seen, u.last_seen)
                );
            }
        }
    }
    write_devices(&mut s, agg, catalog);
    if !agg.encrypted_dns.is_empty() {
        let _ = writeln!(s, "\nENCRYPTED DNS (these hosts' lookups are not visible; their vendor list may be incomplete)");
        for (ip, servers) in &agg.encrypted_dns {
            for ((proto, server), seen) in servers {
                let _ = writeln!(
                    s,
                    "  {ip:<40} {proto:<5} {server:<30} {:>5} {:<11}  {}",
                    seen.connections,
                    noun(seen.connections, "connection"),
                    look.span(seen.first_seen, seen.last_seen)
                );
            }
        }
    }
    let listed = agg.listed();
    let hidden: Vec<_> = agg
        .visibility
        .iter()
        .filter(|(ip, v)| v.has_hidden_traffic() && listed.ips.contains(ip))
        .collect();
    if !hidden.is_empty() {
        let _ = writeln!(
            s,
            "\nHIDDEN TRAFFIC (encrypted connections whose destination has no name: the vendor list may miss them)"
        );
        for (ip, v) in hidden {
            let connections = v.connections();
            let _ = writeln!(
                s,
                "  {ip:<40} {:>5} {}: {} named, {} attributed, {} no name; {} used ECH",
                connections,
                noun(connections, "connection"),
                v.named,
                v.attributed,
                v.unnamed,
                v.ech
            );
        }
        if listed.hidden_not_listed > 0 {
            let _ = writeln!(
                s,
                "  ... and {} more {} with only hidden traffic (--all-hosts lists them)",
                listed.hidden_not_listed,
                noun(listed.hidden_not_listed, "host")
            );
        }
    }
    let findings = crate::findings::findings(agg, catalog);
    if !findings.is_empty() {
        let high = findings
            .iter()
            .filter(|f| f.severity == crate::findings::Severity::High)
            .count();
        let _ = writeln!(s, "\nPOLICY FINDINGS ({}, {high} high)", findings.len());
        for f in &findings {
            let sev = match f.severity {
                crate::findings::Severity::High => "high  ",
                crate::findings::Severity::Medium => "medium",
            };
            let _ = writeln!(s, "  {sev} {}", f.message);
        }
    }
    crate::aggregate::selfhosted::summary(agg, &mut s);
    let problems: Vec<&InputSummary> = inputs.iter().filter(|i| i.error.is_some()).collect();
    if !problems.is_empty() {
        let _ = writeln!(s, "\nINPUT PROBLEMS");
        for i in problems {
            // A file found in a folder may have any name: keep its bytes off the terminal.
            let _ = writeln!(
                s,
                "  {}: {}",
                crate::escape::text(&i.path),
                i.error.as_deref().unwrap_or("")
            );
        }
    }
    s
}
