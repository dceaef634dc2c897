//! Insecure integrations seen on the wire: what a flow's bytes expose (plain HTTP, a
//! credential in clear, a client or server that settles for weak TLS). The flow stage finds
//! them; the aggregator keeps those towards a vendor (`aggregate::exposure`).
//!
//! Evidence, never the secret: an [`Exposure`] holds names (header, parameter, cookie,
//! Authorization scheme), never a value, so nothing downstream can write one.

use crate::proto::http::{Credential, RequestHead};
pub use crate::proto::suites::{weak_suite, weak_suites_only};

/// What kind of exposure.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ExposureKind {
    /// A request to the vendor over plain HTTP: everything in it is readable on the path.
    PlainHttp,
    /// A credential rides in that plain request.
    CredentialsInClear,
    /// TLS that offers (client) or settles for (server) nothing better than TLS 1.1, or
    /// only weak cipher suites.
    WeakTls,
}

impl ExposureKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ExposureKind::PlainHttp => "plain_http",
            ExposureKind::CredentialsInClear => "credentials_in_clear",
            ExposureKind::WeakTls => "weak_tls",
        }
    }
}

/// Why a TLS handshake is weak.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum WeakTls {
    /// The client's highest offered version is TLS 1.1 or older.
    ClientMaxVersion,
    /// Every suite the client offers is weak (RC4, DES/3DES, NULL, EXPORT, anonymous).
    ClientWeakSuitesOnly,
    /// The server chose TLS 1.1 or older.
    ServerVersion,
    /// The server chose a weak suite.
    ServerWeakSuite,
}

impl WeakTls {
    pub fn as_str(self) -> &'static str {
        match self {
            WeakTls::ClientMaxVersion => "client_max_version",
            WeakTls::ClientWeakSuitesOnly => "client_weak_suites_only",
            WeakTls::ServerVersion => "server_version",
            WeakTls::ServerWeakSuite => "server_weak_suite",
        }
    }
}

/// One exposure, addressed as the packet that showed it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Exposure {
    pub kind: ExposureKind,
    /// The server's name: the request's Host, or the hello's SNI.
    pub host: String,
    /// The request's method and reduced path (plain HTTP, credentials).
    pub method: Option<&'static str>,
    pub path: Option<String>,
    pub credential: Option<Credential>,
    /// The TLS version offered (client) or chosen (server), and the weak suite's class.
    pub tls_version: Option<u16>,
    pub reason: Option<WeakTls>,
    pub weak_suite: Option<&'static str>,
}

impl Exposure {
    /// A plain request's exposures: the request itself, then each credential it carries.
    /// None without a Host name (no vendor can be told).
    pub fn of_request(r: RequestHead) -> Vec<Exposure> {
        let Some(host) = r.host else {
            return Vec::new();
        };
        let base = Exposure {
            kind: ExposureKind::PlainHttp,
            host,
            method: Some(r.method),
            path: Some(r.path),
            credential: None,
            tls_version: None,
            reason: None,
            weak_suite: None,
        };
        let mut out = Vec::with_capacity(1 + r.credentials.len());
        for c in r.credentials {
            out.push(Exposure {
                kind: ExposureKind::CredentialsInClear,
                credential: Some(c),
                ..base.clone()
            });
        }
        out.insert(0, base);
        out
    }

    /// A ClientHello's weakness, if any, towards its first server name.
    pub fn of_hello(
        name: &str,
        version: u16,
        weak_suites_only: Option<&'static str>,
    ) -> Option<Exposure> {
        if name.is_empty() {
            return None;
        }
        let reason = if version <= 0x0302 {
            WeakTls::ClientMaxVersion
        } else if weak_suites_only.is_some() {
            WeakTls::ClientWeakSuitesOnly
        } else {
            return None;
        };
        Some(Exposure {
            kind: ExposureKind::WeakTls,
            host: name.to_owned(),
            method: None,
            path: None,
            credential: None,
            tls_version: Some(version),
            reason: Some(reason),
            weak_suite: weak_suites_only,
        })
    }
}

impl Exposure {
    /// A server's weak choice, towards the first name its certificate gives (a wildcard's
    /// `*.` dropped, so the catalog can read it). None when the choice is sound, or the
    /// certificate is not in sight (TLS 1.3, or none sent).
    pub fn of_server_hello(h: &crate::proto::tls_server::ServerHello) -> Option<Exposure> {
        let name = h.names.first()?;
        let host = name.strip_prefix("*.").unwrap_or(name).to_owned();
        let (reason, weak) = if h.version <= 0x0302 {
            (WeakTls::ServerVersion, weak_suite(h.suite))
        } else {
            (WeakTls::ServerWeakSuite, Some(weak_suite(h.suite)?))
        };
        Some(Exposure {
            kind: ExposureKind::WeakTls,
            host,
            method: None,
            path: None,
            credential: None,
            tls_version: Some(h.version),
            reason: Some(reason),
            weak_suite: weak,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suite_classes_from_the_iana_registry() {
        // IANA names: TLS_RSA_WITH_RC4_128_SHA 0x0005, TLS_RSA_WITH_3DES_EDE_CBC_SHA 0x000A,
        // TLS_RSA_WITH_NULL_SHA256 0x003B, TLS_RSA_EXPORT_WITH_RC4_40_MD5 0x0003,
        // TLS_DH_anon_WITH_AES_128_CBC_SHA 0x0034, TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 0xC02F.
        assert_eq!(weak_suite(0x0005), Some("rc4"));
        assert_eq!(weak_suite(0x000a), Some("3des"));
        assert_eq!(weak_suite(0x003b), Some("null"));
        assert_eq!(weak_suite(0x0003), Some("export"));
        assert_eq!(weak_suite(0x0034), Some("anon"));
        assert_eq!(weak_suite(0xc02f), None);
        assert_eq!(weak_suites_only(&[0x000a, 0x0005, 0x00ff]), Some("3des"));
        assert_eq!(weak_suites_only(&[0x000a, 0xc02f]), None);
        assert_eq!(weak_suites_only(&[0x00ff]), None);
        assert_eq!(weak_suites_only(&[]), None);
    }

    #[test]
    fn hello_weakness() {
        let e = Exposure::of_hello("acme.zendesk.com", 0x0301, None).unwrap();
        assert_eq!(e.reason, Some(WeakTls::ClientMaxVersion));
        assert!(Exposure::of_hello("acme.zendesk.com", 0x0303, None).is_none());
        assert!(Exposure::of_hello("", 0x0301, None).is_none());
        let e = Exposure::of_hello("a.example", 0x0303, Some("rc4")).unwrap();
        assert_eq!(
            (e.reason, e.weak_suite),
            (Some(WeakTls::ClientWeakSuitesOnly), Some("rc4"))
        );
    }
}
