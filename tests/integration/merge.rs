//! `shadowdesk merge`: reports of the parts of a split archive, merged in any order, give the
//! report of one scan of the whole.
//!
//! The captures are real recordings (the office day, the identity captures, ECH, QUIC,
//! VXLAN, the mixed capture and the single-connection captures of its client, so that one
//! host's entries come from several parts; the exposure captures, whose client uses Zendesk
//! over plain HTTP in one and weak TLS in another, and the self-hosted help desks). A scan
//! carries some state from one input into the next (DNS answers that name a later connection
//! without SNI, identity bindings already announced, flows idle-evicted by a later input's
//! clock, a help desk's HTTPS port tied by its certificate to the plain HTTP port found
//! before), and that state is what a split loses: no capture here needs another's DNS or
//! identity, and the two help desk captures are never split apart. The README ("Splitting an
//! archive across machines") lists those exceptions; here only `flows_evicted_idle`, the
//! rounding of session durations (written to 0.1 s) and the order of `inputs` are normalised.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::util::{check_report, run, stderr, tempdir};

/// The fixed seeds: each gives one random split and one random order of the reports.
const SEEDS: [u64; 6] = [1, 2, 3, 0x5eed, 0xdecade, 20261127];

/// In capture-time order (tshark's first packet of each; the ones recorded minutes apart
/// follow each other within seconds). A scan keeps one clock over its inputs: an input older
/// than one read before it has its flows idle-evicted mid-connection (see the report), so
/// every scan here, of a part or of the whole, reads its files in time order. The files of
/// one group always go to the same part: the help desks' TLS capture names no product alone
/// (its certificate ties each HTTPS port to a desk the plain HTTP capture found).
fn groups() -> Vec<Vec<String>> {
    [
        &["testdata/captures/dns_udp_v4.pcap"][..],
        &["testdata/captures/dns_tcp.pcap"],
        &["testdata/captures/tls_curl_v4.pcap"],
        &["testdata/captures/tls_openssl_8443.pcap"],
        &["testdata/captures/tls_curl_v6.pcap"],
        &["testdata/captures/tls_chromium_split.pcap"],
        &["testdata/captures/mixed.pcap"],
        &["testdata/captures/more/vxlan.pcap"],
        &["testdata/captures/hidden/ech_chromium.pcap"],
        &["testdata/captures/quic/aioquic_v1.pcap"],
        &["testdata/captures/quic/aioquic_v2.pcap"],
        &["testdata/captures/identity/dhcp_two_hosts.pcap"],
        &["testdata/captures/identity/kerberos.pcap"],
        &["testdata/captures/identity/mdns_nbns.pcap"],
        &["testdata/office/office_day.pcap"],
        &["testdata/captures/exposure/exposure_http.pcap"],
        &["testdata/captures/exposure/weak_tls.pcap"],
        &[
            "testdata/captures/exposure/selfhosted_http.pcap",
            "testdata/captures/exposure/selfhosted_tls.pcap",
        ],
    ]
    .iter()
    .map(|g| {
        g.iter()
            .map(|p| crate::util::root().join(p).to_string_lossy().into_owned())
            .collect()
    })
    .collect()
}

/// splitmix64: a fixed generator, so a seed names one split on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            v.swap(i, self.below(i + 1));
        }
    }
}

fn scan(out: &str, inputs: &[String]) {
    let policy = crate::util::root().join("testdata/office/policy.txt");
    let mut args = vec![
        "scan".to_owned(),
        "--quiet".into(),
        "--policy".into(),
        policy.to_string_lossy().into_owned(),
        "--report".into(),
        out.into(),
    ];
    args.extend(inputs.iter().cloned());
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = run(&a);
    assert!(o.status.success(), "scan failed: {}", stderr(&o));
}

fn read(path: &str) -> Value {
    let v: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    check_report(&v);
    v
}

/// A role reason quotes a duration to the second ("longest session 19 s"), read back from
/// the report's 0.1 s: the digits before " s" are not compared.
fn seconds_blind(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = String::new();
    let mut i = 0;
    while i < b.len() {
        let j = (i..b.len())
            .find(|&k| !b[k].is_ascii_digit())
            .unwrap_or(b.len());
        if j > i {
            let unit = b.get(j..j + 2) == Some(b" s")
                && b.get(j + 2).is_none_or(|c| !c.is_ascii_alphabetic());
            out.push_str(if unit { "N" } else { &s[i..j] });
            i = j;
        } else {
            let c = s[i..].chars().next().unwrap();
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

/// Normalises what the README says a merge cannot make exact, and checks the rest of what
/// differs by design (`meta`) on the way.
fn normalise(mut r: Value, unlisted: &BTreeSet<String>) -> Value {
    // A scan lists its inputs as given, a merge in path order.
    r["inputs"]
        .as_array_mut()
        .unwrap()
        .sort_by_key(|i| i["path"].as_str().unwrap().to_owned());
    let meta = r["meta"].as_object_mut().unwrap();
    for k in ["generated_at", "command_line", "merged"] {
        meta.remove(k);
    }
    r["stats"]
        .as_object_mut()
        .unwrap()
        .remove("flows_evicted_idle");
    for h in r["hosts"].as_array_mut().unwrap() {
        if unlisted.contains(h["ip"].as_str().unwrap()) {
            h.as_object_mut().unwrap().remove("visibility");
        }
        for v in h["vendors"].as_array_mut().unwrap() {
            let ev = &mut v["role_evidence"];
            for e in ev["endpoints"].as_array_mut().unwrap() {
                // A sum of durations, each part's rounded to 0.1 s.
                e.as_object_mut().unwrap().remove("total_s");
            }
            for reason in ev["reasons"].as_array_mut().unwrap() {
                *reason = Value::from(seconds_blind(reason.as_str().unwrap()));
            }
        }
    }
    r
}

/// The clients of a part's self-hosted help desks that the part does not list as hosts
/// (they had no vendor, encrypted DNS or hidden traffic there): their connections in that
/// part are in its top-level visibility only (README, "A host's `visibility`").
fn unlisted_clients(part: &Value) -> BTreeSet<String> {
    let listed: BTreeSet<&str> = part["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["ip"].as_str().unwrap())
        .collect();
    part["self_hosted"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|x| x["hosts"].as_array().unwrap())
        .map(|ip| ip.as_str().unwrap())
        .filter(|ip| !listed.contains(ip))
        .map(str::to_owned)
        .collect()
}

fn host<'a>(r: &'a Value, ip: &str) -> &'a Value {
    r["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["ip"] == ip)
        .unwrap_or_else(|| panic!("{ip} is not listed"))
}

#[test]
fn merging_the_reports_of_any_split_gives_the_whole_scan() {
    let dir = tempdir("merge");
    let d = |n: &str| dir.join(n).to_string_lossy().into_owned();
    let groups = groups();
    let files: Vec<String> = groups.concat();
    let whole_path = d("whole.json");
    scan(&whole_path, &files);
    let whole = read(&whole_path);
    assert_eq!(whole["meta"]["merged"], Value::Array(vec![]));
    // The captures do have what the comparison is about: among the rest, one host and
    // vendor whose exposures come from two captures (plain HTTP and credentials from one,
    // weak TLS from the other), and the help desks on both their ports.
    assert!(whole["hosts"].as_array().unwrap().len() >= 10);
    assert!(whole["tenants"].as_array().unwrap().len() >= 3);
    let exposed = host(&whole, "10.99.70.1")["vendors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["vendor"] == "zendesk")
        .expect("10.99.70.1 uses zendesk");
    let kinds: std::collections::BTreeSet<&str> = exposed["exposures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["exposure"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["credentials_in_clear", "plain_http", "weak_tls"].into()
    );
    assert_eq!(whole["self_hosted"].as_array().unwrap().len(), 16);

    // Seeds whose split puts the two exposure captures in different parts; seeds where
    // every host's visibility is compared.
    let (mut exposures_split, mut all_visible) = (0, 0);
    for seed in SEEDS {
        let mut rng = Rng(seed);
        let mut order = groups.clone();
        rng.shuffle(&mut order);
        let parts = 2 + rng.below(3);
        // Cut points: parts-1 distinct places among the gaps between groups.
        let mut cuts: Vec<usize> = (1..order.len()).collect();
        rng.shuffle(&mut cuts);
        let mut cuts: Vec<usize> = cuts[..parts - 1].to_vec();
        cuts.sort();
        let mut reports = Vec::new();
        let mut unlisted = BTreeSet::new();
        let mut from = 0;
        for (i, to) in cuts.iter().copied().chain([order.len()]).enumerate() {
            let p = d(&format!("seed{seed}-part{i}.json"));
            // Any groups, each part read in time order.
            let mut part: Vec<String> = order[from..to].concat();
            part.sort_by_key(|f| files.iter().position(|g| g == f));
            scan(&p, &part);
            unlisted.extend(unlisted_clients(&read(&p)));
            let has = |name: &str| part.iter().any(|f| f.ends_with(name));
            if has("/exposure_http.pcap") != has("/weak_tls.pcap") && has("/weak_tls.pcap") {
                exposures_split += 1;
            }
            reports.push(p);
            from = to;
        }
        all_visible += usize::from(unlisted.is_empty());
        for pass in 0..2 {
            let mut rs = reports.clone();
            if pass == 1 {
                rng.shuffle(&mut rs);
            }
            let out = d(&format!("seed{seed}-merged{pass}.json"));
            let mut args = vec!["merge", "--report", out.as_str()];
            args.extend(rs.iter().map(String::as_str));
            let o = run(&args);
            assert!(
                o.status.success(),
                "seed {seed}: merge failed: {}",
                stderr(&o)
            );
            let merged = read(&out);
            let names: Vec<&str> = merged["meta"]["merged"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["path"].as_str().unwrap())
                .collect();
            let mut want: Vec<&str> = reports.iter().map(String::as_str).collect();
            want.sort();
            assert_eq!(names, want, "seed {seed}: meta.merged");
            // The hosts whose visibility the README says a merge can miss: the merged counts
            // are those of the parts that list the host, so at most the whole scan's.
            for ip in &unlisted {
                let (w, m) = (host(&whole, ip), host(&merged, ip));
                // The counts (not `named_share`, a ratio).
                for (k, n) in w["visibility"].as_object().unwrap() {
                    if let (Some(n), Some(got)) = (n.as_u64(), m["visibility"][k].as_u64()) {
                        assert!(got <= n, "seed {seed}: {ip} {k} {got} > {n}");
                    }
                }
            }
            let (a, b) = (
                normalise(whole.clone(), &unlisted),
                normalise(merged, &unlisted),
            );
            if a != b {
                let text = |v: &Value| serde_json::to_string_pretty(v).unwrap();
                let (a, b) = (text(&a), text(&b));
                let first = a
                    .lines()
                    .zip(b.lines())
                    .enumerate()
                    .find(|(_, (x, y))| x != y)
                    .map(|(i, (x, y))| format!("line {i}: whole {x:?}, merged {y:?}"));
                panic!(
                    "seed {seed} (parts {parts}, order {:?}): the merged report differs from the whole scan; first difference: {}",
                    rs,
                    first.unwrap_or_else(|| "in length".into())
                );
            }
        }
    }
    assert!(exposures_split > 0, "no seed splits the exposure captures");
    assert!(all_visible > 0, "every seed leaves a host's visibility out");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Reports made under different policies are no one scan's: refused, exit status 2.
#[test]
fn reports_of_different_policies_are_refused() {
    let dir = tempdir("merge-policy");
    let d = |n: &str| dir.join(n).to_string_lossy().into_owned();
    let cap = crate::util::capture("mixed.pcap");
    let cap = cap.to_string_lossy();
    let (a, b) = (d("a.json"), d("b.json"));
    assert!(run(&["scan", "-q", "--report", &a, &cap]).status.success());
    assert!(run(&[
        "scan",
        "-q",
        "--sanctioned",
        "zendesk",
        "--report",
        &b,
        &cap
    ])
    .status
    .success());
    let o = run(&["merge", "--report", &d("m.json"), &a, &b]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("different settings"), "{}", stderr(&o));
    let _ = std::fs::remove_dir_all(&dir);
}
