//! `--baseline`: the earlier report, read back as any report a merge reads.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use crate::baseline::Baseline;

impl Baseline {
    /// Reads a report written by `scan`, `live` or `merge`.
    pub fn load(path: &str) -> Result<Baseline, String> {
        let r = super::read_report(path).map_err(|e| format!("--baseline: {}", e.0))?;
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
}
