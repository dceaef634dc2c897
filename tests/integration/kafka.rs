//! `--kafka` against a real Kafka-compatible broker (tansu, on loopback), read back with an
//! independent client (kafka-python): tests/kafka/kafka-test.sh runs the scenarios, this
//! checks what it recorded. Needs `tansu` (`cargo install tansu --features dynostore`; the
//! ignored SCRAM delivery test needs one built with libsql too, named by $SHADOWDESK_TANSU_SQL),
//! /usr/bin/python3 with kafka-python (Debian's python3-kafka), editcap and capinfos; CI
//! installs them.

use std::collections::BTreeMap;
use std::process::Command;

use serde_json::Value;

use crate::util::*;

fn missing_prerequisite() -> Option<String> {
    let have = |c: &str| {
        Command::new("sh")
            .arg("-c")
            .arg(c)
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false)
    };
    for tool in ["tansu", "editcap", "capinfos"] {
        if !have(&format!("command -v {tool}")) {
            return Some(format!("{tool} is not installed"));
        }
    }
    if !have("/usr/bin/python3 -c 'import kafka'") {
        return Some("kafka-python (python3-kafka) is not installed for /usr/bin/python3".into());
    }
    None
}

struct Rec {
    partition: u64,
    key: String,
    value: String,
}

fn consumed(text: &str) -> Vec<Rec> {
    text.lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            // The partition is the one the Java client's partitioner picks for the key,
            // as kafka-python computes it: other producers of the same keys agree.
            assert_eq!(v["partition"], v["expected_partition"], "{l}");
            Rec {
                partition: v["partition"].as_u64().unwrap(),
                key: v["key"].as_str().unwrap().to_owned(),
                value: v["value"].as_str().unwrap().to_owned(),
            }
        })
        .collect()
}

fn multiset<'a>(it: impl IntoIterator<Item = &'a str>) -> BTreeMap<&'a str, usize> {
    let mut m = BTreeMap::new();
    for s in it {
        *m.entry(s).or_default() += 1;
    }
    m
}

/// The host an event is about: the key every record of it must carry (events name the
/// client `src_ip`, a `dns_answer` too; an identity fact its `ip`).
fn client(e: &Value) -> String {
    let f = match e["kind"].as_str() {
        Some("identity") => "ip",
        _ => "src_ip",
    };
    e[f].as_str().unwrap().to_owned()
}

#[test]
fn kafka_output_delivers_every_event_once_in_host_order_and_counts_losses() {
    let missing = missing_prerequisite();
    if !require(missing.is_none(), missing.as_deref().unwrap_or("")) {
        return;
    }
    let out = tempdir("kafka");
    let cap = root().join("testdata/office/office_day.pcap");
    let st = Command::new("bash")
        .arg(root().join("tests/kafka/kafka-test.sh"))
        .arg(bin())
        .arg(&out)
        .arg(&cap)
        .status()
        .unwrap();
    let read = |f: &str| std::fs::read_to_string(out.join(f)).unwrap_or_default();
    assert!(st.success(), "kafka-test.sh failed: {}", read("broker.log"));
    let kafka_stats = |f: &str| report_doc(read(f).as_bytes())["stats"]["kafka"].clone();

    // A: every event line, unchanged, exactly once; keyed by its host; in file order per host.
    assert_eq!(read("a.exit").trim(), "0", "{}", read("a.stderr"));
    let lines: Vec<String> = read("a.events").lines().map(str::to_owned).collect();
    assert!(lines.len() > 100, "{} events", lines.len());
    let recs = consumed(&read("a.consumed"));
    assert_eq!(
        multiset(recs.iter().map(|r| r.value.as_str())),
        multiset(lines.iter().map(String::as_str))
    );
    let mut by_key_file: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for l in &lines {
        by_key_file
            .entry(client(&event_line(l)))
            .or_default()
            .push(l);
    }
    let mut by_key_topic: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    let mut partitions = std::collections::BTreeSet::new();
    for r in &recs {
        assert_eq!(r.key, client(&event_line(&r.value)), "{}", r.value);
        by_key_topic
            .entry(r.key.clone())
            .or_default()
            .push(&r.value);
        partitions.insert(r.partition);
    }
    assert_eq!(by_key_topic, by_key_file, "per-host order differs");
    assert!(
        partitions.len() > 1,
        "all hosts on one partition: {partitions:?}"
    );
    let k = kafka_stats("a.report.json");
    assert_eq!(k["events_published"], lines.len() as u64, "{k}");
    assert_eq!(k["events_dropped_broker"], 0, "{k}");
    // The report snapshot, keyed by the sensor: the same hosts as the report file.
    let snaps = consumed(&read("a.reports"));
    assert_eq!(snaps.len(), 1);
    assert_eq!(snaps[0].key, "sensor-a");
    let snap = report_doc(snaps[0].value.as_bytes());
    let file = report_doc(read("a.report.json").as_bytes());
    assert_eq!(snap["hosts"], file["hosts"]);
    assert_eq!(snap["vendors"], file["vendors"]);

    // B: no broker: said on stderr, every event counted as dropped, exit 2.
    assert_eq!(read("b.exit").trim(), "2", "{}", read("b.stderr"));
    let err = read("b.stderr");
    assert!(err.contains("kafka: cannot deliver"), "{err}");
    assert!(err.contains("were not delivered"), "{err}");
    let n = read("b.events").lines().count() as u64;
    let k = kafka_stats("b.report.json");
    assert_eq!(
        (
            k["events_published"].clone(),
            k["events_dropped_broker"].clone()
        ),
        (0.into(), n.into())
    );

    // C: the broker went away for 10 s and came back: nothing lost, nothing twice.
    assert_eq!(read("c.exit").trim(), "0", "{}", read("c.stderr"));
    let err = read("c.stderr");
    assert!(err.contains("kafka: cannot deliver"), "{err}");
    assert!(err.contains("answers again"), "{err}");
    let lines = read("c.events");
    let mut got = consumed(&read("c.consumed1"));
    got.extend(consumed(&read("c.consumed2")));
    assert_eq!(
        multiset(got.iter().map(|r| r.value.as_str())),
        multiset(lines.lines())
    );
    let k = kafka_stats("c.report.json");
    assert_eq!(k["events_published"], lines.lines().count() as u64, "{k}");

    // C2: the same with a 4 KiB queue: what did not fit is dropped, and the counts are
    // exact: published + dropped = events, and the topic holds exactly the published ones.
    assert_eq!(read("c2.exit").trim(), "2", "{}", read("c2.stderr"));
    assert!(read("c2.stderr").contains("queue is full"));
    let lines = read("c2.events");
    let total = lines.lines().count() as u64;
    let mut got = consumed(&read("c2.consumed1"));
    got.extend(consumed(&read("c2.consumed2")));
    let k = kafka_stats("c2.report.json");
    let (published, dropped) = (
        k["events_published"].as_u64().unwrap(),
        k["events_dropped_broker"].as_u64().unwrap(),
    );
    assert!(dropped > 0, "{k}");
    assert_eq!(published + dropped, total, "{k}");
    assert_eq!(got.len() as u64, published, "{k}");
    let all = multiset(lines.lines());
    for (v, n) in multiset(got.iter().map(|r| r.value.as_str())) {
        assert!(
            all.get(v).is_some_and(|m| *m >= n),
            "not an event of the run: {v}"
        );
    }
}

/// Two live sensors on two sites publish to one broker, which goes away for 10 s while the
/// sites keep sending: every event of both sensors reaches the topic once, in each host's
/// order, the capture drops nothing, and the fleet merge read from Kafka equals the merge of
/// the two sensors' report files.
#[test]
fn two_live_sensors_one_topic_and_the_fleet_merge() {
    let mut missing = missing_prerequisite();
    if missing.is_none() && !is_root() {
        missing = Some("not root (network namespaces need it)".into());
    }
    if !require(missing.is_none(), missing.as_deref().unwrap_or("")) {
        return;
    }
    let out = tempdir("fleet");
    let st = Command::new("bash")
        .arg(root().join("tests/kafka/fleet-test.sh"))
        .arg(bin())
        .arg(&out)
        .status()
        .unwrap();
    let read = |f: &str| std::fs::read_to_string(out.join(f)).unwrap_or_default();
    assert!(st.success(), "fleet-test.sh failed: {}", read("broker.log"));
    for s in ["a", "b"] {
        assert_eq!(
            read(&format!("{s}.exit")).trim(),
            "0",
            "{}",
            read(&format!("{s}.stderr"))
        );
        let err = read(&format!("{s}.stderr"));
        assert!(err.contains("kafka: cannot deliver"), "{err}");
        assert!(err.contains("answers again"), "{err}");
        let rep = report_doc(read(&format!("{s}.report.json")).as_bytes());
        let lines = read(&format!("{s}.events")).lines().count() as u64;
        assert!(lines >= 20, "{s}: {lines} events");
        assert_eq!(rep["stats"]["kafka"]["events_published"], lines, "{s}");
        assert_eq!(rep["stats"]["kafka"]["events_dropped_broker"], 0, "{s}");
        assert_eq!(rep["stats"]["capture"]["packets_dropped_kernel"], 0, "{s}");
    }
    let files = read("a.events") + &read("b.events");
    let mut got = consumed(&read("consumed1"));
    got.extend(consumed(&read("consumed2")));
    assert_eq!(
        multiset(got.iter().map(|r| r.value.as_str())),
        multiset(files.lines())
    );
    let files_a = read("a.events");
    let files_b = read("b.events");
    let mut by_key_file2: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for l in files_a.lines().chain(files_b.lines()) {
        by_key_file2
            .entry(client(&event_line(l)))
            .or_default()
            .push(l);
    }
    let mut by_key_topic: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for r in &got {
        by_key_topic
            .entry(r.key.clone())
            .or_default()
            .push(&r.value);
    }
    assert_eq!(by_key_topic, by_key_file2, "per-host order differs");

    // The fleet view: merge --kafka of the latest snapshots = merge of the report files.
    let m1 = report_doc(read("merged.files.json").as_bytes());
    let m2 = report_doc(read("merged.kafka.json").as_bytes());
    assert!(m1["hosts"].is_array(), "{}", read("merge.files.stderr"));
    assert!(m2["hosts"].is_array(), "{}", read("merge.kafka.stderr"));
    assert_eq!(m1["hosts"], m2["hosts"]);
    assert_eq!(m1["vendors"], m2["vendors"]);
    let ips: Vec<&str> = m1["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["ip"].as_str().unwrap())
        .collect();
    assert!(
        ips.contains(&"10.97.1.1") && ips.contains(&"10.97.2.1"),
        "{ips:?}"
    );
}

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
