use super::*;

fn ok(v: &str) -> Result<String, String> {
    Ok(v.to_owned())
}

#[test]
fn statements_parse_and_refuse() {
    let mut r = Requirements::default();
    r.parse_region("eu for zendesk", 1, ok).unwrap();
    r.parse_region("us, eu for *", 2, ok).unwrap();
    assert_eq!(r.regions_for("zendesk"), Some((&["eu".to_owned()][..], 1)));
    assert_eq!(r.regions_for("intercom").map(|x| x.1), Some(2));
    assert_eq!(r.region_ok("zendesk", Some("us")), Some(false));
    assert_eq!(r.region_ok("zendesk", Some("eu")), Some(true));
    // Unknown region: never a violation.
    assert_eq!(r.region_ok("zendesk", None), None);
    assert_eq!(Requirements::default().region_ok("x", Some("us")), None);
    assert!(r
        .parse_region("europe for zendesk", 3, ok)
        .unwrap_err()
        .contains("unknown region"));
    assert!(r
        .parse_region("eu", 3, ok)
        .unwrap_err()
        .contains("expected"));
    r.parse_cert("soc2_type2, iso27001 for unsanctioned", 4)
        .unwrap();
    r.parse_cert("hipaa", 5).unwrap();
    assert!(r.certs[0].0);
    assert!(!r.certs[1].0);
    assert!(r
        .parse_cert("soc2", 6)
        .unwrap_err()
        .contains("unknown cert 'soc2'"));
    assert!(r
        .parse_cert("soc3 for sales", 6)
        .unwrap_err()
        .contains("for unsanctioned"));
}
