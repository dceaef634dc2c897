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
