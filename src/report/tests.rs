use super::*;
use crate::aggregate::Aggregator;
use crate::catalog::Catalog;
use crate::model::InputSummary;
use crate::stats::Stats;

/// Checks that every object's keys in pretty-printed JSON come in sorted order.
fn keys_sorted(pretty: &str) -> Result<(), String> {
    // One "last key" per open object; arrays push a marker that keys never reach.
    let mut stack: Vec<Option<String>> = Vec::new();
    for line in pretty.lines() {
        let t = line.trim();
        if let Some(rest) = t.strip_prefix('"') {
            if let Some((key, _)) = rest.split_once("\": ") {
                if let Some(Some(prev)) = stack.last() {
                    if prev.as_str() >= key {
                        return Err(format!("{key:?} after {prev:?}"));
                    }
                }
                if let Some(top) = stack.last_mut() {
                    *top = Some(key.to_owned());
                }
            }
        }
        if t.ends_with('{') || t.ends_with('[') {
            stack.push(None);
        }
        if t.starts_with('}') || t.starts_with(']') {
            stack.pop();
        }
    }
    Ok(())
}

#[test]
fn every_object_lists_its_fields_in_name_order() {
    use crate::catalog::{EchFronts, Resolvers};
    use crate::model::{Observation, What};
    let catalog = Catalog::builtin().unwrap();
    let policy = crate::policy::Policy::default();
    let resolvers = Resolvers::builtin().unwrap();
    let fronts = EchFronts::builtin().unwrap();
    let shares = crate::memcap::Shares::split(crate::memcap::DEFAULT_MEMCAP, 1);
    let limits = crate::aggregate::Limits::new(&shares, false);
    let mut agg = Aggregator::new(&catalog, &policy, &resolvers, &fronts, limits);
    let hello = |name: &str, dport| Observation {
        order: 0,
        input: 0,
        ts: 1,
        src: "10.0.0.5".parse().unwrap(),
        dst: "10.0.0.9".parse().unwrap(),
        sport: 50000,
        dport,
        tcp: true,
        what: What::TlsHello {
            name: name.into(),
            ech: None,
            again: false,
            client: None,
        },
    };
    // A vendor and an encrypted-DNS resolver, so every object of the report appears.
    agg.observe(&hello("acme.zendesk.com", 443), None);
    agg.observe(&hello("dns.example", 853), None);
    let stats = Stats {
        kernel: Some(Default::default()),
        ..Stats::default()
    };
    let inputs = [InputSummary {
        path: "x.pcap".into(),
        packets: 1,
        linktype: None,
        error: None,
        fatal: false,
    }];
    let run = RunInfo::default();
    let r = Report::build(&agg, &catalog, &inputs, &stats, false, &run);
    let text = String::from_utf8(r.to_bytes()).unwrap();
    for needle in [
        "\"encrypted_dns\": [\n",
        "\"capture\": {",
        "\"hostnames\": [\n",
    ] {
        assert!(text.contains(needle), "{needle} missing:\n{text}");
    }
    keys_sorted(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    // The checker itself catches a key out of order.
    assert!(keys_sorted("{\n  \"b\": 1,\n  \"a\": 2\n}").is_err());
}
