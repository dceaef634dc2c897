//! The report as `merge` reads it back: owned twins of the borrowed types of
//! [`crate::report`], field for field. Fields the merge recomputes rather than reads (a host's
//! `unsanctioned`, a vendor entry's `role`, `reasons` and `tenant_ownership`) are still
//! declared, so that a report from another version with a field renamed fails to read
//! instead of merging half its content. The `--baseline` marks of a report are read and
//! dropped: a merge compares with its own `--baseline`.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use serde::Deserialize;

use crate::event::{EncryptedDnsProtocol, Kind, Timestamp};
use crate::model::{Field, Source};
use crate::report::{
    CaptureCounts, Filters, FragmentDrops, LimitDrops, MergedReport, PolicyFile, VisibilityCounts,
};

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Report {
    #[serde(default)]
    pub baseline: Option<crate::baseline::BaselineDiff>,
    pub hosts: Vec<Host>,
    pub hosts_not_listed: u64,
    pub inputs: Vec<Input>,
    pub interrupted: bool,
    pub meta: Meta,
    #[serde(default)]
    pub policy_findings: Vec<crate::findings::Finding>,
    /// Absent in reports written before self-hosted help desks were recognised.
    #[serde(default)]
    pub self_hosted: Vec<SelfHostedUse>,
    pub stats: RunStats,
    pub tenants: Vec<TenantOwnership>,
    pub vendors: Vec<VendorUse>,
    pub visibility: VisibilityCounts,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Meta {
    pub command_line: Vec<String>,
    pub filters: Filters,
    pub generated_at: Timestamp,
    /// Absent in reports written before `merge` existed.
    #[serde(default)]
    pub merged: Vec<MergedReport>,
    pub policy: Option<PolicyFile>,
    pub sanctioned: Vec<String>,
    pub tool: Tool,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tool {
    pub commit: Option<String>,
    pub name: String,
    pub version: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Host {
    pub encrypted_dns: Vec<EncryptedDnsUse>,
    pub identity: Vec<HostIdentity>,
    pub ip: IpAddr,
    pub unsanctioned: Vec<String>,
    pub vendors: Vec<HostVendor>,
    pub visibility: VisibilityCounts,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostIdentity {
    pub field: Field,
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
    pub source: Source,
    pub value: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EncryptedDnsUse {
    pub connections: u64,
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
    pub protocol: EncryptedDnsProtocol,
    pub resolver: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostVendor {
    pub category: Option<String>,
    pub decided_by: String,
    pub events: u64,
    pub events_by_kind: BTreeMap<Kind, u64>,
    #[serde(default)]
    pub evidence_chain: Option<crate::aggregate::evidence::ChainReport<'static>>,
    /// Absent when none (and in reports written before exposures were found).
    #[serde(default)]
    pub exposures: Vec<ExposureUse>,
    #[serde(default)]
    pub exposures_not_listed: u64,
    pub first_seen: Timestamp,
    pub hostnames: BTreeSet<String>,
    pub hostnames_not_listed: u64,
    pub last_seen: Timestamp,
    pub name: Option<String>,
    #[serde(default)]
    pub new_hostnames: Option<Vec<String>>,
    #[serde(default)]
    pub new_since_baseline: Option<bool>,
    /// Recomputed from the merged names; `region_ok` is read (see `combine::Vendor`).
    #[serde(default)]
    pub region: Option<String>,
    #[serde(default)]
    pub region_by: Option<String>,
    #[serde(default)]
    pub region_ok: Option<bool>,
    pub role: String,
    pub role_evidence: RoleEvidence,
    pub sanctioned: bool,
    pub strength: String,
    pub tenant_ownership: Vec<TenantOwner>,
    pub tenants: BTreeSet<String>,
    pub vendor: String,
}

/// One kind of exposure of a host towards a vendor ([`crate::aggregate::exposure::ExposureUse`]).
/// The names of kinds, reasons and methods are read as text and checked when combined, as
/// `decided_by` and the endpoint roles are.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExposureUse {
    pub exposure: String,
    pub credential: Option<String>,
    pub credential_name: Option<String>,
    pub reason: Option<String>,
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
    pub count: u64,
    pub example_host: String,
    pub example_method: Option<String>,
    pub example_path: Option<String>,
    pub tls_version: Option<TlsVersion>,
    pub weak_suite: Option<String>,
}

/// [`crate::event::TlsVersion`] read back: a name (`1.2`) or a number.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub enum TlsVersion {
    Name(String),
    Number(u16),
}

/// A self-hosted help desk ([`crate::aggregate::selfhosted::SelfHostedUse`]).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SelfHostedUse {
    pub product: String,
    pub product_name: String,
    pub server_ip: IpAddr,
    pub server_port: u16,
    pub server_names: Vec<String>,
    pub hosts: Vec<IpAddr>,
    pub hosts_not_listed: u64,
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
    pub signatures: Vec<SignatureShown>,
    pub certificate_names: Vec<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignatureShown {
    pub field: String,
    #[serde(rename = "match")]
    pub how: String,
    pub pattern: String,
    pub source: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleEvidence {
    pub endpoints: Vec<EndpointEvidence>,
    pub ja4: Vec<String>,
    pub reasons: Vec<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EndpointEvidence {
    pub bytes_down: u64,
    pub bytes_up: u64,
    pub client: Option<String>,
    pub connections: u64,
    pub endpoint: String,
    pub events: u64,
    pub longest_s: f64,
    pub most_client_bursts: u32,
    pub names: Vec<String>,
    pub sessions_ended: u64,
    pub sustained_sessions: u64,
    pub tenant: Option<String>,
    pub total_s: f64,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantOwner {
    pub ours: Option<bool>,
    pub ours_by: String,
    #[serde(default)]
    pub region: Option<String>,
    #[serde(default)]
    pub region_by: Option<String>,
    #[serde(default)]
    pub region_ok: Option<bool>,
    pub tenant: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantOwnership {
    pub cnames_ours: Vec<String>,
    pub cnames_third_party: Vec<String>,
    pub hosts: Vec<IpAddr>,
    #[serde(default)]
    pub new_since_baseline: Option<bool>,
    pub ours: Option<bool>,
    pub ours_by: String,
    #[serde(default)]
    pub region: Option<String>,
    #[serde(default)]
    pub region_by: Option<String>,
    #[serde(default)]
    pub region_ok: Option<bool>,
    pub tenant: String,
    pub vendor: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VendorUse {
    /// Catalog facts (`company`, `deployment`, `risk`): the merge takes them from its own
    /// catalog, as a scan does.
    #[serde(default)]
    pub company: Option<serde_json::Value>,
    #[serde(default)]
    pub deployment: Option<serde_json::Value>,
    #[serde(default)]
    pub risk: Option<serde_json::Value>,
    pub first_seen: Timestamp,
    pub hosts: Vec<VendorHost>,
    pub last_seen: Timestamp,
    pub name: Option<String>,
    pub vendor: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VendorHost {
    pub decided_by: String,
    pub events: u64,
    pub first_seen: Timestamp,
    pub host_macs: BTreeSet<String>,
    pub host_names: BTreeSet<String>,
    pub hostnames: BTreeSet<String>,
    pub ip: IpAddr,
    pub last_seen: Timestamp,
    pub sanctioned: bool,
    pub users: BTreeSet<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Input {
    pub error: Option<String>,
    pub linktype: Option<String>,
    pub packets: u64,
    pub path: String,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunStats {
    pub bytes: u64,
    pub capture: Option<CaptureCounts>,
    pub dropped: LimitDrops,
    pub events: u64,
    pub events_by_kind: BTreeMap<Kind, u64>,
    pub flow_buffer_overflows: u64,
    pub flows_evicted_cap: u64,
    pub flows_evicted_idle: u64,
    pub flows_evicted_memcap: u64,
    pub identity_malformed: u64,
    pub ip_datagrams_reassembled: u64,
    pub ip_fragments: u64,
    pub ip_fragments_dropped: FragmentDrops,
    #[serde(default)]
    pub kafka: Option<crate::kafka::KafkaStats>,
    pub packets: u64,
    pub packets_skipped: BTreeMap<String, u64>,
    pub packets_snapped: u64,
    pub packets_truncated: u64,
    pub tcp_flows: u64,
    pub unsanctioned_events: u64,
}
