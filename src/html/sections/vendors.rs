//! The vendors in use with what the catalog states about them (certifications, regions
//! offered, incidents, each with the source it was read from), and every tenant with its
//! region and whose it is.

use super::word;
use crate::report::{Report, VendorUse};

/// Tenants listed: a network of thousands of hosts shows a few hundred; past this the JSON
/// report has them.
const MAX_TENANTS: usize = 2000;

pub struct VendorView<'a> {
    pub id: &'a str,
    pub name: Option<&'a str>,
    pub company: Option<&'a str>,
    pub deployment: String,
    pub hosts: usize,
    /// The vendor is in the catalog (it has a risk profile, however empty).
    pub known: bool,
    pub certs: Vec<Sourced<'a>>,
    pub regions: Option<Sourced<'a>>,
    pub incidents: Vec<Incident<'a>>,
}

/// A fact and where it was read: `what` is a cert, or the regions offered.
pub struct Sourced<'a> {
    pub what: String,
    pub source: &'a str,
    pub read: &'a str,
}

pub struct Incident<'a> {
    pub date: &'a str,
    pub summary: &'a str,
    pub source: &'a str,
    pub read: &'a str,
}

pub fn view<'a>(v: &'a VendorUse<'a>) -> VendorView<'a> {
    let risk = v.risk.as_ref();
    VendorView {
        id: v.vendor,
        name: v.name,
        company: v.company,
        deployment: word(&v.deployment),
        hosts: v.hosts.len(),
        known: risk.is_some(),
        certs: risk
            .map_or(&[][..], |r| r.certs)
            .iter()
            .map(|c| Sourced {
                what: c.cert.clone(),
                source: &c.source,
                read: &c.read,
            })
            .collect(),
        regions: risk.and_then(|r| r.regions_offered).map(|o| Sourced {
            what: o.codes.join(", "),
            source: &o.source,
            read: &o.read,
        }),
        incidents: risk
            .map_or(&[][..], |r| r.incidents)
            .iter()
            .map(|i| Incident {
                date: &i.date,
                summary: &i.summary,
                source: &i.source,
                read: &i.read,
            })
            .collect(),
    }
}

pub struct TenantView<'a> {
    pub vendor: &'a str,
    pub tenant: &'a str,
    pub ours: Option<bool>,
    pub ours_by: &'a str,
    pub region: Option<&'a str>,
    pub region_by: Option<&'a str>,
    pub region_ok: Option<bool>,
    pub hosts: usize,
}

/// The tenants, those outside a required region first, and how many were left out.
pub fn tenants<'a>(report: &'a Report<'a>) -> (Vec<TenantView<'a>>, usize) {
    let mut all: Vec<TenantView<'a>> = report
        .tenants
        .iter()
        .map(|t| TenantView {
            vendor: t.vendor,
            tenant: t.tenant,
            ours: t.ours,
            ours_by: t.ours_by,
            region: t.region,
            region_by: t.region_by,
            region_ok: t.region_ok,
            hosts: t.hosts.len(),
        })
        .collect();
    // Stable: within each group, the report's order.
    all.sort_by_key(|t| t.region_ok != Some(false));
    let more = all.len().saturating_sub(MAX_TENANTS);
    all.truncate(MAX_TENANTS);
    (all, more)
}
