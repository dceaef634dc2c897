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
use crate::aggregate::Visibility;
use crate::catalog::risk::{Cert, Incident, RegionsOffered};
use crate::catalog::Deployment;
use crate::event::{EncryptedDnsProtocol, Kind, Strength, Timestamp};
use crate::findings::Finding;
use crate::model::{Field, Source};
use crate::policy::DecidedBy;

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
    pub kafka: Option<crate::stats::KafkaStats>,
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
    /// Exposures (kinds of credential or weakness seen, per host and vendor) not kept: the
    /// usage budget was spent. Their events were still written.
    pub exposures_memcap: u64,
    pub flows_memcap: u64,
    pub hidden_hosts_not_listed: u64,
    /// HTTP request or response heads with no end within 8 KiB: not read (a plain request's
    /// Host, credentials and path unseen). Absent from reports of earlier versions.
    #[serde(default)]
    pub http_head_too_long: u64,
    /// HTTP heads cut short (their flow went idle, or the input ended, before the blank
    /// line): not read. Absent from reports of earlier versions.
    #[serde(default)]
    pub http_head_unfinished: u64,
    /// Times the identity bindings were cleared for room (each is written again when next
    /// seen).
    pub identity_cleared: u64,
    /// Times the DHCP/DHCPv6 client messages waiting for their answer were cleared for room.
    pub identity_pending_cleared: u64,
    pub reassembly_memcap: u64,
    pub reassembly_pieces: u64,
    pub reassembly_window: u64,
    /// Self-hosted help desks (product, server, port) past the 1,024 kept.
    pub self_hosted_not_listed: u64,
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

impl LimitDrops {
    /// Adds another run's drops (a merge). Destructured, so a field added to the struct
    /// cannot be left out of the sum: the compiler refuses the match.
    pub fn add(&mut self, b: &LimitDrops) {
        let LimitDrops {
            defrag_memcap,
            dns_cache_cleared,
            encrypted_dns_memcap,
            evidence_memcap,
            evidence_pending_cleared,
            exposures_memcap,
            flows_memcap,
            hidden_hosts_not_listed,
            http_head_too_long,
            http_head_unfinished,
            identity_cleared,
            identity_pending_cleared,
            reassembly_memcap,
            reassembly_pieces,
            reassembly_window,
            self_hosted_not_listed,
            sessions_lost,
            sessions_memcap,
            sessions_unjoined,
            tenants_not_kept,
            usage_memcap,
            visibility_memcap,
        } = b;
        self.defrag_memcap += defrag_memcap;
        self.dns_cache_cleared += dns_cache_cleared;
        self.encrypted_dns_memcap += encrypted_dns_memcap;
        self.evidence_memcap += evidence_memcap;
        self.evidence_pending_cleared += evidence_pending_cleared;
        self.exposures_memcap += exposures_memcap;
        self.flows_memcap += flows_memcap;
        self.hidden_hosts_not_listed += hidden_hosts_not_listed;
        self.http_head_too_long += http_head_too_long;
        self.http_head_unfinished += http_head_unfinished;
        self.identity_cleared += identity_cleared;
        self.identity_pending_cleared += identity_pending_cleared;
        self.reassembly_memcap += reassembly_memcap;
        self.reassembly_pieces += reassembly_pieces;
        self.reassembly_window += reassembly_window;
        self.self_hosted_not_listed += self_hosted_not_listed;
        self.sessions_lost += sessions_lost;
        self.sessions_memcap += sessions_memcap;
        self.sessions_unjoined += sessions_unjoined;
        self.tenants_not_kept += tenants_not_kept;
        self.usage_memcap += usage_memcap;
        self.visibility_memcap += visibility_memcap;
    }
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

pub mod baseline;
mod build;
pub use crate::aggregate::by_vendor;

#[cfg(test)]
mod tests;
