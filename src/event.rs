//! The events: one JSON object per line of `--events`, each the serialization of one
//! [`Event`]. These types are the schema (`schema/event.schema.json` is generated from them,
//! and their doc comments are its descriptions): a field exists because a type has it.
//!
//! Every event starts with `ts` and `kind`; the kinds that name a server (`dns`,
//! `dns_answer`, `tls`, `quic`, `http`, `socks`) continue with the fields of [`Named`], then
//! their own. Every event ends with where it was seen ([`Origin`]: `input`, `sensor`). Live
//! capture adds `stats` events ([`LiveStats`]).

use std::net::IpAddr;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize, Serializer};

use crate::model::{Field, Source};
use crate::time::{rfc3339, TsNanos};

/// A capture time, written as RFC 3339 in UTC with microseconds
/// (`2024-01-02T03:04:05.123456Z`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp(pub TsNanos);

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&rfc3339(self.0))
    }
}

/// Read back as written (`shadowdesk merge` reads reports): any RFC 3339 time.
impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Timestamp, D::Error> {
        let s = String::deserialize(d)?;
        crate::time::parse_rfc3339(&s)
            .map(Timestamp)
            .map_err(serde::de::Error::custom)
    }
}

impl JsonSchema for Timestamp {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Timestamp".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        // Not `format: date-time`: a capture's timestamp is what its file says, and a
        // saturated one (pcapng `if_tsoffset`) lies hundreds of millennia away, with a sign
        // and more than four year digits, which RFC 3339 cannot write.
        schemars::json_schema!({
            "description": "RFC 3339 time in UTC with microseconds, e.g. 2024-01-02T03:04:05.123456Z (from the capture, not the clock; years outside 0000-9999 keep all their digits and sign)",
            "type": "string",
            "pattern": "^-?[0-9]{4,}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{6}Z$"
        })
    }
}

/// What an event reports. Declared in the order of their names, so a map keyed by kind
/// (`events_by_kind`) lists them as it always has: alphabetically.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A question in a DNS query.
    Dns,
    /// A DNS response: the question's name, its CNAME chain and addresses.
    DnsAnswer,
    /// Something that exposes a vendor integration: plain HTTP, a credential in clear, weak
    /// TLS.
    Exposure,
    /// A server named by a plain HTTP request's Host, or by an HTTP CONNECT.
    Http,
    /// A host's name, MAC address or user, first seen or changed.
    Identity,
    /// A QUIC Initial's ClientHello.
    Quic,
    /// A SOCKS 4, 4a or 5 request's target.
    Socks,
    /// Live capture's periodic counters.
    Stats,
    /// A TLS ClientHello over TCP.
    Tls,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Dns => "dns",
            Kind::DnsAnswer => "dns_answer",
            Kind::Exposure => "exposure",
            Kind::Http => "http",
            Kind::Identity => "identity",
            Kind::Quic => "quic",
            Kind::Socks => "socks",
            Kind::Stats => "stats",
            Kind::Tls => "tls",
        }
    }
}

/// One line of `--events`.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(transform = closed)]
pub struct Event<'a> {
    /// When: the packet's capture time (`stats`: the wall clock).
    pub ts: Timestamp,
    #[serde(flatten)]
    pub body: Body<'a>,
    #[serde(flatten)]
    pub origin: Origin<'a>,
}

/// Where an event was observed: the last fields of every event.
#[derive(Clone, Copy, Debug, Default, Serialize, JsonSchema)]
pub struct Origin<'a> {
    /// The input the packet came from: the file as given on the command line (a folder's
    /// files as `folder/name`; `-` for standard input), or `interface:NAME` in live capture.
    /// Absent only on `stats` events, which count all interfaces.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String")]
    pub input: Option<&'a str>,
    /// The `--sensor` name, on every event when it was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String")]
    pub sensor: Option<&'a str>,
}

/// The event's `kind` and the fields that kind carries.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Body<'a> {
    /// A question in a DNS query.
    Dns(Dns<'a>),
    /// A DNS response.
    DnsAnswer(DnsAnswer<'a>),
    /// A TLS ClientHello over TCP (one event per server name it carries, or one with an empty
    /// `hostname` when it carries none).
    Tls(Hello<'a>),
    /// A ClientHello in QUIC Initial packets.
    Quic(Hello<'a>),
    /// A plain HTTP request's Host, or an HTTP CONNECT's target.
    Http(Request<'a>),
    /// A SOCKS request's target.
    Socks(Request<'a>),
    /// Live capture only: counters every `--stats-interval`.
    Stats(LiveStats),
    /// An insecure integration towards a vendor: what was exposed, never the secret.
    Exposure(ExposureEvent<'a>),
    /// A binding of an address to a host name, a MAC address or a user, written when it is
    /// first seen or its value changes.
    Identity(IdentityEvent<'a>),
}

impl Body<'_> {
    pub fn kind(&self) -> Kind {
        match self {
            Body::Dns(_) => Kind::Dns,
            Body::DnsAnswer(_) => Kind::DnsAnswer,
            Body::Tls(_) => Kind::Tls,
            Body::Quic(_) => Kind::Quic,
            Body::Http(_) => Kind::Http,
            Body::Socks(_) => Kind::Socks,
            Body::Stats(_) => Kind::Stats,
            Body::Exposure(_) => Kind::Exposure,
            Body::Identity(_) => Kind::Identity,
        }
    }
}

/// The fields every event that names a server has, in this order.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Named<'a> {
    /// The client: the host that asked (DNS) or sent the hello or request, also for a DNS
    /// response, which it received.
    pub src_ip: IpAddr,
    pub src_port: u16,
    /// The server: the resolver, or the host the hello or request went to.
    pub dst_ip: IpAddr,
    pub dst_port: u16,
    pub transport: Transport,
    /// The flow's Community ID v1 (seed 0), as Zeek and Suricata write it: join this event to
    /// their conn.log and eve.json.
    pub community_id: String,
    /// The name on the wire (question, SNI, Host, proxy target; empty for a hello without
    /// one), lower-cased, in the presentation form of RFC 1035 §5.1: a backslash is `\\`,
    /// any byte outside printable ASCII `\DDD` (decimal).
    pub hostname: &'a str,
    /// The vendor's id in the catalog (`shadowdesk vendors`), or null when no vendor's
    /// pattern matched.
    pub vendor: Option<&'a str>,
    /// Whether the policy sanctions that vendor for this client; null without a vendor.
    pub sanctioned: Option<bool>,
    /// Present only when a vendor matched.
    #[serde(flatten)]
    pub vendor_match: Option<VendorMatch<'a>>,
    /// Vendor events: who held the client address at that moment, from the identity
    /// bindings (see `identity` events) still valid then. Absent when not known.
    #[serde(flatten)]
    pub who: Who<'a>,
}

/// The device and user behind an address at one moment: per field, the binding set most
/// recently that is still valid (DHCP until its lease ends; others for a day after they were
/// last seen); on a tie, DHCP's option 81 name before option 12.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Who<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String")]
    pub host_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String")]
    pub host_mac: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String")]
    pub user: Option<&'a str>,
}

/// How the name matched a vendor.
#[derive(Debug, Serialize, JsonSchema)]
pub struct VendorMatch<'a> {
    /// The vendor's display name.
    pub vendor_name: &'a str,
    /// The vendor's category in the catalog (`helpdesk_ticketing`, ...).
    pub category: &'a str,
    /// The catalog pattern that matched.
    pub matched: &'a str,
    pub strength: Strength,
    /// The customer's account label when the pattern carries one (`acme` in
    /// `acme.zendesk.com`), else null.
    pub tenant: Option<&'a str>,
    /// What the matched name serves, from the catalog: `agent` (consoles, staff login),
    /// `api`, `end_user` (widgets, messengers, help centers, their CDNs), `shared`, or
    /// `tenant` (a tenant's own name, used by staff and end users alike). Absent when the
    /// catalog line does not say.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String")]
    pub endpoint: Option<&'static str>,
    /// `--baseline` only: true when the host and vendor pair is not in the baseline report,
    /// or the name (as the report files it) is not among the pair's names there.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "bool")]
    pub new_since_baseline: Option<bool>,
}

/// `kind: "identity"`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct IdentityEvent<'a> {
    /// The host the fact is about: for DHCP the address assigned (`yiaddr`, or `ciaddr` for
    /// an INFORM; each IA address for DHCPv6), for NBNS the address registered, otherwise
    /// the packet's sender (the client).
    pub ip: IpAddr,
    pub field: Field,
    /// Lower-cased, escaped like every wire name: host names without trailing dot or
    /// NetBIOS suffix; users `user@realm` (Kerberos) or `domain\\user` (NTLM); MACs
    /// `aa:bb:cc:dd:ee:ff`.
    pub value: &'a str,
    pub source: Source,
    /// The packet's addresses, as it travelled.
    pub src_ip: IpAddr,
    pub src_port: u16,
    pub dst_ip: IpAddr,
    pub dst_port: u16,
    pub transport: Transport,
}

/// How much a matched pattern says about the vendor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Strength {
    /// The vendor's own name.
    Strong,
    /// Shared infrastructure (a CDN, a mail relay) that other sites use too.
    Weak,
}

impl Strength {
    pub fn of(strong: bool) -> Strength {
        if strong {
            Strength::Strong
        } else {
            Strength::Weak
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Transport {
    Tcp,
    Udp,
}

/// `kind: "dns"`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Dns<'a> {
    #[serde(flatten)]
    pub named: Named<'a>,
    pub qtype: QType,
}

/// A DNS question type: its mnemonic for the common ones, else its number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum QType {
    /// `A`, `NS`, `CNAME`, `SOA`, `PTR`, `MX`, `TXT`, `AAAA`, `SRV`, `SVCB`, `HTTPS`, `ANY`.
    Name(&'static str),
    Number(u16),
}

/// Read back (`merge`): a mnemonic maps to the number it stands for.
impl<'de> serde::Deserialize<'de> for QType {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match NameOrNumber::deserialize(d)? {
            NameOrNumber::Number(n) => u16::try_from(n)
                .map(QType::of)
                .map_err(|_| serde::de::Error::custom("qtype out of range")),
            NameOrNumber::Name(s) => [1, 2, 5, 6, 12, 15, 16, 28, 33, 64, 65, 255]
                .into_iter()
                .map(QType::of)
                .find(|q| matches!(q, QType::Name(n) if *n == s))
                .ok_or_else(|| serde::de::Error::custom(format!("unknown qtype {s}"))),
        }
    }
}

/// A name or a number, as QType and RCode are written.
#[derive(serde::Deserialize)]
#[serde(untagged)]
enum NameOrNumber {
    Name(String),
    Number(u64),
}

impl QType {
    pub fn of(t: u16) -> QType {
        let name = match t {
            1 => "A",
            2 => "NS",
            5 => "CNAME",
            6 => "SOA",
            12 => "PTR",
            15 => "MX",
            16 => "TXT",
            28 => "AAAA",
            33 => "SRV",
            64 => "SVCB",
            65 => "HTTPS",
            255 => "ANY",
            _ => return QType::Number(t),
        };
        QType::Name(name)
    }
}

/// A DNS response code: its name in the IANA registry (RFC 6895) for the header's values
/// 0-11, else its number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum RCode {
    /// `NOERROR`, `FORMERR`, `SERVFAIL`, `NXDOMAIN`, `NOTIMP`, `REFUSED`, `YXDOMAIN`,
    /// `YXRRSET`, `NXRRSET`, `NOTAUTH`, `NOTZONE`, `DSOTYPENI`.
    Name(&'static str),
    Number(u8),
}

/// Read back (`merge`): a name maps to the code it stands for.
impl<'de> serde::Deserialize<'de> for RCode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match NameOrNumber::deserialize(d)? {
            NameOrNumber::Number(n) => u8::try_from(n)
                .map(RCode::of)
                .map_err(|_| serde::de::Error::custom("rcode out of range")),
            NameOrNumber::Name(s) => (0..12)
                .map(RCode::of)
                .find(|r| matches!(r, RCode::Name(n) if *n == s))
                .ok_or_else(|| serde::de::Error::custom(format!("unknown rcode {s}"))),
        }
    }
}

impl RCode {
    pub fn of(rcode: u8) -> RCode {
        const NAMES: [&str; 12] = [
            "NOERROR",
            "FORMERR",
            "SERVFAIL",
            "NXDOMAIN",
            "NOTIMP",
            "REFUSED",
            "YXDOMAIN",
            "YXRRSET",
            "NXRRSET",
            "NOTAUTH",
            "NOTZONE",
            "DSOTYPENI",
        ];
        match NAMES.get(rcode as usize) {
            Some(n) => RCode::Name(n),
            None => RCode::Number(rcode),
        }
    }
}

/// A TLS version: `1.3`, `1.2`, `1.1`, `1.0`, `ssl3`, `ssl2`; another value as its
/// number (a draft or a GREASE-like value a client offered alone).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum TlsVersion {
    Name(&'static str),
    Number(u16),
}

impl TlsVersion {
    pub fn of(v: u16) -> TlsVersion {
        TlsVersion::Name(match v {
            0x0304 => "1.3",
            0x0303 => "1.2",
            0x0302 => "1.1",
            0x0301 => "1.0",
            0x0300 => "ssl3",
            0x0002 => "ssl2",
            _ => return TlsVersion::Number(v),
        })
    }
}

/// `kind: "dns_answer"`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct DnsAnswer<'a> {
    /// `hostname` is the question's name.
    #[serde(flatten)]
    pub named: Named<'a>,
    /// The header's response code (4 bits).
    pub rcode: u8,
    /// `rcode` by its name in the IANA DNS RCODE registry (`NOERROR`, `NXDOMAIN`,
    /// `SERVFAIL`, `REFUSED`, ...), or the number when it has none.
    pub rcode_name: RCode,
    /// The question's type, as `dns` events write it; null when the response has no
    /// question.
    pub qtype: Option<QType>,
    /// The smallest TTL (seconds) of the answer section's A and AAAA records: how long the
    /// client may keep using these addresses without asking again, so how long a later
    /// connection can be laid to this answer; a few seconds is what fast-flux and some
    /// CDNs use. Null when the answer has no address.
    pub min_ttl: Option<u32>,
    /// The CNAME targets of the answer section, in order.
    pub cnames: Vec<&'a str>,
    /// The A and AAAA addresses of the answer section, in order.
    pub answers: Vec<IpAddr>,
    /// The public names of the ECH configs in the answer's HTTPS/SVCB records, sorted and
    /// distinct; absent when it has none.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Vec<String>")]
    pub ech_public_names: Option<Vec<&'a str>>,
    /// The CNAME target that named the vendor, when the question's name did not.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String")]
    pub via: Option<&'a str>,
}

/// `kind: "tls"` and `kind: "quic"`: a ClientHello.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Hello<'a> {
    /// `hostname` is the SNI ("" without one); with ECH, the provider's public name.
    #[serde(flatten)]
    pub named: Named<'a>,
    /// The hello went to an encrypted-DNS resolver (port 853, or a known DNS-over-HTTPS
    /// server): the client's lookups are out of sight. Null otherwise.
    pub encrypted_dns: Option<EncryptedDnsProtocol>,
    /// The hello carried the ECH extension (GREASE included).
    pub ech_offered: bool,
    /// ECH was used for real (`ech_evidence` says why that is believed).
    pub ech: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "EchEvidence")]
    pub ech_evidence: Option<EchEvidence>,
    /// Present when the wire has no usable name (no SNI, or real ECH).
    #[serde(flatten)]
    pub attribution: Option<AttributionShown<'a>>,
    /// The owner of the record that answered, when it differs from the name asked.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String")]
    pub attribution_owner: Option<&'a str>,
    /// When the answer that gave the name was seen.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Timestamp")]
    pub attribution_ts: Option<Timestamp>,
    /// `ech_https_record` only: how many distinct names fit the evidence (other sites
    /// behind the same ECH provider).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "u64")]
    pub attribution_candidates: Option<u64>,
    /// The client's JA4 fingerprint (FoxIO's `ja4`, e.g. `t13d1516h2_8daaf6152771_e5627efa2ab1`);
    /// null when the hello could not be read that far.
    pub ja4: Option<String>,
    /// The highest TLS version the client offers: from supported_versions (GREASE
    /// ignored) when the hello has it, else the hello's legacy version; null with `ja4`.
    pub tls_version: Option<TlsVersion>,
    /// The ALPN protocols as offered, in order (`["h2", "http/1.1"]`; empty without the
    /// extension; the first 16 at most); null with `ja4`.
    #[schemars(with = "Option<Vec<String>>")]
    pub alpn: Option<&'a [String]>,
    /// What the hello's shape says sent it: `browser` or `library` (README, "Roles and
    /// ownership"); null with `ja4`.
    pub client: Option<ClientClass>,
}

/// Who sent a ClientHello, by its shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClientClass {
    /// A web browser's TLS stack (GREASE values, or Firefox's NSS extensions).
    Browser,
    /// A TLS library as programs use it (curl, Python, Go, Java, Node, ...).
    Library,
}

impl From<crate::proto::ja4::ClientClass> for ClientClass {
    fn from(c: crate::proto::ja4::ClientClass) -> ClientClass {
        match c {
            crate::proto::ja4::ClientClass::Browser => ClientClass::Browser,
            crate::proto::ja4::ClientClass::Library => ClientClass::Library,
        }
    }
}

/// Whether a name was recovered for a hello whose wire has none, and how.
#[derive(Debug, Serialize, JsonSchema)]
pub struct AttributionShown<'a> {
    /// The name the client asked its DNS for, or null when none was found.
    pub attributed_hostname: Option<&'a str>,
    pub attribution: Option<AttributionMethod>,
}

/// Where a hello's name came from when its wire has none.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AttributionMethod {
    /// The client's DNS answer that gave it the server's address.
    DnsAnswer,
    /// The client's HTTPS record whose ECH config the hello used.
    EchHttpsRecord,
}

/// Why a hello's ECH is believed real.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum EchEvidence {
    /// This client received the config (public name, id, cipher suite) in an HTTPS record.
    ClientHttpsRecord,
    /// Some client received it.
    HttpsRecord,
    /// The SNI is a known ECH provider's public name.
    KnownPublicName,
}

/// An encrypted-DNS protocol. Declared in the order of their names: the report lists a
/// host's resolvers sorted by protocol name.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum EncryptedDnsProtocol {
    /// DNS over HTTPS (over TLS).
    Doh,
    /// DNS over HTTP/3 (over QUIC).
    Doh3,
    /// DNS over QUIC (port 853).
    Doq,
    /// DNS over TLS (port 853).
    Dot,
}

impl EncryptedDnsProtocol {
    pub fn as_str(self) -> &'static str {
        match self {
            EncryptedDnsProtocol::Doh => "doh",
            EncryptedDnsProtocol::Doh3 => "doh3",
            EncryptedDnsProtocol::Doq => "doq",
            EncryptedDnsProtocol::Dot => "dot",
        }
    }
}

impl std::fmt::Display for EncryptedDnsProtocol {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // `pad`, so the summary's `{:<5}` columns line up.
        f.pad(self.as_str())
    }
}

/// `kind: "http"` and `kind: "socks"`: a server a client named to a proxy, or in a plain
/// HTTP request.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Request<'a> {
    /// `hostname` is the target host (a name or an address literal).
    #[serde(flatten)]
    pub named: Named<'a>,
    pub method: Method,
    /// The port the client asked for (Host's port, 80 by default; the CONNECT or SOCKS
    /// target's port).
    pub target_port: u16,
}

/// The request that named the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum Method {
    Connect,
    Get,
    Post,
    Head,
    Put,
    Delete,
    Options,
    Patch,
    /// Another HTTP method.
    Other,
    Socks4,
    Socks4a,
    Socks5,
}

impl Method {
    /// The method as the preamble parser names it ([`crate::proto::preamble::ProxyTarget`]);
    /// a name it does not use is `Other`.
    pub fn from_preamble(m: &str) -> Method {
        match m {
            "CONNECT" => Method::Connect,
            "GET" => Method::Get,
            "POST" => Method::Post,
            "HEAD" => Method::Head,
            "PUT" => Method::Put,
            "DELETE" => Method::Delete,
            "OPTIONS" => Method::Options,
            "PATCH" => Method::Patch,
            "SOCKS4" => Method::Socks4,
            "SOCKS4A" => Method::Socks4a,
            "SOCKS5" => Method::Socks5,
            _ => Method::Other,
        }
    }

    pub fn is_socks(self) -> bool {
        matches!(self, Method::Socks4 | Method::Socks4a | Method::Socks5)
    }
}

/// `kind: "exposure"`: what a connection to a vendor exposed. Names only: no header, query
/// or cookie value is ever written.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ExposureEvent<'a> {
    /// `hostname` is the request's Host or the hello's SNI.
    #[serde(flatten)]
    pub named: Named<'a>,
    pub exposure: crate::exposure::ExposureKind,
    /// Plain HTTP: the request's method.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Method")]
    pub method: Option<Method>,
    /// Plain HTTP: the path, its query reduced to parameter names (`/api?api_key&page`; a
    /// part without `=` or a name over 40 characters is `*`; at most 256 path characters).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String")]
    pub path: Option<&'a str>,
    /// `credentials_in_clear`: what kind.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "crate::proto::http::CredentialKind")]
    pub credential: Option<crate::proto::http::CredentialKind>,
    /// The header or parameter name that carried it, the cookie names (`,`-joined), or a
    /// known Authorization scheme; never its value.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String")]
    pub credential_name: Option<&'a str>,
    /// `weak_tls`: the highest version the client offered, or the one the server chose.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "TlsVersion")]
    pub tls_version: Option<TlsVersion>,
    /// `weak_tls`: why.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "crate::exposure::WeakTls")]
    pub reason: Option<crate::exposure::WeakTls>,
    /// `weak_tls` by suite: its class (`rc4`, `3des`, `des`, `null`, `export`, `anon`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String")]
    pub weak_suite: Option<&'a str>,
}

/// `kind: "stats"`: live capture's counters since it started.
#[derive(Debug, Default, Serialize, JsonSchema)]
pub struct LiveStats {
    /// Packets the kernel handed to the capture, over all interfaces.
    pub packets_received: u64,
    /// Packets the kernel dropped for lack of buffer room.
    pub packets_dropped_kernel: u64,
    /// Packets the interfaces dropped.
    pub packets_dropped_interface: u64,
    pub packets_analysed: u64,
    /// Flows in the workers' tables now.
    pub flows_tracked: u64,
    /// Flows evicted while still waiting for bytes (idle or table cap).
    pub flows_evicted: u64,
    /// What the reassembly limits gave up so far (segments past the window, pieces past
    /// the cap or the memory budget, flows evicted for room); by name in the report.
    pub dropped_reassembly: u64,
    /// Event lines written so far.
    pub events_written: u64,
    /// `--kafka`: events the broker acknowledged so far (absent without `--kafka`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub events_published: Option<u64>,
    /// `--kafka`: events dropped so far because the queue to the broker was full.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub events_dropped_broker: Option<u64>,
}

/// No field beyond those of the event's kind: in JSON Schema 2020-12 `unevaluatedProperties`
/// sees through the `oneOf` and `$ref`s the kinds and their flattened parts make, where
/// `additionalProperties` would not.
fn closed(s: &mut schemars::Schema) {
    s.insert("unevaluatedProperties".into(), false.into());
}

/// Appends an event's JSON (one line, no newline) to `buf`.
pub fn write(buf: &mut Vec<u8>, e: &Event<'_>) {
    // Into a Vec the writer cannot fail, and the types hold nothing serde_json refuses
    // (no maps with non-string keys, no non-finite floats).
    let _ = serde_json::to_writer(buf, e);
}

#[cfg(test)]
mod tests;
