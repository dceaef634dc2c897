//! The report (`--report`): per host, the vendors it used and what hid the rest of its
//! traffic; per vendor, its hosts; and the run's counters. These types are the schema
//! (`schema/report.schema.json` is generated from them, their doc comments are its
//! descriptions).
//!
//! The fields of every object are declared in the order of their names, because the report
//! has always been written with sorted keys, and a consumer diffing two reports keeps
//! working.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::aggregate::roles::Role;
use crate::aggregate::{Aggregator, Usage, Visibility};
use crate::catalog::risk::{Cert, Incident, RegionsOffered};
use crate::catalog::{Catalog, Deployment};
use crate::event::{EncryptedDnsProtocol, Kind, Strength, Timestamp};
use crate::findings::{region_of, tenant_names, usage_names, Finding};
use crate::model::{Field, InputSummary, Source};
use crate::policy::DecidedBy;
use crate::stats::Stats;

/// The whole report.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Report<'a> {
    /// `--baseline`: what is new since the baseline report, and what is gone; null without.
    pub baseline: Option<crate::baseline::BaselineDiff>,
    /// Every host with vendor traffic, encrypted DNS or hidden traffic (the hosts with only
    /// hidden traffic: at most 1000, the most hidden first, unless `--all-hosts`), by address.
    pub hosts: Vec<Host<'a>>,
    /// Hosts with only hidden traffic left out past that limit.
    pub hosts_not_listed: u64,
    pub inputs: Vec<Input<'a>>,
    /// A signal stopped the scan: the report covers what was read until then.
    pub interrupted: bool,
    /// What made this report: the tool, when, the command line, the filters and the policy.
    pub meta: Meta<'a>,
    /// What the policy's `require-region` and `require-cert` statements found, the most
    /// severe first.
    pub policy_findings: Vec<Finding>,
    /// Self-hosted help desks recognised on plain HTTP (README, "Self-hosted help desks"):
    /// the organisation's own instances, by product and server.
    pub self_hosted: Vec<crate::aggregate::selfhosted::SelfHostedUse<'a>>,
    pub stats: RunStats<'a>,
    /// Every vendor tenant seen (in a name, or behind a CNAME), and whose it is.
    pub tenants: Vec<TenantOwnership<'a>>,
    /// The hosts turned round: per vendor, the hosts that used it.
    pub vendors: Vec<VendorUse<'a>>,
    /// The visibility counts over every host, listed or not.
    pub visibility: VisibilityCounts,
}

/// What made a report.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Meta<'a> {
    /// The arguments after the program's name, as given (a non-UTF-8 byte as U+FFFD).
    pub command_line: &'a [String],
    pub filters: &'a Filters,
    /// When this report was written: the wall clock, RFC 3339 in UTC.
    pub generated_at: Timestamp,
    /// The reports `shadowdesk merge` combined into this one; empty for a scan.
    pub merged: &'a [MergedReport],
    /// The `--policy` file, or null.
    pub policy: Option<&'a PolicyFile>,
    /// The vendor ids `--sanctioned` allowed for every host, as the catalog names them.
    pub sanctioned: &'a [String],
    pub tool: Tool,
}

/// One report that `shadowdesk merge` read.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct MergedReport {
    /// Its `meta.command_line`.
    pub command_line: Vec<String>,
    /// Its `meta.generated_at`.
    pub generated_at: Timestamp,
    /// The file it was read from, as given to `merge`.
    pub path: String,
}

/// The filters of the run, as given on the command line; empty or null when not given.
#[derive(Clone, Debug, Default, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Filters {
    /// `--host`: addresses and CIDR ranges.
    pub host: Vec<String>,
    /// `--only`: `vendor` or `unsanctioned`; it narrows the events only, not this report.
    pub only: Option<String>,
    /// `--since`: RFC 3339, or relative to the end of the capture (`-2h`).
    pub since: Option<String>,
    /// `--until`.
    pub until: Option<String>,
    /// `--vendor`: the catalog ids kept (aliases resolved); every other vendor's
    /// observations, and those of none, are left out of this report.
    pub vendor: Vec<String>,
}

/// The policy file as it was read.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct PolicyFile {
    /// As given to `--policy`.
    pub path: String,
    /// SHA-256 of the file's bytes, lower-case hex: which version of the policy applied.
    pub sha256: String,
}

/// The program that wrote the report.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Tool {
    /// The git commit it was built from, when the build set `SHADOWDESK_GIT_COMMIT`; else
    /// null.
    pub commit: Option<&'static str>,
    pub name: &'static str,
    pub version: &'static str,
}

impl Tool {
    pub fn this() -> Tool {
        Tool {
            commit: option_env!("SHADOWDESK_GIT_COMMIT"),
            name: env!("CARGO_PKG_NAME"),
            version: env!("CARGO_PKG_VERSION"),
        }
    }
}

/// What a run was asked to do: the same for every report it writes (live rewrites it).
#[derive(Clone, Debug, Default)]
pub struct RunInfo {
    pub command_line: Vec<String>,
    pub filters: Filters,
    pub policy: Option<PolicyFile>,
    pub sanctioned: Vec<String>,
    /// `merge`: the reports combined.
    pub merged: Vec<MergedReport>,
}

impl RunInfo {
    /// The [`Meta`] of a report written now.
    pub fn meta(&self) -> Meta<'_> {
        Meta {
            command_line: &self.command_line,
            filters: &self.filters,
            generated_at: Timestamp(crate::time::wall_clock()),
            merged: &self.merged,
            policy: self.policy.as_ref(),
            sanctioned: &self.sanctioned,
            tool: Tool::this(),
        }
    }
}

/// One host.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Host<'a> {
    /// Encrypted-DNS resolvers it used: the names it resolved over these are invisible to a
    /// passive sensor, so its vendor list may be incomplete.
    pub encrypted_dns: Vec<EncryptedDnsUse<'a>>,
    /// Every host name, MAC address and user the address was seen with (`identity` events),
    /// with its source and when it was first and last seen.
    pub identity: Vec<HostIdentity<'a>>,
    pub ip: IpAddr,
    /// The ids of the vendors it used that are not sanctioned for it, as an `operator` or an
    /// `integration` (visitors too with `--flag-visitors`).
    pub unsanctioned: Vec<&'a str>,
    pub vendors: Vec<HostVendor<'a>>,
    pub visibility: VisibilityCounts,
}

/// One name, MAC address or user of a host.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct HostIdentity<'a> {
    pub field: Field,
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
    pub source: Source,
    pub value: &'a str,
}

/// A host's use of one encrypted-DNS resolver.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct EncryptedDnsUse<'a> {
    pub connections: u64,
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
    pub protocol: EncryptedDnsProtocol,
    /// The resolver's name as the client sent it (or as attributed), else its address.
    pub resolver: &'a str,
}

/// A host's use of one vendor.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct HostVendor<'a> {
    /// The vendor's category; null if the vendor is not in the catalog.
    pub category: Option<&'a str>,
    pub decided_by: DecidedBy,
    pub events: u64,
    #[schemars(schema_with = "kind_counts")]
    pub events_by_kind: &'a BTreeMap<Kind, u64>,
    /// Why the report says the host used the vendor, name by name: the first DNS query,
    /// the answer, and the first connections that followed.
    pub evidence_chain: crate::aggregate::evidence::ChainReport<'a>,
    /// Insecure integrations seen towards this vendor (README, "Exposures"); absent when
    /// none. Names only, never a secret.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub exposures: Vec<crate::aggregate::exposure::ExposureUse<'a>>,
    /// Exposures past the 32 kept per host and vendor.
    #[serde(skip_serializing_if = "crate::aggregate::exposure::is_zero")]
    pub exposures_not_listed: u64,
    pub first_seen: Timestamp,
    /// The names filed under this vendor (the SNI, or the attributed name), sorted; at most
    /// 64, and while the host budget of `--memcap` lasts.
    pub hostnames: &'a BTreeSet<String>,
    /// Distinct names past those limits: counted, not listed.
    pub hostnames_not_listed: u64,
    pub last_seen: Timestamp,
    /// The vendor's display name; null if the vendor is not in the catalog.
    pub name: Option<&'a str>,
    /// `--baseline`: the names not filed under this host and vendor in the baseline (all of
    /// them for a new pair); null without a baseline.
    pub new_hostnames: Option<Vec<String>>,
    /// `--baseline`: this host and vendor pair is not in the baseline; null without one.
    pub new_since_baseline: Option<bool>,
    /// Where the tenant's data lives as the names show it: the region code of the vendor's
    /// first catalog region rule that one of this host's names matches; null when the
    /// names do not say.
    pub region: Option<&'a str>,
    /// The region pattern that matched, or null.
    pub region_by: Option<&'a str>,
    /// false: the region is outside the policy's `require-region` for the vendor; true:
    /// inside; null: no requirement, or the region is unknown (never a violation).
    pub region_ok: Option<bool>,
    /// What the host does with the vendor: `operator` (its people work in the product as a
    /// tenant's staff), `integration` (software calls its API or a tenant), `visitor` (it
    /// only loaded end-user endpoints: widgets, other organisations' help centers). Rules in
    /// the README, "Roles and ownership".
    pub role: RoleName,
    /// Why: the evidence the role rules read.
    pub role_evidence: RoleEvidence,
    pub sanctioned: bool,
    /// `strong` when some name matched a strong pattern, else `weak` (shared
    /// infrastructure only).
    pub strength: Strength,
    /// Whose each of its tenants is (see the top-level `tenants`).
    pub tenant_ownership: Vec<TenantOwner<'a>>,
    pub tenants: &'a BTreeSet<String>,
    pub vendor: &'a str,
}

/// A host and vendor's role.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RoleName {
    Operator,
    Integration,
    Visitor,
}

impl RoleName {
    pub fn as_str(self) -> &'static str {
        match self {
            RoleName::Operator => "operator",
            RoleName::Integration => "integration",
            RoleName::Visitor => "visitor",
        }
    }
}

impl From<Role> for RoleName {
    fn from(r: Role) -> RoleName {
        match r {
            Role::Operator => RoleName::Operator,
            Role::Integration => RoleName::Integration,
            Role::Visitor => RoleName::Visitor,
        }
    }
}

/// The evidence behind a role.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RoleEvidence {
    /// The names reached, grouped by endpoint role, client and tenant, with their sessions.
    pub endpoints: Vec<EndpointEvidence>,
    /// The clients' JA4 fingerprints (at most 4).
    pub ja4: Vec<String>,
    /// The rules that decided, in words.
    pub reasons: Vec<String>,
}

/// Names of one endpoint role reached by one kind of client (and, for tenants, of one
/// tenant), and how their connections went.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct EndpointEvidence {
    /// Payload bytes the client sent, and received, over the connections whose end was seen.
    pub bytes_down: u64,
    pub bytes_up: u64,
    /// `browser` or `library` from the ClientHello; null for DNS only (or a hello too short
    /// to fingerprint).
    pub client: Option<&'static str>,
    /// TLS/QUIC connections (hellos).
    pub connections: u64,
    /// `agent`, `api`, `end_user`, `shared`, `tenant` (the catalog's endpoint role of the
    /// names), or `unclassified` when the catalog line has none.
    pub endpoint: &'static str,
    pub events: u64,
    /// The longest connection, and all of them together, in seconds.
    pub longest_s: f64,
    /// The most bursts of client data one connection had.
    pub most_client_bursts: u32,
    pub names: Vec<String>,
    /// Connections whose end (FIN/RST, idle, or the capture's end) was seen.
    pub sessions_ended: u64,
    /// Connections that were sustained interactive work (long, and busy all along).
    pub sustained_sessions: u64,
    /// The tenant label, or null.
    pub tenant: Option<String>,
    pub total_s: f64,
}

/// Whose a tenant is, as a host's vendor entry lists it.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct TenantOwner<'a> {
    /// true: ours; false: another organisation's; null: not known.
    pub ours: Option<bool>,
    /// `declared` (the policy's `tenant`), `own_domain_cname` (one of our domains has a
    /// CNAME to it), `third_party_cname` (only other organisations' names do), `unknown`.
    pub ours_by: &'static str,
    /// The tenant's region over the names this host showed it by (see `region` of the
    /// host's vendor entry).
    pub region: Option<&'a str>,
    pub region_by: Option<&'a str>,
    pub region_ok: Option<bool>,
    pub tenant: &'a str,
}

/// A vendor tenant and whose it is.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct TenantOwnership<'a> {
    /// Names under our domains with a CNAME to it.
    pub cnames_ours: Vec<&'a str>,
    /// Names outside our domains with a CNAME to it (whose organisation it then is).
    pub cnames_third_party: Vec<&'a str>,
    /// The hosts whose vendor entries name it.
    pub hosts: Vec<IpAddr>,
    /// `--baseline`: the tenant is not in the baseline's `tenants`; null without one.
    pub new_since_baseline: Option<bool>,
    pub ours: Option<bool>,
    pub ours_by: &'static str,
    /// The tenant's region: the code of the vendor's first region rule that one of the
    /// names that showed the tenant (from every host) matches; null when they do not say.
    pub region: Option<&'a str>,
    /// The region pattern that matched, or null.
    pub region_by: Option<&'a str>,
    /// false: outside the policy's `require-region`; true: inside; null: no requirement or
    /// an unknown region.
    pub region_ok: Option<bool>,
    pub tenant: &'a str,
    pub vendor: &'a str,
}

/// One vendor and the hosts that used it.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct VendorUse<'a> {
    /// The company behind the product when it differs from the name; null otherwise or
    /// when the vendor is not in the catalog.
    pub company: Option<&'a str>,
    /// `cloud` or `self_hosted`; null if the vendor is not in the catalog.
    pub deployment: Option<Deployment>,
    pub first_seen: Timestamp,
    pub hosts: Vec<VendorHost<'a>>,
    pub last_seen: Timestamp,
    /// The vendor's display name; null if the vendor is not in the catalog.
    pub name: Option<&'a str>,
    /// The catalog's risk facts of the vendor, each with its source; null if the vendor is
    /// not in the catalog.
    pub risk: Option<VendorRisk<'a>>,
    pub vendor: &'a str,
}

/// What the catalog states about a vendor's trustworthiness.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct VendorRisk<'a> {
    /// Certifications the vendor's own trust or security pages state.
    pub certs: &'a [Cert],
    /// Publicly reported security incidents.
    pub incidents: &'a [Incident],
    /// Data-residency regions the vendor offers; null when no source was read.
    pub regions_offered: Option<&'a RegionsOffered>,
}

/// A host that used a vendor.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct VendorHost<'a> {
    pub decided_by: DecidedBy,
    pub events: u64,
    pub first_seen: Timestamp,
    /// MAC addresses that held the address at its events with this vendor (DHCP).
    pub host_macs: BTreeSet<&'a str>,
    /// Device names that held the address at its events with this vendor (see `identity`).
    pub host_names: BTreeSet<&'a str>,
    pub hostnames: &'a BTreeSet<String>,
    pub ip: IpAddr,
    pub last_seen: Timestamp,
    pub sanctioned: bool,
    /// Users logged on at the address at its events with this vendor (Kerberos, NTLM).
    pub users: BTreeSet<&'a str>,
}

/// How much of the traffic had a name: counted per TLS or QUIC connection (its first
/// hello), per plain-HTTP or proxy request, and per other TCP connection whose SYN was seen.
/// `named + attributed + unnamed = connections`.
#[derive(Clone, Debug, Default, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct VisibilityCounts {
    /// No usable name on the wire, but one recovered from the client's own DNS.
    pub attributed: u64,
    pub connections: u64,
    pub dns_queries: u64,
    /// Hellos that used ECH for real.
    pub ech: u64,
    /// Hellos that carried the ECH extension, GREASE included.
    pub ech_offered: u64,
    /// Connections to encrypted-DNS resolvers.
    pub encrypted_dns_connections: u64,
    pub http_requests: u64,
    /// The destination's name was on the wire (SNI, Host, proxy target), and was not an ECH
    /// provider's public name.
    pub named: u64,
    /// `(named + attributed) / connections`, rounded to 3 decimals; null without connections.
    pub named_share: Option<f64>,
    /// TCP connections whose client spoke neither TLS nor HTTP.
    pub other_tcp: u64,
    pub quic_hellos: u64,
    pub tls_hellos: u64,
    /// No name at all.
    pub unnamed: u64,
    /// Of those, TLS and QUIC hellos: the blind spot that lists a host.
    pub unnamed_hellos: u64,
}

impl From<&Visibility> for VisibilityCounts {
    fn from(v: &Visibility) -> VisibilityCounts {
        let connections = v.connections();
        let named_share = (connections > 0).then(|| {
            let named = (v.named + v.attributed) as f64 / connections as f64;
            (named * 1000.0).round() / 1000.0
        });
        VisibilityCounts {
            attributed: v.attributed,
            connections,
            dns_queries: v.dns_queries,
            ech: v.ech,
            ech_offered: v.ech_offered,
            encrypted_dns_connections: v.encrypted_dns,
            http_requests: v.http_requests,
            named: v.named,
            named_share,
            other_tcp: v.other_tcp,
            quic_hellos: v.quic_hellos,
            tls_hellos: v.tls_hellos,
            unnamed: v.unnamed,
            unnamed_hellos: v.unnamed_hellos,
        }
    }
}

/// One input: a file, or a live interface (`interface:NAME`).
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Input<'a> {
    /// Why the input was not read (to its end), or null.
    pub error: Option<&'a str>,
    /// The link type of its first interface, or null.
    pub linktype: Option<&'a str>,
    pub packets: u64,
    pub path: &'a str,
}

/// The run's counters.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RunStats<'a> {
    pub bytes: u64,
    /// Live capture: libpcap's counters; null for files.
    pub capture: Option<CaptureCounts>,
    /// What a limit made the run give up, by the limit's name; each may be a lost name.
    pub dropped: LimitDrops,
    pub events: u64,
    #[schemars(schema_with = "kind_counts")]
    pub events_by_kind: &'a BTreeMap<Kind, u64>,
    /// Directions given up because their start outgrew what any parser here reads.
    pub flow_buffer_overflows: u64,
    pub flows_evicted_cap: u64,
    pub flows_evicted_idle: u64,
    pub flows_evicted_memcap: u64,
    /// Identity messages (DHCP, DHCPv6, mDNS, NBNS, Kerberos, NTLMSSP) their parser refused.
    pub identity_malformed: u64,
    pub ip_datagrams_reassembled: u64,
    pub ip_fragments: u64,
    pub ip_fragments_dropped: FragmentDrops,
    /// `--kafka`: events and report snapshots the broker acknowledged, and those dropped
    /// (queue full, or still queued when the run ended); null without `--kafka`.
    pub kafka: Option<crate::kafka::KafkaStats>,
    pub packets: u64,
    /// Packets not analysed, by reason.
    pub packets_skipped: BTreeMap<&'a str, u64>,
    /// Records shorter than the packet on the wire (snaplen).
    pub packets_snapped: u64,
    /// Packets whose headers announce more bytes than were captured.
    pub packets_truncated: u64,
    /// Flows created (TCP and QUIC).
    pub tcp_flows: u64,
    pub unsanctioned_events: u64,
}

/// What each limit dropped.
#[derive(Clone, Debug, Default, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct LimitDrops {
    pub defrag_memcap: u64,
    /// Times the DNS answers kept for attribution were cleared for room.
    pub dns_cache_cleared: u64,
    pub encrypted_dns_memcap: u64,
    /// Parts of evidence chains (names, queries, answers, connections) not kept: the
    /// chains' share of the host budget was spent.
    pub evidence_memcap: u64,
    /// Times the DNS queries waiting for an answer (for the chains) were cleared for room.
    pub evidence_pending_cleared: u64,
    pub flows_memcap: u64,
    pub hidden_hosts_not_listed: u64,
    /// Times the identity bindings were cleared for room (each is written again when next
    /// seen).
    pub identity_cleared: u64,
    /// Times the DHCP/DHCPv6 client messages waiting for their answer were cleared for room.
    pub identity_pending_cleared: u64,
    pub reassembly_memcap: u64,
    pub reassembly_pieces: u64,
    pub reassembly_window: u64,
    /// Connections with a hello whose end was lost (their flow evicted by the table's
    /// entry cap): their duration and bytes are missing from the role evidence.
    pub sessions_lost: u64,
    /// Connections with a hello not followed to their end: the flow budget was nearly spent.
    pub sessions_memcap: u64,
    /// Connections whose end could not be joined to their hello (too many open at once), and
    /// CNAME facts about tenants not kept (too many).
    pub sessions_unjoined: u64,
    pub tenants_not_kept: u64,
    /// Host and vendor pairs not kept in the report (their events were still written).
    pub usage_memcap: u64,
    /// Hosts whose visibility went into the total only.
    pub visibility_memcap: u64,
}

/// libpcap's counters.
#[derive(Clone, Debug, Default, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct CaptureCounts {
    pub packets_dropped_interface: u64,
    pub packets_dropped_kernel: u64,
    pub packets_received: u64,
}

/// IP fragments given up, by reason.
#[derive(Clone, Debug, Default, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct FragmentDrops {
    pub overlap: u64,
    pub oversize: u64,
    pub table_full: u64,
    pub timeout: u64,
}

/// Events per kind: an object whose keys are kinds.
fn kind_counts(g: &mut schemars::SchemaGenerator) -> schemars::Schema {
    let kind = g.subschema_for::<Kind>();
    let count = g.subschema_for::<u64>();
    schemars::json_schema!({
        "description": "Events per kind.",
        "type": "object",
        "propertyNames": kind,
        "additionalProperties": count
    })
}

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
                                role_evidence: RoleEvidence {
                                    endpoints: u
                                        .evidence
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
                                    ja4: u.evidence.ja4.iter().cloned().collect(),
                                    reasons: verdict.reasons,
                                },
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
                    flows_memcap: f.evicted_memcap,
                    hidden_hosts_not_listed: listed.hidden_not_listed,
                    identity_cleared: agg.identity.cleared,
                    identity_pending_cleared: agg.identity.pending_cleared,
                    reassembly_memcap: f.dropped_memcap,
                    reassembly_pieces: f.dropped_pieces,
                    reassembly_window: f.dropped_window,
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
        // Into a Vec the writer cannot fail, and the types hold nothing serde_json refuses
        // (map keys are strings or unit enums; `named_share` is finite).
        let mut bytes = serde_json::to_vec_pretty(self).unwrap_or_default();
        bytes.push(b'\n');
        bytes
    }
}

fn seconds(ns: i64) -> f64 {
    (ns as f64 / 1e8).round() / 10.0
}

/// The report turned round: vendor id → the hosts that used it.
pub fn by_vendor<'a>(agg: &'a Aggregator<'_>) -> BTreeMap<&'a str, Vec<(IpAddr, &'a Usage)>> {
    let mut m: BTreeMap<&str, Vec<(IpAddr, &Usage)>> = BTreeMap::new();
    for (ip, vendors) in &agg.hosts {
        for (id, u) in vendors {
            m.entry(id.as_str()).or_default().push((*ip, u));
        }
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Checks that every object's keys in pretty-printed JSON come in sorted order.
    fn keys_sorted(pretty: &str) -> Result<(), String> {
        // One "last key" per open object; arrays push a marker that keys never reach.
        let mut stack: Vec<Option<String>> = Vec::new();
        for line in pretty.lines() {
            let t = line.trim();
            if let Some(rest) = t.strip_prefix('"') {
                if let Some((key, _)) = rest.split_once("\": ") {
                    if let Some(Some(prev)) = stack.last() {
                        if prev.as_str() >= key {
                            return Err(format!("{key:?} after {prev:?}"));
                        }
                    }
                    if let Some(top) = stack.last_mut() {
                        *top = Some(key.to_owned());
                    }
                }
            }
            if t.ends_with('{') || t.ends_with('[') {
                stack.push(None);
            }
            if t.starts_with('}') || t.starts_with(']') {
                stack.pop();
            }
        }
        Ok(())
    }

    #[test]
    fn every_object_lists_its_fields_in_name_order() {
        use crate::catalog::{EchFronts, Resolvers};
        use crate::model::{Observation, What};
        let catalog = Catalog::builtin().unwrap();
        let policy = crate::policy::Policy::default();
        let resolvers = Resolvers::builtin().unwrap();
        let fronts = EchFronts::builtin().unwrap();
        let shares = crate::memcap::Shares::split(crate::memcap::DEFAULT_MEMCAP, 1);
        let limits = crate::aggregate::Limits::new(&shares, false);
        let mut agg = Aggregator::new(&catalog, &policy, &resolvers, &fronts, limits);
        let hello = |name: &str, dport| Observation {
            order: 0,
            input: 0,
            ts: 1,
            src: "10.0.0.5".parse().unwrap(),
            dst: "10.0.0.9".parse().unwrap(),
            sport: 50000,
            dport,
            tcp: true,
            what: What::TlsHello {
                name: name.into(),
                ech: None,
                again: false,
                client: None,
            },
        };
        // A vendor and an encrypted-DNS resolver, so every object of the report appears.
        agg.observe(&hello("acme.zendesk.com", 443), None);
        agg.observe(&hello("dns.example", 853), None);
        let stats = Stats {
            kernel: Some(Default::default()),
            ..Stats::default()
        };
        let inputs = [InputSummary {
            path: "x.pcap".into(),
            packets: 1,
            linktype: None,
            error: None,
            fatal: false,
        }];
        let run = RunInfo::default();
        let r = Report::build(&agg, &catalog, &inputs, &stats, false, &run);
        let text = String::from_utf8(r.to_bytes()).unwrap();
        for needle in [
            "\"encrypted_dns\": [\n",
            "\"capture\": {",
            "\"hostnames\": [\n",
        ] {
            assert!(text.contains(needle), "{needle} missing:\n{text}");
        }
        keys_sorted(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        // The checker itself catches a key out of order.
        assert!(keys_sorted("{\n  \"b\": 1,\n  \"a\": 2\n}").is_err());
    }
}
