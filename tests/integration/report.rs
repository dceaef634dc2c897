//! The report against what the recording script did (testdata/MANIFEST.tsv): which host
//! talked to which vendor, under which names.

use crate::util::*;

fn vendors_of<'a>(rep: &'a serde_json::Value, ip: &str) -> Vec<&'a serde_json::Value> {
    rep["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["ip"] == ip)
        .unwrap_or_else(|| panic!("no host {ip} in {rep}"))["vendors"]
        .as_array()
        .unwrap()
        .iter()
        .collect()
}

#[test]
fn mixed_capture_per_host() {
    // record.sh (MANIFEST.tsv): 10.99.0.1 asked DNS for acme.zendesk.com (UDP) and
    // docs.helpscout.net (TCP), curl sent a hello for acme.zendesk.com and Chromium for
    // acme.kustomerapp.com; fd00:99::1 asked for widget.intercom.io and sent hellos for
    // docs.helpscout.net (curl) and widget.intercom.io (s_client).
    let (o, rep) = report(&[
        "--sanctioned",
        "zendesk",
        capture("mixed.pcap").to_str().unwrap(),
    ]);
    assert!(o.status.success());
    let v4 = vendors_of(&rep, "10.99.0.1");
    let ids: Vec<&str> = v4.iter().map(|v| v["vendor"].as_str().unwrap()).collect();
    assert_eq!(ids, ["helpscout", "kustomer", "zendesk"]);
    let zd = v4.iter().find(|v| v["vendor"] == "zendesk").unwrap();
    assert_eq!(zd["sanctioned"], true);
    assert_eq!(zd["hostnames"], serde_json::json!(["acme.zendesk.com"]));
    assert_eq!(zd["tenants"], serde_json::json!(["acme"]));
    assert!(
        zd["events_by_kind"]["tls"].as_u64() == Some(1)
            && zd["events_by_kind"]["dns"].as_u64() == Some(1)
    );
    assert!(zd["first_seen"].as_str().unwrap() <= zd["last_seen"].as_str().unwrap());
    let hs = v4.iter().find(|v| v["vendor"] == "helpscout").unwrap();
    assert_eq!(hs["sanctioned"], false);

    let v6 = vendors_of(&rep, "fd00:99::1");
    let ids: Vec<&str> = v6.iter().map(|v| v["vendor"].as_str().unwrap()).collect();
    assert_eq!(ids, ["helpscout", "intercom"]);
    // Unsanctioned use counts operators and integrations only: Chromium in Kustomer's agent
    // app (acme.kustomerapp.com) is an operator; 10.99.0.1's Help Scout is dig asking for
    // docs.helpscout.net, Help Scout's own documentation site: a visit, listed but not
    // counted (it was, before roles).
    assert_eq!(
        rep["hosts"][0]["unsanctioned"],
        serde_json::json!(["kustomer"])
    );
    let role = |vs: &[&serde_json::Value], id: &str| {
        vs.iter().find(|v| v["vendor"] == id).unwrap()["role"].clone()
    };
    // curl is a library client calling the Zendesk tenant: integration.
    assert_eq!(role(&v4, "zendesk"), "integration");
    assert_eq!(role(&v4, "kustomer"), "operator");
    assert_eq!(role(&v4, "helpscout"), "visitor");
    // curl to docs.helpscout.net and s_client to widget.intercom.io (end-user endpoints).
    assert_eq!(role(&v6, "helpscout"), "visitor");
    assert_eq!(role(&v6, "intercom"), "visitor");
    assert_eq!(rep["hosts"][1]["unsanctioned"], serde_json::json!([]));
    // The servers never asked or sent a hello: they are not hosts of the report.
    assert!(rep["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .all(|h| h["ip"] != "10.99.0.2"));

    // The per-vendor view for scoping.
    let icom = rep["vendors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["vendor"] == "intercom")
        .unwrap();
    assert_eq!(icom["hosts"].as_array().unwrap().len(), 1);
    assert_eq!(icom["hosts"][0]["ip"], "fd00:99::1");
    // capinfos' packet count, as record.sh wrote it in MANIFEST.tsv.
    let manifest = tsv(&root().join("testdata/MANIFEST.tsv"));
    let row = manifest.iter().find(|r| r["file"] == "mixed.pcap").unwrap();
    let packets: u64 = row["packets"].parse().unwrap();
    assert!(packets > 50);
    assert_eq!(rep["inputs"][0]["packets"], packets);
}

#[test]
fn cname_attribution_in_the_report() {
    let (_, rep) = report(&[capture("dns_udp_v4.pcap").to_str().unwrap()]);
    let zd = vendors_of(&rep, "10.99.0.1")
        .into_iter()
        .find(|v| v["vendor"] == "zendesk")
        .unwrap()
        .clone();
    let names: Vec<&str> = zd["hostnames"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    assert!(names.contains(&"help.acme-corp.example"), "{names:?}");
    assert!(names.contains(&"acme.zendesk.com"));
    // www.example.org and the NXDOMAIN name are not vendors.
    assert!(rep["hosts"].to_string().find("example.org").is_none());
}

/// `meta` against facts taken apart from the tool: the digest from `sha256sum`, the options
/// and filters from what this test passed, the deciding rule from the policy lines it wrote
/// (testdata/office/EXPECTED.tsv: 10.99.50.11 operates Zendesk; 10.99.50.12 visits Zendesk,
/// Intercom and HubSpot Service).
#[test]
fn meta_names_the_run_and_the_rule_behind_each_verdict() {
    let d = tempdir("meta");
    let policy = d.join("policy.txt");
    std::fs::write(
        &policy,
        "# line 1\ngroup agents 10.99.50.11/32\nallow zendesk for agents\nallow intercom\n",
    )
    .unwrap();
    let policy_s = policy.to_str().unwrap();
    let cap = root().join("testdata/office/office_day.pcap");
    let cap_s = cap.to_str().unwrap();
    let date = || {
        let o = std::process::Command::new("date")
            .args(["-u", "+%Y-%m-%dT%H:%M:%S"])
            .output()
            .unwrap();
        String::from_utf8(o.stdout).unwrap().trim().to_owned()
    };
    let before = date();
    let args = [
        "--policy",
        policy_s,
        "--sanctioned",
        "HubSpot",
        "--host=10.99.50.11,10.99.50.12",
        "--since",
        "2000-01-01T00:00:00Z",
        cap_s,
    ];
    let (o, rep) = report(&args);
    let after = date();
    assert!(o.status.success(), "{}", stderr(&o));
    check_report(&rep);
    let meta = &rep["meta"];

    let mut argv = vec!["scan", "--quiet", "--report", "-"];
    argv.extend_from_slice(&args);
    assert_eq!(meta["command_line"], serde_json::json!(argv));
    assert_eq!(
        meta["filters"],
        serde_json::json!({
            "host": ["10.99.50.11", "10.99.50.12"],
            "only": null,
            "since": "2000-01-01T00:00:00Z",
            "until": null,
            "vendor": []
        })
    );
    let sum = std::process::Command::new("sha256sum")
        .arg(&policy)
        .output()
        .unwrap();
    let sum = String::from_utf8(sum.stdout).unwrap();
    let digest = sum.split_whitespace().next().unwrap();
    assert_eq!(digest.len(), 64);
    assert_eq!(
        meta["policy"],
        serde_json::json!({"path": policy_s, "sha256": digest})
    );
    // `HubSpot` is the catalog's `hubspot-service` (`shadowdesk vendors`).
    assert_eq!(meta["sanctioned"], serde_json::json!(["hubspot-service"]));
    let version = run(&["--version"]);
    let version = String::from_utf8(version.stdout).unwrap();
    assert_eq!(
        version.trim(),
        format!("shadowdesk {}", meta["tool"]["version"].as_str().unwrap())
    );
    assert_eq!(meta["tool"]["name"], "shadowdesk");
    let at = meta["generated_at"].as_str().unwrap();
    assert!(at.ends_with('Z'), "{at}");
    assert!(
        before.as_str() <= &at[..19] && &at[..19] <= after.as_str(),
        "{before} <= {at} <= {after}"
    );

    let rule = |ip: &str, id: &str| {
        let v = vendors_of(&rep, ip)
            .into_iter()
            .find(|v| v["vendor"] == id)
            .unwrap_or_else(|| panic!("{ip} has no {id}"));
        (v["decided_by"].clone(), v["sanctioned"].clone())
    };
    let want = |by: &str, ok: bool| (serde_json::json!(by), serde_json::json!(ok));
    assert_eq!(rule("10.99.50.11", "zendesk"), want("policy line 3", true));
    assert_eq!(rule("10.99.50.12", "zendesk"), want("default", false));
    assert_eq!(rule("10.99.50.12", "intercom"), want("policy line 4", true));
    assert_eq!(
        rule("10.99.50.12", "hubspot-service"),
        want("--sanctioned", true)
    );
    // Both views agree, and a rule is named exactly when the vendor is sanctioned.
    let mut seen = 0;
    for v in rep["vendors"].as_array().unwrap() {
        for h in v["hosts"].as_array().unwrap() {
            let ip = h["ip"].as_str().unwrap();
            let id = v["vendor"].as_str().unwrap();
            assert_eq!(
                rule(ip, id),
                (h["decided_by"].clone(), h["sanctioned"].clone())
            );
            assert_eq!(h["sanctioned"] == true, h["decided_by"] != "default", "{h}");
            seen += 1;
        }
    }
    assert!(seen >= 4, "{seen}");
    let _ = std::fs::remove_dir_all(&d);
}

/// The summary as a person reads it: times say they are UTC, counts of one are singular,
/// and a line names the policy (its path and the start of `sha256sum`'s digest).
#[test]
fn summary_labels_times_counts_and_the_policy() {
    let policy = root().join("testdata/office/policy.txt");
    let cap = root().join("testdata/office/office_day.pcap");
    let o = run(&[
        "scan",
        "--quiet",
        "--policy",
        policy.to_str().unwrap(),
        "--sanctioned",
        "intercom",
        cap.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8(o.stdout).unwrap();
    let sum = std::process::Command::new("sha256sum")
        .arg(&policy)
        .output()
        .unwrap();
    let digest = String::from_utf8(sum.stdout).unwrap()[..12].to_owned();
    let second = text.lines().nth(1).unwrap();
    assert_eq!(
        second,
        format!(
            "policy: {} (sha256 {digest}) and --sanctioned intercom",
            policy.display()
        )
    );
    assert!(text.starts_with("shadowdesk: 1 input, "), "{text}");
    for l in text.lines().filter(|l| l.contains(" .. ")) {
        assert!(l.contains(" UTC"), "{l}");
        assert!(!l.contains(" 1 events") && !l.contains(" 1 hosts"), "{l}");
    }
    assert!(!text.contains("(s)"), "{text}");
    // Without a policy, the line says nothing is sanctioned.
    let o = run(&["scan", "--quiet", cap.to_str().unwrap()]);
    let text = String::from_utf8(o.stdout).unwrap();
    assert_eq!(
        text.lines().nth(1),
        Some("policy: none (no --policy or --sanctioned: no vendor is sanctioned)")
    );
}
