//! The published JSON Schemas (`schema/*.schema.json`): they are what the types generate,
//! every event and report the binary writes fits them, and they reject what does not fit.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use crate::util::{
    bin, check_event, check_report, root, schema_errors, shared_public, tempdir, validator,
};

/// The committed files are what the types generate; `UPDATE_SCHEMA=1` rewrites them.
#[test]
fn committed_schemas_match_the_types() {
    let update = std::env::var("UPDATE_SCHEMA").is_ok_and(|v| v == "1");
    let mut stale = Vec::new();
    for (path, schema) in shadowdesk::schema::files() {
        let want = shadowdesk::schema::text(&schema);
        let file = root().join(path);
        if update {
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            std::fs::write(&file, &want).unwrap();
            continue;
        }
        let have = std::fs::read_to_string(&file).unwrap_or_default();
        if have != want {
            stale.push(path);
        }
    }
    assert!(
        stale.is_empty(),
        "{stale:?} differ from what the types in src/event.rs and src/report.rs generate: \
         regenerate with `UPDATE_SCHEMA=1 cargo test --test integration schema` and commit them"
    );
}

fn captures_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            captures_under(&p, out);
        } else if [".pcap", ".pcapng", ".cap", ".pcapng.gz"]
            .iter()
            .any(|x| p.to_string_lossy().ends_with(x))
        {
            out.push(p);
        }
    }
}

/// Scans every capture of the repository (and the public ones, when present) and checks
/// every event line and every report against the schemas; together they must produce every
/// kind a file scan can (`stats` is live-only: see the test below).
#[test]
fn every_event_and_report_of_every_capture_fits_the_schema() {
    let mut caps = Vec::new();
    captures_under(&root().join("testdata"), &mut caps);
    assert!(caps.len() >= 30, "expected the recorded captures");
    if let Some(p) = shared_public() {
        captures_under(&p, &mut caps);
    }
    caps.sort();
    let d = tempdir("schema-all");
    let (ev_path, rep_path) = (d.join("e.ndjson"), d.join("r.json"));
    let mut kinds = BTreeSet::new();
    let mut lines = 0;
    for cap in &caps {
        let _ = std::fs::remove_file(&rep_path);
        let o = std::process::Command::new(bin())
            .args(["scan", "-q", "--events"])
            .arg(&ev_path)
            .arg("--report")
            .arg(&rep_path)
            .arg(cap)
            .output()
            .unwrap();
        // Broken and foreign inputs exit 2 and still write both outputs.
        assert!(
            matches!(o.status.code(), Some(0 | 2)),
            "{}: {o:?}",
            cap.display()
        );
        let events = std::fs::read_to_string(&ev_path).unwrap();
        for l in events.lines() {
            let e = crate::util::event_line(l);
            kinds.insert(e["kind"].as_str().unwrap().to_owned());
            lines += 1;
        }
        crate::util::report_doc(&std::fs::read(&rep_path).unwrap());
    }
    let want: BTreeSet<String> = [
        "dns",
        "dns_answer",
        "exposure",
        "http",
        "identity",
        "quic",
        "socks",
        "tls",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    assert_eq!(kinds, want, "kinds seen over {} captures", caps.len());
    assert!(lines > 500, "{lines} event lines");
    let _ = std::fs::remove_dir_all(d);
}

/// Live capture's `stats` event, as the types write it.
fn stats_event() -> Value {
    use shadowdesk::event::{self, Body, Event, LiveStats, Timestamp};
    let mut buf = Vec::new();
    let e = Event {
        ts: Timestamp(1_700_000_000_000_000_000),
        // A sensor's name, as live capture writes it with --sensor; no input.
        origin: event::Origin {
            input: None,
            sensor: Some("tap-7"),
        },
        body: Body::Stats(LiveStats {
            packets_received: 10,
            packets_analysed: 9,
            ..LiveStats::default()
        }),
    };
    event::write(&mut buf, &e);
    serde_json::from_slice(&buf).unwrap()
}

#[test]
fn a_stats_event_fits_the_schema() {
    check_event(&stats_event());
}

/// A named change that must make a document fail its schema.
type Mutation = (&'static str, fn(&mut Value));

/// One real event of each of these kinds, from the recorded captures.
fn real_events() -> Vec<Value> {
    let mut out = Vec::new();
    for (cap, kind) in [
        ("mixed.pcap", "dns"),
        ("mixed.pcap", "dns_answer"),
        ("mixed.pcap", "tls"),
    ] {
        let (_, evs) = crate::util::events(&[crate::util::capture(cap).to_str().unwrap()]);
        let e = evs
            .into_iter()
            .find(|e| e["kind"] == kind && !e["vendor"].is_null())
            .unwrap_or_else(|| panic!("no {kind} event with a vendor in {cap}"));
        out.push(e);
    }
    out.push(stats_event());
    out
}

/// A wrong type, a missing field, an unknown kind or enum value, an extra field: each
/// fails the event schema.
#[test]
fn the_event_schema_rejects_what_does_not_fit() {
    let v = validator("event");
    let mutations: &[Mutation] = &[
        ("port as a string", |e| e["src_port"] = json!("53")),
        ("port out of range", |e| e["src_port"] = json!(70000)),
        ("address that is none", |e| {
            e["dst_ip"] = json!("10.0.0.300")
        }),
        ("missing hostname", |e| {
            e.as_object_mut().unwrap().remove("hostname");
        }),
        ("missing ts", |e| {
            e.as_object_mut().unwrap().remove("ts");
        }),
        ("ts not RFC 3339", |e| {
            e["ts"] = json!("2026-11-25 08:01:04")
        }),
        ("unknown kind", |e| e["kind"] = json!("dns_query")),
        ("unknown strength", |e| e["strength"] = json!("medium")),
        ("unknown transport", |e| e["transport"] = json!("sctp")),
        ("sanctioned as a string", |e| e["sanctioned"] = json!("no")),
        ("an extra field", |e| e["vendor_id"] = json!("zendesk")),
    ];
    for e in real_events() {
        assert!(schema_errors(&v, &e).is_empty(), "{e}");
        let kind = e["kind"].as_str().unwrap().to_owned();
        for (what, mutate) in mutations {
            let mut m = e.clone();
            if kind == "stats" && !["missing ts", "unknown kind", "an extra field"].contains(what) {
                continue;
            }
            mutate(&mut m);
            assert!(
                !v.is_valid(&m),
                "{kind} event with {what} passed the schema: {m}"
            );
        }
    }
    // Kind-specific fields: each kind's own are required and typed.
    let evs = real_events();
    let mut dns = evs[0].clone();
    dns.as_object_mut().unwrap().remove("qtype");
    assert!(!v.is_valid(&dns), "dns without qtype");
    let mut answer = evs[1].clone();
    answer["answers"] = json!(["not an address"]);
    assert!(!v.is_valid(&answer), "dns_answer with a bad address");
    let mut hello = evs[2].clone();
    hello["ech"] = json!(1);
    assert!(!v.is_valid(&hello), "tls with ech a number");
    hello["ech"] = json!(false);
    hello["ech_evidence"] = json!(null);
    assert!(!v.is_valid(&hello), "a skipped field written as null");
    // A field of one kind on another.
    let mut dns = evs[0].clone();
    dns["rcode"] = json!(0);
    assert!(!v.is_valid(&dns), "dns with rcode");
}

#[test]
fn the_report_schema_rejects_what_does_not_fit() {
    let v = validator("report");
    let (_, doc) = crate::util::report(&[crate::util::capture("mixed.pcap").to_str().unwrap()]);
    check_report(&doc);
    assert!(!doc["hosts"][0]["vendors"].as_array().unwrap().is_empty());
    let mutations: &[Mutation] = &[
        ("host without ip", |r| {
            r["hosts"][0].as_object_mut().unwrap().remove("ip");
        }),
        ("events as a string", |r| {
            r["hosts"][0]["vendors"][0]["events"] = json!("2")
        }),
        ("unknown strength", |r| {
            r["hosts"][0]["vendors"][0]["strength"] = json!("medium")
        }),
        ("unknown kind in events_by_kind", |r| {
            r["hosts"][0]["vendors"][0]["events_by_kind"]["ftp"] = json!(1)
        }),
        ("named_share as a string", |r| {
            r["visibility"]["named_share"] = json!("1.0")
        }),
        ("missing stats.dropped", |r| {
            r["stats"].as_object_mut().unwrap().remove("dropped");
        }),
        ("negative count", |r| r["stats"]["packets"] = json!(-1)),
        ("interrupted as a string", |r| {
            r["interrupted"] = json!("false")
        }),
        ("an extra field", |r| {
            r["stats"]["dropped"]["other"] = json!(0)
        }),
        ("unknown encrypted-DNS protocol", |r| {
            r["hosts"][0]["encrypted_dns"] = json!([{
                "connections": 1, "first_seen": "2026-11-25T08:01:04.000000Z",
                "last_seen": "2026-11-25T08:01:04.000000Z", "protocol": "dnscrypt",
                "resolver": "x"
            }])
        }),
    ];
    for (what, mutate) in mutations {
        let mut m = doc.clone();
        mutate(&mut m);
        assert!(!v.is_valid(&m), "report with {what} passed the schema");
    }
}
