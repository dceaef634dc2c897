//! Unit tests of the risk-profile keys and region patterns.

use super::*;

#[test]
fn patterns_match_as_the_grammar_says() {
    // A first-label `*` is one or more labels.
    assert!(pattern_matches("*.eu.intercom.io", "api.eu.intercom.io"));
    assert!(pattern_matches("*.eu.intercom.io", "a.b.eu.intercom.io"));
    assert!(!pattern_matches("*.eu.intercom.io", "eu.intercom.io"));
    assert!(!pattern_matches("*.eu.intercom.io", "api.intercom.io"));
    assert!(!pattern_matches(
        "*.eu.intercom.io",
        "api.eu.intercom.io.evil.example"
    ));
    // `*` inside a label stays within it.
    assert!(pattern_matches("eu*.salesforce.com", "eu12.salesforce.com"));
    assert!(pattern_matches("eu*.salesforce.com", "eu.salesforce.com"));
    assert!(!pattern_matches(
        "eu*.salesforce.com",
        "eu1.x.salesforce.com"
    ));
    assert!(!pattern_matches("eu*.salesforce.com", "na1.salesforce.com"));
    assert!(pattern_matches("app-*1.hubspot.com", "app-eu1.hubspot.com"));
    assert!(!pattern_matches(
        "app-*1.hubspot.com",
        "app-eu2.hubspot.com"
    ));
    // Without `*` the label count is exact.
    assert!(pattern_matches(
        "app-eu1.hubspot.com",
        "app-eu1.hubspot.com"
    ));
    assert!(!pattern_matches(
        "app-eu1.hubspot.com",
        "x.app-eu1.hubspot.com"
    ));
    assert!(pattern_matches("api.eu.intercom.io", "api.eu.intercom.io."));
}

#[test]
fn bad_patterns_are_refused() {
    for p in [
        "*.com",
        "eu.*.intercom.io",
        "eu.intercom.*",
        "eu.inter*.io",
        "EU.intercom.io",
        "io",
        "a..b.io",
        "**.x.io",
    ] {
        assert!(check_region_pattern(p).is_err(), "{p}");
    }
    for p in [
        "*.eu.intercom.io",
        "eu*.salesforce.com",
        "app-eu1.hubspot.com",
    ] {
        assert!(check_region_pattern(p).is_ok(), "{p}");
    }
}

#[test]
fn keys_parse_and_refuse() {
    let mut p = Profile::default();
    parse_key(&mut p, "deployment", "self_hosted").unwrap();
    parse_key(&mut p, "company", "Acme Inc.").unwrap();
    parse_key(
        &mut p,
        "region",
        "eu *.eu.example.com source=https://example.com/r",
    )
    .unwrap();
    parse_key(
        &mut p,
        "regions_offered",
        "us,eu source=https://example.com/r read=2026-11-27",
    )
    .unwrap();
    parse_key(
        &mut p,
        "cert",
        "soc2_type2 source=https://example.com/t read=2026-11-27",
    )
    .unwrap();
    parse_key(
        &mut p,
        "incident",
        "2023-10 source=https://example.com/i read=2026-11-27 support system files read by an intruder",
    )
    .unwrap();
    assert_eq!(p.deployment, Deployment::SelfHosted);
    assert_eq!(p.company.as_deref(), Some("Acme Inc."));
    assert_eq!(
        p.incidents[0].summary,
        "support system files read by an intruder"
    );
    assert_eq!(p.incidents[0].date, "2023-10");
    assert_eq!(p.regions_offered.as_ref().unwrap().codes, ["us", "eu"]);
    let e = |k: &str, v: &str| parse_key(&mut Profile::default(), k, v).unwrap_err();
    assert!(e("cert", "soc2 source=https://x.example/ read=2026-11-27").contains("unknown cert"));
    assert!(e("cert", "soc3 source=https://x.example/").contains("missing read="));
    assert!(
        e("cert", "soc3 read=2026-11-27 source=https://x.example/").contains("expected 'source='")
    );
    assert!(e("region", "europe *.eu.x.com source=https://x.example/").contains("bad region code"));
    assert!(e("region", "eu *.com source=https://x.example/").contains("bad region pattern"));
    assert!(e("region", "eu a.x.com").contains("missing source="));
    assert!(e(
        "incident",
        "2023-13 source=https://x.example/ read=2026-11-27 x"
    )
    .contains("incident date"));
    assert!(e(
        "incident",
        "2023-10 source=https://x.example/ read=2026-11-27"
    )
    .contains("summary"));
    assert!(e(
        "regions_offered",
        "us,mars source=https://x.example/ read=2026-11-27"
    )
    .contains("bad region code"));
    assert!(e("deployment", "on_prem").contains("cloud or self_hosted"));
    assert!(e("company", "A # b").contains("'#'"));
}
