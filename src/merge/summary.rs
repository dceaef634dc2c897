//! The summary of a merged report, for a terminal: the shape of `scan`'s (hosts that
//! operate or integrate with a vendor, the most unsanctioned first; visitors apart; per
//! vendor), read from the merged report instead of a scan's aggregator.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::report::{Report, RoleName};

use super::view::Rules;

fn plural(n: u64, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}

fn short(ts: crate::event::Timestamp) -> String {
    crate::time::rfc3339(ts.0)[..19].replace('T', " ")
}

pub fn text(r: &Report<'_>, rules: &Rules) -> String {
    let mut s = String::new();
    let shown = |role: RoleName| rules.flag_visitors || role != RoleName::Visitor;
    let using: Vec<_> = r.hosts.iter().filter(|h| !h.vendors.is_empty()).collect();
    let users = using
        .iter()
        .filter(|h| h.vendors.iter().any(|v| shown(v.role)))
        .count();
    let _ = writeln!(
        s,
        "shadowdesk merge: {}, {}, {}, {}, {} using support vendors, {users} operating or integrating with one",
        plural(r.meta.merged.len() as u64, "report"),
        plural(r.inputs.len() as u64, "input"),
        plural(r.stats.packets, "packet"),
        plural(r.stats.events, "event"),
        plural(using.len() as u64, "host"),
    );
    let policy = match (&r.meta.policy, r.meta.sanctioned.is_empty()) {
        (Some(p), _) => format!("{} (sha256 {:.12})", p.path, p.sha256),
        (None, false) => format!("--sanctioned {}", r.meta.sanctioned.join(",")),
        (None, true) => "none (no vendor is sanctioned)".to_owned(),
    };
    let _ = writeln!(s, "policy: {policy}");
    if using.is_empty() {
        let _ = writeln!(s, "\nNo customer-support vendor traffic seen.");
    }
    let mut order: Vec<_> = using
        .iter()
        .filter(|h| h.vendors.iter().any(|v| shown(v.role)))
        .collect();
    order.sort_by(|a, b| {
        b.unsanctioned
            .len()
            .cmp(&a.unsanctioned.len())
            .then(a.ip.cmp(&b.ip))
    });
    for h in order {
        let mine: Vec<_> = h.vendors.iter().filter(|v| shown(v.role)).collect();
        let _ = writeln!(
            s,
            "\nHOST {}  ({} vendor(s) used, {} unsanctioned)",
            h.ip,
            mine.len(),
            h.unsanctioned.len()
        );
        let mut mine = mine;
        mine.sort_by_key(|v| (!h.unsanctioned.contains(&v.vendor), v.vendor));
        for v in mine {
            let flagged = h.unsanctioned.contains(&v.vendor);
            let _ = writeln!(
                s,
                "{}{:<28} {:<12} {:<11} {:>5} {:<6}  {} .. {} UTC",
                if flagged { "  !! " } else { "  ok " },
                v.name.unwrap_or(v.vendor),
                if v.sanctioned {
                    "sanctioned"
                } else {
                    "UNSANCTIONED"
                },
                v.role.as_str(),
                v.events,
                if v.events == 1 { "event" } else { "events" },
                short(v.first_seen),
                short(v.last_seen)
            );
            let names: Vec<&str> = v.hostnames.iter().map(String::as_str).collect();
            let _ = writeln!(s, "       names:  {}", names.join(", "));
        }
    }
    let mut visitors: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for h in &r.hosts {
        for v in h.vendors.iter().filter(|v| !shown(v.role)) {
            visitors
                .entry(v.name.unwrap_or(v.vendor))
                .or_default()
                .push(h.ip.to_string());
        }
    }
    if !visitors.is_empty() {
        let _ = writeln!(s, "\nVISITORS (hosts that only loaded widgets or read help centers built on a vendor: not counted as use)");
        for (name, ips) in visitors {
            let _ = writeln!(
                s,
                "  {} visited sites built on {name}: {}",
                plural(ips.len() as u64, "host"),
                ips.join(", ")
            );
        }
    }
    if !r.vendors.is_empty() {
        let _ = writeln!(s, "\nBY VENDOR");
        for v in &r.vendors {
            let _ = writeln!(
                s,
                "  {:<28} {}",
                v.name.unwrap_or(v.vendor),
                plural(v.hosts.len() as u64, "host")
            );
        }
    }
    insecure(r, &mut s);
    s
}

/// The scan's last two sections, in its words ([`crate::aggregate::selfhosted::summary`]):
/// exposures per host and vendor, then the self-hosted help desks; nothing when none.
fn insecure(r: &Report<'_>, s: &mut String) {
    let exposed: Vec<_> = r
        .hosts
        .iter()
        .flat_map(|h| h.vendors.iter().map(move |v| (h.ip, v)))
        .filter(|(_, v)| !v.exposures.is_empty())
        .map(|(ip, v)| (ip, v.vendor, v.exposures.as_slice()))
        .collect();
    crate::aggregate::selfhosted::write_sections(s, &exposed, &r.self_hosted);
}
