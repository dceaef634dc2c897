use super::*;

#[test]
fn errors_name_the_line() {
    let e = parse_file(
        "x.vendor",
        "id = x\nname = X\ncategory = live_chat\ndomain = Bad_Domain strong\n",
    )
    .unwrap_err();
    assert_eq!(e.line, 4);
    assert!(e.to_string().starts_with("x.vendor:4:"), "{e}");
    let e = parse_file(
        "x.vendor",
        "id = x\nname = X\ncategory = live_chat\ndomain = a.example strng\n",
    )
    .unwrap_err();
    assert_eq!(e.line, 4);
    let e = parse_file(
        "x.vendor",
        "id = y\nname = X\ncategory = live_chat\ndomain = a.example strong\n",
    )
    .unwrap_err();
    assert!(e.msg.contains("file name"));
    let e = parse_file(
        "x.vendor",
        "id = x\nname = X\ncategory = chat\ndomain = a.example strong\n",
    )
    .unwrap_err();
    assert!(e.msg.contains("category"));
    let e = parse_file(
        "x.vendor",
        "id = x\nname = X\ncategory = live_chat\ndomain = com strong\n",
    )
    .unwrap_err();
    assert!(e.msg.contains("two or more labels"));
}

const HEAD: &str = "id = x\nname = X\ncategory = live_chat\ndomain = a.example strong\n";

#[test]
fn risk_keys_load_with_errors_naming_the_line() {
    let ok = parse_file(
        "x.vendor",
        &format!(
            "{HEAD}deployment = cloud\ncompany = X Corp\n\
             region = eu *.eu.a.example source=https://a.example/regions\n\
             region = au app.au.a.example source=https://a.example/regions\n\
             regions_offered = us,eu,au source=https://a.example/regions read=2026-11-27\n\
             cert = soc2_type2 source=https://a.example/trust read=2026-11-27\n\
             cert = iso27001 source=https://a.example/trust read=2026-11-27\n\
             incident = 2024-02-03 source=https://news.example/x read=2026-11-27 a thing happened\n\
             source = https://a.example/\n"
        ),
    )
    .unwrap();
    let p = &ok.vendor.profile;
    assert_eq!(p.company.as_deref(), Some("X Corp"));
    assert_eq!(p.regions.len(), 2);
    assert_eq!(p.certs.len(), 2);
    assert_eq!(p.incidents[0].summary, "a thing happened");
    let line_of = |extra: &str| {
        parse_file("x.vendor", &format!("{HEAD}{extra}"))
            .unwrap_err()
            .to_string()
    };
    // Line 5 is the first line after HEAD.
    let e = line_of("cert = soc2 source=https://a.example/ read=2026-11-27\n");
    assert!(e.starts_with("x.vendor:5: unknown cert 'soc2'"), "{e}");
    let e = line_of("region = europe a.eu.a.example source=https://a.example/\n");
    assert!(e.starts_with("x.vendor:5: bad region code"), "{e}");
    let e = line_of("region = eu *.example source=https://a.example/\n");
    assert!(e.starts_with("x.vendor:5: bad region pattern"), "{e}");
    let e = line_of("cert = soc3 source=https://a.example/\n");
    assert!(e.starts_with("x.vendor:5: missing read="), "{e}");
    let e = line_of("region = eu a.eu.a.example\n");
    assert!(e.starts_with("x.vendor:5: missing source="), "{e}");
    let e = line_of("cert = soc3 source=https://a.example/ read=2026-11-27\ncompany = X\n");
    assert!(e.starts_with("x.vendor:6: 'company' out of order"), "{e}");
    let e = line_of("source = https://a.example/\ndomain = b.example strong\n");
    assert!(e.starts_with("x.vendor:6: 'domain' out of order"), "{e}");
    let e = line_of("company = X\ncompany = Y\n");
    assert!(e.starts_with("x.vendor:6: 'company' given twice"), "{e}");
    let e = line_of("deployment = cloud\ndeployment = self_hosted\n");
    assert!(e.starts_with("x.vendor:6: 'deployment' given twice"), "{e}");
    // Self-hosted: no domain needed; cloud: still required.
    let sh = parse_file(
        "x.vendor",
        "id = x\nname = X\ncategory = helpdesk_ticketing\ndeployment = self_hosted\nsource = https://x.example/\n",
    )
    .unwrap();
    assert_eq!(sh.vendor.profile.deployment, Deployment::SelfHosted);
    assert!(sh.rules.is_empty());
    let e = parse_file(
        "x.vendor",
        "id = x\nname = X\ncategory = helpdesk_ticketing\ndeployment = cloud\n",
    )
    .unwrap_err();
    assert!(e.msg.contains("no 'domain' lines"), "{e}");
}

fn domain_line(flags: &str) -> Result<VendorDef, CatalogError> {
    parse_file(
        "x.vendor",
        &format!("id = x\nname = X\ncategory = live_chat\n# c\ndomain = a.example {flags}\n"),
    )
}

#[test]
fn role_parses_after_the_other_flags() {
    let r = &domain_line("strong exact role=end_user").unwrap().rules[0];
    assert_eq!(
        (r.exact, r.tenant, r.endpoint),
        (true, false, Some(Endpoint::EndUser))
    );
    let r = &domain_line("weak tenant role=tenant").unwrap().rules[0];
    assert_eq!(
        (r.strong, r.tenant, r.endpoint),
        (false, true, Some(Endpoint::Tenant))
    );
    for (w, e) in [
        ("agent", Endpoint::Agent),
        ("api", Endpoint::Api),
        ("shared", Endpoint::Shared),
    ] {
        let r = &domain_line(&format!("strong role={w}")).unwrap().rules[0];
        assert_eq!(r.endpoint, Some(e));
    }
    // No role word: the role is unknown, not a default.
    assert_eq!(domain_line("strong").unwrap().rules[0].endpoint, None);
}

#[test]
fn bad_role_is_an_error_naming_the_line() {
    let e = domain_line("strong role=staff").unwrap_err();
    assert_eq!(e.line, 5);
    assert!(
        e.to_string()
            .starts_with("x.vendor:5: unknown role 'staff'"),
        "{e}"
    );
    assert!(
        e.msg.contains("agent, api, end_user, shared, tenant"),
        "{e}"
    );
    // Case matters as it does for the other words.
    assert_eq!(domain_line("strong role=Agent").unwrap_err().line, 5);
    assert_eq!(domain_line("strong role=").unwrap_err().line, 5);
    // Out of order or repeated: one way to write a line.
    for flags in [
        "strong role=api exact",
        "strong tenant exact",
        "strong role=api role=agent",
        "strong exact exact",
    ] {
        let e = domain_line(flags).unwrap_err();
        assert_eq!(e.line, 5, "{flags}");
        assert!(e.msg.contains("out of order"), "{flags}: {e}");
    }
}
