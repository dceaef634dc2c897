use super::*;

#[test]
fn aliases_are_unique_and_never_another_vendors_id() {
    let cat = Catalog::builtin().unwrap();
    let mut seen = std::collections::HashSet::new();
    for v in cat.vendors() {
        assert!(seen.insert(v.id.clone()), "{}", v.id);
    }
    for v in cat.vendors() {
        for a in &v.aliases {
            assert!(seen.insert(a.clone()), "alias '{a}' of {} is taken", v.id);
        }
    }
    assert_eq!(
        cat.resolve("FreshDesk").map(|v| v.id.as_str()),
        Some("freshworks")
    );
    assert_eq!(
        cat.resolve("Zendesk").map(|v| v.id.as_str()),
        Some("zendesk")
    );
    assert!(cat.resolve("fresh").is_none());
}

fn cat() -> Catalog {
    Catalog::builtin().expect("the built-in catalog validates")
}

#[test]
fn builtin_is_large_enough_and_has_contract_ids() {
    let c = cat();
    assert!(c.len() >= 50, "{} vendors", c.len());
    for id in [
        "zendesk",
        "helpscout",
        "kustomer",
        "helpjuice",
        "intercom",
        "freshworks",
    ] {
        assert!(c.vendor(id).is_some(), "{id}");
    }
}

#[test]
fn label_boundaries_case_and_trailing_dot() {
    let c = cat();
    assert_eq!(c.lookup("acme.zendesk.com").unwrap().vendor.id, "zendesk");
    assert_eq!(c.lookup("ACME.Zendesk.COM.").unwrap().vendor.id, "zendesk");
    assert_eq!(c.lookup("zendesk.com").unwrap().vendor.id, "zendesk");
    assert!(c.lookup("notzendesk.com").is_none());
    assert!(c.lookup("zendesk.com.evil.example").is_none());
    assert!(c.lookup("").is_none());
    assert!(c.lookup(".").is_none());
}

#[test]
fn tenant_is_reported_and_infra_labels_skipped() {
    let c = cat();
    assert_eq!(
        c.lookup("acme.zendesk.com").unwrap().tenant.as_deref(),
        Some("acme")
    );
    assert_eq!(
        c.lookup("eu.acme.zendesk.com").unwrap().tenant.as_deref(),
        Some("acme")
    );
    assert_eq!(c.lookup("www.zendesk.com").unwrap().tenant, None);
    assert_eq!(c.lookup("zendesk.com").unwrap().tenant, None);
    // The examples of fingerprints/README.md.
    assert_eq!(
        c.lookup("acme.us-1.gladly.com").unwrap().tenant.as_deref(),
        Some("acme")
    );
    let sf = c.lookup("acme--uat.sandbox.my.salesforce.com").unwrap();
    assert_eq!(
        (sf.vendor.id.as_str(), sf.tenant.as_deref()),
        ("salesforce-service", Some("acme--uat"))
    );
}

#[test]
fn longest_and_exact_win() {
    let defs = vec![
        parse_file("a.vendor", "id = a\nname = A\nproduct = p\ncategory = live_chat\ndomain = example.com weak\n").unwrap(),
        parse_file("b.vendor", "id = b\nname = B\nproduct = p\ncategory = live_chat\ndomain = chat.example.com strong\ndomain = x.example.com strong exact\n").unwrap(),
    ];
    let c = Catalog::from_defs(defs).unwrap();
    assert_eq!(c.lookup("t.chat.example.com").unwrap().vendor.id, "b");
    assert_eq!(c.lookup("www.example.com").unwrap().vendor.id, "a");
    assert!(!c.lookup("www.example.com").unwrap().strong);
    assert_eq!(c.lookup("x.example.com").unwrap().vendor.id, "b");
    assert_eq!(c.lookup("y.x.example.com").unwrap().vendor.id, "a");
}

#[test]
fn specific_role_refines_a_shared_suffix() {
    let defs = vec![parse_file(
        "v.vendor",
        "id = v\nname = V\nproduct = p\ncategory = live_chat\n\
         domain = chat.example strong role=shared\n\
         domain = widget.chat.example strong role=end_user\n\
         domain = app.chat.example strong exact role=agent\n\
         domain = desk.example strong tenant role=tenant\n\
         domain = other.example strong\n",
    )
    .unwrap()];
    let c = Catalog::from_defs(defs).unwrap();
    let role = |h: &str| c.lookup(h).unwrap().endpoint;
    assert_eq!(role("chat.example"), Some(Endpoint::Shared));
    assert_eq!(role("cdn.chat.example"), Some(Endpoint::Shared));
    assert_eq!(role("widget.chat.example"), Some(Endpoint::EndUser));
    assert_eq!(role("js.widget.chat.example"), Some(Endpoint::EndUser));
    assert_eq!(role("app.chat.example"), Some(Endpoint::Agent));
    // Exact: a name under it falls back to the broader line.
    assert_eq!(role("x.app.chat.example"), Some(Endpoint::Shared));
    let t = c.lookup("acme.desk.example").unwrap();
    assert_eq!(
        (t.endpoint, t.tenant.as_deref()),
        (Some(Endpoint::Tenant), Some("acme"))
    );
    assert_eq!(role("www.other.example"), None);
}

#[test]
fn builtin_roles_of_documented_hosts() {
    let c = cat();
    let role = |h: &str| c.lookup(h).unwrap().endpoint;
    // Zendesk Web Widget CSP page: ekr.zendesk.com and static.zdassets.com are what the
    // widget loads on a visitor's page; <subdomain>.zendesk.com is the account itself.
    assert_eq!(role("ekr.zendesk.com"), Some(Endpoint::EndUser));
    assert_eq!(role("static.zdassets.com"), Some(Endpoint::EndUser));
    assert_eq!(role("acme.zendesk.com"), Some(Endpoint::Tenant));
    // Intercom's CSP page and REST API docs: the Messenger and the API share intercom.io;
    // exact lines split them, and a host under the suffix with no line of its own stays
    // shared.
    assert_eq!(role("widget.intercom.io"), Some(Endpoint::EndUser));
    assert_eq!(role("api-iam.eu.intercom.io"), Some(Endpoint::EndUser));
    assert_eq!(role("api.eu.intercom.io"), Some(Endpoint::Api));
    assert_eq!(
        role("nexus-websocket-a.intercom.io"),
        Some(Endpoint::Shared)
    );
    assert_eq!(role("app.intercom.com"), Some(Endpoint::Agent));
    // Kustomer's "Regions and base URLs": <org>.kustomerapp.com is the web app,
    // <org>.api.kustomerapp.com the API, cdn.kustomerapp.com the chat SDK; the tenant is
    // still extracted under a role.
    let k = c.lookup("acme.kustomerapp.com").unwrap();
    assert_eq!(
        (k.endpoint, k.tenant.as_deref()),
        (Some(Endpoint::Agent), Some("acme"))
    );
    let k = c.lookup("acme.api.kustomerapp.com").unwrap();
    assert_eq!(
        (k.endpoint, k.tenant.as_deref()),
        (Some(Endpoint::Api), Some("acme"))
    );
    assert_eq!(role("cdn.kustomerapp.com"), Some(Endpoint::EndUser));
    assert_eq!(role("api.prod2.kustomerapp.com"), Some(Endpoint::Api));
    // Salesforce's OAuth endpoint page: staff log in at My Domain, customers at
    // Experience Cloud sites.
    assert_eq!(role("acme.my.salesforce.com"), Some(Endpoint::Agent));
    assert_eq!(role("acme.my.site.com"), Some(Endpoint::EndUser));
    assert_eq!(role("login.salesforce.com"), Some(Endpoint::Agent));
    // Help Scout's Beacon CSP page.
    assert_eq!(role("beaconapi.helpscout.net"), Some(Endpoint::EndUser));
    assert_eq!(role("api.helpscout.net"), Some(Endpoint::Api));
    // Front's "Base URL" page.
    assert_eq!(role("api2.frontapp.com"), Some(Endpoint::Api));
    assert_eq!(
        c.lookup("acme.api.frontapp.com").unwrap().tenant.as_deref(),
        Some("acme")
    );
}

#[test]
fn documented_api_and_agent_hosts_win_over_their_suffix() {
    let c = cat();
    let hit = |h: &str| {
        let m = c.lookup(h).unwrap_or_else(|| panic!("{h} unmatched"));
        (m.vendor.id.as_str(), m.endpoint)
    };
    // Each expected role is what the vendor's own page says the host serves; the hosts sit
    // under a broader suffix (shared, tenant or no role), so an exact line must win.
    // Genesys's Java SDK (PureCloudRegionHosts): the Platform API host per region.
    assert_eq!(hit("api.mypurecloud.com"), ("genesys", Some(Endpoint::Api)));
    assert_eq!(hit("api.usw2.pure.cloud"), ("genesys", Some(Endpoint::Api)));
    // Genesys's Client Apps page: the web client staff use is apps.mypurecloud.com; a
    // sibling name under the same suffix with no line of its own has no documented role.
    assert_eq!(
        hit("apps.mypurecloud.com"),
        ("genesys", Some(Endpoint::Agent))
    );
    assert_eq!(hit("login.mypurecloud.com"), ("genesys", None));
    // Talkdesk's regions page: one API gateway per region.
    assert_eq!(hit("api.talkdeskapp.eu"), ("talkdesk", Some(Endpoint::Api)));
    // Aircall's "Your first API call": https://api.aircall.io/v1.
    assert_eq!(hit("api.aircall.io"), ("aircall", Some(Endpoint::Api)));
    // Tidio's OpenAPI authorization page: https://api.tidio.com; tidio.com stays shared.
    assert_eq!(hit("api.tidio.com"), ("tidio", Some(Endpoint::Api)));
    assert_eq!(hit("www.tidio.com"), ("tidio", Some(Endpoint::Shared)));
    // LiveChat: "All LiveChat API requests start with https://api.livechatinc.com/".
    assert_eq!(
        hit("api.livechatinc.com"),
        ("livechat", Some(Endpoint::Api))
    );
    // tawk.to REST API base URL https://api.tawk.to/v1/.
    assert_eq!(hit("api.tawk.to"), ("tawk", Some(Endpoint::Api)));
    // Drift's OAuth token endpoint https://driftapi.com/oauth2/token.
    assert_eq!(hit("driftapi.com"), ("drift", Some(Endpoint::Api)));
    // Aircall's login articles: phone.aircall.io is the users' web phone,
    // dashboard.aircall.io the admins' Dashboard; Help Scout's Docs API overview.
    assert_eq!(hit("phone.aircall.io"), ("aircall", Some(Endpoint::Agent)));
    assert_eq!(
        hit("dashboard.aircall.io"),
        ("aircall", Some(Endpoint::Agent))
    );
    assert_eq!(
        hit("docsapi.helpscout.net"),
        ("helpscout", Some(Endpoint::Api))
    );
    // Dixa's OpenAPI servers list; Olark's operator guide (chat console).
    assert_eq!(hit("dev.dixa.io"), ("dixa", Some(Endpoint::Api)));
    assert_eq!(hit("chat.olark.com"), ("olark", Some(Endpoint::Agent)));
    // Crisp's help: operators log in at https://app.crisp.chat/.
    assert_eq!(hit("app.crisp.chat"), ("crisp", Some(Endpoint::Agent)));
    // Front's CSP page lists chat.frontapp.com for Front Chat on the customer's site.
    assert_eq!(hit("chat.frontapp.com"), ("front", Some(Endpoint::EndUser)));
    // Groove's API host is exact and beats the groovehq.com tenant suffix, so it names
    // no tenant; a company host under the suffix still does.
    let g = c.lookup("api.groovehq.com").unwrap();
    assert_eq!(
        (g.endpoint, g.tenant.as_deref()),
        (Some(Endpoint::Api), None)
    );
    assert_eq!(
        c.lookup("acme.groovehq.com").unwrap().endpoint,
        Some(Endpoint::Tenant)
    );
    // Re:amaze's API page: requests go to https://{brand}.reamaze.io/api/v1, the same
    // host the staff work at, so it is agent and still names the brand.
    let r = c.lookup("acme.reamaze.io").unwrap();
    assert_eq!(
        (r.endpoint, r.tenant.as_deref()),
        (Some(Endpoint::Agent), Some("acme"))
    );
}

#[test]
fn every_line_of_the_main_vendors_has_a_role() {
    let c = cat();
    for id in [
        "zendesk",
        "intercom",
        "freshworks",
        "salesforce-service",
        "hubspot-service",
        "helpscout",
        "kustomer",
        "helpjuice",
        "zoho-desk",
        "gorgias",
        "front",
    ] {
        for r in c.rules_of(id) {
            assert!(r.endpoint.is_some(), "{id}: {} has no role", r.pattern);
        }
    }
}

#[test]
fn duplicate_pattern_names_both_files() {
    let text = |id: &str| {
        format!("id = {id}\nname = N\nproduct = p\ncategory = live_chat\ndomain = same.example strong\n")
    };
    let defs = vec![
        parse_file("one.vendor", &text("one")).unwrap(),
        parse_file("two.vendor", &text("two")).unwrap(),
    ];
    let e = Catalog::from_defs(defs).unwrap_err().to_string();
    assert!(e.contains("two.vendor") && e.contains("one.vendor"), "{e}");
}

#[test]
fn override_replaces_vendor() {
    let extra = parse_file("zendesk.vendor", "id = zendesk\nname = Z\nproduct = p\ncategory = helpdesk_ticketing\ndomain = zd.example strong tenant\n").unwrap();
    let c = cat().with_overrides(vec![extra]).unwrap();
    assert!(c.lookup("acme.zendesk.com").is_none());
    assert_eq!(
        c.lookup("acme.zd.example").unwrap().tenant.as_deref(),
        Some("acme")
    );
}

// The encrypted DNS resolver list.

#[test]
fn builtin_resolvers() {
    let r = Resolvers::builtin().unwrap();
    assert_eq!(r.lookup("dns.google"), Some("any"));
    assert_eq!(r.lookup("mozilla.cloudflare-dns.com"), Some("doh"));
    assert_eq!(r.lookup("chrome.cloudflare-dns.com"), Some("any"));
    assert_eq!(r.lookup("notdns.google.example"), None);
    assert_eq!(r.lookup("xdns.google"), None);
    assert!(Resolvers::parse("x", "resolver = a.example doq\n")
        .unwrap_err()
        .to_string()
        .starts_with("x:1:"));
}

// The ECH public names.

#[test]
fn builtin_fronts() {
    let f = EchFronts::builtin().unwrap();
    assert!(f.contains("cloudflare-ech.com"));
    assert!(!f.contains("x.cloudflare-ech.com"));
    assert!(EchFronts::parse("y", "# c\npublic_name = a b\n")
        .unwrap_err()
        .to_string()
        .starts_with("y:2:"));
}
