//! `--baseline` and `--fail-on-new` on two real captures of the same client: the baseline
//! `tls_curl_v4.pcap` (curl to acme.zendesk.com only) and `mixed_raw4.pcap` (the same client
//! also asks for docs.helpscout.net and reaches acme.kustomerapp.com). Which names are new
//! comes from tshark's rows of the two files (`*.truth.tsv`), not from our output.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::util::{capture, check_report, event_line, run, stderr, tempdir, tsv};

/// tshark's (client, name) pairs of a capture: DNS questions and TLS server names.
fn names(cap: &str) -> BTreeSet<(String, String)> {
    let p = capture(&format!("{cap}.truth.tsv"));
    tsv(&p)
        .into_iter()
        .map(|r| (r["src_ip"].clone(), r["hostname"].clone()))
        .collect()
}

#[test]
fn baseline_marks_what_is_new_and_lists_what_is_gone() {
    let dir = tempdir("baseline");
    let d = |n: &str| dir.join(n).to_string_lossy().into_owned();
    let old_cap = capture("tls_curl_v4.pcap").to_string_lossy().into_owned();
    let new_cap = capture("mixed_raw4.pcap").to_string_lossy().into_owned();
    let (old, new) = (names("tls_curl_v4.pcap"), names("mixed_raw4.pcap"));
    let fresh: BTreeSet<&str> = new.difference(&old).map(|(_, n)| n.as_str()).collect();
    let kept: BTreeSet<&str> = new.intersection(&old).map(|(_, n)| n.as_str()).collect();
    // What the two recordings are: one name in common, two more in the second.
    assert_eq!(kept, BTreeSet::from(["acme.zendesk.com"]));
    assert_eq!(
        fresh,
        BTreeSet::from(["acme.kustomerapp.com", "docs.helpscout.net"])
    );

    let (old_r, new_r) = (d("old.json"), d("new.json"));
    assert!(run(&["scan", "-q", "--report", &old_r, &old_cap])
        .status
        .success());

    // Events: every vendor event carries the mark; true exactly for tshark's new names.
    let o = run(&[
        "scan",
        "-q",
        "--baseline",
        &old_r,
        "--events",
        "-",
        &new_cap,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let evs: Vec<Value> = String::from_utf8(o.stdout)
        .unwrap()
        .lines()
        .map(event_line)
        .collect();
    let mut marked = BTreeSet::new();
    let mut unmarked = BTreeSet::new();
    for e in evs.iter().filter(|e| !e["vendor"].is_null()) {
        let name = e["hostname"].as_str().unwrap().to_owned();
        match e["new_since_baseline"].as_bool() {
            Some(true) => marked.insert(name),
            Some(false) => unmarked.insert(name),
            None => panic!("vendor event without new_since_baseline: {e}"),
        };
    }
    assert_eq!(
        marked.iter().map(String::as_str).collect::<BTreeSet<_>>(),
        fresh
    );
    assert_eq!(
        unmarked.iter().map(String::as_str).collect::<BTreeSet<_>>(),
        kept
    );
    assert!(evs
        .iter()
        .filter(|e| e["vendor"].is_null())
        .all(|e| e.get("new_since_baseline").is_none()));

    // Report: the pairs of the new names are new, the old one is not; --fail-on-new: 1.
    let o = run(&[
        "scan",
        "-q",
        "--baseline",
        &old_r,
        "--fail-on-new",
        "--report",
        &new_r,
        "--csv",
        &d("new.csv"),
        &new_cap,
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let r: Value = serde_json::from_slice(&std::fs::read(&new_r).unwrap()).unwrap();
    check_report(&r);
    let mut new_pairs = BTreeSet::new();
    for h in r["hosts"].as_array().unwrap() {
        for v in h["vendors"].as_array().unwrap() {
            let hostnames: BTreeSet<&str> = v["hostnames"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| n.as_str().unwrap())
                .collect();
            let is_new = v["new_since_baseline"].as_bool().unwrap();
            assert_eq!(is_new, hostnames.is_subset(&fresh), "{v}");
            if is_new {
                new_pairs.insert(v["vendor"].as_str().unwrap().to_owned());
            }
        }
    }
    assert_eq!(new_pairs.len(), 2);
    let diff = &r["baseline"];
    assert_eq!(diff["path"], old_r.as_str());
    assert_eq!(diff["new"]["pairs"].as_array().unwrap().len(), 2);
    assert!(diff["gone"]["pairs"].as_array().unwrap().is_empty());
    let csv = std::fs::read_to_string(d("new.csv")).unwrap();
    let mut lines = csv.lines();
    assert!(lines
        .next()
        .unwrap()
        .ends_with(",events,new_since_baseline"));
    assert_eq!(lines.filter(|l| l.ends_with(",true")).count(), 2, "{csv}");

    // Turned round: nothing new (exit 0 under --fail-on-new), the two pairs gone, and the
    // summary says so.
    let o = run(&[
        "scan",
        "-q",
        "--baseline",
        &new_r,
        "--fail-on-new",
        &old_cap,
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(text.contains("0 new, "), "{text}");
    let gone = text
        .lines()
        .filter(|l| l.trim_start().starts_with("GONE "))
        .count();
    assert!(gone >= 2, "{text}");

    // merge takes --baseline too.
    let o = run(&[
        "merge",
        "--baseline",
        &old_r,
        "--fail-on-new",
        "--report",
        &d("m.json"),
        &new_r,
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let m: Value = serde_json::from_slice(&std::fs::read(d("m.json")).unwrap()).unwrap();
    assert_eq!(m["baseline"]["new"], r["baseline"]["new"]);

    // --fail-on-new needs a baseline.
    let o = run(&["scan", "-q", "--fail-on-new", &old_cap]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let _ = std::fs::remove_dir_all(&dir);
}
