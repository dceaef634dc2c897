//! `shadowdesk merge` of two sensors' reports: the two captures differ, and one client is in
//! both. Sensor A recorded the start of the exposure and help desk recordings, sensor B the
//! rest (and the weak TLS capture): the files are cut between two connections, at a frame
//! tshark shows as the first of a new exchange. What the merged report says of the shared
//! client, its vendors, their exposures and the help desks is computed here from the two
//! reports' own numbers (sums, minima, maxima, unions), and the exposure counts are checked
//! against tshark's count of the requests.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Value};

use crate::util::{check_report, run, stderr, tempdir};

const CLIENT: &str = "10.99.70.1";

/// Frames `from..=to` (1-based, as tshark numbers them) of a little-endian classic pcap.
fn frames(src: &str, from: usize, to: usize, out: &std::path::Path) {
    let b = std::fs::read(crate::util::capture(src)).unwrap();
    assert_eq!(
        &b[..4],
        &[0xd4, 0xc3, 0xb2, 0xa1],
        "{src}: not a little-endian pcap"
    );
    let mut w = b[..24].to_vec();
    let (mut at, mut n) = (24, 0);
    while at + 16 <= b.len() {
        let len = u32::from_le_bytes(b[at + 8..at + 12].try_into().unwrap()) as usize;
        n += 1;
        if (from..=to).contains(&n) {
            w.extend_from_slice(&b[at..at + 16 + len]);
        }
        at += 16 + len;
    }
    assert_eq!(at, b.len(), "{src}: cut record");
    assert!(to <= n, "{src} has {n} frames");
    std::fs::write(out, w).unwrap();
}

fn scan(out: &str, inputs: &[String]) -> Value {
    let mut args = vec!["scan", "--quiet", "--report", out];
    args.extend(inputs.iter().map(String::as_str));
    let o = run(&args);
    assert!(o.status.success(), "scan failed: {}", stderr(&o));
    let v: Value = serde_json::from_slice(&std::fs::read(out).unwrap()).unwrap();
    check_report(&v);
    v
}

fn host<'a>(r: &'a Value, ip: &str) -> Option<&'a Value> {
    r["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["ip"] == ip)
}

fn by(list: &Value, key: impl Fn(&Value) -> String) -> BTreeMap<String, &Value> {
    list.as_array()
        .into_iter()
        .flatten()
        .map(|x| (key(x), x))
        .collect()
}

fn u(v: &Value) -> u64 {
    v.as_u64().unwrap()
}

/// RFC 3339 times in UTC with the same number of digits: text order is time order.
fn min_max(a: &Value, b: &Value) -> (Value, Value) {
    let (x, y) = (a.as_str().unwrap(), b.as_str().unwrap());
    (json!(x.min(y)), json!(x.max(y)))
}

fn sum_counts(a: &Value, b: &Value) -> Value {
    let mut m: BTreeMap<String, u64> = BTreeMap::new();
    for o in [a, b] {
        for (k, n) in o.as_object().into_iter().flatten() {
            *m.entry(k.clone()).or_default() += u(n);
        }
    }
    json!(m)
}

fn exposure_key(x: &Value) -> String {
    format!(
        "{} {} {} {}",
        x["exposure"], x["credential"], x["credential_name"], x["reason"]
    )
}

/// One kind of exposure seen by both sensors: counted once each, the example of the one
/// that saw it first.
fn combined_exposure(a: &Value, b: &Value) -> Value {
    let (first, _) = min_max(&a["first_seen"], &b["first_seen"]);
    let (_, last) = min_max(&a["last_seen"], &b["last_seen"]);
    let earlier = if a["first_seen"] == first { a } else { b };
    let mut x = earlier.clone();
    x["first_seen"] = first;
    x["last_seen"] = last;
    x["count"] = json!(u(&a["count"]) + u(&b["count"]));
    x
}

fn union(a: &Value, b: &Value) -> Value {
    let s: BTreeSet<String> = [a, b]
        .into_iter()
        .flat_map(|v| v.as_array().unwrap())
        .map(|v| v.to_string())
        .collect();
    Value::Array(s.iter().map(|t| serde_json::from_str(t).unwrap()).collect())
}

#[test]
fn a_client_seen_by_two_sensors_is_one_host_with_both_sensors_counts() {
    let dir = tempdir("merge-sensors");
    let p = |n: &str| dir.join(n).to_string_lossy().into_owned();
    // exposure_http.pcap: frame 32 is the last ACK of the second request's connection (to
    // acme.zendesk.com, client port 43220), frame 33 the DNS query of the third.
    // selfhosted_http.pcap: frame 188 is the SYN of FreeScout's second connection (port
    // 47402); its first (/login) is before.
    frames(
        "exposure/exposure_http.pcap",
        1,
        32,
        dir.join("a-exposure.pcap").as_path(),
    );
    frames(
        "exposure/exposure_http.pcap",
        33,
        98,
        dir.join("b-exposure.pcap").as_path(),
    );
    frames(
        "exposure/selfhosted_http.pcap",
        1,
        187,
        dir.join("a-desks.pcap").as_path(),
    );
    frames(
        "exposure/selfhosted_http.pcap",
        188,
        832,
        dir.join("b-desks.pcap").as_path(),
    );
    let weak = crate::util::capture("exposure/weak_tls.pcap")
        .to_string_lossy()
        .into_owned();
    let a = scan(&p("a.json"), &[p("a-exposure.pcap"), p("a-desks.pcap")]);
    let b = scan(
        &p("b.json"),
        &[p("b-exposure.pcap"), weak.clone(), p("b-desks.pcap")],
    );
    let o = run(&[
        "merge",
        "--report",
        &p("m.json"),
        &p("b.json"),
        &p("a.json"),
    ]);
    assert!(o.status.success(), "merge failed: {}", stderr(&o));
    assert!(!stderr(&o).contains("not merged"), "{}", stderr(&o));
    let m: Value = serde_json::from_slice(&std::fs::read(p("m.json")).unwrap()).unwrap();
    check_report(&m);

    // The client: one host, its visibility the sum of both sensors'.
    let (ha, hb) = (host(&a, CLIENT).unwrap(), host(&b, CLIENT).unwrap());
    let listed = m["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["ip"] == CLIENT)
        .count();
    assert_eq!(listed, 1);
    let hm = host(&m, CLIENT).unwrap();
    for (k, n) in ha["visibility"].as_object().unwrap() {
        if let Some(n) = n.as_u64() {
            assert_eq!(
                u(&hm["visibility"][k]),
                n + u(&hb["visibility"][k]),
                "visibility {k}"
            );
        }
    }

    // Its vendors: Zendesk is in both sensors (plain HTTP in each, weak TLS in B only).
    let (va, vb) = (
        by(&ha["vendors"], |v| v["vendor"].as_str().unwrap().into()),
        by(&hb["vendors"], |v| v["vendor"].as_str().unwrap().into()),
    );
    let vm = by(&hm["vendors"], |v| v["vendor"].as_str().unwrap().into());
    assert!(va.contains_key("zendesk") && vb.contains_key("zendesk"));
    let ids: BTreeSet<&String> = va.keys().chain(vb.keys()).collect();
    assert_eq!(vm.keys().collect::<BTreeSet<_>>(), ids);
    let mut shared_kinds = 0;
    for id in ids {
        let got = vm[id];
        let (want_events, want_first, want_last, want_kinds, want_exposures, want_not_listed) =
            match (va.get(id), vb.get(id)) {
                (Some(x), Some(y)) => {
                    let (first, _) = min_max(&x["first_seen"], &y["first_seen"]);
                    let (_, last) = min_max(&x["last_seen"], &y["last_seen"]);
                    let (ex, ey) = (
                        by(&x["exposures"], exposure_key),
                        by(&y["exposures"], exposure_key),
                    );
                    let mut want: BTreeMap<String, Value> = BTreeMap::new();
                    for k in ex.keys().chain(ey.keys()) {
                        let v = match (ex.get(k), ey.get(k)) {
                            (Some(p), Some(q)) => {
                                shared_kinds += 1;
                                combined_exposure(p, q)
                            }
                            (Some(p), None) | (None, Some(p)) => (*p).clone(),
                            (None, None) => unreachable!(),
                        };
                        want.insert(k.clone(), v);
                    }
                    (
                        u(&x["events"]) + u(&y["events"]),
                        first,
                        last,
                        sum_counts(&x["events_by_kind"], &y["events_by_kind"]),
                        want,
                        x["exposures_not_listed"].as_u64().unwrap_or(0)
                            + y["exposures_not_listed"].as_u64().unwrap_or(0),
                    )
                }
                (Some(x), None) | (None, Some(x)) => (
                    u(&x["events"]),
                    x["first_seen"].clone(),
                    x["last_seen"].clone(),
                    x["events_by_kind"].clone(),
                    by(&x["exposures"], exposure_key)
                        .into_iter()
                        .map(|(k, v)| (k, v.clone()))
                        .collect(),
                    x["exposures_not_listed"].as_u64().unwrap_or(0),
                ),
                (None, None) => unreachable!(),
            };
        assert_eq!(u(&got["events"]), want_events, "{id} events");
        assert_eq!(got["first_seen"], want_first, "{id} first_seen");
        assert_eq!(got["last_seen"], want_last, "{id} last_seen");
        assert_eq!(got["events_by_kind"], want_kinds, "{id} events_by_kind");
        let got_x: BTreeMap<String, Value> = by(&got["exposures"], exposure_key)
            .into_iter()
            .map(|(k, v)| (k, v.clone()))
            .collect();
        assert_eq!(got_x, want_exposures, "{id} exposures");
        assert_eq!(
            got["exposures_not_listed"].as_u64().unwrap_or(0),
            want_not_listed
        );
    }
    // Plain HTTP to Zendesk is the kind both sensors saw: tshark counts 4 requests with
    // Host acme.zendesk.com in exposure_http.pcap (`http.request and http.host ==
    // "acme.zendesk.com"`), 2 before the cut and 2 after.
    assert!(shared_kinds >= 1);
    let plain = |v: &Value| -> u64 {
        v["exposures"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["exposure"] == "plain_http")
            .map_or(0, |x| u(&x["count"]))
    };
    assert_eq!((plain(va["zendesk"]), plain(vb["zendesk"])), (2, 2));
    assert_eq!(plain(vm["zendesk"]), 4);

    // The help desks: FreeScout on 10.99.70.3:80 is in both sensors, the others in one.
    let desk = |x: &Value| format!("{} {} {}", x["product"], x["server_ip"], x["server_port"]);
    let (da, db, dm) = (
        by(&a["self_hosted"], desk),
        by(&b["self_hosted"], desk),
        by(&m["self_hosted"], desk),
    );
    let freescout = "\"freescout\" \"10.99.70.3\" 80".to_owned();
    assert!(da.contains_key(&freescout) && db.contains_key(&freescout));
    let keys: BTreeSet<&String> = da.keys().chain(db.keys()).collect();
    assert_eq!(dm.keys().collect::<BTreeSet<_>>(), keys);
    for k in keys {
        let want = match (da.get(k), db.get(k)) {
            (Some(x), Some(y)) => {
                let mut w = (*x).clone();
                let (first, _) = min_max(&x["first_seen"], &y["first_seen"]);
                let (_, last) = min_max(&x["last_seen"], &y["last_seen"]);
                w["first_seen"] = first;
                w["last_seen"] = last;
                w["hosts_not_listed"] =
                    json!(u(&x["hosts_not_listed"]) + u(&y["hosts_not_listed"]));
                for f in ["server_names", "hosts", "certificate_names"] {
                    w[f] = union(&x[f], &y[f]);
                }
                w["signatures"] = union(&x["signatures"], &y["signatures"]);
                w
            }
            (Some(x), None) | (None, Some(x)) => (*x).clone(),
            (None, None) => unreachable!(),
        };
        // The signatures are compared as a set (their order, the signature file's, is
        // checked by the property test against a whole scan).
        let (mut got, mut want) = (dm[k].clone(), want);
        for v in [&mut got, &mut want] {
            let set: BTreeSet<String> = v["signatures"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s.to_string())
                .collect();
            v["signatures"] = json!(set);
        }
        if k == &freescout {
            assert_eq!(got["hosts"], json!([CLIENT]));
            assert!(da[k]["last_seen"].as_str() < db[k]["first_seen"].as_str());
        }
        assert_eq!(got, want, "{k}");
    }

    // The summary's last two sections read as a scan of all five files writes them.
    let tail = |args: &[&str]| -> String {
        let o = run(args);
        assert!(o.status.success(), "{}", stderr(&o));
        let t = String::from_utf8_lossy(&o.stdout).into_owned();
        let at = t.find("\nEXPOSURES (").expect("an EXPOSURES section");
        assert!(t.contains("\nSELF-HOSTED HELP DESKS\n"), "{t}");
        t[at..].to_owned()
    };
    let (ae, be, ad, bd) = (
        p("a-exposure.pcap"),
        p("b-exposure.pcap"),
        p("a-desks.pcap"),
        p("b-desks.pcap"),
    );
    assert_eq!(
        tail(&["merge", &p("a.json"), &p("b.json")]),
        tail(&["scan", &ae, &be, &weak, &ad, &bd])
    );
    let _ = std::fs::remove_dir_all(&dir);
}
