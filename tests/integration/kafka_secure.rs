//! `--kafka` over TLS and SASL (PLAIN, SCRAM-SHA-256/512) against tansu behind a TLS front
//! and tests/kafka/sasl_front.py: tests/kafka/secure-test.sh runs the scenarios, this checks
//! what it recorded, read back by kafka-python logged in the same way. Needs what `kafka`
//! needs, and openssl.

use std::process::Command;

use crate::kafka_common::*;
use crate::util::*;

/// The SASL password of the secure tests: distinctive, so finding it in any output is a leak.
const SECRET: &str = "pw-Kx9-never-printed";

/// What the secure tests need beyond the others: openssl makes their CA and certificates.
fn missing_secure_prerequisite() -> Option<String> {
    missing_prerequisite().or_else(|| {
        let have = Command::new("openssl")
            .arg("version")
            .output()
            .is_ok_and(|o| o.status.success());
        (!have).then(|| "openssl is not installed".into())
    })
}

/// Runs tests/kafka/secure-test.sh in `mode` with `tansu` and returns its output directory.
fn secure_test(mode: &str, tansu: &str) -> crate::util::TempDir {
    let out = tempdir(&format!("kafka-{mode}"));
    let st = Command::new("bash")
        .arg(root().join("tests/kafka/secure-test.sh"))
        .arg(bin())
        .arg(&out)
        .arg(root().join("testdata/office/office_day.pcap"))
        .arg(mode)
        .env("TANSU", tansu)
        .env("KAFKA_PASSWORD", SECRET)
        .status()
        .unwrap();
    assert!(
        st.success(),
        "secure-test.sh {mode} failed: see {}",
        out.display()
    );
    out
}

/// A run that published everything: every event line once, under its host's key.
fn all_delivered(out: &std::path::Path, tag: &str) {
    let read = |f: &str| std::fs::read_to_string(out.join(f)).unwrap_or_default();
    assert_eq!(
        read(&format!("{tag}.exit")).trim(),
        "0",
        "{}",
        read(&format!("{tag}.stderr"))
    );
    assert_eq!(
        read(&format!("{tag}.consume.exit")).trim(),
        "0",
        "{}",
        read(&format!("{tag}.consume.stderr"))
    );
    let lines = read(&format!("{tag}.events"));
    assert!(
        lines.lines().count() > 100,
        "{tag}: {} events",
        lines.lines().count()
    );
    let recs = consumed(&read(&format!("{tag}.consumed")));
    for r in &recs {
        assert_eq!(r.key, client(&event_line(&r.value)), "{}", r.value);
    }
    assert_eq!(
        multiset(recs.iter().map(|r| r.value.as_str())),
        multiset(lines.lines()),
        "{tag}"
    );
    let k = report_doc(read(&format!("{tag}.report.json")).as_bytes())["stats"]["kafka"].clone();
    assert_eq!(
        k["events_published"],
        lines.lines().count() as u64,
        "{tag}: {k}"
    );
    assert_eq!(k["events_dropped_broker"], 0, "{tag}: {k}");
}

/// A run the broker refused: exit 2, the cause on stderr (each of `said`), nothing
/// published, every event counted as dropped, and the password in none of its outputs.
fn refused(out: &std::path::Path, tag: &str, said: &[&str]) {
    let read = |f: &str| std::fs::read_to_string(out.join(f)).unwrap_or_default();
    let err = read(&format!("{tag}.stderr"));
    assert_eq!(read(&format!("{tag}.exit")).trim(), "2", "{tag}: {err}");
    for s in said {
        assert!(err.contains(s), "{tag}: {s:?} not in {err}");
    }
    let n = read(&format!("{tag}.events")).lines().count() as u64;
    assert!(n > 100, "{tag}: {n} events");
    let k = report_doc(read(&format!("{tag}.report.json")).as_bytes())["stats"]["kafka"].clone();
    assert_eq!(
        (
            k["events_published"].as_u64(),
            k["events_dropped_broker"].as_u64()
        ),
        (Some(0), Some(n)),
        "{tag}: {k}"
    );
    for f in ["stderr", "stdout", "events", "report.json"] {
        assert!(
            !read(&format!("{tag}.{f}")).contains(SECRET),
            "{tag}.{f} shows the password"
        );
    }
}

/// `--kafka-tls` with `--kafka-ca` against tansu behind a TLS front (tansu 0.6.0 serves no
/// TLS itself): everything arrives with the right CA; a CA that did not sign the broker's
/// certificate, a plaintext listener, and a refused SCRAM login each end the run with exit 2
/// and a message naming the cause.
#[test]
fn kafka_over_tls_delivers_every_event_and_names_each_refusal() {
    let missing = missing_secure_prerequisite();
    if !require(missing.is_none(), missing.as_deref().unwrap_or("")) {
        return;
    }
    let out = secure_test("tls", "tansu");
    all_delivered(&out, "t.a");
    refused(
        &out,
        "t.b",
        &[
            "the TLS certificate of 127.0.0.1:",
            "is not trusted: check --kafka-ca",
            "UnknownIssuer",
        ],
    );
    refused(
        &out,
        "t.c",
        &["no answer from 127.0.0.1:", "does not speak TLS"],
    );
    // tansu 0.6.0's memory storage keeps no SCRAM credential (`tansu user create` is
    // accepted and forgotten): the login of a user just created is refused. kafka-python is
    // refused the same (so the refusal is the broker's, not a fault of ours); the day tansu
    // keeps them, this fails and the positive test can move here.
    refused(
        &out,
        "s.a",
        &[
            "the broker 127.0.0.1:",
            "refused the SASL SCRAM-SHA-256 login of user \"alice\"",
            "unknown user",
        ],
    );
    let read = |f: &str| std::fs::read_to_string(out.join(f)).unwrap_or_default();
    assert_ne!(
        read("s.a.consume.exit").trim(),
        "0",
        "kafka-python logged in: {}",
        read("s.a.consumed")
    );
    assert!(
        read("s.a.consume.stderr").contains("NoBrokersAvailable"),
        "{}",
        read("s.a.consume.stderr")
    );
}

/// A tansu whose storage keeps SCRAM credentials (built with `--features libsql`): the one
/// on PATH if its help lists libsql, else $SHADOWDESK_TANSU_SQL.
fn tansu_with_scram() -> Option<String> {
    let lists_libsql = |t: &str| {
        Command::new(t).arg("--help").output().is_ok_and(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .any(|l| l.starts_with("Storage engines:") && l.contains("libsql"))
        })
    };
    std::env::var("SHADOWDESK_TANSU_SQL")
        .ok()
        .into_iter()
        .chain(["tansu".to_owned()])
        .find(|t| lists_libsql(t))
}

/// SCRAM-SHA-256 and SCRAM-SHA-512 over TLS against tansu's sqlite storage: every event once,
/// read back by kafka-python logged in the same way; a wrong password is refused and said.
///
/// Ignored by default: tansu's memory storage forgets SCRAM users, and a tansu with the libsql
/// storage took 56 minutes to build here, past what CI's 90 minutes can hold beside the rest.
/// CI tests SCRAM delivery through tests/kafka/sasl_front.py instead (the SASL test below),
/// with a login the front checks rather than tansu. Run this one with
/// `SHADOWDESK_TANSU_SQL=/path/to/tansu cargo test --release --test integration -- --ignored scram`.
#[test]
#[ignore = "needs a tansu built with --features libsql (SHADOWDESK_TANSU_SQL): see the doc comment"]
fn kafka_scram_over_tls_delivers_every_event_and_refuses_a_wrong_password() {
    let mut missing = missing_secure_prerequisite();
    let tansu = tansu_with_scram();
    if missing.is_none() && tansu.is_none() {
        missing = Some("no tansu with the libsql storage (cargo install tansu --features dynostore,libsql), nor $SHADOWDESK_TANSU_SQL".into());
    }
    if !require(missing.is_none(), missing.as_deref().unwrap_or("")) {
        return;
    }
    let out = secure_test("scram", tansu.as_deref().unwrap_or("tansu"));
    all_delivered(&out, "sc.a");
    all_delivered(&out, "sc.b");
    refused(
        &out,
        "sc.c",
        &[
            "the broker 127.0.0.1:",
            "refused the SASL SCRAM-SHA-256 login of user \"alice\"",
            "invalid proof",
        ],
    );
}

/// `--kafka-sasl plain`, `scram-sha-256` and `scram-sha-512` over TLS, logged in by
/// tests/kafka/sasl_front.py (the server side of RFC 4616 and RFC 5802/7677, checked against
/// the RFCs' example exchanges before it serves) in front of tansu, which offers no PLAIN and
/// whose memory storage forgets SCRAM users: every event of `office_day.pcap` once, read back
/// by kafka-python logged in the same way; a wrong password is refused (SASL error 58, as
/// Kafka answers), said, exit 2, every event dropped, the password nowhere.
#[test]
fn kafka_sasl_plain_and_scram_over_tls_deliver_every_event_and_refuse_a_wrong_password() {
    let missing = missing_secure_prerequisite();
    if !require(missing.is_none(), missing.as_deref().unwrap_or("")) {
        return;
    }
    let out = secure_test("sasl", "tansu");
    let read = |f: &str| std::fs::read_to_string(out.join(f)).unwrap_or_default();
    for tag in ["p.a", "sa.a", "sa.b"] {
        all_delivered(&out, tag);
    }
    for (tag, mechanism, user) in [
        ("p.c", "PLAIN", "carol"),
        ("sa.c", "SCRAM-SHA-256", "alice"),
    ] {
        refused(
            &out,
            tag,
            &[
                "the broker 127.0.0.1:",
                &format!("refused the SASL {mechanism} login of user \"{user}\""),
                "SaslAuthenticationFailed",
            ],
        );
    }
    // kafka-python with the same wrong password is refused too.
    assert_ne!(
        read("sa.c.consume.exit").trim(),
        "0",
        "{}",
        read("sa.c.consumed")
    );
    assert!(
        read("sa.c.consume.stderr").contains("NoBrokersAvailable"),
        "{}",
        read("sa.c.consume.stderr")
    );
    // Both framings were used: rskafka's SaslAuthenticate v2 (flexible, the highest tansu
    // lists) and kafka-python 2.0.2's bare tokens after SaslHandshake v0; each mechanism
    // logged in and refused as the runs above say.
    let log = read("sa.front.log");
    for line in [
        "PLAIN login of 'carol' (SaslAuthenticate v2)",
        "PLAIN login of 'carol' (v0 framing)",
        "SCRAM-SHA-256 login of 'alice' (SaslAuthenticate v2)",
        "SCRAM-SHA-256 login of 'alice' (v0 framing)",
        "SCRAM-SHA-512 login of 'bob' (SaslAuthenticate v2)",
        "SCRAM-SHA-512 login of 'bob' (v0 framing)",
        "PLAIN login of 'carol' refused (SaslAuthenticate v2): Invalid username or password",
        "SCRAM-SHA-256 login of 'alice' refused (SaslAuthenticate v2): SCRAM: invalid proof",
    ] {
        assert!(log.contains(line), "{line:?} not in {log}");
    }
    assert!(!log.contains(SECRET), "the front's log shows the password");
    // Before a login the front answers ApiVersions, listing the SASL keys at the versions
    // Kafka defines (SaslHandshake 0-1, SaslAuthenticate 0-2), and closes the connection on
    // anything else, as a broker requiring SASL does.
    assert_eq!(
        read("sa.d.probe"),
        "api_versions sasl_handshake (0, 1) sasl_authenticate (0, 2)\nmetadata closed\n"
    );
}
