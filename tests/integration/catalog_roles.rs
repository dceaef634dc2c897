//! `vendors --json` lists every catalog domain with its endpoint role (issue 12), and every
//! entry says where the vendor runs. Expected roles come from the vendors' own documentation,
//! cited in the vendor files: Intercom's CSP page and REST API docs, Zendesk's Web Widget CSP
//! page, Kustomer's "Regions and base URLs", Help Scout's Beacon CSP page, Salesforce's OAuth
//! endpoints page, and the API and agent hosts added from Genesys's SDK, Talkdesk's regions page,
//! Aircall's and Tidio's API docs, Crisp's help and Re:amaze's API page.

use crate::util::*;

fn listing() -> Vec<serde_json::Value> {
    let o = run(&["vendors", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    String::from_utf8(o.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn role_of<'a>(vs: &'a [serde_json::Value], vendor: &str, pattern: &str) -> &'a serde_json::Value {
    let v = vs
        .iter()
        .find(|v| v["id"] == vendor)
        .unwrap_or_else(|| panic!("no vendor {vendor}"));
    let d = v["domains"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["pattern"] == pattern)
        .unwrap_or_else(|| panic!("{vendor} has no {pattern}"));
    &d["role"]
}

#[test]
fn every_entry_has_id_name_and_deployment() {
    let vs = listing();
    assert!(vs.len() >= 50);
    for v in &vs {
        assert!(v["id"].is_string() && v["name"].is_string(), "{v}");
        // CONTRACT.md: `cloud` or `self_hosted`.
        assert!(
            v["deployment"] == "cloud" || v["deployment"] == "self_hosted",
            "{}",
            v["id"]
        );
        for d in v["domains"].as_array().unwrap() {
            let r = &d["role"];
            assert!(
                r.is_null()
                    || ["agent", "api", "end_user", "shared", "tenant"]
                        .contains(&r.as_str().unwrap()),
                "{}: {d}",
                v["id"]
            );
        }
    }
}

#[test]
fn documented_hosts_have_their_documented_roles() {
    let vs = listing();
    for (vendor, pattern, role) in [
        // Intercom CSP page: the Messenger's script and API hosts.
        ("intercom", "widget.intercom.io", "end_user"),
        ("intercom", "js.intercomcdn.com", "end_user"),
        ("intercom", "api-iam.intercom.io", "end_user"),
        // developers.intercom.com REST APIs: the regional API endpoints.
        ("intercom", "api.intercom.io", "api"),
        ("intercom", "api.eu.intercom.io", "api"),
        ("intercom", "app.intercom.com", "agent"),
        // Zendesk Web Widget CSP: the snippet and its endpoint; the account host is shared by
        // agents, help center readers and the API.
        ("zendesk", "static.zdassets.com", "end_user"),
        ("zendesk", "ekr.zendesk.com", "end_user"),
        ("zendesk", "zendesk.com", "tenant"),
        // Kustomer regions page.
        ("kustomer", "kustomerapp.com", "agent"),
        ("kustomer", "api.kustomerapp.com", "api"),
        ("kustomer", "cdn.kustomerapp.com", "end_user"),
        // Help Scout Beacon CSP page.
        ("helpscout", "beacon-v2.helpscout.net", "end_user"),
        ("helpscout", "beaconapi.helpscout.net", "end_user"),
        // Salesforce OAuth endpoints: staff at My Domain, external users at Experience sites.
        ("salesforce-service", "my.salesforce.com", "agent"),
        ("salesforce-service", "my.site.com", "end_user"),
        // Front Base URL page.
        ("front", "api2.frontapp.com", "api"),
        // Genesys's own Java SDK (PureCloudRegionHosts): Platform API hosts per region.
        ("genesys", "api.mypurecloud.de", "api"),
        ("genesys", "api.use2.us-gov-pure.cloud", "api"),
        // Talkdesk's "How to guarantee your app works in all regions": the API gateways.
        ("talkdesk", "api.talkdeskappca.com", "api"),
        // Aircall's "Your first API call", Tidio's OpenAPI authorization page.
        ("aircall", "api.aircall.io", "api"),
        ("tidio", "api.tidio.com", "api"),
        // Crisp's help: operators log in to app.crisp.chat.
        ("crisp", "app.crisp.chat", "agent"),
        // Re:amaze's API page: the brand host serves the API and the staff.
        ("reamaze", "reamaze.io", "agent"),
    ] {
        assert_eq!(role_of(&vs, vendor, pattern), role, "{vendor} {pattern}");
    }
}

#[test]
fn text_listing_shows_roles() {
    let o = run(&["vendors"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = String::from_utf8(o.stdout).unwrap();
    let line = out.lines().find(|l| l.starts_with("kustomer ")).unwrap();
    assert!(line.contains("cdn.kustomerapp.com[end_user]"), "{line}");
    assert!(line.contains("kustomerapp.com[agent]"), "{line}");
}

#[test]
fn bad_role_in_a_fingerprints_folder_is_refused_with_its_line() {
    let dir = tempdir("roles");
    std::fs::write(
        dir.join("example-desk.vendor"),
        "id = example-desk\nname = Example Desk\nproduct = test\ncategory = helpdesk_ticketing\n# staff console\ndomain = example.org strong role=staff\n",
    )
    .unwrap();
    let o = run(&["vendors", "--fingerprints", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(
        e.contains("example-desk.vendor:6:") && e.contains("unknown role 'staff'"),
        "{e}"
    );
}
