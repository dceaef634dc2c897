//! `--csv`: the per-host-vendor table, read back by Python's `csv` module (an RFC 4180
//! reader that is not ours) and compared with the JSON report of the same run.

use crate::util::*;
use serde_json::Value;

/// Python's reading of a CSV file: a list of rows, each a list of strings.
fn python_rows(path: &std::path::Path) -> Option<Vec<Vec<String>>> {
    let o = std::process::Command::new("python3")
        .args([
            "-c",
            "import csv, json, sys\n\
             with open(sys.argv[1], newline='') as f:\n    \
             print(json.dumps(list(csv.reader(f, strict=True))))",
        ])
        .arg(path)
        .output()
        .ok()?;
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    Some(serde_json::from_slice(&o.stdout).unwrap())
}

/// Scans `inputs` with `extra` options into a report and a CSV table; returns Python's
/// rows (header first) and the rows the report says the table must hold.
fn table_and_report(
    tag: &str,
    extra: &[&str],
    inputs: &[&str],
) -> (Vec<Vec<String>>, Vec<Vec<String>>) {
    let d = tempdir(tag);
    let (csv, rep) = (d.join("t.csv"), d.join("r.json"));
    let mut args = vec![
        "scan",
        "--quiet",
        "--report",
        rep.to_str().unwrap(),
        "--csv",
        csv.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    args.extend_from_slice(inputs);
    let o = run(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    let rep = report_doc(&std::fs::read(&rep).unwrap());
    let rows = python_rows(&csv).unwrap();
    let raw = std::fs::read_to_string(&csv).unwrap();
    assert!(raw.ends_with("\r\n") && !raw.replace("\r\n", "").contains('\n'));
    let _ = std::fs::remove_dir_all(&d);

    let s = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    let words = |v: &Value| {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_str().unwrap())
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut want: Vec<Vec<String>> = Vec::new();
    for h in rep["hosts"].as_array().unwrap() {
        // The device name seen last, as the table's host_name.
        let name = h["identity"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| i["field"] == "hostname")
            .max_by_key(|i| s(&i["last_seen"]))
            .map(|i| s(&i["value"]))
            .unwrap_or_default();
        for v in h["vendors"].as_array().unwrap() {
            want.push(vec![
                s(&h["ip"]),
                name.clone(),
                s(&v["vendor"]),
                s(&v["name"]),
                s(&v["role"]),
                v["sanctioned"].to_string(),
                s(&v["decided_by"]),
                words(&v["tenants"]),
                words(&v["hostnames"]),
                s(&v["first_seen"]),
                s(&v["last_seen"]),
                v["events"].to_string(),
                // Empty without --baseline (the report's null).
                v["new_since_baseline"]
                    .as_bool()
                    .map(|b| b.to_string())
                    .unwrap_or_default(),
            ]);
        }
    }
    (rows, want)
}

const HEADER: [&str; 13] = [
    "host",
    "host_name",
    "vendor",
    "product",
    "role",
    "sanctioned",
    "decided_by",
    "tenants",
    "hostnames",
    "first_seen",
    "last_seen",
    "events",
    "new_since_baseline",
];

fn have_python() -> bool {
    let have = std::process::Command::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    require(have, "python3")
}

#[test]
fn csv_table_is_the_report_read_back_by_python() {
    if !have_python() {
        return;
    }
    let policy = root().join("testdata/office/policy.txt");
    let cap = root().join("testdata/office/office_day.pcap");
    let (rows, want) = table_and_report(
        "csv-office",
        &["--policy", policy.to_str().unwrap()],
        &[cap.to_str().unwrap()],
    );
    assert_eq!(rows[0], HEADER);
    assert_eq!(rows[1..], want[..]);
    // The office day (testdata/office/EXPECTED.tsv) has vendor use on five hosts, and the
    // policy allows Zendesk everywhere (line 3 of policy.txt).
    assert!(want.len() >= 5, "{}", want.len());
    let zd = rows
        .iter()
        .find(|r| r[0] == "10.99.50.11" && r[2] == "zendesk")
        .expect("10.99.50.11 operates Zendesk");
    assert_eq!(
        (&zd[4][..], &zd[5][..], &zd[6][..]),
        ("operator", "true", "policy line 3")
    );
    assert!(zd[7].split(' ').any(|t| t == "acme-corp"), "{zd:?}");
    let kustomer = rows
        .iter()
        .find(|r| r[0] == "10.99.50.14" && r[2] == "kustomer")
        .expect("10.99.50.14 operates Kustomer");
    assert_eq!((&kustomer[5][..], &kustomer[6][..]), ("false", "default"));
}

/// Host names come from identity facts: in dhcp_two_hosts.pcap (record-identity.sh) two
/// DHCP clients lease addresses and then reach vendors; tshark's reading of the same file
/// (`*.identity.tsv`) names each address.
#[test]
fn csv_host_name_is_the_identity_of_the_address() {
    if !have_python() {
        return;
    }
    let cap = root().join("testdata/captures/identity/dhcp_two_hosts.pcap");
    let (rows, want) = table_and_report("csv-identity", &[], &[cap.to_str().unwrap()]);
    assert_eq!(rows[0], HEADER);
    assert_eq!(rows[1..], want[..]);
    let truth = tsv(&root().join("testdata/captures/identity/dhcp_two_hosts.pcap.identity.tsv"));
    let mut checked = 0;
    for r in &rows[1..] {
        let names: Vec<&str> = truth
            .iter()
            .filter(|t| t["ip"] == r[0] && t["field"] == "hostname")
            .map(|t| t["value"].as_str())
            .collect();
        if names.is_empty() {
            continue;
        }
        // An FQDN (DHCP option 81) names the host as its first label does.
        let label = r[1].split('.').next().unwrap();
        assert!(
            names.iter().any(|n| n.split('.').next() == Some(label)),
            "{r:?} vs tshark {names:?}"
        );
        checked += 1;
    }
    assert!(
        checked >= 2,
        "{checked} rows with a tshark host name in {rows:?}"
    );
}

/// Names as hostile as the wire allows (tests/html/synth.py `hostile`: quotes, angle
/// brackets, control bytes in SNI) come back from Python's reader as the report has them.
#[test]
fn csv_quotes_hostile_names_so_they_read_back_whole() {
    if !have_python() {
        return;
    }
    let d = tempdir("csv-hostile");
    let cap = d.join("hostile.pcap");
    let truth = d.join("hostile.truth.json");
    let o = std::process::Command::new("python3")
        .arg(root().join("tests/html/synth.py"))
        .args(["hostile", cap.to_str().unwrap(), truth.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let (rows, want) = table_and_report("csv-hostile-run", &[], &[cap.to_str().unwrap()]);
    assert_eq!(rows[0], HEADER);
    assert_eq!(rows[1..], want[..]);
    assert!(
        rows[1..].iter().any(|r| r[8].contains('"')),
        "no name with a double quote: {rows:?}"
    );
    let _ = std::fs::remove_dir_all(&d);
}
