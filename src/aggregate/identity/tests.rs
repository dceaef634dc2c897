use super::*;

fn claim(value: Option<&str>, answers: Option<Answers>) -> Claim {
    Claim {
        ip: "10.0.0.5".parse().unwrap(),
        field: Field::Hostname,
        source: Source::Dhcp,
        value: value.map(str::to_owned),
        answers,
        lease_secs: Some(60),
    }
}

#[test]
fn ack_without_a_name_takes_the_request_s_of_the_same_kind() {
    let mut id = Identities::default();
    let key = DhcpKey {
        xid: 7,
        mac: Some([2, 0, 0, 0, 0, 1]),
    };
    id.dhcp_clients
        .insert(key, (false, Some("laptop".into()), None));
    let ack = claim(None, Some(Answers::Dhcp { key, inform: false }));
    assert_eq!(id.value_of(&ack).as_deref(), Some("laptop"));
    // An INFORM's ACK does not take a REQUEST's name, nor another client's.
    let inform = claim(None, Some(Answers::Dhcp { key, inform: true }));
    assert_eq!(id.value_of(&inform), None);
    let other = DhcpKey { mac: None, ..key };
    let ack = claim(
        None,
        Some(Answers::Dhcp {
            key: other,
            inform: false,
        }),
    );
    assert_eq!(id.value_of(&ack), None);
}

#[test]
fn a_binding_is_written_when_new_or_changed_and_the_table_stays_bounded() {
    let mut id = Identities::default();
    let c = claim(Some("a"), None);
    assert!(id.bind(&c, "a", 1, 10_000));
    assert!(!id.bind(&c, "a", 2, 10_000));
    assert!(id.bind(&c, "b", 3, 10_000));
    assert!(id.bind(&c, "a", 4, 10_000));
    let b = &id.bindings[&(c.ip, c.field, c.source)];
    assert_eq!((b.first_seen, b.last_seen), (4, 4));
    assert_eq!(b.until, Some(4 + 60_000_000_000));
    // The report's history: each value once, first and last seen.
    let held: Vec<_> = id.by_host()[&c.ip]
        .iter()
        .map(|(_, _, h)| (h.value.as_str(), h.first_seen, h.last_seen))
        .collect();
    assert_eq!(held, [("a", 1, 4), ("b", 3, 3)]);
    // Room for two bindings: the third clears the table.
    let mut id = Identities::default();
    for (i, ip) in ["10.0.0.1", "10.0.0.2", "10.0.0.3"].iter().enumerate() {
        let c = Claim {
            ip: ip.parse().unwrap(),
            ..claim(Some("x"), None)
        };
        assert!(id.bind(&c, "x", i as i64, 2 * (BINDING_BYTES + STRING_BYTES + 2)));
    }
    assert_eq!((id.bindings.len(), id.cleared), (1, 1));
}
/// Attribution at a moment: the latest valid binding, a lease's end, the age limit, and
/// the FQDN over option 12 when one ACK gave both.
#[test]
fn who_held_an_address_at_a_moment() {
    let mut id = Identities::default();
    let ip: IpAddr = "10.0.0.5".parse().unwrap();
    let s = 1_000_000_000;
    let c = |field, source, lease| Claim {
        ip,
        field,
        source,
        value: None,
        answers: None,
        lease_secs: lease,
    };
    id.bind(
        &c(Field::Hostname, Source::Dhcp, Some(60)),
        "pc",
        0,
        1 << 20,
    );
    id.bind(
        &c(Field::Hostname, Source::DhcpFqdn, Some(60)),
        "pc.corp",
        0,
        1 << 20,
    );
    id.bind(
        &c(Field::Mac, Source::Dhcp, Some(60)),
        "aa:bb:cc:dd:ee:ff",
        0,
        1 << 20,
    );
    let who = id.at(ip, 30 * s);
    assert_eq!(who.host_name, Some("pc.corp"));
    assert_eq!(who.host_mac, Some("aa:bb:cc:dd:ee:ff"));
    assert_eq!(who.user, None);
    // A later NetBIOS registration names it until the lease ends, and alone after.
    id.bind(
        &c(Field::Hostname, Source::Nbns, None),
        "pc-nb",
        40 * s,
        1 << 20,
    );
    assert_eq!(id.at(ip, 50 * s).host_name, Some("pc-nb"));
    assert_eq!(id.at(ip, 61 * s).host_mac, None);
    assert_eq!(id.at(ip, 61 * s).host_name, Some("pc-nb"));
    // A user, the newest of Kerberos and NTLM, until a day after last seen.
    id.bind(
        &c(Field::User, Source::Kerberos, None),
        "bob@corp",
        70 * s,
        1 << 20,
    );
    id.bind(
        &c(Field::User, Source::Ntlm, None),
        "corp\\alice",
        80 * s,
        1 << 20,
    );
    assert_eq!(id.at(ip, 90 * s).user, Some("corp\\alice"));
    assert_eq!(id.at(ip, 80 * s + MAX_AGE_NS + 1).user, None);
    assert_eq!(id.at("10.0.0.6".parse().unwrap(), 90 * s), Who::default());
}

/// A DHCPRELEASE ends the DHCP bindings at once, only from the MAC that holds them; the
/// age of the others is `max_age_ns`.
#[test]
fn a_release_ends_the_lease_and_the_age_is_settable() {
    let mut id = Identities::default();
    let ip: IpAddr = "10.0.0.5".parse().unwrap();
    let s = 1_000_000_000;
    let c = |field, source, lease| Claim {
        ip,
        field,
        source,
        value: None,
        answers: None,
        lease_secs: lease,
    };
    id.bind(
        &c(Field::Hostname, Source::Dhcp, Some(600)),
        "pc",
        0,
        1 << 20,
    );
    id.bind(
        &c(Field::Mac, Source::Dhcp, Some(600)),
        "02:00:00:00:00:01",
        0,
        1 << 20,
    );
    id.release(ip, "02:00:00:00:00:02", 10 * s);
    assert_eq!(id.at(ip, 20 * s).host_name, Some("pc"));
    id.release(ip, "02:00:00:00:00:01", 30 * s);
    assert_eq!(id.at(ip, 30 * s).host_name, Some("pc"));
    assert_eq!(id.at(ip, 31 * s), Who::default());
    id.max_age_ns = 3600 * s;
    id.bind(&c(Field::User, Source::Ntlm, None), "bob", 100 * s, 1 << 20);
    assert_eq!(id.at(ip, 3700 * s).user, Some("bob"));
    assert_eq!(id.at(ip, 3701 * s).user, None);
}
