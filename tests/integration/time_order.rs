//! `scan --time-order`: the events of several inputs in capture-time order, the same events
//! as without it. The inputs are real captures of overlapping time: the IPv4 and IPv6 halves
//! of `mixed_raw.pcap` (recorded together, written apart), and the office day split in two
//! by tcpdump, each host pair to one side as two taps would see it.

use std::process::Command;

use serde_json::Value;

use crate::util::*;

/// The events of `scan --events - ARGS`, each without its `input` field, as JSON text with
/// sorted keys (for comparing streams), and their `ts`.
fn stream(args: &[&str]) -> (Vec<String>, Vec<String>, Vec<Value>) {
    let (o, evs) = events(args);
    assert!(o.status.success(), "{}", stderr(&o));
    let mut lines = Vec::new();
    let mut ts = Vec::new();
    for e in &evs {
        let mut e = e.clone();
        e.as_object_mut().unwrap().remove("input");
        ts.push(e["ts"].as_str().unwrap().to_owned());
        lines.push(serde_json::to_string(&e).unwrap());
    }
    (lines, ts, evs)
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

/// Every `ts` is RFC 3339 UTC with microseconds, the same width: text order is time order.
fn in_time_order(ts: &[String]) -> bool {
    ts.windows(2).all(|w| w[0] <= w[1])
}

#[test]
fn the_v4_and_v6_halves_merge_back_into_the_capture_they_came_from() {
    let v4 = capture("mixed_raw4.pcap");
    let v6 = capture("mixed_raw6.pcap");
    let (v4, v6) = (v4.to_str().unwrap(), v6.to_str().unwrap());
    // Named latest-first: read file after file, the v6 events come before earlier v4 ones.
    let (plain, plain_ts, _) = stream(&[v6, v4]);
    assert!(!in_time_order(&plain_ts), "{plain_ts:?}");
    let (merged, merged_ts, evs) = stream(&["--time-order", v6, v4]);
    assert!(in_time_order(&merged_ts), "{merged_ts:?}");
    assert_eq!(sorted(merged.clone()), sorted(plain));
    // The capture both halves were written from: the same events in the same order.
    let (whole, _, _) = stream(&[capture("mixed_raw.pcap").to_str().unwrap()]);
    assert_eq!(merged, whole);
    // Each event still names the half it came from.
    for e in &evs {
        let v6_event = e["src_ip"].as_str().unwrap().contains(':');
        let from = if v6_event { v6 } else { v4 };
        assert_eq!(e["input"], from, "{e}");
    }
}

#[test]
fn two_taps_of_the_office_day_merge_into_one_timeline() {
    let have = Command::new("tcpdump").arg("--version").output().is_ok();
    if !require(have, "tcpdump is not installed") {
        return;
    }
    let day = root().join("testdata/office/office_day.pcap");
    let dir = tempdir("time-order");
    // A host pair's packets, both directions, all go to one side (the sum of the addresses'
    // last bytes is symmetric); what is not IPv4 goes to the second.
    let even = "ip and ((ip[15] + ip[19]) & 1) = 0";
    let mut halves = Vec::new();
    for (name, filter) in [
        ("a.pcap", even.to_owned()),
        ("b.pcap", format!("not ({even})")),
    ] {
        let out = dir.join(name);
        let o = Command::new("tcpdump")
            .args([
                "-r",
                day.to_str().unwrap(),
                "-w",
                out.to_str().unwrap(),
                &filter,
            ])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        halves.push(out.to_str().unwrap().to_owned());
    }
    let (a, b) = (halves[0].as_str(), halves[1].as_str());
    let (plain, plain_ts, _) = stream(&[a, b]);
    assert!(!in_time_order(&plain_ts));
    let (merged, merged_ts, _) = stream(&["--time-order", a, b]);
    assert!(in_time_order(&merged_ts));
    assert_eq!(sorted(merged.clone()), sorted(plain));
    let (whole, _, _) = stream(&[day.to_str().unwrap()]);
    assert_eq!(merged.len(), whole.len());
    assert!(merged == whole, "the merged halves differ from the day");
    // Both sides are read to their end, and the report counts each side's packets.
    let (_, rep) = report(&["--time-order", a, b]);
    let packets: Vec<u64> = rep["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["packets"].as_u64().unwrap())
        .collect();
    let count = |f: &str| {
        let o = Command::new("tcpdump")
            .args(["-r", f, "-n", "-q"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&o.stdout).lines().count() as u64
    };
    assert_eq!(packets, vec![count(a), count(b)]);
    let _ = std::fs::remove_dir_all(dir);
}
