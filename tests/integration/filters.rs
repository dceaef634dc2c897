//! `--since`, `--until` and `--host` against tshark's reading of the same capture: the rows
//! kept are exactly the truth rows whose packet time (tshark's `frame.time_epoch`) and client
//! fall inside.

use crate::util::*;

/// The tls/dns truth rows of a capture with tshark's packet time, in nanoseconds.
fn timed_truth(cap: &std::path::Path) -> Vec<(i128, Row)> {
    tsv(std::path::Path::new(&format!(
        "{}.truth-detail.tsv",
        cap.display()
    )))
    .into_iter()
    .filter(|r| matches!(r["kind"].as_str(), "tls" | "dns") && !r["hostname"].is_empty())
    .map(|r| {
        let (s, frac) = r["time_epoch"].split_once('.').unwrap();
        let ns = s.parse::<i128>().unwrap() * 1_000_000_000
            + format!("{frac:0<9}")[..9].parse::<i128>().unwrap();
        let row = (
            r["kind"].clone(),
            r["src_ip"].clone(),
            r["src_port"].parse().unwrap(),
            r["dst_ip"].clone(),
            r["dst_port"].parse().unwrap(),
            r["hostname"].trim_end_matches('.').to_lowercase(),
        );
        (ns, row)
    })
    .collect()
}

/// RFC 3339 in UTC for a time in nanoseconds, via date(1) so the test does not lean on the
/// formatter it checks.
fn rfc3339(ns: i128) -> String {
    let secs = ns.div_euclid(1_000_000_000);
    let o = std::process::Command::new("date")
        .args(["-u", "-d", &format!("@{secs}"), "+%Y-%m-%dT%H:%M:%S"])
        .output()
        .expect("date(1)");
    format!(
        "{}.{:09}Z",
        String::from_utf8(o.stdout).unwrap().trim(),
        ns.rem_euclid(1_000_000_000)
    )
}

/// The last record's time of a classic little-endian microsecond pcap, read by hand.
fn last_packet_ns(cap: &std::path::Path) -> i128 {
    let b = std::fs::read(cap).unwrap();
    assert_eq!(
        &b[..4],
        &[0xd4, 0xc3, 0xb2, 0xa1],
        "a little-endian µs pcap"
    );
    let (mut at, mut last) = (24, 0);
    while at + 16 <= b.len() {
        let u = |o: usize| u32::from_le_bytes(b[at + o..at + o + 4].try_into().unwrap());
        last = i128::from(u(0)) * 1_000_000_000 + i128::from(u(4)) * 1000;
        at += 16 + u(8) as usize;
    }
    last
}

fn kept(cap: &std::path::Path, args: &[&str]) -> Rows {
    let mut a = vec![cap.to_str().unwrap()];
    a.extend_from_slice(args);
    let (o, evs) = events(&a);
    assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
    rows(&evs)
}

fn expect(truth: &[(i128, Row)], keep: impl Fn(i128, &Row) -> bool) -> Rows {
    let mut v: Rows = truth
        .iter()
        .filter(|(t, r)| keep(*t, r))
        .map(|(_, r)| r.clone())
        .collect();
    v.sort();
    v
}

#[test]
fn window_and_hosts_keep_what_tshark_places_inside() {
    let cap = capture("mixed.pcap");
    let truth = timed_truth(&cap);
    assert!(truth.len() >= 8, "the capture's tshark rows");
    let (t2, t5) = (truth[2].0, truth[5].0);
    // Inclusive at both ends, to the packet's own time.
    let since = rfc3339(t2);
    let until = rfc3339(t5);
    assert_eq!(
        kept(&cap, &["--since", &since, "--until", &until]),
        expect(&truth, |t, _| t2 <= t && t <= t5)
    );
    assert_eq!(
        kept(&cap, &["--since", &since]),
        expect(&truth, |t, _| t2 <= t)
    );
    assert_eq!(
        kept(&cap, &["--until", &until]),
        expect(&truth, |t, _| t <= t5)
    );
    // Relative to the last packet of the capture.
    let end = last_packet_ns(&cap);
    let back = (end - t2) / 1_000_000_000 + 1;
    assert_eq!(
        kept(&cap, &["--since", &format!("-{back}s")]),
        expect(&truth, |t, _| end - i128::from(back as i64) * 1_000_000_000
            <= t)
    );
    // Hosts: the client of each row (the src of a query or a hello).
    assert_eq!(
        kept(&cap, &["--host", "10.99.0.1"]),
        expect(&truth, |_, r| r.1 == "10.99.0.1")
    );
    assert_eq!(
        kept(&cap, &["--host", "fd00:99::/64,192.0.2.0/24"]),
        expect(&truth, |_, r| r.1.starts_with("fd00:99::"))
    );
    assert!(kept(&cap, &["--host", "192.0.2.1"]).is_empty());
}

#[test]
fn bad_windows_and_hosts_are_usage_errors() {
    let cap = capture("mixed.pcap");
    for args in [
        ["--since", "yesterday"],
        ["--until", "2024-02-30T00:00:00Z"],
        ["--host", "10.0.0.0/40"],
        ["--host", "no such!host"],
        ["--identity-max-age", "0"],
    ] {
        let mut a = vec!["scan", "--quiet", cap.to_str().unwrap()];
        a.extend_from_slice(&args);
        let o = run(&a);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(stderr(&o).contains(args[1]), "{args:?}: {}", stderr(&o));
    }
    // A relative bound needs to read the inputs twice: not standard input.
    let o = std::process::Command::new(bin())
        .args(["scan", "--quiet", "--since", "-1h", "-"])
        .stdin(std::fs::File::open(&cap).unwrap())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("standard input"), "{}", stderr(&o));
}

/// tshark's count of what `--vendor` keeps on a capture, per event kind, for the vendor
/// whose names `re` matches (a suffix at a label boundary, as the catalog's patterns do):
/// DNS questions with such a name; responses whose question or a CNAME target is one (the
/// chain attributes the answer); ClientHellos whose SNI is one. The commands:
///
/// ```text
/// tshark -r CAP -Y 'dns.flags.response == 0' -T fields -e dns.qry.name    (names counted)
/// tshark -r CAP -Y 'dns.flags.response == 1 && (dns.qry.name matches "RE" || dns.cname matches "RE")'
/// tshark -r CAP -Y 'tls.handshake.type == 1 && tls.handshake.extensions_server_name matches "RE"'
/// ```
fn tshark_counts(cap: &std::path::Path, re: &str) -> [(String, usize); 3] {
    let tshark = |filter: &str, fields: bool| -> String {
        let mut c = std::process::Command::new("tshark");
        c.args(["-r", cap.to_str().unwrap(), "-Y", filter]);
        if fields {
            c.args(["-T", "fields", "-e", "dns.qry.name"]);
        }
        let o = c.output().expect("running tshark");
        assert!(o.status.success(), "tshark -Y {filter}: {}", stderr(&o));
        String::from_utf8(o.stdout).unwrap()
    };
    // A display filter's string literal takes `\\` for one backslash.
    let lit = re.replace('\\', "\\\\");
    let rx = regex_lite(re);
    let queries = tshark("dns.flags.response == 0", true)
        .lines()
        .flat_map(|l| l.split(','))
        .filter(|n| rx(n))
        .count();
    let answers = tshark(
        &format!(
            "dns.flags.response == 1 && (dns.qry.name matches \"{lit}\" || dns.cname matches \"{lit}\")"
        ),
        false,
    )
    .lines()
    .count();
    let hellos = tshark(
        &format!(
            "tls.handshake.type == 1 && tls.handshake.extensions_server_name matches \"{lit}\""
        ),
        false,
    )
    .lines()
    .count();
    [
        ("dns".into(), queries),
        ("dns_answer".into(), answers),
        ("tls".into(), hellos),
    ]
}

/// `(^|\.)(a\.b|c\.d)$` as a predicate, so the question names tshark prints are matched the
/// way its `matches` matches the others (the test has no regex crate).
fn regex_lite(re: &str) -> impl Fn(&str) -> bool {
    let inner = re
        .strip_prefix(r"(^|\.)(")
        .and_then(|r| r.strip_suffix(")$"))
        .expect("the (^|\\.)(...)$ form");
    let suffixes: Vec<String> = inner.split('|').map(|s| s.replace(r"\.", ".")).collect();
    move |name: &str| {
        let n = name.trim_end_matches('.').to_ascii_lowercase();
        suffixes
            .iter()
            .any(|s| n == *s || n.ends_with(&format!(".{s}")))
    }
}

/// Our events per kind, all of whose vendors must be in `vendors`.
fn counts_by_kind(args: &[&str], vendors: &[&str]) -> [(String, usize); 3] {
    let (o, evs) = events(args);
    assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
    let mut out = [
        ("dns".to_owned(), 0),
        ("dns_answer".to_owned(), 0),
        ("tls".to_owned(), 0),
    ];
    for e in &evs {
        let v = e["vendor"].as_str();
        assert!(
            v.is_some_and(|v| vendors.contains(&v)),
            "{args:?}: an event of another vendor: {e}"
        );
        let kind = e["kind"].as_str().unwrap();
        let slot = out.iter_mut().find(|(k, _)| k == kind);
        slot.unwrap_or_else(|| panic!("{args:?}: unexpected kind {kind}"))
            .1 += 1;
    }
    out
}

// --vendor (an alias-free id in another case) and --only, on the office day: the events kept
// are, kind by kind, as many as tshark finds for that vendor's names.
#[test]
fn vendor_and_only_keep_what_tshark_finds_for_the_vendors_names() {
    let have = std::process::Command::new("tshark")
        .arg("-v")
        .output()
        .is_ok_and(|o| o.status.success());
    if !require(have, "tshark is not installed") {
        return;
    }
    let cap = root().join("testdata/office/office_day.pcap");
    let c = cap.to_str().unwrap();
    let zendesk = r"(^|\.)(zendesk\.com|zdassets\.com)$";
    let truth = tshark_counts(&cap, zendesk);
    assert!(truth.iter().all(|(_, n)| *n > 50), "{truth:?}");
    assert_eq!(
        counts_by_kind(&[c, "--vendor", "ZenDesk"], &["zendesk"]),
        truth
    );
    // --only unsanctioned with intercom sanctioned: of the two vendors, zendesk's events.
    assert_eq!(
        counts_by_kind(
            &[
                c,
                "--vendor",
                "zendesk,intercom",
                "--sanctioned",
                "intercom",
                "--only",
                "unsanctioned"
            ],
            &["zendesk"]
        ),
        truth
    );
    // --only vendor: the names of every vendor the office day reaches (from the catalog's
    // patterns of zendesk, intercom, helpscout, hubspot-service and kustomer).
    let all = r"(^|\.)(zendesk\.com|zdassets\.com|intercom\.io|intercom\.com|intercomassets\.com|intercomcdn\.com|helpscout\.net|hubapi\.com|hs-analytics\.net|hs-scripts\.com|hubspot\.com|usemessages\.com|kustomerapp\.com)$";
    let vendors = [
        "zendesk",
        "intercom",
        "helpscout",
        "hubspot-service",
        "kustomer",
    ];
    assert_eq!(
        counts_by_kind(&[c, "--only", "vendor"], &vendors),
        tshark_counts(&cap, all)
    );
}

// The report follows --vendor and names the filters; --only leaves it alone.
#[test]
fn vendor_narrows_the_report_only_narrows_events() {
    let cap = root().join("testdata/office/office_day.pcap");
    let dir = tempdir("vendor-report");
    let report = |extra: &[&str]| {
        let r = dir.join("r.json");
        let mut a = vec![
            "scan",
            "--quiet",
            cap.to_str().unwrap(),
            "--report",
            r.to_str().unwrap(),
        ];
        a.extend_from_slice(extra);
        let o = run(&a);
        assert_eq!(o.status.code(), Some(0), "{extra:?}: {}", stderr(&o));
        report_doc(&std::fs::read(&r).unwrap())
    };
    let whole = report(&[]);
    let only = report(&["--only", "unsanctioned"]);
    assert_eq!(only["hosts"], whole["hosts"]);
    assert_eq!(only["meta"]["filters"]["only"], "unsanctioned");
    let zd = report(&["--vendor", "Zendesk"]);
    assert_eq!(
        zd["meta"]["filters"]["vendor"],
        serde_json::json!(["zendesk"])
    );
    let vendors: Vec<&str> = zd["vendors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["vendor"].as_str().unwrap())
        .collect();
    assert_eq!(vendors, ["zendesk"]);
    for h in zd["hosts"].as_array().unwrap() {
        for v in h["vendors"].as_array().unwrap() {
            assert_eq!(v["vendor"], "zendesk");
        }
    }
    // The summary's header says so.
    let o = run(&[
        "scan",
        "--quiet",
        cap.to_str().unwrap(),
        "--vendor",
        "zendesk",
    ]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.lines()
            .take(4)
            .any(|l| l == "filters: --vendor zendesk"),
        "{text}"
    );
    // An unknown id is a usage error that suggests the near one.
    let o = run(&[
        "scan",
        "--quiet",
        cap.to_str().unwrap(),
        "--vendor",
        "zendsk",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("did you mean 'zendesk'"),
        "{}",
        stderr(&o)
    );
}
