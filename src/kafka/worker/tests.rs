//! `explain`: the wording of connection failures.

use super::*;

fn opts(tls: bool, sasl: Option<SaslConfig>) -> Options {
    Options {
        brokers: vec!["10.1.2.3:9093".into()],
        events_topic: Some("t".into()),
        report_topic: None,
        // Only whether TLS is on matters here, not what it trusts.
        tls: tls.then(|| {
            Arc::new(
                rustls::ClientConfig::builder_with_provider(Arc::new(
                    rustls::crypto::ring::default_provider(),
                ))
                .with_safe_default_protocol_versions()
                .unwrap()
                .with_root_certificates(rustls::RootCertStore::empty())
                .with_no_client_auth(),
            )
        }),
        sasl,
        queue_bytes: 1 << 20,
        flush_timeout: Duration::from_secs(1),
        sensor: "s".into(),
    }
}

// The messages rskafka 0.6 gave against tansu 0.6.0 (tests/kafka/secure-test.sh).
const SASL: &str = "Connection error: all retries failed: Retry exceeded deadline. Source: Sasl handshake failed: Sasl session error: internal mechanism error: SCRAM outcome error: invalid proof";
const CERT: &str = "Connection error: all retries failed: Retry exceeded deadline. Source: error connecting to broker \"10.1.2.3:9093\": IO Error: invalid peer certificate: UnknownIssuer";

#[test]
fn a_refused_login_names_the_broker_mechanism_and_user_but_not_the_password() {
    let sasl = super::super::sasl("scram-sha-256", "alice".into(), "hunter2".into()).ok();
    let m = explain(&opts(true, sasl), Failure::Client(SASL));
    assert_eq!(
        m,
        "the broker 10.1.2.3:9093 refused the SASL SCRAM-SHA-256 login of user \"alice\" \
         (Sasl handshake failed: Sasl session error: internal mechanism error: SCRAM outcome error: invalid proof)"
    );
    assert!(!m.contains("hunter2"));
}

#[test]
fn an_untrusted_certificate_points_at_the_ca_option() {
    let m = explain(&opts(true, None), Failure::Client(CERT));
    assert!(
        m.starts_with("the TLS certificate of 10.1.2.3:9093 is not trusted: check --kafka-ca ("),
        "{m}"
    );
    assert!(
        m.ends_with("invalid peer certificate: UnknownIssuer)"),
        "{m}"
    );
}

#[test]
fn silence_under_tls_suggests_a_plaintext_listener_and_other_errors_pass_through() {
    let m = explain(&opts(true, None), Failure::NoAnswer);
    assert!(m.contains("does not speak TLS"), "{m}");
    let m = explain(&opts(false, None), Failure::NoAnswer);
    assert_eq!(m, "no answer from 10.1.2.3:9093 within 15 s");
    // Without TLS a certificate word is not about us; without SASL neither is "Sasl".
    let m = explain(&opts(false, None), Failure::Client(CERT));
    assert!(m.starts_with("error connecting to broker"), "{m}");
    let m = explain(&opts(false, None), Failure::Client(SASL));
    assert!(m.starts_with("Sasl handshake failed"), "{m}");
}
