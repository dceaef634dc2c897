//! `--baseline`: marks a report with what is new since the baseline, and the summary's
//! section on it.

use std::collections::BTreeSet;
use std::net::IpAddr;

use super::Report;
use crate::baseline::{Baseline, BaselineDiff, Changes, Pair, PairName, VendorTenant};

impl Baseline {
    /// Marks `r` with what is new, and adds the `baseline` section.
    pub fn apply(&self, r: &mut Report<'_>) {
        let mut diff = BaselineDiff {
            generated_at: self.generated_at,
            path: self.path.clone(),
            ..BaselineDiff::default()
        };
        let mut now: BTreeSet<(IpAddr, &str)> = BTreeSet::new();
        for h in &mut r.hosts {
            for v in &mut h.vendors {
                now.insert((h.ip, v.vendor));
                let old = self.pairs.get(&(h.ip, v.vendor.to_owned()));
                let new: Vec<String> = v
                    .hostnames
                    .iter()
                    .filter(|n| old.is_none_or(|o| !o.contains(*n)))
                    .cloned()
                    .collect();
                match old {
                    None => diff.new.pairs.push(Pair {
                        ip: h.ip,
                        vendor: v.vendor.to_owned(),
                    }),
                    Some(old) => {
                        diff.new.hostnames.extend(new.iter().map(|n| PairName {
                            hostname: n.clone(),
                            ip: h.ip,
                            vendor: v.vendor.to_owned(),
                        }));
                        diff.gone.hostnames.extend(
                            old.iter()
                                .filter(|n| !v.hostnames.contains(*n))
                                .map(|n| PairName {
                                    hostname: n.clone(),
                                    ip: h.ip,
                                    vendor: v.vendor.to_owned(),
                                }),
                        );
                    }
                }
                v.new_since_baseline = Some(old.is_none());
                v.new_hostnames = Some(new);
            }
        }
        for (ip, vendor) in self.pairs.keys() {
            if !now.contains(&(*ip, vendor.as_str())) {
                diff.gone.pairs.push(Pair {
                    ip: *ip,
                    vendor: vendor.clone(),
                });
            }
        }
        let mut tenants_now: BTreeSet<(&str, &str)> = BTreeSet::new();
        for t in &mut r.tenants {
            tenants_now.insert((t.vendor, t.tenant));
            let new = !self
                .tenants
                .contains(&(t.vendor.to_owned(), t.tenant.to_owned()));
            t.new_since_baseline = Some(new);
            if new {
                diff.new.tenants.push(VendorTenant {
                    tenant: t.tenant.to_owned(),
                    vendor: t.vendor.to_owned(),
                });
            }
        }
        for (vendor, tenant) in &self.tenants {
            if !tenants_now.contains(&(vendor.as_str(), tenant.as_str())) {
                diff.gone.tenants.push(VendorTenant {
                    tenant: tenant.clone(),
                    vendor: vendor.clone(),
                });
            }
        }
        for c in [&mut diff.new, &mut diff.gone] {
            c.hostnames.sort();
            c.pairs.sort();
            c.tenants.sort();
        }
        r.baseline = Some(diff);
    }
}

/// The summary's section on the baseline: every NEW pair, name and tenant, then what is GONE.
pub fn summary(r: &Report<'_>) -> String {
    use std::fmt::Write as _;
    let Some(d) = &r.baseline else {
        return String::new();
    };
    let count = |c: &Changes| c.pairs.len() + c.hostnames.len() + c.tenants.len();
    let mut s = String::new();
    let _ = writeln!(
        s,
        "\nSINCE BASELINE {} ({} UTC): {} new, {} gone",
        d.path,
        &crate::time::rfc3339(d.generated_at.0)[..19].replace('T', " "),
        count(&d.new),
        count(&d.gone)
    );
    for (mark, c) in [("NEW ", &d.new), ("GONE", &d.gone)] {
        for p in &c.pairs {
            let _ = writeln!(s, "  {mark} {:<16} {}", p.ip, p.vendor);
        }
        for n in &c.hostnames {
            let _ = writeln!(s, "  {mark} {:<16} {}: name {}", n.ip, n.vendor, n.hostname);
        }
        for t in &c.tenants {
            let _ = writeln!(s, "  {mark} tenant {} of {}", t.tenant, t.vendor);
        }
    }
    s
}
