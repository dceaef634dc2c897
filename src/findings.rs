//! The findings of the policy's requirements on where tenant data lives and what a vendor
//! attests (`require-region`, `require-cert`, read by [`crate::policy::Requirements`]).
//!
//! Regions are decided here, in the report stage, over the few distinct names a host or
//! tenant showed: region patterns never run per packet.

use std::collections::BTreeSet;
use std::net::IpAddr;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::aggregate::roles::{Evidence, Role};
use crate::aggregate::{Aggregator, Usage};
use crate::catalog::risk::RegionRule;
use crate::catalog::Catalog;
/// The statements are read with the rest of the policy; this module judges them.
pub use crate::policy::Requirements;

/// The first region rule of `vendor` that one of `names` matches.
pub fn region_of<'c, 'n, I>(catalog: &'c Catalog, vendor: &str, names: I) -> Option<&'c RegionRule>
where
    I: IntoIterator<Item = &'n str> + Clone,
{
    catalog.vendor(vendor)?.profile.region_of(names)
}

/// The names a host's use of a vendor showed: its listed names and the role evidence's.
pub fn usage_names(u: &Usage) -> BTreeSet<&str> {
    names_of(&u.hostnames, &u.evidence)
}

/// As [`usage_names`], from the parts a merged report keeps too.
pub fn names_of<'u>(hostnames: &'u BTreeSet<String>, evidence: &'u Evidence) -> BTreeSet<&'u str> {
    hostnames
        .iter()
        .map(String::as_str)
        .chain(
            evidence
                .by
                .values()
                .flat_map(|s| s.names.iter().map(String::as_str)),
        )
        .collect()
}

/// The names a host's use of a vendor showed for one tenant.
pub fn tenant_names<'u>(u: &'u Usage, tenant: &str) -> impl Iterator<Item = &'u str> + Clone {
    evidence_tenant_names(&u.evidence, tenant)
}

/// As [`tenant_names`], from the role evidence alone.
pub fn evidence_tenant_names<'u>(
    evidence: &'u Evidence,
    tenant: &str,
) -> impl Iterator<Item = &'u str> + Clone {
    let tenant = tenant.to_owned();
    evidence
        .by
        .iter()
        .filter(move |((_, _, t), _)| *t == tenant)
        .flat_map(|(_, s)| s.names.iter().map(String::as_str))
}

#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    High,
    Medium,
}

#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// `require-region`: a tenant's data is in a region the policy does not allow.
    Region,
    /// `require-cert`: a vendor in use lacks a certification the policy requires.
    Cert,
}

/// One policy finding.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Finding {
    /// The hosts concerned.
    pub hosts: Vec<IpAddr>,
    pub kind: FindingKind,
    /// The policy line that requires it.
    pub line: usize,
    /// The finding in words.
    pub message: String,
    /// `cert`: the required certs the catalog does not list for the vendor.
    pub missing: Vec<String>,
    /// `region`: the region the names show.
    pub region: Option<String>,
    /// `region`: the pattern that showed it.
    pub region_by: Option<String>,
    /// What the policy line requires (regions or certs).
    pub required: Vec<String>,
    /// `high` when the vendor is unsanctioned for the hosts, else `medium`.
    pub severity: Severity,
    /// `region`: the tenant, when the finding is about one.
    pub tenant: Option<String>,
    pub vendor: String,
}

/// Every finding of the policy's requirements over what the aggregator holds, in a stable
/// order (severity, kind, vendor, tenant, hosts).
pub fn findings(agg: &Aggregator<'_>, catalog: &Catalog) -> Vec<Finding> {
    let req = &agg.policy().requirements;
    let mut out = Vec::new();
    let in_use = |id: &str, u: &Usage| agg.verdict(id, &u.evidence).role != Role::Visitor;
    let severity = |unsanctioned: bool| {
        if unsanctioned {
            Severity::High
        } else {
            Severity::Medium
        }
    };
    // Regions, per tenant: over the names that showed it, from every host that used it.
    for ((vendor, tenant), hosts) in agg.tenants_seen() {
        let Some((allowed, line)) = req.regions_for(vendor) else {
            continue;
        };
        if agg.ownership(vendor, tenant).0.ours() == Some(false) {
            continue;
        }
        let uses: Vec<(IpAddr, &Usage)> = hosts
            .iter()
            .filter_map(|ip| Some((*ip, agg.hosts.get(ip)?.get(vendor)?)))
            .filter(|(_, u)| in_use(vendor, u))
            .collect();
        if uses.is_empty() {
            continue;
        }
        let names: BTreeSet<&str> = uses
            .iter()
            .flat_map(|(_, u)| tenant_names(u, tenant))
            .collect();
        let Some(rule) = region_of(catalog, vendor, names.iter().copied()) else {
            continue;
        };
        if allowed.contains(&rule.code) {
            continue;
        }
        let unsanctioned = uses.iter().any(|(_, u)| !u.sanctioned);
        out.push(Finding {
            hosts: uses.iter().map(|(ip, _)| *ip).collect(),
            kind: FindingKind::Region,
            line,
            message: format!(
                "tenant {tenant} of {vendor} is in region {} ({}), outside {} required by policy line {line}",
                rule.code,
                rule.pattern,
                allowed.join(",")
            ),
            missing: Vec::new(),
            region: Some(rule.code.clone()),
            region_by: Some(rule.pattern.clone()),
            required: allowed.to_vec(),
            severity: severity(unsanctioned),
            tenant: Some(tenant.to_owned()),
            vendor: vendor.to_owned(),
        });
    }
    // Regions, per host and vendor, for names that show no tenant (a regional API host,
    // a regional agent app): the host's own use of the vendor's region.
    for (ip, vendors) in &agg.hosts {
        for (vendor, u) in vendors {
            let Some((allowed, line)) = req.regions_for(vendor) else {
                continue;
            };
            if !in_use(vendor, u) {
                continue;
            }
            let Some(rule) = region_of(catalog, vendor, usage_names(u)) else {
                continue;
            };
            let from_tenant = u
                .tenants
                .iter()
                .any(|t| region_of(catalog, vendor, tenant_names(u, t)) == Some(rule));
            if allowed.contains(&rule.code) || from_tenant {
                continue;
            }
            out.push(Finding {
                hosts: vec![*ip],
                kind: FindingKind::Region,
                line,
                message: format!(
                    "{ip} uses {vendor} in region {} ({}), outside {} required by policy line {line}",
                    rule.code,
                    rule.pattern,
                    allowed.join(",")
                ),
                missing: Vec::new(),
                region: Some(rule.code.clone()),
                region_by: Some(rule.pattern.clone()),
                required: allowed.to_vec(),
                severity: severity(!u.sanctioned),
                tenant: None,
                vendor: vendor.clone(),
            });
        }
    }
    // Certs, per vendor and statement: the hosts that operate or integrate with it, split by
    // whether it is sanctioned for them (the unsanctioned ones are the high finding).
    for (vendor, uses) in crate::aggregate::by_vendor(agg) {
        let Some(v) = catalog.vendor(vendor) else {
            continue;
        };
        for (only_unsanctioned, certs, line) in &req.certs {
            let missing: Vec<String> = certs
                .iter()
                .filter(|c| !v.profile.has_cert(c))
                .cloned()
                .collect();
            if missing.is_empty() {
                continue;
            }
            for unsanctioned in [true, false] {
                if *only_unsanctioned && !unsanctioned {
                    continue;
                }
                let hosts: Vec<IpAddr> = uses
                    .iter()
                    .filter(|(_, u)| in_use(vendor, u) && u.sanctioned != unsanctioned)
                    .map(|(ip, _)| *ip)
                    .collect();
                if hosts.is_empty() {
                    continue;
                }
                out.push(Finding {
                    message: format!(
                        "{vendor}{} is in use by {} host{} and the catalog lists no {} for it (policy line {line})",
                        if unsanctioned { " (unsanctioned)" } else { "" },
                        hosts.len(),
                        if hosts.len() == 1 { "" } else { "s" },
                        missing.join(", ")
                    ),
                    hosts,
                    kind: FindingKind::Cert,
                    line: *line,
                    missing: missing.clone(),
                    region: None,
                    region_by: None,
                    required: certs.clone(),
                    severity: severity(unsanctioned),
                    tenant: None,
                    vendor: vendor.to_owned(),
                });
            }
        }
    }
    out.sort_by(|a, b| {
        (a.severity, a.kind, &a.vendor, &a.tenant, &a.hosts, a.line)
            .cmp(&(b.severity, b.kind, &b.vendor, &b.tenant, &b.hosts, b.line))
    });
    out
}
