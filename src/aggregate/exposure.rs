//! Exposures towards a vendor: each an `exposure` event, and per host and vendor a short
//! list in the report (kind, first and last seen, count, an example).

use std::collections::BTreeMap;
use std::net::IpAddr;

use schemars::JsonSchema;
use serde::Serialize;

use super::facts::Facts;
use super::Aggregator;
use crate::event::{self, ExposureEvent, Kind, Method, Named, Timestamp, TlsVersion};
use crate::exposure::{Exposure, ExposureKind, WeakTls};
use crate::model::Observation;
use crate::proto::http::CredentialKind;
use crate::time::TsNanos;

/// Distinct exposures kept per host and vendor: the kinds are few, but the credential names
/// come from the wire, so a hostile client could mint new ones forever.
pub const MAX_EXPOSURES: usize = 32;

/// What tells one exposure of a host and vendor from another.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Key {
    kind: ExposureKind,
    credential: Option<CredentialKind>,
    credential_name: Option<String>,
    reason: Option<WeakTls>,
}

#[derive(Clone, Debug)]
pub struct Seen {
    first_seen: TsNanos,
    last_seen: TsNanos,
    count: u64,
    host: String,
    method: Option<&'static str>,
    path: Option<String>,
    tls_version: Option<u16>,
    weak_suite: Option<&'static str>,
}

/// A host and vendor's exposures.
#[derive(Clone, Debug, Default)]
pub struct Exposures {
    seen: BTreeMap<Key, Seen>,
    /// Exposures past [`MAX_EXPOSURES`]: counted, not kept.
    pub not_listed: u64,
}

/// Estimated bytes of a kept exposure besides its strings: map node, key and times.
const EXPOSURE_BYTES: usize = 200;

impl Exposures {
    /// Folds `x` in; a new entry is kept only if its bytes fit in `room` (the usage budget
    /// left). Returns the bytes newly held, or None when the budget refused it.
    fn record(&mut self, x: &Exposure, ts: TsNanos, room: usize) -> Option<usize> {
        let key = Key {
            kind: x.kind,
            credential: x.credential.as_ref().map(|c| c.kind),
            credential_name: x.credential.as_ref().and_then(|c| c.name.clone()),
            reason: x.reason,
        };
        if let Some(s) = self.seen.get_mut(&key) {
            s.first_seen = s.first_seen.min(ts);
            s.last_seen = s.last_seen.max(ts);
            s.count += 1;
            return Some(0);
        }
        if self.seen.len() >= MAX_EXPOSURES {
            self.not_listed += 1;
            return Some(0);
        }
        // The strings come from the wire: a host of 32 such entries could otherwise hold
        // what the usage budget charged 400 bytes for many times over.
        let bytes = EXPOSURE_BYTES
            + x.host.len()
            + x.path.as_ref().map_or(0, String::len)
            + key.credential_name.as_ref().map_or(0, String::len);
        if bytes > room {
            self.not_listed += 1;
            return None;
        }
        self.seen.insert(
            key,
            Seen {
                first_seen: ts,
                last_seen: ts,
                count: 1,
                host: x.host.clone(),
                method: x.method,
                path: x.path.clone(),
                tls_version: x.tls_version,
                weak_suite: x.weak_suite,
            },
        );
        Some(bytes)
    }

    /// The report's list, by kind, then credential, then reason.
    pub fn listed(&self) -> Vec<ExposureUse<'_>> {
        self.seen
            .iter()
            .map(|(k, s)| ExposureUse {
                exposure: k.kind,
                credential: k.credential,
                credential_name: k.credential_name.as_deref(),
                reason: k.reason,
                first_seen: Timestamp(s.first_seen),
                last_seen: Timestamp(s.last_seen),
                count: s.count,
                example_host: &s.host,
                example_method: s.method.map(Method::from_preamble),
                example_path: s.path.as_deref(),
                tls_version: s.tls_version.map(TlsVersion::of),
                weak_suite: s.weak_suite,
            })
            .collect()
    }
}

/// One kind of exposure of a host towards a vendor, in the report. Names only, never a
/// secret.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct ExposureUse<'a> {
    pub exposure: ExposureKind,
    pub credential: Option<CredentialKind>,
    /// The header or parameter name, the cookie names, or the Authorization scheme.
    pub credential_name: Option<&'a str>,
    pub reason: Option<WeakTls>,
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
    pub count: u64,
    /// The first one seen: its server name, and for plain HTTP its method and reduced path.
    pub example_host: &'a str,
    pub example_method: Option<Method>,
    pub example_path: Option<&'a str>,
    pub tls_version: Option<TlsVersion>,
    pub weak_suite: Option<&'a str>,
}

impl ExposureUse<'_> {
    /// Its line in the terminal summary's EXPOSURES section, for a scan's and a merge's alike:
    /// kind, then the credential by name (never its value) or the weak-TLS reason, count and
    /// the first example.
    pub fn summary_line(&self, ip: &IpAddr, vendor: &str) -> String {
        let what = match (self.credential, self.reason) {
            (Some(c), _) => format!(
                "{} {}{}",
                self.exposure.as_str(),
                c.as_str(),
                self.credential_name
                    .map(|n| format!(" ({})", crate::escape::text(n)))
                    .unwrap_or_default()
            ),
            (_, Some(r)) => format!("{} {}", self.exposure.as_str(), r.as_str()),
            _ => self.exposure.as_str().to_owned(),
        };
        format!(
            "  !! {:<15} {vendor:<16} {what:<44} x{:<4} e.g. {}{}",
            ip.to_string(),
            self.count,
            self.example_host,
            self.example_path.unwrap_or_default()
        )
    }
}

/// The event for an exposure the aggregator kept.
pub(super) fn event<'o>(named: Named<'o>, x: &'o Exposure) -> ExposureEvent<'o> {
    ExposureEvent {
        named,
        exposure: x.kind,
        method: x.method.map(Method::from_preamble),
        path: x.path.as_deref(),
        credential: x.credential.as_ref().map(|c| c.kind),
        credential_name: x.credential.as_ref().and_then(|c| c.name.as_deref()),
        tls_version: x.tls_version.map(TlsVersion::of),
        reason: x.reason,
        weak_suite: x.weak_suite,
    }
}

impl Aggregator<'_> {
    /// An exposure makes an event when its server name is a vendor's; it is filed under the
    /// host's use of that vendor (the request or hello that showed it came first and made
    /// that entry, within the usage budget).
    pub(super) fn observe_exposure(
        &mut self,
        o: &Observation,
        x: &Exposure,
        line: Option<&mut Vec<u8>>,
    ) -> bool {
        let Some(m) = self.catalog.lookup(&x.host) else {
            return false;
        };
        let (client, server) = match x.reason {
            // A server's choice travels back to the client.
            Some(WeakTls::ServerVersion | WeakTls::ServerWeakSuite) => (o.dst, o.src),
            _ => (o.src, o.dst),
        };
        let (cport, sport) = match client == o.src {
            true => (o.sport, o.dport),
            false => (o.dport, o.sport),
        };
        let sanctioned = self.policy.sanctioned(&m.vendor.id, client);
        tracing::debug!(
            kind = x.kind.as_str(),
            vendor = %m.vendor.id,
            host = %x.host,
            %client,
            "exposure"
        );
        if let Some(buf) = line {
            buf.clear();
            let facts = Facts {
                kind: Kind::Exposure,
                client,
                server,
                cport,
                sport,
                hostname: &x.host,
                m: Some(&m),
                sanctioned: Some(sanctioned),
                via: None,
                hello: None,
                encrypted_dns: None,
                who: self.identity.at(client, o.ts),
                new_since_baseline: self
                    .baseline
                    .map(|b| b.is_new(client, &m.vendor.id, &x.host)),
            };
            if let Some(e) = facts.event(o, self.origin(o)) {
                event::write(buf, &e);
            }
        }
        self.events += 1;
        *self.events_by_kind.entry(Kind::Exposure).or_default() += 1;
        let room = self.limits.usage_bytes.saturating_sub(self.usage_bytes);
        if let Some(u) = self
            .hosts
            .get_mut(&client)
            .and_then(|h| h.get_mut(m.vendor.id.as_str()))
        {
            match u.exposures.record(x, o.ts, room) {
                Some(grew) => self.usage_bytes += grew,
                None => self.dropped.exposures_memcap += 1,
            }
        }
        true
    }
}

/// For `skip_serializing_if`.
pub fn is_zero(n: &u64) -> bool {
    *n == 0
}
