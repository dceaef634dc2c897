//! A host and vendor's exposures combined ([`crate::aggregate::exposure`]): per kind,
//! credential, credential name and reason, the count summed, first seen the minimum, last
//! seen the maximum, and the example of the part that saw it first; past the scan's cap the
//! ones first seen earliest are listed, as a scan keeps the first it meets.

use std::collections::BTreeMap;

use crate::aggregate::exposure::{ExposureUse, MAX_EXPOSURES};
use crate::event::{Method, Timestamp, TlsVersion};
use crate::exposure::{ExposureKind, WeakTls};
use crate::proto::http::CredentialKind;
use crate::time::TsNanos;

use super::combine::Bad;
use super::owned;

type Key = (
    ExposureKind,
    Option<CredentialKind>,
    Option<String>,
    Option<WeakTls>,
);

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Example {
    host: String,
    /// As the report writes it (checked to read back as one [`Method`]).
    method: Option<String>,
    path: Option<String>,
    tls_version: Option<u16>,
    weak_suite: Option<String>,
}

#[derive(Clone, Debug)]
struct Seen {
    first: TsNanos,
    last: TsNanos,
    count: u64,
    example: Example,
}

/// One host and vendor's exposures, every part's, uncapped until listed (the cap keeps the
/// earliest first seen, which only the union can tell).
#[derive(Clone, Debug, Default)]
pub struct Exposures {
    seen: BTreeMap<Key, Seen>,
    /// The parts' own counts of exposures past their cap.
    not_listed: u64,
}

impl Exposures {
    /// A report's list and count.
    pub fn read(list: &[owned::ExposureUse], not_listed: u64) -> Result<Exposures, Bad> {
        let mut out = Exposures {
            seen: BTreeMap::new(),
            not_listed,
        };
        for x in list {
            let key = (
                named(&KINDS, ExposureKind::as_str, &x.exposure, "exposure")?,
                x.credential
                    .as_deref()
                    .map(|c| named(&CREDENTIALS, CredentialKind::as_str, c, "credential"))
                    .transpose()?,
                x.credential_name.clone(),
                x.reason
                    .as_deref()
                    .map(|r| named(&REASONS, WeakTls::as_str, r, "weak TLS reason"))
                    .transpose()?,
            );
            if let Some(m) = &x.example_method {
                if write_method(Method::from_preamble(m)) != *m {
                    return Err(format!("unknown example_method {m:?}"));
                }
            }
            let seen = Seen {
                first: x.first_seen.0,
                last: x.last_seen.0,
                count: x.count,
                example: Example {
                    host: x.example_host.clone(),
                    method: x.example_method.clone(),
                    path: x.example_path.clone(),
                    tls_version: x.tls_version.as_ref().map(tls_version).transpose()?,
                    weak_suite: x.weak_suite.clone(),
                },
            };
            out.add(key, seen);
        }
        Ok(out)
    }

    fn add(&mut self, key: Key, o: Seen) {
        match self.seen.get_mut(&key) {
            None => {
                self.seen.insert(key, o);
            }
            Some(s) => {
                // A scan's example is the first one it met; between parts, the one seen
                // first (a tie by the example itself, so the order of the reports does not
                // matter).
                if (o.first, &o.example) < (s.first, &s.example) {
                    s.example = o.example;
                }
                s.first = s.first.min(o.first);
                s.last = s.last.max(o.last);
                s.count += o.count;
            }
        }
    }

    pub fn absorb(&mut self, o: Exposures) {
        self.not_listed += o.not_listed;
        for (k, s) in o.seen {
            self.add(k, s);
        }
    }

    /// The kept ones: the [`MAX_EXPOSURES`] first seen earliest.
    fn kept(&self) -> Vec<(&Key, &Seen)> {
        let mut v: Vec<(&Key, &Seen)> = self.seen.iter().collect();
        v.sort_by(|a, b| (a.1.first, a.0).cmp(&(b.1.first, b.0)));
        v.truncate(MAX_EXPOSURES);
        v
    }

    /// The parts' counts, plus every occurrence of a kind the cap leaves out (a scan counts
    /// each occurrence it cannot keep).
    pub fn not_listed(&self) -> u64 {
        let kept: u64 = self.kept().iter().map(|(_, s)| s.count).sum();
        let all: u64 = self.seen.values().map(|s| s.count).sum();
        self.not_listed + (all - kept)
    }

    /// The report's list, in the scan's order: kind, credential, then reason.
    pub fn listed(&self) -> Vec<ExposureUse<'_>> {
        let mut kept = self.kept();
        kept.sort_by(|a, b| a.0.cmp(b.0));
        kept.into_iter()
            .map(|(k, s)| ExposureUse {
                exposure: k.0,
                credential: k.1,
                credential_name: k.2.as_deref(),
                reason: k.3,
                first_seen: Timestamp(s.first),
                last_seen: Timestamp(s.last),
                count: s.count,
                example_host: &s.example.host,
                example_method: s.example.method.as_deref().map(Method::from_preamble),
                example_path: s.example.path.as_deref(),
                tls_version: s.example.tls_version.map(TlsVersion::of),
                weak_suite: s.example.weak_suite.as_deref(),
            })
            .collect()
    }
}

const KINDS: [ExposureKind; 3] = [
    ExposureKind::PlainHttp,
    ExposureKind::CredentialsInClear,
    ExposureKind::WeakTls,
];

const CREDENTIALS: [CredentialKind; 6] = [
    CredentialKind::BasicAuth,
    CredentialKind::BearerToken,
    CredentialKind::OtherAuthorization,
    CredentialKind::ApiKeyHeader,
    CredentialKind::ApiKeyParam,
    CredentialKind::Cookie,
];

const REASONS: [WeakTls; 4] = [
    WeakTls::ClientMaxVersion,
    WeakTls::ClientWeakSuitesOnly,
    WeakTls::ServerVersion,
    WeakTls::ServerWeakSuite,
];

/// The value of `all` that the report names `s`.
fn named<T: Copy>(all: &[T], name: fn(T) -> &'static str, s: &str, what: &str) -> Result<T, Bad> {
    all.iter()
        .copied()
        .find(|v| name(*v) == s)
        .ok_or_else(|| format!("unknown {what} {s:?}"))
}

fn write_method(m: Method) -> String {
    serde_json::to_value(m)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// The version number a report's `tls_version` names.
fn tls_version(v: &owned::TlsVersion) -> Result<u16, Bad> {
    match v {
        owned::TlsVersion::Number(n) => Ok(*n),
        owned::TlsVersion::Name(s) => [0x0304, 0x0303, 0x0302, 0x0301, 0x0300, 0x0002]
            .into_iter()
            .find(|&n| matches!(TlsVersion::of(n), TlsVersion::Name(x) if x == s))
            .ok_or_else(|| format!("unknown tls_version {s:?}")),
    }
}
