//! `--baseline OLD_REPORT.json`: what is new since an earlier report, and what is gone.
//!
//! Three things are compared, as the reports list them: host and vendor pairs
//! (`hosts[].vendors[]`), the names filed under each pair (`hostnames`), and vendor tenants
//! (`tenants[]`). A name is new when its pair did not have it in the baseline; past the 64
//! names a pair lists, a name the baseline saw but did not list counts as new.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::event::Timestamp;
use crate::report::Report;

/// The baseline as read.
#[derive(Debug)]
pub struct Baseline {
    pub path: String,
    pub generated_at: Timestamp,
    /// (host, vendor) → the names filed under it.
    pairs: BTreeMap<(IpAddr, String), BTreeSet<String>>,
    /// (vendor, tenant).
    tenants: BTreeSet<(String, String)>,
}

/// The report's `baseline` section.
#[derive(Clone, Debug, Default, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct BaselineDiff {
    /// The baseline's `meta.generated_at`.
    pub generated_at: Timestamp,
    /// In the baseline, not in this report.
    pub gone: Changes,
    /// In this report, not in the baseline (also marked where they are listed).
    pub new: Changes,
    /// The baseline report, as given to `--baseline`.
    pub path: String,
}

/// Host and vendor pairs, names and tenants, each sorted.
#[derive(Clone, Debug, Default, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Changes {
    /// Names of pairs present in both (a new or gone pair's names are not repeated here).
    pub hostnames: Vec<PairName>,
    pub pairs: Vec<Pair>,
    pub tenants: Vec<VendorTenant>,
}

impl Changes {
    pub fn is_empty(&self) -> bool {
        self.hostnames.is_empty() && self.pairs.is_empty() && self.tenants.is_empty()
    }
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Pair {
    pub ip: IpAddr,
    pub vendor: String,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct PairName {
    pub hostname: String,
    pub ip: IpAddr,
    pub vendor: String,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct VendorTenant {
    pub tenant: String,
    pub vendor: String,
}

impl Baseline {
    /// Reads a report written by `scan`, `live` or `merge`.
    pub fn load(path: &str) -> Result<Baseline, String> {
        let r = crate::merge::read_report(path).map_err(|e| format!("--baseline: {}", e.0))?;
        let mut pairs: BTreeMap<(IpAddr, String), BTreeSet<String>> = BTreeMap::new();
        for h in &r.hosts {
            for v in &h.vendors {
                pairs
                    .entry((h.ip, v.vendor.clone()))
                    .or_default()
                    .extend(v.hostnames.iter().cloned());
            }
        }
        let tenants = r
            .tenants
            .iter()
            .map(|t| (t.vendor.clone(), t.tenant.clone()))
            .collect();
        Ok(Baseline {
            path: path.to_owned(),
            generated_at: r.meta.generated_at,
            pairs,
            tenants,
        })
    }

    /// A vendor event's mark: its pair, or its name under the pair, is not in the baseline.
    pub fn is_new(&self, ip: IpAddr, vendor: &str, name: &str) -> bool {
        self.pairs
            .get(&(ip, vendor.to_owned()))
            .is_none_or(|names| !names.contains(name))
    }

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
