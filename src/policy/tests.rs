use super::*;

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

#[test]
fn ids_in_any_case_and_aliases_name_the_catalog_vendor() {
    let cat = Catalog::builtin().unwrap();
    let mut p = Policy::default();
    p.allow_everywhere("Freshdesk, ZENDESK, hubspot", &cat)
        .unwrap();
    assert_eq!(
        p.sanctioned_by_flag(),
        ["freshworks", "zendesk", "hubspot-service"]
    );
    let p = Policy::parse("p", "allow FreshChat\ntenant Zendesk acme", &cat).unwrap();
    assert_eq!(
        p.everywhere,
        [("freshworks".to_owned(), DecidedBy::Line(1))]
    );
    assert_eq!(p.tenants, [("zendesk".to_owned(), "acme".to_owned())]);
    // A missing group after `for` says so, rather than calling `for` a vendor.
    let e = Policy::parse("p", "allow zendesk for", &cat).unwrap_err();
    assert!(e.contains("'for' needs a group or CIDR"), "{e}");
    let e = Policy::parse("p", "allow zendesk for ", &cat).unwrap_err();
    assert!(e.contains("'for' needs a group or CIDR"), "{e}");
}

#[test]
fn cidr_contains() {
    let c = Cidr::parse("10.20.0.0/16").unwrap();
    assert!(c.contains(ip("10.20.255.1")));
    assert!(!c.contains(ip("10.21.0.1")));
    assert!(!c.contains(ip("::1")));
    assert!(Cidr::parse("0.0.0.0/0").unwrap().contains(ip("8.8.8.8")));
    assert!(Cidr::parse("fd00:20::/32")
        .unwrap()
        .contains(ip("fd00:20:1::5")));
    assert!(Cidr::parse("10.0.0.0/33").is_err());
    assert!(Cidr::parse("10.0.0/8").is_err());
}

/// Found by the policy fuzz target (fuzz/fuzz_targets/policy.rs): a vendor id whose
/// fourth byte falls inside a character panicked while building the "did you mean" hint.
#[test]
fn unknown_vendor_with_multibyte_characters_is_an_error_not_a_panic() {
    let cat = Catalog::builtin().unwrap();
    let mut p = Policy::default();
    // The crash input's first line, as `--sanctioned` would pass it.
    let err = p.allow_everywhere("#oh\u{5de}", &cat).unwrap_err();
    assert!(err.contains("unknown vendor id '#oh\u{5de}'"), "{err}");
    let err = Policy::parse("p", "allow zendמ", &cat).unwrap_err();
    assert!(err.contains("(did you mean 'zendesk'?)"), "{err}");
    assert!(Policy::parse("p", "allow ééééé", &cat).is_err());
}

#[test]
fn file_rules() {
    let cat = Catalog::builtin().unwrap();
    let text = "# test\ngroup support 10.20.0.0/16\nallow zendesk\nallow intercom for support\nallow kustomer for 10.30.0.5\n";
    let p = Policy::parse("p.txt", text, &cat).unwrap();
    assert!(p.sanctioned("zendesk", ip("192.0.2.1")));
    assert!(p.sanctioned("intercom", ip("10.20.1.1")));
    assert!(!p.sanctioned("intercom", ip("10.21.1.1")));
    assert!(p.sanctioned("kustomer", ip("10.30.0.5")));
    assert!(!p.sanctioned("kustomer", ip("10.30.0.6")));
    assert!(!p.sanctioned("helpscout", ip("10.20.1.1")));
    assert_eq!(p.decided_by("zendesk", ip("192.0.2.1")), DecidedBy::Line(3));
    assert_eq!(
        p.decided_by("intercom", ip("10.20.1.1")),
        DecidedBy::Line(4)
    );
    assert_eq!(
        p.decided_by("intercom", ip("10.21.1.1")),
        DecidedBy::Default
    );
    assert_eq!(
        p.decided_by("kustomer", ip("10.30.0.5")),
        DecidedBy::Line(5)
    );
    // A policy line wins over --sanctioned, and the first line over a later one.
    let mut p = Policy::parse(
        "p.txt",
        "allow kustomer for 10.30.0.5\nallow kustomer",
        &cat,
    )
    .unwrap();
    p.allow_everywhere("kustomer, zendesk", &cat).unwrap();
    assert_eq!(
        p.decided_by("kustomer", ip("10.30.0.5")),
        DecidedBy::Line(1)
    );
    assert_eq!(
        p.decided_by("kustomer", ip("10.30.0.6")),
        DecidedBy::Line(2)
    );
    assert_eq!(p.decided_by("zendesk", ip("10.30.0.6")), DecidedBy::Flag);
    assert_eq!(DecidedBy::Line(2).to_string(), "policy line 2");
}

#[test]
fn errors_name_the_line() {
    let cat = Catalog::builtin().unwrap();
    let e = Policy::parse("p.txt", "allow zendesk\nallow zendeks\n", &cat).unwrap_err();
    assert!(e.starts_with("p.txt:2: unknown vendor id 'zendeks'"), "{e}");
    let e = Policy::parse("p.txt", "group g 10.0.0.0/40\n", &cat).unwrap_err();
    assert!(e.starts_with("p.txt:1: bad CIDR"), "{e}");
    let e = Policy::parse("p.txt", "allow zendesk for nogroup\n", &cat).unwrap_err();
    assert!(e.contains("unknown group"), "{e}");
    let e = Policy::parse("p.txt", "allow zendesk\ndomian acme.test\n", &cat).unwrap_err();
    assert!(
        e.starts_with("p.txt:2: unknown statement 'domian' (did you mean 'domain'?"),
        "{e}"
    );
    let e = Policy::parse("p.txt", "\n\ntenant zendeks acme\n", &cat).unwrap_err();
    assert!(
        e.starts_with("p.txt:3: unknown vendor id 'zendeks' (did you mean 'zendesk'?)"),
        "{e}"
    );
    let e = Policy::parse("p.txt", "tenant zendesk\n", &cat).unwrap_err();
    assert!(
        e.starts_with("p.txt:1: expected 'tenant VENDOR TENANT'"),
        "{e}"
    );
    let e = Policy::parse("p.txt", "tenant zendesk acme.zendesk.com\n", &cat).unwrap_err();
    assert!(e.starts_with("p.txt:1: bad tenant"), "{e}");
    let e = Policy::parse("p.txt", "domain\n", &cat).unwrap_err();
    assert!(e.starts_with("p.txt:1: expected 'domain NAME"), "{e}");
    let e = Policy::parse("p.txt", "domain acme..test\n", &cat).unwrap_err();
    assert!(e.starts_with("p.txt:1: bad domain 'acme..test'"), "{e}");
    let e = Policy::parse("p.txt", "domain 10.0.0.1\n", &cat).unwrap_err();
    assert!(e.contains("an address"), "{e}");
}

#[test]
fn domains_and_tenants() {
    let cat = Catalog::builtin().unwrap();
    let text = "domain Acme-Corp.test., other.example\ntenant zendesk ACME\n";
    let p = Policy::parse("p.txt", text, &cat).unwrap();
    assert!(p.ours_domain("acme-corp.test"));
    assert!(p.ours_domain("help.ACME-corp.test."));
    assert!(p.ours_domain("x.other.example"));
    // Label boundaries: a name that only ends with the same letters is not ours.
    assert!(!p.ours_domain("notacme-corp.test"));
    assert!(!p.ours_domain("corp.test"));
    assert!(p.declared_tenant("zendesk", "acme"));
    assert!(!p.declared_tenant("freshworks", "acme"));
    assert!(!p.declared_tenant("zendesk", "acme2"));
}
