//! Roles and ownership on the recorded office day (testdata/office/: five hosts made to do
//! known things; EXPECTED.tsv is the recording's own record of what each did and the role
//! that follows), and on the older captures, whose clients testdata/README.md describes.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::util::*;

fn office(args: &[&str]) -> (std::process::Output, Value) {
    let dir = root().join("testdata/office");
    let policy = dir.join("policy.txt");
    let pcap = dir.join("office_day.pcap");
    let mut a = vec!["--policy", policy.to_str().unwrap()];
    a.extend_from_slice(args);
    a.push(pcap.to_str().unwrap());
    report(&a)
}

/// (host, vendor) → the vendor entry of the report.
fn entries(rep: &Value) -> BTreeMap<(String, String), Value> {
    let mut m = BTreeMap::new();
    for h in rep["hosts"].as_array().unwrap() {
        for v in h["vendors"].as_array().unwrap() {
            let key = (
                h["ip"].as_str().unwrap().to_owned(),
                v["vendor"].as_str().unwrap().to_owned(),
            );
            m.insert(key, v.clone());
        }
    }
    m
}

#[test]
fn office_day_roles_and_ownership_match_what_each_host_did() {
    let expected = tsv(&root().join("testdata/office/EXPECTED.tsv"));
    let (o, rep) = office(&[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let got = entries(&rep);
    for row in &expected {
        let key = (row["client_ip"].clone(), row["vendor_id"].clone());
        let v = got
            .get(&key)
            .unwrap_or_else(|| panic!("{key:?} missing ({})", row["what_the_host_did"]));
        assert_eq!(
            v["role"], row["expected_role"],
            "{key:?}: {}\nevidence: {}",
            row["what_the_host_did"], v["role_evidence"]
        );
        if row["tenant"] != "-" {
            let owner = v["tenant_ownership"]
                .as_array()
                .unwrap()
                .iter()
                .find(|t| t["tenant"] == row["tenant"])
                .unwrap_or_else(|| panic!("{key:?}: no tenant {} in {v}", row["tenant"]));
            assert_eq!(owner["ours"].to_string(), row["ours"], "{key:?}: {owner}");
        }
    }
    // Every host and vendor the report lists is one the recording says something about.
    assert_eq!(got.len(), expected.len(), "{:?}", got.keys());

    // Unsanctioned use: operators and integrations of vendors the policy does not allow
    // (it allows zendesk), never a visitor.
    let policy_allows = |id: &str| id == "zendesk";
    for h in rep["hosts"].as_array().unwrap() {
        let ip = h["ip"].as_str().unwrap();
        let mut want: Vec<&str> = expected
            .iter()
            .filter(|r| r["client_ip"] == ip)
            .filter(|r| r["expected_role"] != "visitor" && !policy_allows(&r["vendor_id"]))
            .map(|r| r["vendor_id"].as_str())
            .collect();
        want.sort_unstable();
        assert_eq!(h["unsanctioned"], serde_json::json!(want), "{ip}");
    }

    // The tenants and how their owner was decided: declared in policy.txt (acme-corp), our
    // name's CNAME (desk.acme-corp.test → acme.kustomerapp.com), another organisation's
    // name's CNAME (help.example-shop.test → exampleshop.zendesk.com).
    let tenants: BTreeMap<(String, String), (Value, Value)> = rep["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                (
                    t["vendor"].as_str().unwrap().to_owned(),
                    t["tenant"].as_str().unwrap().to_owned(),
                ),
                (t["ours"].clone(), t["ours_by"].clone()),
            )
        })
        .collect();
    let t = |v: &str, n: &str| tenants[&(v.to_owned(), n.to_owned())].clone();
    assert_eq!(t("zendesk", "acme-corp"), (true.into(), "declared".into()));
    assert_eq!(
        t("kustomer", "acme"),
        (true.into(), "own_domain_cname".into())
    );
    assert_eq!(
        t("zendesk", "exampleshop"),
        (false.into(), "third_party_cname".into())
    );
}

#[test]
fn office_day_session_evidence_matches_the_recording() {
    // office_day.pcap.sessions.tsv (tshark's conversation table, written by
    // record-office.sh): the agent's console connection to acme-corp.zendesk.com lasted
    // 475 s; the session evidence must show a sustained session at least that long.
    let sessions = tsv(&root().join("testdata/office/office_day.pcap.sessions.tsv"));
    let longest = sessions
        .iter()
        .filter(|r| r["client_ip"] == "10.99.50.11" && r["sni"] == "acme-corp.zendesk.com")
        .map(|r| r["duration_s"].parse::<f64>().unwrap())
        .fold(0.0, f64::max);
    assert!(longest > 300.0, "{longest}");
    let (_, rep) = office(&[]);
    let got = entries(&rep);
    let zd = &got[&("10.99.50.11".to_owned(), "zendesk".to_owned())];
    let tenant = zd["role_evidence"]["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["endpoint"] == "tenant" && e["client"] == "browser")
        .unwrap()
        .clone();
    let ours = tenant["longest_s"].as_f64().unwrap();
    assert!((ours - longest).abs() < 1.0, "ours {ours} tshark {longest}");
    assert!(
        tenant["sustained_sessions"].as_u64().unwrap() >= 1,
        "{tenant}"
    );
    // The integration host's clients are libraries, the agent's a browser.
    let lib = &got[&("10.99.50.13".to_owned(), "intercom".to_owned())];
    assert!(lib["role_evidence"]["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["endpoint"] == "api" && e["client"] == "library"));
    assert_eq!(rep["stats"]["dropped"]["sessions_lost"], 0);
}

#[test]
fn office_day_exit_status_and_summary_count_visitors_apart() {
    let pcap = root().join("testdata/office/office_day.pcap");
    let dir = tempdir("roles-policy");
    // Everything sanctioned for the hosts that operate or integrate; 10.99.50.12 only
    // visited sites built on four vendors, none of them sanctioned for it.
    let policy = dir.join("policy.txt");
    std::fs::write(
        &policy,
        "group staff 10.99.50.11, 10.99.50.13, 10.99.50.14, 10.99.50.15\n\
         allow zendesk, intercom, hubspot-service, kustomer, helpscout for staff\n",
    )
    .unwrap();
    let args = |extra: &[&'static str]| {
        let mut a = vec!["scan", "-q", "--fail-on-unsanctioned"];
        a.extend_from_slice(extra);
        a
    };
    let p = policy.to_str().unwrap();
    let c = pcap.to_str().unwrap();
    let mut a = args(&[]);
    a.extend_from_slice(&["--policy", p, c]);
    let o = run(&a);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(
        !text.lines().any(|l| l.trim_start().starts_with("!!")),
        "{text}"
    );
    // Intercom's Messenger was loaded by 10.99.50.12 and 10.99.50.15 (blog-example.test).
    assert!(
        text.contains("2 hosts visited sites built on Intercom"),
        "{text}"
    );
    assert!(!text.contains("HOST 10.99.50.12"), "{text}");
    // --flag-visitors counts them: exit 1, and the visitor host marked.
    let mut a = args(&["--flag-visitors"]);
    a.extend_from_slice(&["--policy", p, c]);
    let o = run(&a);
    assert_eq!(o.status.code(), Some(1));
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(
        text.contains("HOST 10.99.50.12  (4 vendors used, 4 unsanctioned)"),
        "{text}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_quic_connection_is_followed_past_its_hello() {
    // testdata/captures/quic/chromium_quic.pcap: headless Chromium, one QUIC connection to
    // acme.zendesk.com; tshark's UDP conversation lasts 0.114 s. The connection is followed
    // past its Initials to its last packet; one short browser visit is not an operator's work.
    let (_, rep) = report(&[capture("quic/chromium_quic.pcap").to_str().unwrap()]);
    let got = entries(&rep);
    let zd = &got[&("10.99.30.1".to_owned(), "zendesk".to_owned())];
    assert_eq!(zd["role"], "visitor");
    let e = &zd["role_evidence"]["endpoints"][0];
    assert_eq!(
        (e["endpoint"].clone(), e["client"].clone()),
        ("tenant".into(), "browser".into())
    );
    assert_eq!(e["sessions_ended"], 1);
    assert!((e["longest_s"].as_f64().unwrap() - 0.1).abs() < 0.05, "{e}");
    assert!(e["bytes_down"].as_u64().unwrap() > 1000, "{e}");
}
