use super::*;

fn name(v: impl Serialize) -> String {
    serde_json::to_value(v)
        .unwrap()
        .as_str()
        .unwrap()
        .to_owned()
}

#[test]
fn kinds_and_protocols_sort_as_their_names() {
    // Maps keyed by these enums must list them as maps keyed by the names did.
    let kinds = [
        Kind::Dns,
        Kind::DnsAnswer,
        Kind::Exposure,
        Kind::Http,
        Kind::Quic,
        Kind::Socks,
        Kind::Stats,
        Kind::Tls,
    ];
    for w in kinds.windows(2) {
        assert!(w[0] < w[1] && name(w[0]) < name(w[1]), "{w:?}");
    }
    for k in kinds {
        assert_eq!(name(k), k.as_str());
    }
    use EncryptedDnsProtocol::*;
    let protos = [Doh, Doh3, Doq, Dot];
    for w in protos.windows(2) {
        assert!(w[0] < w[1] && name(w[0]) < name(w[1]), "{w:?}");
    }
    for p in protos {
        assert_eq!(name(p), p.as_str());
        assert_eq!(format!("{p:<5}|"), format!("{:<5}|", p.as_str()));
    }
}

#[test]
fn every_preamble_method_keeps_its_name() {
    for m in [
        "CONNECT", "GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "PATCH", "OTHER", "SOCKS4",
        "SOCKS4A", "SOCKS5",
    ] {
        assert_eq!(name(Method::from_preamble(m)), m);
        assert_eq!(Method::from_preamble(m).is_socks(), m.starts_with("SOCKS"));
    }
}

#[test]
fn a_stats_event_has_the_live_fields_in_order() {
    let e = Event {
        ts: Timestamp(1_700_000_000_123_456_789),
        origin: Origin::default(),
        body: Body::Stats(LiveStats {
            packets_received: 1,
            packets_dropped_kernel: 2,
            packets_dropped_interface: 3,
            packets_analysed: 4,
            flows_tracked: 5,
            flows_evicted: 6,
            dropped_reassembly: 8,
            events_written: 7,
            events_published: None,
            events_dropped_broker: None,
        }),
    };
    let mut buf = Vec::new();
    write(&mut buf, &e);
    // The line the hand-written writer produced before these types (field by field),
    // with `dropped_reassembly` added since.
    assert_eq!(
        String::from_utf8(buf).unwrap(),
        "{\"ts\":\"2023-11-14T22:13:20.123456Z\",\"kind\":\"stats\",\"packets_received\":1,\
         \"packets_dropped_kernel\":2,\"packets_dropped_interface\":3,\"packets_analysed\":4,\
         \"flows_tracked\":5,\"flows_evicted\":6,\"dropped_reassembly\":8,\"events_written\":7}"
    );
}
