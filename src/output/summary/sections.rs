//! Pieces of the summary: counted nouns, the devices section, a role's evidence.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use crate::aggregate::roles::Verdict;
use crate::aggregate::{Aggregator, Usage};
use crate::catalog::Catalog;

use super::*;

/// `word`, or its plural when `n` is not 1 (every noun counted here takes an `s`).
pub(super) fn noun(n: u64, word: &str) -> String {
    match n {
        1 => word.to_owned(),
        _ => format!("{word}s"),
    }
}

/// `n` and its noun: "1 event", "2 events".
pub(super) fn count(n: u64, word: &str) -> String {
    format!("{n} {}", noun(n, word))
}

/// A role's evidence under its summary line: why, then the names by endpoint role and
/// client with their sessions.
/// A host as people know it: `laptop-alice (10.99.50.50, alice@corp.test)`, from the device
/// names and users that held the address at its vendor events; just the address when none
/// is known.
pub(super) fn known_as<'a>(ip: IpAddr, usages: impl IntoIterator<Item = &'a Usage>) -> String {
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
pub(super) struct Device<'a> {
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
pub(super) fn write_devices(s: &mut String, agg: &Aggregator, catalog: &Catalog) {
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

pub(super) fn write_evidence(s: &mut String, u: &Usage, v: &Verdict) {
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
