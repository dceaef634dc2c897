//! The fields analysts pivot on (issue 14, item 5), against tshark's reading of the same
//! captures: `testdata/pivot/{dns,hello}.tsv`, written by `testdata/gen-pivot-truth.sh`
//! (tshark 4.0.17). From tshark's raw values each test derives what an event must say, with
//! its own tables (the IANA registries), so no value is copied from our output. Also
//! `input` and `--sensor` on every event.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;

use crate::util::*;

/// The IANA DNS RCODE registry's names for the header's values.
fn iana_rcode(n: u64) -> Value {
    let name = match n {
        0 => "NOERROR",
        1 => "FORMERR",
        2 => "SERVFAIL",
        3 => "NXDOMAIN",
        4 => "NOTIMP",
        5 => "REFUSED",
        6 => "YXDOMAIN",
        7 => "YXRRSET",
        8 => "NXRRSET",
        9 => "NOTAUTH",
        10 => "NOTZONE",
        11 => "DSOTYPENI",
        n => return Value::from(n),
    };
    Value::from(name)
}

/// The IANA resource record types `dns` events name (README's events table).
fn rr_type(n: u64) -> Value {
    let name = match n {
        1 => "A",
        2 => "NS",
        5 => "CNAME",
        6 => "SOA",
        12 => "PTR",
        15 => "MX",
        16 => "TXT",
        28 => "AAAA",
        33 => "SRV",
        64 => "SVCB",
        65 => "HTTPS",
        255 => "ANY",
        n => return Value::from(n),
    };
    Value::from(name)
}

fn list(s: &str) -> Vec<&str> {
    s.split('|').filter(|x| !x.is_empty()).collect()
}

fn num(s: &str) -> u64 {
    match s.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16).unwrap(),
        None => s.parse().unwrap_or_else(|e| panic!("{s:?}: {e}")),
    }
}

/// A row's (client port, server port): tshark gives the packet's own ports, the client's
/// being the source of a hello and the destination of a response.
fn ports(row: &BTreeMap<String, String>, response: bool) -> (u64, u64) {
    let p = |k: &str| {
        let u = &row[&format!("udp_{k}")];
        num(if u.is_empty() {
            &row[&format!("tcp_{k}")]
        } else {
            u
        })
    };
    match response {
        true => (p("dport"), p("sport")),
        false => (p("sport"), p("dport")),
    }
}

/// The truth rows of `file`, and our events of `kinds` scanning it (with `--sensor`), both
/// grouped by (client port, server port) in capture order. A hello that names several
/// servers gives one event per name: those count once.
type Groups<'a> = HashMap<(u64, u64), Vec<&'a BTreeMap<String, String>>>;
type EventGroups = HashMap<(u64, u64), Vec<Value>>;

fn pair_up<'a>(
    truth: &'a [BTreeMap<String, String>],
    file: &str,
    kinds: &[&str],
    response: bool,
) -> (Groups<'a>, EventGroups) {
    let path = root().join("testdata").join(file);
    let shown = path.to_str().unwrap();
    let (o, evs) = events(&["--sensor", "tap-7", shown]);
    assert!(o.status.success(), "{file}: {}", stderr(&o));
    let mut want: Groups = HashMap::new();
    for r in truth.iter().filter(|r| r["file"] == file) {
        want.entry(ports(r, response)).or_default().push(r);
    }
    let mut got: EventGroups = HashMap::new();
    for e in &evs {
        // Every event says where it came from.
        assert_eq!(e["input"], shown, "{e}");
        assert_eq!(e["sensor"], "tap-7", "{e}");
    }
    let mut last = None;
    for e in evs
        .into_iter()
        .filter(|e| kinds.contains(&e["kind"].as_str().unwrap()))
    {
        let key = (
            e["src_port"].as_u64().unwrap(),
            e["dst_port"].as_u64().unwrap(),
        );
        let same = (key, e["ts"].clone(), e["ja4"].clone());
        if last.as_ref() == Some(&same) {
            continue;
        }
        last = Some(same);
        got.entry(key).or_default().push(e);
    }
    (want, got)
}

fn files(truth: &[BTreeMap<String, String>]) -> Vec<String> {
    let mut f: Vec<String> = truth.iter().map(|r| r["file"].clone()).collect();
    f.dedup();
    f
}

#[test]
fn dns_answer_rcode_qtype_and_ttl_match_tshark() {
    let truth = tsv(&root().join("testdata/pivot/dns.tsv"));
    let (mut compared, mut nxdomain, mut nodata, mut ttl_nonzero) = (0, 0, 0, 0);
    for file in files(&truth) {
        let (want, got) = pair_up(&truth, &file, &["dns_answer"], true);
        for (key, rows) in &want {
            let evs = got.get(key).map(Vec::as_slice).unwrap_or_default();
            assert_eq!(
                evs.len(),
                rows.len(),
                "{file} ports {key:?}: tshark has {} responses, we {}",
                rows.len(),
                evs.len()
            );
            for (r, e) in rows.iter().zip(evs) {
                let at = format!("{file} frame {}: {e}", r["frame"]);
                let rcode = num(&r["rcode"]);
                assert_eq!(e["rcode"], rcode, "{at}");
                assert_eq!(e["rcode_name"], iana_rcode(rcode), "{at}");
                let qtype = list(&r["qry_types"]).first().map(|t| rr_type(num(t)));
                assert_eq!(e["qtype"], qtype.unwrap_or(Value::Null), "{at}");
                // The answer section is the first `count_answers` records.
                let n = num(&r["count_answers"]) as usize;
                let types = list(&r["resp_types"]);
                let ttls = list(&r["resp_ttls"]);
                let min_ttl = types
                    .iter()
                    .zip(&ttls)
                    .take(n)
                    .filter(|(t, _)| matches!(num(t), 1 | 28))
                    .map(|(_, ttl)| num(ttl))
                    .min();
                assert_eq!(
                    e["min_ttl"],
                    min_ttl.map_or(Value::Null, Value::from),
                    "{at}"
                );
                nxdomain += usize::from(rcode == 3);
                nodata += usize::from(rcode == 0 && n == 0);
                ttl_nonzero += usize::from(min_ttl.is_some_and(|t| t > 0));
                compared += 1;
            }
        }
        assert_eq!(
            got.values().map(Vec::len).sum::<usize>(),
            want.values().map(Vec::len).sum::<usize>(),
            "{file}: answers tshark does not list"
        );
    }
    // The captures hold what the fields are for: NXDOMAIN and NODATA (dns_udp_v4), real
    // TTLs (the office day's resolver, the JA4 project's capture).
    assert_eq!(compared, truth.len(), "every truth row compared");
    assert!(compared > 1000, "{compared}");
    assert!(nxdomain >= 9 && nodata >= 12, "{nxdomain} {nodata}");
    assert!(ttl_nonzero >= 100, "{ttl_nonzero}");
}

/// tshark shows a byte that is not UTF-8 as U+FFFD; we escape it as `\DDD`.
fn alpn_matches(ours: &str, tshark: &str) -> bool {
    if !tshark.contains('\u{fffd}') {
        return ours == tshark;
    }
    let mut o = ours;
    for c in tshark.chars() {
        if c == '\u{fffd}' {
            let Some(rest) = o.strip_prefix('\\') else {
                return false;
            };
            match rest.get(..3).and_then(|d| d.parse::<u16>().ok()) {
                Some(b) if (128..=255).contains(&b) => o = &rest[3..],
                _ => return false,
            }
        } else {
            let Some(rest) = o.strip_prefix(c) else {
                return false;
            };
            o = rest;
        }
    }
    o.is_empty()
}

#[test]
fn hello_tls_version_and_alpn_match_tshark() {
    let truth = tsv(&root().join("testdata/pivot/hello.tsv"));
    let grease = |v: u64| v & 0x0f0f == 0x0a0a && v >> 8 == v & 0xff;
    let tls_name = |v: u64| match v {
        0x0304 => Value::from("1.3"),
        0x0303 => Value::from("1.2"),
        0x0302 => Value::from("1.1"),
        0x0301 => Value::from("1.0"),
        v => Value::from(v),
    };
    let (mut compared, mut versions) = (0, BTreeMap::new());
    let mut non_utf8_alpn = 0;
    for file in files(&truth) {
        let (want, got) = pair_up(&truth, &file, &["tls", "quic"], false);
        for (key, rows) in &want {
            let evs = got.get(key).map(Vec::as_slice).unwrap_or_default();
            assert_eq!(
                evs.len(),
                rows.len(),
                "{file} ports {key:?}: tshark has {} hellos, we {}",
                rows.len(),
                evs.len()
            );
            for (r, e) in rows.iter().zip(evs) {
                let at = format!("{file} frame {}: {e}", r["frame"]);
                let offered = list(&r["supported_versions"])
                    .into_iter()
                    .map(num)
                    .filter(|v| !grease(*v))
                    .max();
                let version = tls_name(offered.unwrap_or_else(|| num(&r["legacy_version"])));
                assert_eq!(e["tls_version"], version, "{at}");
                *versions.entry(version.to_string()).or_insert(0) += 1;
                let alpn = list(&r["alpn"]);
                let ours: Vec<&str> = e["alpn"]
                    .as_array()
                    .unwrap_or_else(|| panic!("{at}: no alpn"))
                    .iter()
                    .map(|a| a.as_str().unwrap())
                    .collect();
                assert_eq!(ours.len(), alpn.len(), "{at}: {alpn:?}");
                for (o, t) in ours.iter().zip(&alpn) {
                    assert!(alpn_matches(o, t), "{at}: {o:?} vs tshark {t:?}");
                    non_utf8_alpn += usize::from(t.contains('\u{fffd}'));
                }
                compared += 1;
            }
        }
        assert_eq!(
            got.values().map(Vec::len).sum::<usize>(),
            want.values().map(Vec::len).sum::<usize>(),
            "{file}: hellos tshark does not list"
        );
    }
    assert_eq!(compared, truth.len(), "every truth row compared");
    // TLS 1.3 offers (supported_versions, with and without GREASE) and TLS 1.2 from the
    // legacy version alone (the JA4 project's tls12.pcap), and an ALPN name that is not
    // UTF-8 (its tls-non-ascii-alpn.pcapng).
    assert!(
        versions.get("\"1.2\"").is_some_and(|n| *n >= 1),
        "{versions:?}"
    );
    assert!(
        versions.get("\"1.3\"").is_some_and(|n| *n >= 100),
        "{versions:?}"
    );
    assert!(non_utf8_alpn >= 1);
}

#[test]
fn input_names_each_file_of_a_scan() {
    // Two inputs: each event names its own, as given; no `sensor` without --sensor.
    let a = capture("dns_udp_v4.pcap");
    let b = capture("tls_curl_v4.pcap");
    let (o, evs) = events(&[a.to_str().unwrap(), b.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let by_input = |p: &std::path::Path| {
        evs.iter()
            .filter(|e| e["input"] == p.to_str().unwrap())
            .count()
    };
    // tshark: 18 questions and 18 responses in the DNS capture; one hello in curl's.
    assert_eq!(by_input(&a), 36);
    assert_eq!(by_input(&b), 1);
    assert_eq!(evs.len(), 37);
    assert!(evs.iter().all(|e| e.get("sensor").is_none()));
}
