//! What the Kafka tests share (`kafka`, `kafka_secure`): their prerequisites and how they read
//! back what kafka-python consumed.

use std::collections::BTreeMap;
use std::process::Command;

use serde_json::Value;

/// Why the Kafka tests cannot run here (a tool or kafka-python missing), if they cannot.
pub fn missing_prerequisite() -> Option<String> {
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

/// One record kafka-python consumed.
pub struct Rec {
    pub partition: u64,
    pub key: String,
    pub value: String,
}

/// The records of kafka-python's output (one JSON object a line), each checked to be on the
/// partition the Java client's partitioner gives its key.
pub fn consumed(text: &str) -> Vec<Rec> {
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

/// How many times each string occurs.
pub fn multiset<'a>(it: impl IntoIterator<Item = &'a str>) -> BTreeMap<&'a str, usize> {
    let mut m = BTreeMap::new();
    for s in it {
        *m.entry(s).or_default() += 1;
    }
    m
}

/// The host an event is about: the key every record of it must carry (events name the
/// client `src_ip`, a `dns_answer` too; an identity fact its `ip`).
pub fn client(e: &Value) -> String {
    let f = match e["kind"].as_str() {
        Some("identity") => "ip",
        _ => "src_ip",
    };
    e[f].as_str().unwrap().to_owned()
}
