//! `shadowdesk live` on a real interface: a veth between two network namespaces, with dig
//! against dnsmasq and curl against openssl s_server driven across it (tests/live/live-test.sh).
//! Needs root, iproute2, dnsmasq, dig, curl and openssl; CI installs them. Elsewhere the test
//! says why it skips.

use std::process::Command;

use crate::util::*;

fn missing_prerequisite() -> Option<String> {
    if !is_root() {
        return Some("not root (network namespaces need it)".into());
    }
    for tool in ["ip", "dnsmasq", "dig", "curl", "openssl"] {
        let found = Command::new("sh")
            .arg("-c")
            .arg(format!("command -v {tool}"))
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false);
        if !found {
            return Some(format!("{tool} is not installed"));
        }
    }
    None
}

#[test]
fn live_capture_streams_rotates_and_stops_cleanly() {
    let missing = missing_prerequisite();
    if !require(missing.is_none(), missing.as_deref().unwrap_or("")) {
        return;
    }
    let out = tempdir("live");
    let script = root().join("tests/live/live-test.sh");
    let st = Command::new("bash")
        .arg(&script)
        .arg(bin())
        .arg(&out)
        .status()
        .unwrap();
    assert!(st.success(), "live-test.sh failed");
    let read = |f: &str| std::fs::read_to_string(out.join(f)).unwrap_or_default();

    // SIGTERM: capture stops, the pipeline drains, exit status 0.
    assert_eq!(read("exit").trim(), "0", "stderr: {}", read("stderr"));
    // Bad interface and bad filter: clear errors, exit 2, before capture.
    assert_eq!(read("badif.exit").trim(), "2");
    assert!(
        read("badif.stderr").contains("interface nosuch0"),
        "{}",
        read("badif.stderr")
    );
    assert_eq!(read("badfilter.exit").trim(), "2");
    assert!(
        read("badfilter.stderr").contains("bad filter"),
        "{}",
        read("badfilter.stderr")
    );

    let parse = |f: &str| -> Vec<serde_json::Value> {
        read(f).lines().map(crate::util::event_line).collect()
    };
    let before = parse("events.1");
    let after = parse("events");
    let has = |evs: &[serde_json::Value], kind: &str, host: &str| {
        evs.iter()
            .any(|e| e["kind"] == kind && e["hostname"] == host && e["src_ip"] == "10.98.0.1")
    };
    // Every event names the sensor; every event but `stats` the interface it came from.
    for e in before.iter().chain(&after) {
        assert_eq!(e["sensor"], "lab-1", "{e}");
        match e["kind"] == "stats" {
            true => assert!(e.get("input").is_none(), "{e}"),
            false => assert!(
                e["input"]
                    .as_str()
                    .is_some_and(|i| i.starts_with("interface:sdlc")),
                "{e}"
            ),
        }
    }
    // Before the rotation: the DNS questions, the CNAME answer and curl's hello.
    assert!(has(&before, "dns", "acme.zendesk.com"));
    assert!(has(&before, "tls", "acme.zendesk.com"));
    let cname = before
        .iter()
        .find(|e| e["kind"] == "dns_answer" && e["hostname"] == "help.acme-corp.example")
        .unwrap();
    assert_eq!(cname["vendor"], "zendesk");
    // curl to an IP literal sends no SNI: attributed through the client's DNS answer for
    // help.acme-corp.example (CNAME acme.zendesk.com, A 10.98.0.2).
    let bare = before
        .iter()
        .find(|e| e["kind"] == "tls" && e["hostname"] == "")
        .unwrap_or_else(|| panic!("no SNI-less tls event: {before:?}"));
    assert_eq!(bare["attributed_hostname"], "help.acme-corp.example");
    assert_eq!(bare["attribution"], "dns_answer");
    assert_eq!(bare["vendor"], "zendesk");
    // Encrypted DNS: dig's DNS over TLS on port 853 and curl's hello to dns.google.
    let dot = before
        .iter()
        .find(|e| e["kind"] == "tls" && e["dst_port"] == 853)
        .expect("a DoT hello");
    assert_eq!(dot["encrypted_dns"], "dot");
    let doh = before
        .iter()
        .find(|e| e["kind"] == "tls" && e["hostname"] == "dns.google")
        .expect("a DoH hello");
    assert_eq!(doh["encrypted_dns"], "doh");
    // Plain HTTP: curl's request, named by its Host header.
    let http = before
        .iter()
        .find(|e| e["kind"] == "http" && e["hostname"] == "status.helpjuice.com");
    let http = http.unwrap_or_else(|| panic!("no http event: {before:?}"));
    assert_eq!(
        (&http["method"], &http["dst_port"], &http["vendor"]),
        (&"GET".into(), &80.into(), &"helpjuice".into())
    );
    // After SIGHUP reopened the file: the later query is in the new file, not the old one.
    assert!(has(&after, "dns", "widget.intercom.io"));
    assert!(!has(&before, "dns", "widget.intercom.io"));
    // Stats events, with growing packet counts.
    let stats: Vec<&serde_json::Value> = before
        .iter()
        .chain(after.iter())
        .filter(|e| e["kind"] == "stats")
        .collect();
    assert!(stats.len() >= 2, "{} stats events", stats.len());
    assert!(stats.last().unwrap()["packets_received"].as_u64().unwrap() > 0);
    assert!(stats
        .iter()
        .all(|s| s["packets_dropped_kernel"].is_u64() && s["flows_tracked"].is_u64()));

    // The final report: hosts, sanction marks and the capture totals.
    let rep = crate::util::report_doc(read("report.json").as_bytes());
    let host = rep["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["ip"] == "10.98.0.1")
        .unwrap();
    let vendors: Vec<(&str, bool)> = host["vendors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["vendor"].as_str().unwrap(),
                v["sanctioned"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        vendors,
        [("helpjuice", false), ("intercom", true), ("zendesk", false)]
    );
    // Visibility in the live report: the IP-literal hello was attributed, DoT and DoH counted.
    let v = &host["visibility"];
    assert!(v["attributed"].as_u64().unwrap() >= 1, "{v}");
    assert!(v["encrypted_dns_connections"].as_u64().unwrap() >= 2, "{v}");
    assert!(v["http_requests"].as_u64().unwrap() >= 1, "{v}");
    assert!(
        rep["stats"]["capture"]["packets_received"]
            .as_u64()
            .unwrap()
            > 0
    );
    assert!(rep["inputs"][0]["path"]
        .as_str()
        .unwrap()
        .starts_with("interface:"));
    // meta: the live command line, and `--sanctioned intercom` as the rule.
    assert_eq!(rep["meta"]["command_line"][0], "live");
    assert_eq!(rep["meta"]["sanctioned"], serde_json::json!(["intercom"]));
    let by = |id: &str| {
        host["vendors"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["vendor"] == id)
            .unwrap()["decided_by"]
            .clone()
    };
    assert_eq!(
        (by("intercom"), by("zendesk")),
        ("--sanctioned".into(), "default".into())
    );

    // --csv: rewritten with the report while capturing, and final at the end.
    let table = |f: &str| -> Vec<Vec<String>> {
        read(f)
            .split("\r\n")
            .filter(|l| !l.is_empty())
            .map(|l| l.split(',').map(str::to_owned).collect())
            .collect()
    };
    let running = table("table.running.csv");
    assert!(
        running
            .iter()
            .any(|r| r[0] == "10.98.0.1" && r[2] == "zendesk"),
        "the CSV was not rewritten during the capture: {running:?}"
    );
    let last = table("table.csv");
    let pairs: Vec<(&str, &str, &str)> = last[1..]
        .iter()
        .filter(|r| r[0] == "10.98.0.1")
        .map(|r| (r[2].as_str(), r[5].as_str(), r[6].as_str()))
        .collect();
    assert_eq!(
        pairs,
        [
            ("helpjuice", "false", "default"),
            ("intercom", "true", "--sanctioned"),
            ("zendesk", "false", "default")
        ]
    );
}
