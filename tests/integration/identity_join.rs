//! Identity joined to vendor use, end to end: for every row of
//! `testdata/captures/identity/EXPECTED.tsv` (what `testdata/record-identity.sh` made each
//! host do, and who that host was at that moment: the script's own record, not our output),
//! the first vendor event for that name from that address at or after that time carries that
//! device name, MAC and user (`-`: absent).

use std::collections::BTreeMap;

use serde_json::Value;

use crate::util::{capture, events, report, run, stderr, tsv};

/// RFC 3339 UTC with microseconds (`2026-11-27T06:29:36.702838Z`, as every event's `ts`) as
/// microseconds since the epoch; the civil-to-days step is Howard Hinnant's `days_from_civil`.
fn micros(ts: &str) -> i64 {
    let n = |r: std::ops::Range<usize>| -> i64 { ts[r].parse().unwrap_or_else(|_| panic!("{ts}")) };
    let (y, m, d) = (n(0..4), n(5..7), n(8..10));
    let (hh, mm, ss, us) = (n(11..13), n(14..16), n(17..19), n(20..26));
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    ((days * 86_400 + hh * 3600 + mm * 60 + ss) * 1_000_000) + us
}

/// `1795774198.355771` (the recording script's `date +%s.%6N`) as microseconds.
fn epoch_micros(s: &str) -> i64 {
    let (sec, frac) = s.split_once('.').unwrap_or((s, "0"));
    let frac = format!("{frac:0<6}");
    sec.parse::<i64>().unwrap() * 1_000_000 + frac[..6].parse::<i64>().unwrap()
}

fn expected_rows() -> Vec<BTreeMap<String, String>> {
    tsv(&capture("identity/EXPECTED.tsv"))
}

fn field(e: &Value, k: &str) -> String {
    e[k].as_str().unwrap_or("-").to_owned()
}

#[test]
fn identity_join_every_expected_row() {
    let rows = expected_rows();
    assert_eq!(rows.len(), 12, "EXPECTED.tsv rows");
    let mut cache: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    let mut failures = Vec::new();
    for r in &rows {
        let cap = &r["capture"];
        let evs = cache.entry(cap.clone()).or_insert_with(|| {
            let path = capture(&format!("identity/{cap}"));
            let (o, evs) = events(&[path.to_str().unwrap()]);
            assert!(o.status.success(), "{cap}: {}", stderr(&o));
            evs
        });
        let at = epoch_micros(&r["ts_or_order"]);
        let found = evs.iter().find(|e| {
            matches!(e["kind"].as_str(), Some("tls" | "dns"))
                && e["hostname"] == r["vendor_hostname"].as_str()
                && e["src_ip"] == r["client_ip"].as_str()
                && micros(e["ts"].as_str().unwrap()) >= at
        });
        let Some(e) = found else {
            failures.push(format!("{cap} {}: no vendor event", r["ts_or_order"]));
            continue;
        };
        assert!(e["vendor"].is_string(), "{e}");
        let got = (
            field(e, "host_name"),
            field(e, "host_mac"),
            field(e, "user"),
        );
        let want = (
            r["expected_host_name"].clone(),
            r["expected_host_mac"].clone(),
            r["expected_user"].clone(),
        );
        if got != want {
            failures.push(format!(
                "{cap} {} {}: got {got:?}, want {want:?} ({})",
                r["ts_or_order"], r["client_ip"], r["evidence"]
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn identity_join_time_helpers() {
    // 2026-11-27T06:29:36Z is 1795760976 s (date -ud @1795760976).
    assert_eq!(micros("2026-11-27T06:29:36.702838Z"), 1_795_760_976_702_838);
    assert_eq!(epoch_micros("1795760976.702838"), 1_795_760_976_702_838);
    assert_eq!(epoch_micros("1795760976.5"), 1_795_760_976_500_000);
}

/// `--host NAME` and `--host MAC` keep whichever address the device held at each
/// observation: on dhcp_reassign.pcap 10.99.50.50 is laptop-alice's from tshark's first ACK
/// (frame 5) and tablet-carol's from its second (frame 41), the times in the capture's
/// `identity.tsv` truth; each filter keeps the vendor events of that stretch and the identity
/// events of its own device, and nothing else.
#[test]
fn identity_host_by_name_or_mac_keeps_that_device_only() {
    let cap = capture("identity/dhcp_reassign.pcap");
    let cap = cap.to_str().unwrap();
    let truth = tsv(&capture("identity/dhcp_reassign.pcap.identity.tsv"));
    let ack = |v: &str| {
        let r = truth.iter().find(|r| r["value"] == v).unwrap();
        epoch_micros(&r["ts"])
    };
    let (alice, carol) = (ack("laptop-alice"), ack("tablet-carol"));
    assert!(alice < carol);
    let (o, all) = events(&[cap]);
    assert!(o.status.success(), "{}", stderr(&o));
    let vendor = |evs: &[Value]| -> Vec<Value> {
        evs.iter()
            .filter(|e| matches!(e["kind"].as_str(), Some("tls" | "dns")))
            .cloned()
            .collect()
    };
    let identity = |evs: &[Value]| -> Vec<String> {
        evs.iter()
            .filter(|e| e["kind"] == "identity")
            .map(|e| format!("{} {} {}", e["ip"], e["field"], e["value"]))
            .collect()
    };
    let in_span = |from: i64, to: i64| -> Vec<Value> {
        vendor(&all)
            .into_iter()
            .filter(|e| {
                let t = micros(e["ts"].as_str().unwrap());
                e["src_ip"] == "10.99.50.50" && t >= from && t < to
            })
            .collect()
    };
    for (args, want_vendor, want_identity) in [
        (
            ["--host", "tablet-carol"],
            in_span(carol, i64::MAX),
            [
                r#""10.99.50.50" "hostname" "tablet-carol""#,
                r#""10.99.50.50" "mac" "02:5d:00:00:00:c3""#,
            ],
        ),
        (
            ["--host", "02:5D:00:00:00:C3"],
            in_span(carol, i64::MAX),
            [
                r#""10.99.50.50" "hostname" "tablet-carol""#,
                r#""10.99.50.50" "mac" "02:5d:00:00:00:c3""#,
            ],
        ),
        (
            ["--host", "laptop-alice"],
            in_span(alice, carol),
            [
                r#""10.99.50.50" "hostname" "laptop-alice""#,
                r#""10.99.50.50" "mac" "02:5d:00:00:00:a1""#,
            ],
        ),
    ] {
        assert!(!want_vendor.is_empty(), "{args:?}");
        let (o, evs) = events(&[cap, args[0], args[1]]);
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
        assert_eq!(vendor(&evs), want_vendor, "{args:?}");
        let mut got = identity(&evs);
        got.sort();
        assert_eq!(got, want_identity, "{args:?}");
    }
    // An address keeps both devices' events, as before.
    let (_, evs) = events(&[cap, "--host", "10.99.50.50"]);
    assert_eq!(vendor(&evs), in_span(i64::MIN, i64::MAX));
}

/// The summary names hosts by device and user; a device seen at two addresses (DHCPv4 and
/// DHCPv6 for laptop-alice) is one device with both listed; the report's vendor entries list
/// who used each vendor.
#[test]
fn identity_summary_and_report_name_devices() {
    let summary = |cap: &str| {
        let o = run(&["scan", "--quiet", capture(cap).to_str().unwrap()]);
        assert!(o.status.success(), "{}", stderr(&o));
        String::from_utf8(o.stdout).unwrap()
    };
    let cap = capture("identity/dhcp_two_hosts.pcap");
    let (o, r) = report(&[cap.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = summary("identity/dhcp_two_hosts.pcap");
    assert!(text.contains("HOST laptop-alice (10.99.50.50)"), "{text}");
    assert!(
        text.contains("  laptop-alice, laptop-alice.corp.test (10.99.50.50, fd00:99:50::50)"),
        "{text}"
    );
    assert!(text.contains("mac:     02:5d:00:00:00:a1"), "{text}");
    let zendesk = r["vendors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["vendor"] == "zendesk")
        .unwrap();
    let h = &zendesk["hosts"][0];
    assert_eq!(h["host_names"], serde_json::json!(["laptop-alice"]), "{h}");
    assert_eq!(
        h["host_macs"],
        serde_json::json!(["02:5d:00:00:00:a1"]),
        "{h}"
    );
    assert_eq!(h["users"], serde_json::json!([]), "{h}");
    // A user from Kerberos, no device name.
    let text = summary("identity/kerberos.pcap");
    assert!(
        text.contains("HOST 10.99.50.21 (alice@corp.test)"),
        "{text}"
    );
}
