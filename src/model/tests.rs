use super::*;
use crate::proto::{dhcp, kerberos, nbns, ntlm};
use std::net::Ipv4Addr;

fn whats(e: Extracted, tcp: bool) -> Vec<What> {
    let mut out = Vec::new();
    e.into_whats(tcp, "10.0.0.1".parse().unwrap(), |w| out.push(w));
    out
}

#[test]
fn a_hello_gives_one_observation_per_name_counted_once() {
    let hello = |names: &[&str]| tls::Hello {
        names: names.iter().map(|n| n.to_string()).collect(),
        ech: None,
        client: None,
    };
    let tls = |name: &str, again| What::TlsHello {
        name: name.into(),
        ech: None,
        again,
        client: None,
    };
    let two = Extracted::Hello {
        hello: hello(&["a.example", "b.example"]),
        retry: false,
    };
    assert_eq!(
        whats(two, true),
        [tls("a.example", false), tls("b.example", true)]
    );
    // No server name: still one observation, to be attributed through DNS answers.
    let none = Extracted::Hello {
        hello: hello(&[]),
        retry: false,
    };
    assert_eq!(whats(none, true), [tls("", false)]);
    // The hello after a HelloRetryRequest names a connection already counted.
    let retry = Extracted::Hello {
        hello: hello(&["a.example"]),
        retry: true,
    };
    assert_eq!(
        whats(retry, false),
        [What::QuicHello {
            name: "a.example".into(),
            ech: None,
            again: true,
            client: None,
        }]
    );
}

#[test]
fn a_query_gives_one_observation_per_question_an_answer_one() {
    let q = |name: &str| dns::Question {
        name: name.into(),
        qtype: 1,
    };
    let query = dns::Message {
        questions: vec![q("a.example"), q("b.example")],
        ..dns::Message::default()
    };
    let names: Vec<What> = whats(Extracted::Dns(query.clone()), false);
    assert_eq!(
        names,
        [
            What::DnsQuery {
                name: "a.example".into(),
                qtype: 1
            },
            What::DnsQuery {
                name: "b.example".into(),
                qtype: 1
            }
        ]
    );
    let answer = dns::Message {
        response: true,
        ..query
    };
    assert_eq!(
        whats(Extracted::Dns(answer.clone()), false),
        [What::DnsAnswer { msg: answer }]
    );
}
fn identity(i: Identity, src: &str) -> Vec<IdentityWhat> {
    let mut out = Vec::new();
    Extracted::Identity(i).into_whats(false, src.parse().unwrap(), |w| match w {
        What::Identity(w) => out.push(w),
        other => panic!("{other:?}"),
    });
    out
}

fn value(w: &IdentityWhat) -> (String, Field, Source, Option<&str>) {
    let IdentityWhat::Claim(c) = w else {
        panic!("{w:?}")
    };
    (c.ip.to_string(), c.field, c.source, c.value.as_deref())
}

/// The rules of gen_identity_truth.py's docstring, one case each.
#[test]
fn identity_rules() {
    // DHCP ACK: ip = yiaddr; mac; option 12 with its trailing dot and case dropped; no
    // option 81, so that claim waits for the REQUEST's.
    let ack = dhcp::Message {
        msg_type: Some(dhcp::DHCPACK),
        xid: 9,
        ciaddr: Ipv4Addr::UNSPECIFIED,
        yiaddr: Ipv4Addr::new(10, 0, 0, 7),
        mac: Some([0xaa, 0xbb, 0xcc, 0, 1, 2]),
        hostname: Some(b" Alice-PC. ".to_vec()),
        fqdn: None,
        lease_secs: Some(600),
    };
    let w = identity(Identity::Dhcp(ack.clone()), "10.0.0.1");
    let ip = "10.0.0.7".to_string();
    assert_eq!(
        w.iter().map(value).collect::<Vec<_>>(),
        [
            (ip.clone(), Field::Hostname, Source::Dhcp, Some("alice-pc")),
            (ip.clone(), Field::Hostname, Source::DhcpFqdn, None),
            (
                ip.clone(),
                Field::Mac,
                Source::Dhcp,
                Some("aa:bb:cc:00:01:02")
            ),
        ]
    );
    // An INFORM's ACK names ciaddr; with neither address there is nothing.
    let inform = dhcp::Message {
        yiaddr: Ipv4Addr::UNSPECIFIED,
        ciaddr: Ipv4Addr::new(10, 0, 0, 8),
        ..ack.clone()
    };
    assert_eq!(
        value(&identity(Identity::Dhcp(inform.clone()), "10.0.0.1")[0]).0,
        "10.0.0.8"
    );
    let nothing = dhcp::Message {
        ciaddr: Ipv4Addr::UNSPECIFIED,
        ..inform
    };
    assert!(identity(Identity::Dhcp(nothing), "10.0.0.1").is_empty());
    // mDNS: only the record holding the sender's own address.
    let mdns = dns::Message {
        response: true,
        addrs: vec![
            ("other.local".into(), "10.0.0.9".parse().unwrap()),
            ("me.local".into(), "10.0.0.5".parse().unwrap()),
        ],
        ..dns::Message::default()
    };
    let w = identity(Identity::Mdns(mdns), "10.0.0.5");
    assert_eq!(
        w.iter().map(value).collect::<Vec<_>>(),
        [(
            "10.0.0.5".into(),
            Field::Hostname,
            Source::Mdns,
            Some("me.local")
        )]
    );
    // NBNS: unique <00> names only; a refresh (8) counts, a query (0) does not.
    let rec = |name: &[u8], suffix, group| nbns::Record {
        name: name.to_vec(),
        suffix,
        addrs: vec![(Ipv4Addr::new(10, 0, 0, 6), group)],
    };
    let reg = |opcode| nbns::Message {
        response: false,
        opcode,
        records: vec![
            rec(b"PC1", 0, false),
            rec(b"WORKGROUP", 0, true),
            rec(b"PC1", 0x20, false),
        ],
    };
    let w = identity(Identity::Nbns(reg(8)), "10.0.0.6");
    assert_eq!(
        w.iter().map(value).collect::<Vec<_>>(),
        [(
            "10.0.0.6".into(),
            Field::Hostname,
            Source::Nbns,
            Some("pc1")
        )]
    );
    assert!(identity(Identity::Nbns(reg(0)), "10.0.0.6").is_empty());
    // Kerberos: parts joined with '/', then '@' and the realm; none without a cname.
    let krb = |cname: &[&[u8]], realm: &[u8]| {
        let r = kerberos::AsReq {
            cname: cname.iter().map(|p| p.to_vec()).collect(),
            realm: realm.to_vec(),
        };
        identity(Identity::Kerberos(r), "10.0.0.4")
            .iter()
            .map(value)
            .map(|v| v.3.map(str::to_owned))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        krb(&[b"host", b"PC1.corp"], b"CORP"),
        [Some("host/pc1.corp@corp".into())]
    );
    assert_eq!(krb(&[b"bob"], b""), [Some("bob".into())]);
    assert!(krb(&[], b"CORP").is_empty());
    // NTLM: domain\user, or user alone; the workstation; anonymous gives nothing.
    let ntlm = |domain: &str, user: &str| {
        let a = ntlm::Authenticate {
            domain: domain.into(),
            user: user.into(),
            workstation: "WS1 ".into(),
        };
        identity(Identity::Ntlm(a), "10.0.0.3")
            .iter()
            .map(value)
            .map(|v| v.3.map(str::to_owned))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        ntlm("CORP", "Bob"),
        [Some("corp\\bob".into()), Some("ws1".into())]
    );
    assert_eq!(ntlm("", "bob"), [Some("bob".into()), Some("ws1".into())]);
    assert!(ntlm("CORP", "").is_empty());
}
