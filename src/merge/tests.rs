use super::combine::{join_history, parse_decided_by, Held};
use crate::policy::DecidedBy;

fn held(value: &str, first: i64, last: i64) -> Held {
    Held {
        value: value.into(),
        first,
        last,
    }
}

fn shape(v: &[Held]) -> Vec<(String, i64, i64)> {
    v.iter()
        .map(|h| (h.value.clone(), h.first, h.last))
        .collect()
}

// One address held by alice, then carol, then alice again, as three reports of a split saw
// it: alice's first stretch is cut in two by the split and is one entry again; her return
// after carol stays apart, as one scan records it; the order of the reports does not matter.
#[test]
fn identity_histories_join_across_a_split_but_not_across_another_value() {
    let parts = [
        vec![held("alice", 10, 20)],
        vec![held("alice", 25, 30), held("carol", 40, 50)],
        vec![held("alice", 60, 70)],
    ];
    let want = vec![
        ("alice".to_owned(), 10, 30),
        ("carol".to_owned(), 40, 50),
        ("alice".to_owned(), 60, 70),
    ];
    for order in [[0, 1, 2], [2, 1, 0], [1, 2, 0]] {
        let all: Vec<Held> = order.iter().flat_map(|&i| parts[i].clone()).collect();
        assert_eq!(shape(&join_history(all)), want, "order {order:?}");
    }
}

#[test]
fn decided_by_reads_back_as_the_report_writes_it() {
    for d in [DecidedBy::Default, DecidedBy::Flag, DecidedBy::Line(17)] {
        assert_eq!(parse_decided_by(&d.to_string()), Some(d));
    }
    assert_eq!(parse_decided_by("policy line x"), None);
    assert_eq!(parse_decided_by("whatever"), None);
}

fn header_key(name: &str, first: i64, last: i64, count: u64) -> super::owned::ExposureUse {
    super::owned::ExposureUse {
        exposure: "credentials_in_clear".into(),
        credential: Some("api_key_header".into()),
        credential_name: Some(name.into()),
        reason: None,
        first_seen: crate::event::Timestamp(first),
        last_seen: crate::event::Timestamp(last),
        count,
        example_host: format!("{name}.zendesk.com"),
        example_method: Some("GET".into()),
        example_path: Some("/api".into()),
        tls_version: None,
        weak_suite: None,
    }
}

// Part A met 30 header names (h00..h29, at 100+i, twice each); part B met h28..h34 (at
// 200+i, once each; h34 at 50, before anything of A) and left 3 past its own cap. One scan
// keeps the 32 first met: h34, h00..h29, h30; h31..h33 (one each) are counted with B's 3.
#[test]
fn exposures_past_the_cap_keep_the_first_seen_and_count_the_rest() {
    use super::exposure::Exposures;
    let a: Vec<_> = (0..30)
        .map(|i| header_key(&format!("h{i:02}"), 100 + i, 150 + i, 2))
        .collect();
    let b: Vec<_> = (28..35)
        .map(|i| match i {
            34 => header_key("h34", 50, 60, 1),
            _ => header_key(&format!("h{i:02}"), 200 + i, 200 + i, 1),
        })
        .collect();
    let listing = |e: &Exposures| -> Vec<(String, i64, i64, u64, String)> {
        e.listed()
            .iter()
            .map(|x| {
                (
                    x.credential_name.unwrap().to_owned(),
                    x.first_seen.0,
                    x.last_seen.0,
                    x.count,
                    x.example_host.to_owned(),
                )
            })
            .collect()
    };
    let mut ab = Exposures::read(&a, 0).unwrap();
    ab.absorb(Exposures::read(&b, 3).unwrap());
    let mut ba = Exposures::read(&b, 3).unwrap();
    ba.absorb(Exposures::read(&a, 0).unwrap());
    let got = listing(&ab);
    assert_eq!(got, listing(&ba));
    assert_eq!((ab.not_listed(), ba.not_listed()), (6, 6));
    let names: Vec<&str> = got.iter().map(|x| x.0.as_str()).collect();
    let mut want: Vec<String> = (0..=30).map(|i| format!("h{i:02}")).collect();
    want.push("h34".into());
    assert_eq!(names, want);
    // h28: A's first and example, B's last, both counts.
    assert_eq!(
        got[28],
        ("h28".into(), 128, 228, 3, "h28.zendesk.com".into())
    );
    assert_eq!(got[31], ("h34".into(), 50, 60, 1, "h34.zendesk.com".into()));
}

#[test]
fn an_exposure_name_this_version_does_not_write_is_refused() {
    use super::exposure::Exposures;
    let mut x = header_key("h", 1, 1, 1);
    x.credential = Some("api_key_cookie".into());
    assert!(Exposures::read(&[x], 0)
        .unwrap_err()
        .contains("api_key_cookie"));
    let mut x = header_key("h", 1, 1, 1);
    x.example_method = Some("FETCH".into());
    assert!(Exposures::read(&[x], 0).is_err());
    let mut x = header_key("h", 1, 1, 1);
    x.tls_version = Some(super::owned::TlsVersion::Name("1.9".into()));
    assert!(Exposures::read(&[x], 0).is_err());
}

fn desk(clients: std::ops::Range<u32>, not_listed: u64) -> super::owned::SelfHostedUse {
    let s = crate::selfhosted::Signatures::builtin();
    let g = s.sigs.iter().find(|g| g.product == 0).unwrap();
    super::owned::SelfHostedUse {
        product: s.products[0].id.clone(),
        product_name: s.products[0].name.clone(),
        server_ip: "10.0.0.1".parse().unwrap(),
        server_port: 80,
        server_names: vec!["desk.corp.example".into()],
        hosts: clients
            .map(|i| std::net::IpAddr::from(std::net::Ipv4Addr::from(0x0a01_0000 + i)))
            .collect(),
        hosts_not_listed: not_listed,
        first_seen: crate::event::Timestamp(10),
        last_seen: crate::event::Timestamp(20),
        signatures: vec![super::owned::SignatureShown {
            field: g.field.as_str().into(),
            how: g.how.as_str().into(),
            pattern: g.pattern.clone(),
            source: g.source.clone(),
        }],
        certificate_names: Vec::new(),
    }
}

// Two parts list 200 clients of one help desk each, 100 of them the same: 300 in all, 256
// listed (the first in address order) and the other 44 counted with the parts' own 1 and 2.
#[test]
fn help_desk_clients_past_the_cap_are_counted() {
    let mut m = super::selfhosted::SelfHosted::default();
    m.add(&[desk(0..200, 1)]).unwrap();
    m.add(&[desk(100..300, 2)]).unwrap();
    let l = m.listed();
    assert_eq!(l.len(), 1);
    assert_eq!(l[0].hosts.len(), 256);
    assert_eq!(
        l[0].hosts.last(),
        Some(&std::net::IpAddr::from(std::net::Ipv4Addr::from(
            0x0a01_0000 + 255
        )))
    );
    assert_eq!(l[0].hosts_not_listed, 1 + 2 + 44);
    let mut bad = desk(0..1, 0);
    bad.signatures[0].pattern = "no such pattern".into();
    assert!(m.add(&[bad]).is_err());
}
