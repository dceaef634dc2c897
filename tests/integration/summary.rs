//! The summary as a person reads it (issue 14, item 7), on the office day: its counts,
//! plurals and verdicts against what the recording did (testdata/office/EXPECTED.tsv,
//! MANIFEST.tsv's packet count), its names against the catalog's `product` lines, its local
//! times against date(1), and where it is printed.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use crate::util::*;

fn office() -> String {
    root()
        .join("testdata/office/office_day.pcap")
        .to_str()
        .unwrap()
        .to_owned()
}

fn policy() -> String {
    root()
        .join("testdata/office/policy.txt")
        .to_str()
        .unwrap()
        .to_owned()
}

fn stdout(args: &[&str]) -> String {
    let o = run(args);
    assert!(o.status.success(), "{}", stderr(&o));
    String::from_utf8(o.stdout).unwrap()
}

/// `n word`, plural unless one: the test's own rule, to compare with.
fn n(k: usize, word: &str) -> String {
    format!("{k} {word}{}", if k == 1 { "" } else { "s" })
}

/// A field of a catalog file (`product`, `name`).
fn catalog_field(id: &str, field: &str) -> String {
    let text = std::fs::read_to_string(root().join(format!("fingerprints/{id}.vendor"))).unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(field)?.trim_start().strip_prefix('='))
        .unwrap_or_else(|| panic!("{id}.vendor has no {field}"))
        .trim()
        .to_owned()
}

/// (host, vendor, role) of EXPECTED.tsv.
fn expected() -> Vec<(String, String, String)> {
    tsv(&root().join("testdata/office/EXPECTED.tsv"))
        .into_iter()
        .map(|r| {
            (
                r["client_ip"].clone(),
                r["vendor_id"].clone(),
                r["expected_role"].clone(),
            )
        })
        .collect()
}

/// The vendors policy.txt allows everywhere (`allow ID[, ID]`, no `for`).
fn allowed() -> BTreeSet<String> {
    std::fs::read_to_string(policy())
        .unwrap()
        .lines()
        .filter_map(|l| l.trim().strip_prefix("allow "))
        .filter(|l| !l.contains(" for "))
        .flat_map(|l| l.split(',').map(|v| v.trim().to_owned()))
        .collect()
}

#[test]
fn header_totals_hosts_and_vendors_follow_what_the_office_did() {
    let text = stdout(&["scan", "-q", "--policy", &policy(), &office()]);
    let exp = expected();
    let allowed = allowed();
    let hosts: BTreeSet<&str> = exp.iter().map(|(h, _, _)| h.as_str()).collect();
    let vendors: BTreeSet<&str> = exp.iter().map(|(_, v, _)| v.as_str()).collect();
    // Per host, the vendors it operates or integrates with, and those not allowed.
    let mut used: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (h, v, role) in &exp {
        if role != "visitor" {
            used.entry(h).or_default().push(v);
        }
    }
    let bad = |vs: &[&str]| vs.iter().filter(|v| !allowed.contains(**v)).count();
    let flagged = used.values().filter(|vs| bad(vs) > 0).count();

    let mut lines = text.lines();
    let header = lines.next().unwrap();
    // The packet count tshark's capinfos gave (MANIFEST.tsv); vendor events apart.
    let manifest = tsv(&root().join("testdata/MANIFEST.tsv"));
    let packets = &manifest
        .iter()
        .find(|r| r["file"] == "../office/office_day.pcap")
        .unwrap()["packets"];
    assert!(
        header.starts_with(&format!("shadowdesk: 1 input, {packets} packets, ")),
        "{header}"
    );
    assert!(header.ends_with("; times in UTC"), "{header}");
    // The observations and vendor events the header counts are the events written.
    let dir = tempdir("summary-header");
    let ev = dir.join("events.ndjson");
    let text2 = stdout(&[
        "scan",
        "-q",
        "--policy",
        &policy(),
        "--events",
        ev.to_str().unwrap(),
        &office(),
    ]);
    assert_eq!(
        text2, text,
        "the summary is the same next to an events file"
    );
    let evs: Vec<serde_json::Value> = std::fs::read_to_string(&ev)
        .unwrap()
        .lines()
        .map(event_line)
        .collect();
    let with_vendor = evs.iter().filter(|e| !e["vendor"].is_null()).count();
    assert!(
        header.contains(&format!(
            "{}: {}, {} with no vendor;",
            n(evs.len(), "observation"),
            n(with_vendor, "vendor event"),
            evs.len() - with_vendor
        )),
        "{header}"
    );
    assert!(with_vendor > 0 && with_vendor < evs.len());
    assert_eq!(lines.next().unwrap().split(' ').next(), Some("policy:"));
    assert_eq!(
        lines.next().unwrap(),
        format!(
            "totals: {} using support vendors, {} operating or integrating with one, {flagged} with unsanctioned use; {}",
            n(hosts.len(), "host"),
            used.len(),
            n(vendors.len(), "vendor")
        )
    );
    // One HOST line per host that operates or integrates, its counts in words.
    let host_lines: Vec<&str> = text.lines().filter(|l| l.starts_with("HOST ")).collect();
    assert_eq!(host_lines.len(), used.len(), "{text}");
    for (h, vs) in &used {
        let want = format!(
            "HOST {h}  ({} used, {} unsanctioned)",
            n(vs.len(), "vendor"),
            bad(vs)
        );
        assert!(host_lines.contains(&want.as_str()), "{want}\n{text}");
    }
    // Each host's vendors by product name, unsanctioned first: 10.99.50.13 integrates with
    // three, Zendesk (allowed) last.
    let section: Vec<&str> = text
        .split("\nHOST 10.99.50.13 ")
        .nth(1)
        .unwrap()
        .split("\n\n")
        .next()
        .unwrap()
        .lines()
        .filter(|l| l.starts_with("  !! ") || l.starts_with("  ok "))
        .collect();
    let mut want: Vec<(bool, String)> = used["10.99.50.13"]
        .iter()
        .map(|v| (allowed.contains(*v), catalog_field(v, "product")))
        .collect();
    want.sort_by_key(|(ok, p)| (*ok, p.to_lowercase()));
    assert_eq!(section.len(), want.len(), "{section:?}");
    for (line, (ok, product)) in section.iter().zip(&want) {
        let mark = if *ok { "  ok " } else { "  !! " };
        assert!(
            line.starts_with(&format!("{mark}{product} ")),
            "{line} / {product}"
        );
        assert!(line.ends_with(" UTC") || line.contains(" UTC ("), "{line}");
    }
    // BY VENDOR: every vendor by its product, then its company when that differs, sorted by
    // product; its host count from EXPECTED.tsv.
    let by_vendor: Vec<&str> = text
        .split("\nBY VENDOR\n")
        .nth(1)
        .unwrap()
        .lines()
        .take_while(|l| l.starts_with("  "))
        .filter(|l| !l.starts_with("    "))
        .collect();
    let mut heads: Vec<(String, String)> = vendors
        .iter()
        .map(|v| {
            let (product, company) = (catalog_field(v, "product"), catalog_field(v, "name"));
            let who = match product == company {
                true => format!("{product} ({v})"),
                false => format!("{product}, {company} ({v})"),
            };
            let n_hosts = exp.iter().filter(|(_, x, _)| x == v).count();
            (
                product.to_lowercase(),
                format!("  {who}: {}", n(n_hosts, "host")),
            )
        })
        .collect();
    heads.sort();
    assert_eq!(by_vendor.len(), heads.len(), "{by_vendor:?}");
    for (line, (_, want)) in by_vendor.iter().zip(&heads) {
        assert!(line.starts_with(want.as_str()), "{line} / {want}");
    }
    // No count of one in the plural, no "(s)", anywhere, evidence included.
    let evidence = stdout(&["scan", "-q", "--evidence", "--policy", &policy(), &office()]);
    for t in [&text, &evidence] {
        assert!(!t.contains("(s)"), "{t}");
        for w in [
            "vendors",
            "hosts",
            "events",
            "connections",
            "lookups",
            "inputs",
        ] {
            assert!(!t.contains(&format!(" 1 {w}")), "1 {w}: {t}");
            assert!(!t.contains(&format!("(1 {w}")), "1 {w}: {t}");
        }
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// A vendor only visitors touched is not unsanctioned use: mixed.pcap's Help Scout (curl
/// fetched docs.helpscout.net, its documentation site; MANIFEST.tsv).
#[test]
fn a_vendor_only_visitors_touched_says_so() {
    let text = stdout(&["scan", "-q", capture("mixed.pcap").to_str().unwrap()]);
    let block: Vec<&str> = text
        .split("\nBY VENDOR\n")
        .nth(1)
        .unwrap()
        .lines()
        .skip_while(|l| !l.starts_with("  Help Scout (helpscout): "))
        .take_while(|l| l.starts_with("  "))
        .collect();
    let (head, rows) = block.split_first().unwrap();
    assert!(head.ends_with(", visitors only"), "{head}");
    assert!(!rows.is_empty());
    for r in rows.iter().take_while(|r| r.starts_with("    ")) {
        assert!(r.contains(" visitor "), "{r}");
        assert!(!r.contains("UNSANCTIONED"), "{r}");
    }
    // With --flag-visitors their use counts, and says so.
    let text = stdout(&[
        "scan",
        "-q",
        "--flag-visitors",
        capture("mixed.pcap").to_str().unwrap(),
    ]);
    let head = text
        .lines()
        .find(|l| l.starts_with("  Help Scout (helpscout): "))
        .unwrap();
    assert!(head.contains("with unsanctioned use"), "{head}");
}

/// Local times, each with its offset, as date(1) gives them for the same zone; a POSIX TZ
/// string needs no zone database.
#[test]
fn local_time_matches_date_in_the_same_zone() {
    let tz = "<+0530>-5:30";
    let (_, rep) = report(&["--policy", &policy(), &office()]);
    let o = Command::new(bin())
        .args([
            "scan",
            "-q",
            "--local-time",
            "--policy",
            &policy(),
            &office(),
        ])
        .env("TZ", tz)
        .output()
        .unwrap();
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(text
        .lines()
        .next()
        .unwrap()
        .ends_with("; times in local time, with their UTC offset"));
    assert!(!text.contains(" UTC\n"), "{text}");
    // 10.99.50.11's Zendesk: first and last seen from the report, in UTC, through date(1).
    let host = rep["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["ip"] == "10.99.50.11")
        .unwrap();
    let zd = host["vendors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["vendor"] == "zendesk")
        .unwrap();
    let local = |utc: &str| {
        let o = Command::new("date")
            .env("TZ", tz)
            .args(["-d", utc, "+%F %T UTC%:z"])
            .output()
            .unwrap();
        String::from_utf8(o.stdout).unwrap().trim().to_owned()
    };
    let first = local(zd["first_seen"].as_str().unwrap());
    let last = local(zd["last_seen"].as_str().unwrap());
    let (first_t, zone) = first.rsplit_once(' ').unwrap();
    let (last_t, _) = last.rsplit_once(' ').unwrap();
    let want = format!("{first_t} .. {last_t} {zone}");
    assert_eq!(zone, "UTC+05:30");
    let section = text.split("\nHOST 10.99.50.11 ").nth(1).unwrap();
    let line = section.lines().find(|l| l.contains("Zendesk")).unwrap();
    assert!(line.ends_with(&want), "{line} / {want}");
}

/// Printed whenever stdout is free: with outputs written to files too; not when one of them
/// writes to stdout, nor with --no-summary.
#[test]
fn the_summary_goes_wherever_stdout_is_free() {
    let dir = tempdir("summary-where");
    let f = |n: &str| dir.join(n).to_str().unwrap().to_owned();
    let (rep, csv) = (f("r.json"), f("t.csv"));
    let alone = stdout(&["scan", "-q", &office()]);
    assert!(alone.starts_with("shadowdesk: 1 input, "), "{alone}");
    let with_files = stdout(&["scan", "-q", "--report", &rep, "--csv", &csv, &office()]);
    assert_eq!(with_files, alone);
    assert!(std::fs::metadata(&rep).unwrap().len() > 0);
    let quiet = stdout(&["scan", "-q", "--no-summary", "--report", &rep, &office()]);
    assert_eq!(quiet, "");
    // Standard output by name too: /dev/stdout is the pipe the test reads.
    for flag in ["--events", "--report", "--csv", "--html"] {
        for to in ["-", "/dev/stdout"] {
            let out = stdout(&["scan", "-q", flag, to, &office()]);
            assert!(
                !out.contains("shadowdesk: "),
                "{flag} {to}: {}",
                &out[..200]
            );
        }
    }
    let _ = std::fs::remove_dir_all(dir);
}
