//! Output: where events and the report go ([`Sink`], [`write_report`]), and the human
//! summary. What an event or the report holds is typed in [`crate::event`] and
//! [`crate::report`].

use std::io::{self, BufWriter, Write};

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use crate::aggregate::roles::{Role, Verdict};
use crate::aggregate::{Aggregator, Usage};
use crate::catalog::risk::{Cert, Incident, RegionRule, RegionsOffered};
use crate::catalog::{Catalog, Deployment, Endpoint, Rule, Vendor};
use crate::event::Strength;
use crate::model::InputSummary;
use crate::report::{by_vendor, Report};
use crate::stats::Stats;
use crate::time::{rfc3339, TsNanos};

/// One line of `vendors --json`: a vendor of the catalog and its domain patterns. Fields in
/// the order of their names, as this listing has always been written.
#[derive(Debug, serde::Serialize)]
pub struct VendorListing<'a> {
    pub category: &'a str,
    /// What the vendor's own trust or security pages state, each with its source and the
    /// date it was read.
    pub certs: &'a [Cert],
    /// The company behind the product, when it differs from `name`; else null.
    pub company: Option<&'a str>,
    /// Where the vendor runs: `cloud` (the vendor hosts every tenant) or `self_hosted`
    /// (software the customer runs).
    pub deployment: Deployment,
    pub domains: Vec<DomainRule<'a>>,
    pub id: &'a str,
    /// Publicly reported security incidents.
    pub incidents: &'a [Incident],
    pub name: &'a str,
    pub product: &'a str,
    /// Names matching `pattern` put the tenant's data in `code`; the first matching rule wins.
    pub regions: &'a [RegionRule],
    /// The data-residency regions the vendor offers; null when no source was read.
    pub regions_offered: Option<&'a RegionsOffered>,
}

/// The risk profile of `shadowdesk vendors` (text), indented under the vendor's line: only
/// what the catalog states, each fact with its source and read date; nothing for a cloud
/// vendor without facts, so the list stays one line per vendor until the data lands.
pub fn vendor_profile_lines(p: &crate::catalog::Profile) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let pad = "    ";
    if p.deployment != Deployment::Cloud {
        let _ = writeln!(s, "{pad}deployment: {}", p.deployment.as_str());
    }
    if let Some(c) = &p.company {
        let _ = writeln!(s, "{pad}company: {c}");
    }
    for r in &p.regions {
        let _ = writeln!(s, "{pad}region {}: {}  ({})", r.code, r.pattern, r.source);
    }
    if let Some(o) = &p.regions_offered {
        let _ = writeln!(
            s,
            "{pad}regions offered: {}  ({}, read {})",
            o.codes.join(","),
            o.source,
            o.read
        );
    }
    for c in &p.certs {
        let _ = writeln!(s, "{pad}cert {}  ({}, read {})", c.cert, c.source, c.read);
    }
    for i in &p.incidents {
        let _ = writeln!(
            s,
            "{pad}incident {}: {}  ({}, read {})",
            i.date, i.summary, i.source, i.read
        );
    }
    s
}

/// One domain pattern of a vendor.
#[derive(Debug, serde::Serialize)]
pub struct DomainRule<'a> {
    /// The pattern matches that name only, not names under it.
    pub exact: bool,
    pub pattern: &'a str,
    /// What the host serves (`agent`, `api`, `end_user`, `shared`, `tenant`); null when the
    /// catalog does not say.
    pub role: Option<Endpoint>,
    pub strength: Strength,
    /// The label left of the pattern is the customer's account (`acme` in `acme.zendesk.com`).
    pub tenant: bool,
}

impl<'a> VendorListing<'a> {
    pub fn new(v: &'a Vendor, rules: &[&'a Rule]) -> VendorListing<'a> {
        VendorListing {
            category: &v.category,
            certs: &v.profile.certs,
            company: v.profile.company.as_deref(),
            deployment: v.profile.deployment,
            incidents: &v.profile.incidents,
            regions: &v.profile.regions,
            regions_offered: v.profile.regions_offered.as_ref(),
            domains: rules
                .iter()
                .map(|r| DomainRule {
                    exact: r.exact,
                    pattern: &r.pattern,
                    role: r.endpoint,
                    strength: Strength::of(r.strong),
                    tenant: r.tenant,
                })
                .collect(),
            id: &v.id,
            name: &v.name,
            product: &v.product,
        }
    }
}

/// A line-oriented sink that treats a closed pipe (`| head`) as the reader being done, not
/// as an error.
pub struct Sink {
    out: Option<Box<dyn Write + Send>>,
    flush_lines: bool,
}

impl Sink {
    /// `-` is standard output. `append` keeps what a file holds (live capture: a restart or
    /// a log rotation never clobbers events); `flush_lines` flushes after every line, so a
    /// shipper tailing the file sees each event as soon as it is known.
    pub fn create(path: &str, append: bool, flush_lines: bool) -> io::Result<Sink> {
        let out: Box<dyn Write + Send> = if path == "-" {
            Box::new(BufWriter::with_capacity(1 << 16, io::stdout()))
        } else {
            let f = std::fs::OpenOptions::new()
                .create(true)
                .write(true)
                .append(append)
                .truncate(!append)
                .open(path)?;
            Box::new(BufWriter::with_capacity(1 << 16, f))
        };
        Ok(Sink {
            out: Some(out),
            flush_lines,
        })
    }

    /// Writes one line (the newline is added).
    pub fn write_line(&mut self, line: &[u8]) -> io::Result<()> {
        let Some(out) = self.out.as_mut() else {
            return Ok(());
        };
        let mut r = out.write_all(line).and_then(|_| out.write_all(b"\n"));
        if self.flush_lines && r.is_ok() {
            r = out.flush();
        }
        self.check(r)
    }

    pub fn flush(&mut self) -> io::Result<()> {
        let r = match self.out.as_mut() {
            Some(o) => o.flush(),
            None => Ok(()),
        };
        self.check(r)
    }

    fn check(&mut self, r: io::Result<()>) -> io::Result<()> {
        match r {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                self.out = None;
                Ok(())
            }
            other => other,
        }
    }
}

/// Writes the report in one piece: see [`crate::outfile`] for where the bytes go (standard
/// output for `-`, into a device or FIFO in place, else a temporary file renamed over the
/// target), so a reader never sees half a report.
pub fn write_report(path: &str, report: &Report<'_>) -> io::Result<()> {
    crate::outfile::write_whole(path, &report.to_bytes())
}

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
                    .map(|t| format!("{t} ({})", agg.ownership(id, t).0.as_str()))
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

/// `word`, or its plural when `n` is not 1 (every noun counted here takes an `s`).
fn noun(n: u64, word: &str) -> String {
    match n {
        1 => word.to_owned(),
        _ => format!("{word}s"),
    }
}

/// `n` and its noun: "1 event", "2 events".
fn count(n: u64, word: &str) -> String {
    format!("{n} {}", noun(n, word))
}

/// A role's evidence under its summary line: why, then the names by endpoint role and
/// client with their sessions.
/// A host as people know it: `laptop-alice (10.99.50.50, alice@corp.test)`, from the device
/// names and users that held the address at its vendor events; just the address when none
/// is known.
fn known_as<'a>(ip: IpAddr, usages: impl IntoIterator<Item = &'a Usage>) -> String {
    let mut names = BTreeSet::new();
    let mut users = BTreeSet::new();
    for u in usages {
        names.extend(u.who.host_names());
        users.extend(u.who.users());
    }
    let names: Vec<&str> = names.into_iter().collect();
    let mut inner = vec![ip.to_string()];
    inner.extend(users.into_iter().map(str::to_owned));
    if names.is_empty() && inner.len() == 1 {
        return ip.to_string();
    }
    if names.is_empty() {
        return format!("{ip} ({})", inner[1..].join(", "));
    }
    format!("{} ({})", names.join(", "), inner.join(", "))
}

/// One device in the summary, wherever it was: its names, addresses, users, vendors.
#[derive(Default)]
struct Device<'a> {
    mac: Option<&'a str>,
    names: BTreeSet<&'a str>,
    ips: BTreeSet<IpAddr>,
    users: BTreeSet<&'a str>,
    vendors: BTreeSet<&'a str>,
}

/// The devices behind the hosts that used vendors: one per MAC address where DHCP gave one
/// (a laptop that moved between addresses is one device), else one per host name; a name
/// without a MAC joins the MAC's device that has the same name or first label
/// (`laptop-alice.corp.test` from DHCPv6 and `laptop-alice` from DHCPv4).
fn write_devices(s: &mut String, agg: &Aggregator, catalog: &Catalog) {
    use std::fmt::Write as _;
    let first = |n: &str| n.split('.').next().unwrap_or(n).to_owned();
    let mut by_mac: BTreeMap<&str, Device> = BTreeMap::new();
    let mut by_name: BTreeMap<&str, Device> = BTreeMap::new();
    for (ip, vs) in &agg.hosts {
        for (id, u) in vs {
            for (n, m, user) in &u.who.seen {
                let d = match (m, n) {
                    (Some(m), _) => by_mac.entry(m).or_default(),
                    (None, Some(n)) => by_name.entry(n).or_default(),
                    (None, None) => continue,
                };
                d.mac = m.as_deref();
                d.names.extend(n.as_deref());
                d.ips.insert(*ip);
                d.users.extend(user.as_deref());
                d.vendors.insert(id);
            }
        }
    }
    let mut devices: Vec<Device> = by_mac.into_values().collect();
    for (n, d) in by_name {
        let into = devices
            .iter_mut()
            .find(|m| m.mac.is_some() && m.names.iter().any(|x| first(x) == first(n)));
        match into {
            Some(m) => {
                m.names.extend(d.names);
                m.ips.extend(d.ips);
                m.users.extend(d.users);
                m.vendors.extend(d.vendors);
            }
            None => devices.push(d),
        }
    }
    if devices.is_empty() {
        return;
    }
    let _ = writeln!(
        s,
        "\nDEVICES (from DHCP, mDNS, NetBIOS, Kerberos, NTLM: one per MAC address where known, else per name)"
    );
    for d in devices {
        let names: Vec<&str> = d.names.iter().copied().collect();
        let ips: Vec<String> = d.ips.iter().map(IpAddr::to_string).collect();
        let mut inner = ips.clone();
        inner.extend(d.users.iter().map(|u| u.to_string()));
        let label = if names.is_empty() {
            d.mac.unwrap_or("?").to_owned()
        } else {
            names.join(", ")
        };
        let _ = writeln!(s, "  {label} ({})", inner.join(", "));
        if let Some(m) = d.mac {
            let _ = writeln!(s, "       mac:     {m}");
        }
        let vendors: Vec<String> = by_product(catalog, d.vendors.iter().copied())
            .into_iter()
            .map(|id| product(catalog, id))
            .collect();
        let _ = writeln!(s, "       vendors: {}", vendors.join(", "));
    }
}

fn write_evidence(s: &mut String, u: &Usage, v: &Verdict) {
    use std::fmt::Write as _;
    for r in &v.reasons {
        let _ = writeln!(s, "       why:    {}", crate::escape::text(r));
    }
    for ((ep, client, tenant), e) in &u.evidence.by {
        let names: Vec<&str> = e.names.iter().map(String::as_str).collect();
        let tenant = match tenant.is_empty() {
            true => String::new(),
            false => format!(" tenant {tenant}"),
        };
        if e.connections == 0 {
            let _ = writeln!(
                s,
                "       {:<9} dns     {tenant}: {}; {}",
                ep.as_str(),
                count(e.events, "lookup"),
                crate::escape::text(&names.join(", "))
            );
            continue;
        }
        let _ = writeln!(
            s,
            "       {:<9} {:<8}{tenant}: {}, {} ended, longest {:.0} s, total {:.0} s, {} B up / {} B down, {} sustained; {}",
            ep.as_str(),
            client.as_str().unwrap_or("dns"),
            count(e.connections, "connection"),
            e.ended,
            e.longest_ns as f64 / 1e9,
            e.total_ns as f64 / 1e9,
            e.bytes_up,
            e.bytes_down,
            e.sustained,
            crate::escape::text(&names.join(", "))
        );
    }
    if !u.evidence.ja4.is_empty() {
        let j: Vec<&str> = u.evidence.ja4.iter().map(String::as_str).collect();
        let _ = writeln!(s, "       ja4:    {}", j.join(", "));
    }
    crate::aggregate::evidence::ChainReport::write(u, s);
}
