//! `--kafka` against a real Kafka-compatible broker (tansu, on loopback), read back with an
//! independent client (kafka-python): tests/kafka/kafka-test.sh runs the scenarios, this
//! checks what it recorded. Needs `tansu` (`cargo install tansu --features dynostore`; the
//! ignored SCRAM delivery test needs one built with libsql too, named by $SHADOWDESK_TANSU_SQL),
//! /usr/bin/python3 with kafka-python (Debian's python3-kafka), editcap and capinfos; CI
//! installs them.

use std::collections::BTreeMap;
use std::process::Command;

use crate::kafka_common::*;
use crate::util::*;

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
