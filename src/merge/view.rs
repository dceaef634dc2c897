//! The merged state as a [`Report`]: the same types, field order and sorting a scan writes,
//! so the JSON, the HTML page and the CSV table come from the scan's own writers.

use std::collections::BTreeMap;

use crate::aggregate::roles::{decide, OursBy, Role, Verdict};
use crate::event::{Strength, Timestamp};
use crate::report::{
    EncryptedDnsUse, Host, HostIdentity, HostVendor, Input, Report, RoleEvidence, RunInfo,
    RunStats, TenantOwner, TenantOwnership, VendorHost, VendorUse,
};

use super::combine::{Merged, Vendor};
use crate::catalog::Catalog;
use crate::findings::{evidence_tenant_names, names_of, region_of};

/// How a merged report decides what a scan's aggregator decided.
pub struct Rules {
    pub flag_visitors: bool,
}

impl Merged {
    fn ours_by(&self, vendor: &str, tenant: &str) -> OursBy {
        self.tenants
            .get(&(vendor.to_owned(), tenant.to_owned()))
            .map_or(OursBy::Unknown, |t| t.ours_by())
    }

    /// The role of one host and vendor, by the scan's rules on the combined evidence.
    pub fn verdict(&self, vendor: &str, v: &Vendor) -> Verdict {
        decide(&v.evidence, |t| self.ours_by(vendor, t))
    }

    /// As [`crate::aggregate::Aggregator::counts_unsanctioned`].
    pub fn counts_unsanctioned(&self, rules: &Rules, vendor: &str, v: &Vendor) -> bool {
        !v.sanctioned && (rules.flag_visitors || self.verdict(vendor, v).role != Role::Visitor)
    }

    /// The region of `vendor` the names show, the pattern, and the policy's verdict.
    fn region<'a, 'n>(
        &self,
        catalog: &'a Catalog,
        vendor: &str,
        names: impl IntoIterator<Item = &'n str> + Clone,
    ) -> (Option<&'a str>, Option<&'a str>, Option<bool>) {
        match region_of(catalog, vendor, names) {
            None => (None, None, None),
            Some(r) => (
                Some(r.code.as_str()),
                Some(r.pattern.as_str()),
                self.region_ok
                    .get(&(vendor.to_owned(), r.code.clone()))
                    .copied()
                    .flatten(),
            ),
        }
    }

    pub fn report<'a>(
        &'a self,
        run: &'a RunInfo,
        rules: &Rules,
        catalog: &'a Catalog,
    ) -> Report<'a> {
        let hosts = self
            .hosts
            .iter()
            .map(|(ip, h)| Host {
                encrypted_dns: h
                    .encrypted_dns
                    .iter()
                    .map(|((protocol, resolver), s)| EncryptedDnsUse {
                        connections: s.count,
                        first_seen: Timestamp(s.first),
                        last_seen: Timestamp(s.last),
                        protocol: *protocol,
                        resolver,
                    })
                    .collect(),
                identity: {
                    let mut v: Vec<HostIdentity> = h
                        .identity
                        .iter()
                        .flat_map(|((field, source), hs)| {
                            hs.iter().map(|held| HostIdentity {
                                field: *field,
                                first_seen: Timestamp(held.first),
                                last_seen: Timestamp(held.last),
                                source: *source,
                                value: &held.value,
                            })
                        })
                        .collect();
                    // The scan's order: field, source, first seen, value.
                    v.sort_by(|a, b| {
                        (a.field, a.source, a.first_seen, a.value).cmp(&(
                            b.field,
                            b.source,
                            b.first_seen,
                            b.value,
                        ))
                    });
                    v
                },
                ip: *ip,
                unsanctioned: h
                    .vendors
                    .iter()
                    .filter(|(id, v)| self.counts_unsanctioned(rules, id, v))
                    .map(|(id, _)| id.as_str())
                    .collect(),
                vendors: h
                    .vendors
                    .iter()
                    .map(|(id, v)| self.host_vendor(id, v, catalog))
                    .collect(),
                visibility: (&h.visibility).into(),
            })
            .collect();

        let mut by_vendor: BTreeMap<&str, Vec<VendorHost>> = BTreeMap::new();
        for (ip, h) in &self.hosts {
            for (id, v) in &h.vendors {
                by_vendor.entry(id).or_default().push(VendorHost {
                    decided_by: v.decided_by,
                    events: v.events,
                    first_seen: Timestamp(v.first),
                    host_macs: v.host_macs.iter().map(String::as_str).collect(),
                    host_names: v.host_names.iter().map(String::as_str).collect(),
                    hostnames: &v.hostnames,
                    ip: *ip,
                    last_seen: Timestamp(v.last),
                    sanctioned: v.sanctioned,
                    users: v.users.iter().map(String::as_str).collect(),
                });
            }
        }
        let vendors = by_vendor
            .into_iter()
            .map(|(id, hs)| {
                // Any host's entry names the vendor as the catalog of its scan did.
                let name = self
                    .hosts
                    .values()
                    .find_map(|h| h.vendors.get(id))
                    .and_then(|v| v.name.as_deref());
                let c = catalog.vendor(id);
                VendorUse {
                    company: c.and_then(|v| v.profile.company.as_deref()),
                    deployment: c.map(|v| v.profile.deployment),
                    risk: c.map(|v| crate::report::VendorRisk {
                        certs: &v.profile.certs,
                        incidents: &v.profile.incidents,
                        regions_offered: v.profile.regions_offered.as_ref(),
                    }),
                    first_seen: hs.iter().map(|h| h.first_seen).min().unwrap_or_default(),
                    last_seen: hs.iter().map(|h| h.last_seen).max().unwrap_or_default(),
                    hosts: hs,
                    name,
                    vendor: id,
                }
            })
            .collect();

        let tenants = self
            .tenants
            .iter()
            .map(|((vendor, tenant), t)| {
                let by = t.ours_by();
                let names: std::collections::BTreeSet<&str> = t
                    .hosts
                    .iter()
                    .filter_map(|ip| self.hosts.get(ip)?.vendors.get(vendor))
                    .flat_map(|v| evidence_tenant_names(&v.evidence, tenant))
                    .collect();
                let (region, region_by, region_ok) =
                    self.region(catalog, vendor, names.iter().copied());
                TenantOwnership {
                    region,
                    region_by,
                    region_ok,
                    cnames_ours: t.cnames_ours.iter().map(String::as_str).collect(),
                    cnames_third_party: t.cnames_third_party.iter().map(String::as_str).collect(),
                    hosts: t.hosts.iter().copied().collect(),
                    new_since_baseline: None,
                    ours: by.ours(),
                    ours_by: by.as_str(),
                    tenant,
                    vendor,
                }
            })
            .collect();

        let s = &self.stats;
        Report {
            baseline: None,
            hosts,
            hosts_not_listed: self.hosts_not_listed,
            inputs: self
                .inputs
                .iter()
                .map(|i| Input {
                    error: i.error.as_deref(),
                    linktype: i.linktype.as_deref(),
                    packets: i.packets,
                    path: &i.path,
                })
                .collect(),
            interrupted: self.interrupted,
            meta: run.meta(),
            policy_findings: self.findings.values().cloned().collect(),
            self_hosted: self.self_hosted.listed(),
            stats: RunStats {
                bytes: s.bytes,
                capture: s.capture.clone(),
                dropped: s.dropped.clone(),
                events: s.events,
                events_by_kind: &s.events_by_kind,
                flow_buffer_overflows: s.flow_buffer_overflows,
                flows_evicted_cap: s.flows_evicted_cap,
                flows_evicted_idle: s.flows_evicted_idle,
                flows_evicted_memcap: s.flows_evicted_memcap,
                identity_malformed: s.identity_malformed,
                ip_datagrams_reassembled: s.ip_datagrams_reassembled,
                ip_fragments: s.ip_fragments,
                ip_fragments_dropped: s.ip_fragments_dropped.clone(),
                kafka: s.kafka,
                packets: s.packets,
                packets_skipped: s
                    .packets_skipped
                    .iter()
                    .map(|(k, n)| (k.as_str(), *n))
                    .collect(),
                packets_snapped: s.packets_snapped,
                packets_truncated: s.packets_truncated,
                tcp_flows: s.tcp_flows,
                unsanctioned_events: s.unsanctioned_events,
            },
            tenants,
            vendors,
            visibility: (&self.visibility).into(),
        }
    }

    fn host_vendor<'a>(
        &'a self,
        id: &'a str,
        v: &'a Vendor,
        catalog: &'a Catalog,
    ) -> HostVendor<'a> {
        let verdict = self.verdict(id, v);
        let (region, region_by, region_ok) =
            self.region(catalog, id, names_of(&v.hostnames, &v.evidence));
        let mut chain: Vec<&crate::aggregate::evidence::NameReport<'static>> =
            v.chain.values().collect();
        chain.sort_by(|a, b| {
            (super::combine::chain_first(a), &a.hostname)
                .cmp(&(super::combine::chain_first(b), &b.hostname))
        });
        let past = chain
            .len()
            .saturating_sub(crate::aggregate::evidence::MAX_CHAIN_NAMES);
        chain.truncate(crate::aggregate::evidence::MAX_CHAIN_NAMES);
        HostVendor {
            exposures: v.exposures.listed(),
            exposures_not_listed: v.exposures.not_listed(),
            evidence_chain: crate::aggregate::evidence::ChainReport {
                hostnames: chain.into_iter().cloned().collect(),
                hostnames_not_listed: v.chain_not_listed + past as u64,
            },
            region,
            region_by,
            region_ok,
            category: v.category.as_deref(),
            decided_by: v.decided_by,
            events: v.events,
            events_by_kind: &v.by_kind,
            first_seen: Timestamp(v.first),
            hostnames: &v.hostnames,
            hostnames_not_listed: v.hostnames_not_listed,
            last_seen: Timestamp(v.last),
            name: v.name.as_deref(),
            new_hostnames: None,
            new_since_baseline: None,
            role: verdict.role.into(),
            role_evidence: RoleEvidence::of(&v.evidence, verdict.reasons),
            sanctioned: v.sanctioned,
            strength: Strength::of(v.strong),
            tenant_ownership: v
                .tenants
                .iter()
                .map(|t| {
                    let by = self.ours_by(id, t);
                    let (region, region_by, region_ok) =
                        self.region(catalog, id, evidence_tenant_names(&v.evidence, t));
                    TenantOwner {
                        region,
                        region_by,
                        region_ok,
                        ours: by.ours(),
                        ours_by: by.as_str(),
                        tenant: t,
                    }
                })
                .collect(),
            tenants: &v.tenants,
            vendor: id,
        }
    }
}
