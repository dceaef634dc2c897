//! Building the report from what the aggregator holds at the end of a run (or at a live
//! rewrite): hosts, vendors, tenants, findings, counters.

use std::collections::{BTreeMap, BTreeSet};

use crate::aggregate::{Aggregator, Usage, Visibility};
use crate::catalog::Catalog;
use crate::event::{Strength, Timestamp};
use crate::findings::{region_of, tenant_names, usage_names};
use crate::model::InputSummary;
use crate::stats::Stats;

use super::*;

impl<'a> Report<'a> {
    /// The report of what the aggregator holds: `hosts` lists every host with vendor traffic
    /// or a blind spot (encrypted DNS, or [`Visibility::has_hidden_traffic`]); hosts with
    /// neither are left out. `vendors` is the same data turned round for scoping.
    pub fn build(
        agg: &'a Aggregator<'_>,
        catalog: &'a Catalog,
        inputs: &'a [InputSummary],
        stats: &'a Stats,
        interrupted: bool,
        run: &'a RunInfo,
    ) -> Report<'a> {
        let policy = agg.policy();
        static NO_VENDORS: BTreeMap<String, Usage> = BTreeMap::new();
        let no_visibility = Visibility::default();
        let listed = agg.listed();
        let identities = agg.identity.by_host();
        let hosts = listed
            .ips
            .iter()
            .map(|ip| {
                let vendors = agg.hosts.get(ip).unwrap_or(&NO_VENDORS);
                Host {
                    encrypted_dns: agg
                        .encrypted_dns
                        .get(ip)
                        .into_iter()
                        .flatten()
                        .map(|((protocol, resolver), seen)| EncryptedDnsUse {
                            connections: seen.connections,
                            first_seen: Timestamp(seen.first_seen),
                            last_seen: Timestamp(seen.last_seen),
                            protocol: *protocol,
                            resolver,
                        })
                        .collect(),
                    identity: identities
                        .get(ip)
                        .into_iter()
                        .flatten()
                        .map(|(field, source, h)| HostIdentity {
                            field: *field,
                            first_seen: Timestamp(h.first_seen),
                            last_seen: Timestamp(h.last_seen),
                            source: *source,
                            value: &h.value,
                        })
                        .collect(),
                    ip: *ip,
                    unsanctioned: vendors
                        .iter()
                        .filter(|(id, u)| agg.counts_unsanctioned(id, u))
                        .map(|(id, _)| id.as_str())
                        .collect(),
                    vendors: vendors
                        .iter()
                        .map(|(id, u)| {
                            let v = catalog.vendor(id);
                            let verdict = agg.verdict(id, &u.evidence);
                            let region = region_of(catalog, id, usage_names(u));
                            let region_code = region.map(|r| r.code.as_str());
                            HostVendor {
                                region: region_code,
                                region_by: region.map(|r| r.pattern.as_str()),
                                region_ok: policy.requirements.region_ok(id, region_code),
                                role: verdict.role.into(),
                                role_evidence: RoleEvidence::of(&u.evidence, verdict.reasons),
                                tenant_ownership: u
                                    .tenants
                                    .iter()
                                    .map(|t| {
                                        let by = agg.ownership(id, t).0;
                                        let r = region_of(catalog, id, tenant_names(u, t));
                                        let code = r.map(|r| r.code.as_str());
                                        TenantOwner {
                                            ours: by.ours(),
                                            ours_by: by.as_str(),
                                            region: code,
                                            region_by: r.map(|r| r.pattern.as_str()),
                                            region_ok: policy.requirements.region_ok(id, code),
                                            tenant: t,
                                        }
                                    })
                                    .collect(),
                                category: v.map(|v| v.category.as_str()),
                                decided_by: policy.decided_by(id, *ip),
                                events: u.events,
                                events_by_kind: &u.by_kind,
                                evidence_chain: crate::aggregate::evidence::ChainReport::of(u),
                                exposures: u.exposures.listed(),
                                exposures_not_listed: u.exposures.not_listed,
                                first_seen: Timestamp(u.first_seen),
                                hostnames: &u.hostnames,
                                hostnames_not_listed: u.hostnames_dropped,
                                last_seen: Timestamp(u.last_seen),
                                name: v.map(|v| v.name.as_str()),
                                new_hostnames: None,
                                new_since_baseline: None,
                                sanctioned: u.sanctioned,
                                strength: Strength::of(u.strong),
                                tenants: &u.tenants,
                                vendor: id,
                            }
                        })
                        .collect(),
                    visibility: agg.visibility.get(ip).unwrap_or(&no_visibility).into(),
                }
            })
            .collect();

        let vendors = by_vendor(agg)
            .into_iter()
            .map(|(id, hs)| {
                let first = hs.iter().map(|(_, u)| u.first_seen).min();
                let last = hs.iter().map(|(_, u)| u.last_seen).max();
                let v = catalog.vendor(id);
                VendorUse {
                    company: v.and_then(|v| v.profile.company.as_deref()),
                    deployment: v.map(|v| v.profile.deployment),
                    risk: v.map(|v| VendorRisk {
                        certs: &v.profile.certs,
                        incidents: &v.profile.incidents,
                        regions_offered: v.profile.regions_offered.as_ref(),
                    }),
                    first_seen: Timestamp(first.unwrap_or_default()),
                    hosts: hs
                        .into_iter()
                        .map(|(ip, u)| VendorHost {
                            decided_by: policy.decided_by(id, ip),
                            events: u.events,
                            first_seen: Timestamp(u.first_seen),
                            host_macs: u.who.host_macs(),
                            host_names: u.who.host_names(),
                            hostnames: &u.hostnames,
                            ip,
                            last_seen: Timestamp(u.last_seen),
                            sanctioned: u.sanctioned,
                            users: u.who.users(),
                        })
                        .collect(),
                    last_seen: Timestamp(last.unwrap_or_default()),
                    name: catalog.vendor(id).map(|v| v.name.as_str()),
                    vendor: id,
                }
            })
            .collect();

        let tenants = agg
            .tenants_seen()
            .into_iter()
            .map(|((vendor, tenant), hosts)| {
                let (by, own, others) = agg.ownership(vendor, tenant);
                let names: BTreeSet<&str> = hosts
                    .iter()
                    .filter_map(|ip| agg.hosts.get(ip)?.get(vendor))
                    .flat_map(|u| tenant_names(u, tenant))
                    .collect();
                let r = region_of(catalog, vendor, names.iter().copied());
                let code = r.map(|r| r.code.as_str());
                TenantOwnership {
                    region: code,
                    region_by: r.map(|r| r.pattern.as_str()),
                    region_ok: policy.requirements.region_ok(vendor, code),
                    cnames_ours: own,
                    cnames_third_party: others,
                    hosts: hosts.into_iter().collect(),
                    new_since_baseline: None,
                    ours: by.ours(),
                    ours_by: by.as_str(),
                    tenant,
                    vendor,
                }
            })
            .collect();
        let inputs = inputs
            .iter()
            .map(|i| Input {
                error: i.error.as_deref(),
                linktype: i.linktype.as_deref(),
                packets: i.packets,
                path: &i.path,
            })
            .collect();
        let f = &stats.flows;
        let d = &stats.defrag;
        let mut report = Report {
            baseline: None,
            hosts,
            hosts_not_listed: listed.hidden_not_listed,
            inputs,
            interrupted,
            meta: run.meta(),
            policy_findings: crate::findings::findings(agg, catalog),
            self_hosted: agg.self_hosted.listed(),
            stats: RunStats {
                bytes: stats.bytes,
                capture: stats.kernel.map(|k| CaptureCounts {
                    packets_dropped_interface: k.if_dropped,
                    packets_dropped_kernel: k.dropped,
                    packets_received: k.received,
                }),
                dropped: LimitDrops {
                    defrag_memcap: d.dropped_memcap,
                    dns_cache_cleared: agg.dropped.dns_cache_cleared,
                    encrypted_dns_memcap: agg.dropped.encrypted_dns_memcap,
                    evidence_memcap: agg.chains.dropped_memcap,
                    evidence_pending_cleared: agg.chains.pending_cleared,
                    exposures_memcap: agg.dropped.exposures_memcap,
                    flows_memcap: f.evicted_memcap,
                    hidden_hosts_not_listed: listed.hidden_not_listed,
                    http_head_too_long: f.http_head_too_long,
                    http_head_unfinished: f.http_head_unfinished,
                    identity_cleared: agg.identity.cleared,
                    identity_pending_cleared: agg.identity.pending_cleared,
                    reassembly_memcap: f.dropped_memcap,
                    reassembly_pieces: f.dropped_pieces,
                    reassembly_window: f.dropped_window,
                    self_hosted_not_listed: agg.self_hosted.instances_not_listed,
                    sessions_lost: f.sessions_lost(),
                    sessions_memcap: f.sessions_memcap,
                    sessions_unjoined: agg.tenancy.sessions_unjoined,
                    tenants_not_kept: agg.tenancy.tenants_not_kept,
                    usage_memcap: agg.dropped.usage_memcap,
                    visibility_memcap: agg.dropped.visibility_memcap,
                },
                events: agg.events,
                events_by_kind: &agg.events_by_kind,
                flow_buffer_overflows: f.buffer_overflows,
                flows_evicted_cap: f.evicted_cap,
                flows_evicted_idle: f.evicted_idle,
                flows_evicted_memcap: f.evicted_memcap,
                ip_datagrams_reassembled: d.reassembled,
                ip_fragments: d.fragments,
                identity_malformed: agg.identity.malformed,
                ip_fragments_dropped: FragmentDrops {
                    overlap: d.dropped_overlap,
                    oversize: d.dropped_oversize,
                    table_full: d.dropped_table_full,
                    timeout: d.dropped_timeout,
                },
                kafka: stats.kafka,
                packets: stats.packets,
                packets_skipped: stats.skipped.iter().map(|(k, n)| (*k, *n)).collect(),
                packets_snapped: stats.snapped,
                packets_truncated: stats.truncated,
                tcp_flows: f.flows_created,
                unsanctioned_events: agg.unsanctioned_events,
            },
            tenants,
            vendors,
            visibility: (&agg.visibility_total()).into(),
        };
        if let Some(b) = agg.baseline {
            b.apply(&mut report);
        }
        report
    }

    /// The report as written: pretty-printed JSON and a newline.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = Vec::new();
        // Into a Vec the writer cannot fail, and the types hold nothing serde_json refuses
        // (map keys are strings or unit enums; `named_share` is finite).
        let _ = self.write_to(&mut bytes);
        bytes
    }

    /// The same bytes, written to `w` as they are made.
    pub fn write_to(&self, w: &mut dyn std::io::Write) -> std::io::Result<()> {
        serde_json::to_writer_pretty(&mut *w, self)?;
        w.write_all(b"\n")
    }
}

fn seconds(ns: i64) -> f64 {
    (ns as f64 / 1e8).round() / 10.0
}

impl RoleEvidence {
    /// A host and vendor's role evidence as the report writes it: a scan's from the
    /// aggregator, a merge's from the combined parts (the same `Evidence` type).
    pub fn of(e: &crate::aggregate::roles::Evidence, reasons: Vec<String>) -> RoleEvidence {
        RoleEvidence {
            endpoints: e
                .by
                .iter()
                .map(|((ep, client, tenant), s)| EndpointEvidence {
                    bytes_down: s.bytes_down,
                    bytes_up: s.bytes_up,
                    client: client.as_str(),
                    connections: s.connections,
                    endpoint: ep.as_str(),
                    events: s.events,
                    longest_s: seconds(s.longest_ns),
                    most_client_bursts: s.most_bursts,
                    names: s.names.iter().cloned().collect(),
                    sessions_ended: s.ended,
                    sustained_sessions: s.sustained,
                    tenant: (!tenant.is_empty()).then(|| tenant.clone()),
                    total_s: seconds(s.total_ns),
                })
                .collect(),
            ja4: e.ja4.iter().cloned().collect(),
            reasons,
        }
    }
}
