//! Data regions and the risk policy (issue 16) on `captures/regions/regions.pcap`, recorded
//! by `testdata/record-regions.sh`: one client (10.99.77.1) resolved and connected with curl
//! to api.eu.intercom.io, app.eu.intercom.com, acme.kustomerapp.com,
//! api.prod2.kustomerapp.com and acme.zendesk.com. The regions expected are the vendors'
//! own documentation, cited in the vendor files: Intercom's REST API page (api.eu.intercom.io
//! is the EU region's endpoint), Kustomer's "Regions and base URLs" (api.prod2 is the EU
//! host; an org's own name routes to any region, so it says nothing); Zendesk's names say
//! nothing of a region.

use serde_json::Value;

use crate::util::*;

const CLIENT: &str = "10.99.77.1";

fn cap() -> String {
    capture("regions/regions.pcap").display().to_string()
}

fn with_policy(tag: &str, text: &str) -> Value {
    let dir = tempdir(tag);
    let p = dir.join("policy.txt");
    std::fs::write(&p, text).unwrap();
    let (o, r) = report(&["--policy", p.to_str().unwrap(), &cap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    check_report(&r);
    r
}

fn host_vendor<'a>(r: &'a Value, vendor: &str) -> &'a Value {
    r["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["ip"] == CLIENT)
        .expect("the client is in the report")["vendors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["vendor"] == vendor)
        .unwrap_or_else(|| panic!("no {vendor} for {CLIENT}"))
}

#[test]
fn events_match_tshark_and_every_name_was_seen() {
    let (ours, truth) = rows_and_truth(&capture("regions/regions.pcap"));
    assert_eq!(ours, truth);
    // What the script connected to, each with a TLS hello (tshark's SNI column).
    let snis: std::collections::BTreeSet<&str> = truth
        .iter()
        .filter(|r| r.0 == "tls")
        .map(|r| r.5.as_str())
        .collect();
    assert_eq!(
        snis.into_iter().collect::<Vec<_>>(),
        [
            "acme.kustomerapp.com",
            "acme.zendesk.com",
            "api.eu.intercom.io",
            "api.prod2.kustomerapp.com",
            "app.eu.intercom.com"
        ]
    );
}

#[test]
fn region_per_host_vendor_and_tenant() {
    let r = with_policy("regions-none", "# nothing required\n");
    let ic = host_vendor(&r, "intercom");
    assert_eq!(ic["region"], "eu");
    // The first rule of the file that one of the names matches.
    assert_eq!(ic["region_by"], "*.eu.intercom.io");
    // No requirement: neither ok nor violated.
    assert!(ic["region_ok"].is_null());
    let ku = host_vendor(&r, "kustomer");
    assert_eq!(
        (&ku["region"], &ku["region_by"]),
        (&"eu".into(), &"api.prod2.kustomerapp.com".into())
    );
    // The tenant was shown by acme.kustomerapp.com only, which says no region.
    let t = &ku["tenant_ownership"][0];
    assert_eq!(t["tenant"], "acme");
    assert!(t["region"].is_null() && t["region_by"].is_null(), "{t}");
    let zd = host_vendor(&r, "zendesk");
    assert!(zd["region"].is_null() && zd["region_by"].is_null(), "{zd}");
    for t in r["tenants"].as_array().unwrap() {
        assert!(t["region"].is_null(), "{t}");
    }
    assert_eq!(r["policy_findings"], serde_json::json!([]));
    // The vendor's risk profile rides along, from the catalog.
    let v = r["vendors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["vendor"] == "intercom")
        .unwrap();
    assert_eq!(v["deployment"], "cloud");
    assert_eq!(
        v["risk"]["regions_offered"]["codes"],
        serde_json::json!(["us", "eu", "au"])
    );
    let certs: Vec<&str> = v["risk"]["certs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["cert"].as_str().unwrap())
        .collect();
    // Intercom's security page (www.intercom.io/security) lists these.
    for c in ["soc2_type2", "iso27001", "iso27018", "iso27701", "hipaa"] {
        assert!(certs.contains(&c), "{certs:?}");
    }
    assert!(v["risk"]["certs"][0]["source"]
        .as_str()
        .unwrap()
        .starts_with("https://"));
}

#[test]
fn require_region_flags_only_known_regions_outside_the_list() {
    let r = with_policy(
        "regions-req",
        "allow intercom\nrequire-region eu,us for intercom\nrequire-region us for kustomer\nrequire-region us for *\n",
    );
    assert_eq!(host_vendor(&r, "intercom")["region_ok"], true);
    assert_eq!(host_vendor(&r, "kustomer")["region_ok"], false);
    // Unknown region under `for *`: reported as unknown, never a violation.
    assert!(host_vendor(&r, "zendesk")["region_ok"].is_null());
    let f = r["policy_findings"].as_array().unwrap();
    assert_eq!(f.len(), 1, "{f:?}");
    let f = &f[0];
    assert_eq!(
        (
            &f["kind"],
            &f["vendor"],
            &f["region"],
            &f["severity"],
            &f["line"]
        ),
        (
            &"region".into(),
            &"kustomer".into(),
            &"eu".into(),
            &"high".into(),
            &3.into()
        )
    );
    assert_eq!(f["hosts"], serde_json::json!([CLIENT]));
    assert_eq!(f["required"], serde_json::json!(["us"]));
    // The summary names it.
    let dir = tempdir("regions-sum");
    let p = dir.join("policy.txt");
    std::fs::write(&p, "require-region us for kustomer\n").unwrap();
    let o = run(&["scan", "--policy", p.to_str().unwrap(), &cap()]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("POLICY FINDINGS (1, 1 high)"), "{out}");
    assert!(
        out.contains("region: eu (by api.prod2.kustomerapp.com), OUTSIDE"),
        "{out}"
    );
}

#[test]
fn require_cert_flags_vendors_in_use_without_it() {
    let r = with_policy(
        "regions-cert",
        "allow zendesk\nrequire-cert soc2_type2\nrequire-cert iso27018 for unsanctioned\n",
    );
    let f = r["policy_findings"].as_array().unwrap();
    let got: Vec<(&str, &str, u64)> = f
        .iter()
        .map(|f| {
            assert_eq!(f["kind"], "cert");
            (
                f["vendor"].as_str().unwrap(),
                f["severity"].as_str().unwrap(),
                f["line"].as_u64().unwrap(),
            )
        })
        .collect();
    // Intercom and Zendesk state SOC 2 Type II on their security pages (fingerprints/
    // intercom.vendor, zendesk.vendor): no finding. Kustomer's entry lists no cert: it is
    // unsanctioned, so both lines find it, high.
    assert_eq!(got, [("kustomer", "high", 2), ("kustomer", "high", 3)]);
    assert_eq!(f[0]["missing"], serde_json::json!(["soc2_type2"]));
}

#[test]
fn bad_requirements_name_the_line() {
    let dir = tempdir("regions-bad");
    for (text, want) in [
        (
            "allow zendesk\nrequire-region europe for zendesk\n",
            "policy.txt:2: unknown region 'europe'",
        ),
        (
            "require-region eu\n",
            "policy.txt:1: expected 'require-region",
        ),
        (
            "require-region eu for nosuchvendor\n",
            "policy.txt:1: unknown vendor id 'nosuchvendor'",
        ),
        ("\nrequire-cert soc2\n", "policy.txt:2: unknown cert 'soc2'"),
        (
            "require-cert soc3 for sales\n",
            "policy.txt:1: require-cert applies",
        ),
        ("require-certs soc3\n", "did you mean 'require-cert'?"),
    ] {
        let p = dir.join("policy.txt");
        std::fs::write(&p, text).unwrap();
        let o = run(&["scan", "--policy", p.to_str().unwrap(), &cap()]);
        assert_eq!(o.status.code(), Some(2), "{text}");
        assert!(stderr(&o).contains(want), "{text}: {}", stderr(&o));
    }
}

#[test]
fn tenant_region_from_the_names_that_showed_it() {
    // A catalog override (`--fingerprints`) whose first region rule names the tenant's own
    // host: the mechanism for vendors whose tenant names carry the region (Zoho Desk's
    // .eu portals, Salesforce instances). The rule is made up for the test, not a fact.
    let dir = tempdir("regions-tenant");
    let real = std::fs::read_to_string(root().join("fingerprints/kustomer.vendor")).unwrap();
    let at = real.find("region = ").unwrap();
    let text = format!(
        "{}region = eu acme.kustomerapp.com source=https://example.test/made-up\n{}",
        &real[..at],
        &real[at..]
    );
    std::fs::write(dir.join("kustomer.vendor"), text).unwrap();
    let p = dir.join("policy.txt");
    std::fs::write(&p, "require-region us for kustomer\n").unwrap();
    let (o, r) = report(&[
        "--fingerprints",
        dir.to_str().unwrap(),
        "--policy",
        p.to_str().unwrap(),
        &cap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    check_report(&r);
    let t = r["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["vendor"] == "kustomer" && t["tenant"] == "acme")
        .unwrap();
    assert_eq!(
        (&t["region"], &t["region_by"], &t["region_ok"]),
        (&"eu".into(), &"acme.kustomerapp.com".into(), &false.into())
    );
    let owner = &host_vendor(&r, "kustomer")["tenant_ownership"][0];
    assert_eq!(
        (&owner["region"], &owner["region_ok"]),
        (&"eu".into(), &false.into())
    );
    // One finding, about the tenant: the host's own region comes from the same rule, so it
    // is not reported twice.
    let f = r["policy_findings"].as_array().unwrap();
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(
        (&f[0]["tenant"], &f[0]["kind"]),
        (&"acme".into(), &"region".into())
    );
    assert_eq!(f[0]["hosts"], serde_json::json!([CLIENT]));
}

#[test]
fn vendors_lists_the_risk_profile_with_sources() {
    let o = run(&["vendors", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8(o.stdout).unwrap();
    let ic: Value = text
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|v| v["id"] == "intercom")
        .unwrap();
    assert_eq!(ic["deployment"], "cloud");
    assert_eq!(ic["regions"][0]["code"], "eu");
    assert_eq!(ic["regions"][0]["pattern"], "*.eu.intercom.io");
    assert_eq!(
        ic["regions"][0]["source"],
        "https://developers.intercom.com/building-apps/docs/rest-apis"
    );
    assert_eq!(ic["certs"][0]["read"], "2026-11-27");
    assert!(ic["incidents"].as_array().unwrap().is_empty());
    let o = run(&["vendors"]);
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(
        text.contains("    cert soc2_type2  (https://www.intercom.io/security, read 2026-11-27)"),
        "{text}"
    );
    // A bad fact in a catalog file is an error naming the file and line.
    let dir = tempdir("regions-badcat");
    std::fs::write(
        dir.join("x.vendor"),
        "id = x\nname = X\nproduct = p\ncategory = live_chat\ndomain = x.example strong\ncert = soc2 source=https://x.example/ read=2026-11-27\n",
    )
    .unwrap();
    let o = run(&["vendors", "--fingerprints", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("x.vendor:6: unknown cert 'soc2'"),
        "{}",
        stderr(&o)
    );
}
