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
