use super::*;
use crate::proto::dns::EchRecord;
use crate::proto::{dns, ech};

const C: &str = "10.0.0.5";
const S: &str = "10.0.0.9";

fn config(id: u8) -> ech::Config {
    ech::Config {
        config_id: id,
        kem: 0x20,
        suites: vec![(1, 1)],
        public_name: "public.ech-front.example".into(),
    }
}

fn obs(ts: i64, src: &str, dst: &str, what: What) -> Observation {
    Observation {
        order: ts as u64,
        input: 0,
        ts,
        src: src.parse().unwrap(),
        dst: dst.parse().unwrap(),
        sport: if src == S { 53 } else { 50000 },
        dport: if src == S { 50000 } else { 443 },
        tcp: true,
        what,
    }
}

/// The answer to `asked`'s HTTPS query: one ECH config, and an A record to `S`.
fn https_answer(ts: i64, client: &str, asked: &str, id: u8) -> Observation {
    let msg = dns::Message {
        response: true,
        questions: vec![dns::Question {
            name: asked.into(),
            qtype: 65,
        }],
        addrs: vec![(asked.into(), S.parse().unwrap())],
        min_ttl: Some(300),
        ech: vec![EchRecord {
            owner: asked.into(),
            ttl: 300,
            configs: vec![config(id)],
        }],
        ..dns::Message::default()
    };
    let mut o = obs(ts, S, client, What::DnsAnswer { msg });
    o.tcp = false;
    o
}

fn hello(ts: i64, client: &str, sni: &str, id: Option<u8>) -> Observation {
    let ech = id.map(|config_id| ech::Offer {
        kdf: 1,
        aead: 1,
        config_id,
    });
    obs(
        ts,
        client,
        S,
        What::TlsHello {
            name: sni.into(),
            ech,
            again: false,
            client: None,
        },
    )
}

fn run(list: &[Observation]) -> (Vec<serde_json::Value>, BTreeMap<IpAddr, Visibility>) {
    let catalog = Catalog::builtin().unwrap();
    let policy = Policy::default();
    let resolvers = Resolvers::builtin().unwrap();
    let fronts = EchFronts::builtin().unwrap();
    let shares = crate::memcap::Shares::split(crate::memcap::DEFAULT_MEMCAP, 1);
    let limits = Limits::new(&shares, false);
    let mut agg = Aggregator::new(&catalog, &policy, &resolvers, &fronts, limits);
    let mut out = Vec::new();
    for o in list {
        let mut buf = Vec::new();
        if agg.observe(o, Some(&mut buf)) {
            out.push(serde_json::from_slice(&buf).unwrap());
        }
    }
    (out, agg.visibility)
}

const SEC: i64 = 1_000_000_000;

#[test]
fn ech_is_real_when_the_hello_names_a_config_the_client_got() {
    let (ev, vis) = run(&[
        https_answer(0, C, "acme.kustomerapp.com", 0x2a),
        hello(SEC, C, "public.ech-front.example", Some(0x2a)),
    ]);
    let h = &ev[1];
    assert_eq!(h["hostname"], "public.ech-front.example");
    assert_eq!(h["ech"], true);
    assert_eq!(h["ech_evidence"], "client_https_record");
    assert_eq!(h["attributed_hostname"], "acme.kustomerapp.com");
    assert_eq!(h["attribution"], "ech_https_record");
    assert_eq!(h["attribution_candidates"], 1);
    assert_eq!(h["vendor"], "kustomer");
    let v = &vis[&C.parse::<IpAddr>().unwrap()];
    assert_eq!((v.tls_hellos, v.attributed, v.ech, v.named), (1, 1, 1, 0));
}

#[test]
fn grease_and_mismatched_configs_are_not_ech() {
    let (ev, vis) = run(&[
        https_answer(0, C, "acme.kustomerapp.com", 0x2a),
        // Another config id: GREASE picks a random one.
        hello(SEC, C, "public.ech-front.example", Some(0x2b)),
        // GREASE with the real name as SNI: the name is visible.
        hello(SEC, C, "docs.helpscout.net", Some(0x2a)),
        // After the answer's TTL the config is still known to be real, but this client's
        // lookup no longer names the site.
        hello(400 * SEC, C, "public.ech-front.example", Some(0x2a)),
    ]);
    for e in &ev[1..3] {
        assert_eq!(e["ech_offered"], true);
        assert_eq!(e["ech"], false, "{e}");
        assert!(e.get("attribution").is_none(), "{e}");
    }
    assert_eq!(ev[2]["vendor"], "helpscout");
    assert_eq!(ev[3]["ech_evidence"], "https_record");
    assert_eq!(ev[3]["attribution"], serde_json::Value::Null);
    let v = &vis[&C.parse::<IpAddr>().unwrap()];
    assert_eq!((v.named, v.unnamed, v.ech_offered, v.ech), (2, 1, 3, 1));
}

#[test]
fn other_clients_configs_and_known_fronts_confirm_ech_without_a_name() {
    let other = "10.0.0.6";
    let (ev, _) = run(&[
        https_answer(0, C, "acme.kustomerapp.com", 0x2a),
        hello(SEC, other, "public.ech-front.example", Some(0x2a)),
        hello(SEC, other, "cloudflare-ech.com", Some(0x77)),
        hello(SEC, other, "cloudflare-ech.com", None),
    ]);
    assert_eq!(ev[1]["ech_evidence"], "https_record");
    assert_eq!(ev[2]["ech_evidence"], "known_public_name");
    for e in &ev[1..3] {
        assert_eq!(e["ech"], true);
        assert_eq!(e["attributed_hostname"], serde_json::Value::Null);
        assert_eq!(e["vendor"], serde_json::Value::Null);
    }
    assert_eq!(ev[3]["ech"], false);
}

#[test]
fn among_several_sites_the_one_resolved_to_this_server_wins() {
    let mut second = https_answer(SEC, C, "docs.helpscout.net", 0x2a);
    // This one resolved elsewhere.
    if let What::DnsAnswer { msg } = &mut second.what {
        msg.addrs[0].1 = "10.0.0.99".parse().unwrap();
    }
    let (ev, _) = run(&[
        https_answer(0, C, "acme.kustomerapp.com", 0x2a),
        second,
        hello(2 * SEC, C, "public.ech-front.example", Some(0x2a)),
    ]);
    assert_eq!(ev[2]["attributed_hostname"], "acme.kustomerapp.com");
    assert_eq!(ev[2]["attribution_candidates"], 2);
}

#[test]
fn sni_less_hellos_are_attributed_through_the_answer() {
    let (ev, vis) = run(&[
        https_answer(0, C, "acme.kustomerapp.com", 0x2a),
        hello(SEC, C, "", None),
        hello(SEC, "10.0.0.6", "", None),
    ]);
    assert_eq!(ev[1]["attribution"], "dns_answer");
    assert_eq!(ev[1]["attributed_hostname"], "acme.kustomerapp.com");
    assert_eq!(ev[1]["attribution_ts"], "1970-01-01T00:00:00.000000Z");
    assert_eq!(ev[2]["attribution"], serde_json::Value::Null);
    let unnamed: u64 = vis.values().map(|v| v.unnamed).sum();
    assert_eq!(unnamed, 1);
}

#[test]
fn hosts_past_the_budget_are_summed_and_hidden_ones_past_the_limit_counted() {
    let catalog = Catalog::builtin().unwrap();
    let policy = Policy::default();
    let resolvers = Resolvers::builtin().unwrap();
    let fronts = EchFronts::builtin().unwrap();
    // Room for the visibility of 1,200 hosts, and no vendor usage.
    let limits = |all_hosts| Limits {
        usage_bytes: 0,
        visibility_bytes: 1200 * VISIBILITY_BYTES,
        dns_cache_bytes: 1 << 20,
        identity_bytes: 0,
        evidence_bytes: 0,
        all_hosts,
    };
    for all in [false, true] {
        let mut agg = Aggregator::new(&catalog, &policy, &resolvers, &fronts, limits(all));
        for i in 0..1500u32 {
            let client = std::net::Ipv4Addr::from(0x0a00_0000 + i).to_string();
            // SNI-less: hidden; the first host sends two.
            for _ in 0..1 + (i == 0) as usize {
                agg.observe(&hello(i as i64, &client, "", None), None);
            }
        }
        assert_eq!(agg.visibility.len(), 1200);
        assert_eq!(agg.dropped.visibility_memcap, 300);
        let total = agg.visibility_total();
        assert_eq!(total.tls_hellos, 1501);
        assert_eq!(total.unnamed_hellos, 1501);
        let listed = agg.listed();
        match all {
            false => {
                assert_eq!(listed.ips.len(), MAX_HIDDEN_LISTED);
                assert_eq!(listed.hidden_not_listed, 200);
                // The host with the most nameless hellos is among those listed.
                assert!(listed.ips.contains(&"10.0.0.0".parse().unwrap()));
            }
            true => {
                assert_eq!(listed.ips.len(), 1200);
                assert_eq!(listed.hidden_not_listed, 0);
            }
        }
        // A vendor pair past the budget is dropped from the report, counted, and its
        // event still made.
        let mut line = Vec::new();
        let o = hello(9, "10.9.9.9", "acme.zendesk.com", None);
        assert!(agg.observe(&o, Some(&mut line)));
        assert!(!line.is_empty());
        assert_eq!(agg.dropped.usage_memcap, 1);
        assert!(agg.hosts.is_empty());
    }
    // Hosts with no name filling the visibility budget do not crowd out vendor usage.
    let limits = Limits {
        usage_bytes: 10 * USAGE_BYTES,
        visibility_bytes: 0,
        dns_cache_bytes: 1 << 20,
        identity_bytes: 0,
        evidence_bytes: 0,
        all_hosts: false,
    };
    let mut agg = Aggregator::new(&catalog, &policy, &resolvers, &fronts, limits);
    agg.observe(&hello(1, "10.0.0.1", "", None), None);
    agg.observe(&hello(2, "10.9.9.9", "acme.zendesk.com", None), None);
    assert_eq!(agg.dropped.visibility_memcap, 2);
    assert_eq!(agg.dropped.usage_memcap, 0);
    assert_eq!(agg.hosts.len(), 1);
    assert_eq!(agg.visibility_total().tls_hellos, 2);
}

/// A CNAME answer for `asked` whose chain leads to `target`.
fn cname_answer(ts: i64, client: &str, asked: &str, target: &str) -> Observation {
    let msg = dns::Message {
        response: true,
        questions: vec![dns::Question {
            name: asked.into(),
            qtype: 1,
        }],
        cnames: vec![(asked.into(), target.into())],
        addrs: vec![(target.into(), S.parse().unwrap())],
        min_ttl: Some(300),
        ..dns::Message::default()
    };
    let mut o = obs(ts, S, client, What::DnsAnswer { msg });
    o.tcp = false;
    o
}

/// Whose a tenant is: declared ours; reached from one of our domains (ours, undeclared);
/// reached only from another organisation's name (theirs); nothing known.
#[test]
fn tenant_ownership_from_policy_and_cnames() {
    use super::roles::OursBy;
    let catalog = Catalog::builtin().unwrap();
    let policy = Policy::parse(
        "p",
        "domain acme-corp.test\ntenant freshworks acme\n",
        &catalog,
    )
    .unwrap();
    let resolvers = Resolvers::builtin().unwrap();
    let fronts = EchFronts::builtin().unwrap();
    let shares = crate::memcap::Shares::split(crate::memcap::DEFAULT_MEMCAP, 1);
    let mut agg = Aggregator::new(
        &catalog,
        &policy,
        &resolvers,
        &fronts,
        Limits::new(&shares, false),
    );
    for o in [
        cname_answer(1, C, "help.acme-corp.test", "acme.zendesk.com"),
        cname_answer(2, C, "support.shop.example", "shop.zendesk.com"),
        // Our name and another's both lead to `both`: ours wins.
        cname_answer(3, C, "desk.acme-corp.test", "both.zendesk.com"),
        cname_answer(4, C, "help.partner.example", "both.zendesk.com"),
        hello(5, C, "lone.zendesk.com", None),
    ] {
        agg.observe(&o, None);
    }
    let by = |v: &str, t: &str| agg.ownership(v, t).0;
    assert_eq!(by("zendesk", "acme"), OursBy::OwnDomainCname);
    assert_eq!(by("zendesk", "shop"), OursBy::ThirdPartyCname);
    assert_eq!(by("zendesk", "both"), OursBy::OwnDomainCname);
    assert_eq!(by("zendesk", "lone"), OursBy::Unknown);
    assert_eq!(by("freshworks", "acme"), OursBy::Declared);
    assert_eq!(by("zendesk", "shop").ours(), Some(false));
    assert_eq!(by("zendesk", "lone").ours(), None);
    let (_, own, others) = agg.ownership("zendesk", "both");
    assert_eq!(
        (own, others),
        (vec!["desk.acme-corp.test"], vec!["help.partner.example"])
    );
    // A hello to our alias counts for the vendor behind it, as the tenant's name.
    let m = agg.alias_match("help.acme-corp.test").unwrap();
    assert_eq!(
        (m.vendor.id.as_str(), m.tenant.as_deref()),
        ("zendesk", Some("acme"))
    );
    let seen = agg.tenants_seen();
    assert!(seen.contains_key(&("zendesk", "lone")) && seen.contains_key(&("zendesk", "shop")));
}

fn query(ts: i64, client: &str, name: &str) -> Observation {
    let mut o = obs(
        ts,
        client,
        S,
        What::DnsQuery {
            name: name.into(),
            qtype: 1,
        },
    );
    (o.tcp, o.dport) = (false, 53);
    o
}

fn chain_agg<'a>(
    catalog: &'a Catalog,
    policy: &'a Policy,
    resolvers: &'a Resolvers,
    fronts: &'a EchFronts,
    evidence_bytes: usize,
) -> Aggregator<'a> {
    let shares = crate::memcap::Shares::split(crate::memcap::DEFAULT_MEMCAP, 1);
    let limits = Limits {
        evidence_bytes,
        ..Limits::new(&shares, false)
    };
    Aggregator::new(catalog, policy, resolvers, fronts, limits)
}

// The CNAME case: the query has no vendor when it is asked; its answer names one, and the
// SNI-less hellos that follow are tied to the name through that answer. Past the cap,
// connections and names are counted, not kept.
#[test]
fn the_chain_joins_a_query_to_its_cname_answer_and_caps_what_follows() {
    use super::evidence::{How, MAX_CHAIN_CONNECTIONS, MAX_CHAIN_NAMES};
    let catalog = Catalog::builtin().unwrap();
    let policy = Policy::default();
    let resolvers = Resolvers::builtin().unwrap();
    let fronts = EchFronts::builtin().unwrap();
    let mut agg = chain_agg(&catalog, &policy, &resolvers, &fronts, 1 << 20);
    agg.observe(&query(1, C, "help.acme-corp.example"), None);
    agg.observe(
        &cname_answer(2, C, "help.acme-corp.example", "acme.zendesk.com"),
        None,
    );
    for i in 0..5 {
        let mut h = hello(10 + i, C, "", None);
        h.sport = 40000 + i as u16;
        agg.observe(&h, None);
    }
    let u = &agg.hosts[&C.parse::<IpAddr>().unwrap()]["zendesk"];
    let c = &u.chain.names["help.acme-corp.example"];
    let q = c.query.unwrap();
    assert_eq!(
        (q.ts, q.resolver.to_string(), q.qtype),
        (1, S.to_owned(), 1)
    );
    let a = c.answer.as_ref().unwrap();
    assert_eq!(
        (a.ts, a.cnames.clone()),
        (2, vec!["acme.zendesk.com".to_owned()])
    );
    assert_eq!(c.connections.len(), MAX_CHAIN_CONNECTIONS);
    assert_eq!(c.connections_not_kept, 5 - MAX_CHAIN_CONNECTIONS as u64);
    assert!(c
        .connections
        .iter()
        .all(|k| k.how == How::DnsAnswer && k.sni.is_empty()));
    assert_eq!(c.connections[0].ts, 10);
    // Names past the cap are counted.
    for i in 0..MAX_CHAIN_NAMES + 2 {
        agg.observe(&hello(100, C, &format!("t{i}.zendesk.com"), None), None);
    }
    let u = &agg.hosts[&C.parse::<IpAddr>().unwrap()]["zendesk"];
    assert_eq!(u.chain.names.len(), MAX_CHAIN_NAMES);
    let shown = super::evidence::ChainReport::of(u);
    assert_eq!(shown.hostnames_not_listed, 3);
    assert_eq!(agg.chains.dropped_memcap, 0);
}

// No room: nothing kept, each part given up counted by name; a flood of unanswered queries
// clears the waiting table (counted) instead of growing it.
#[test]
fn the_chain_budget_drops_and_counts() {
    let catalog = Catalog::builtin().unwrap();
    let policy = Policy::default();
    let resolvers = Resolvers::builtin().unwrap();
    let fronts = EchFronts::builtin().unwrap();
    let mut agg = chain_agg(&catalog, &policy, &resolvers, &fronts, 0);
    agg.observe(&hello(1, C, "acme.zendesk.com", None), None);
    agg.observe(&hello(2, C, "b.zendesk.com", None), None);
    let u = &agg.hosts[&C.parse::<IpAddr>().unwrap()]["zendesk"];
    assert!(u.chain.names.is_empty());
    assert_eq!(super::evidence::ChainReport::of(u).hostnames_not_listed, 2);
    assert_eq!(agg.chains.dropped_memcap, 2);
    // A quarter of 40 KB is room for ~150 waiting queries.
    let mut agg = chain_agg(&catalog, &policy, &resolvers, &fronts, 40_000);
    for i in 0..1000 {
        agg.observe(&query(i, C, &format!("n{i}.example")), None);
    }
    assert!(
        agg.chains.pending_cleared >= 5,
        "{}",
        agg.chains.pending_cleared
    );
}

// Exposures of one host and vendor: past 32 kinds they are counted, not kept; and each one
// kept is charged to the usage budget by its strings, so a tight budget keeps fewer (the rest
// counted by name) instead of growing past it.
#[test]
fn exposures_are_capped_and_charged_to_the_usage_budget() {
    let catalog = Catalog::builtin().unwrap();
    let policy = Policy::default();
    let resolvers = Resolvers::builtin().unwrap();
    let fronts = EchFronts::builtin().unwrap();
    // 40 requests, each with a cookie of its own: plain_http once, 40 cookie exposures.
    let requests: Vec<Observation> = (0..40)
        .flat_map(|i| {
            let head =
                format!("GET /a HTTP/1.1\r\nHost: acme.zendesk.com\r\nCookie: c{i}=1\r\n\r\n");
            let r = crate::proto::http::request(head.as_bytes()).unwrap();
            crate::exposure::Exposure::of_request(r)
        })
        .map(|x| obs(10, C, S, What::Exposure(x)))
        .collect();
    for (usage_bytes, kept, memcap) in [(1 << 20, 32, 0), (2_000, 5, 36)] {
        let limits = Limits {
            usage_bytes,
            visibility_bytes: 1 << 20,
            dns_cache_bytes: 1 << 20,
            identity_bytes: 0,
            evidence_bytes: 0,
            all_hosts: false,
        };
        let mut agg = Aggregator::new(&catalog, &policy, &resolvers, &fronts, limits);
        agg.observe(&hello(1, C, "acme.zendesk.com", None), None);
        for o in &requests {
            agg.observe(o, None);
        }
        let u = &agg.hosts[&C.parse::<IpAddr>().unwrap()]["zendesk"];
        assert_eq!(u.exposures.listed().len(), kept, "budget {usage_bytes}");
        assert_eq!(u.exposures.not_listed, 41 - kept as u64);
        assert_eq!(agg.dropped.exposures_memcap, memcap);
        assert!(agg.usage_bytes <= usage_bytes);
    }
}
