//! `community_id` on events against the Community ID spec's own capture and published
//! baseline (testdata/community-id/README.md).

use crate::util::*;

#[test]
fn events_carry_the_spec_baseline_id() {
    let dir = root().join("testdata/community-id");
    let baseline: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("baseline_deflt.json")).unwrap()).unwrap();
    let want = |src: &str, sport: u64, dst: &str, dport: u64| -> String {
        baseline
            .as_array()
            .unwrap()
            .iter()
            .find(|r| {
                r["proto"] == 17
                    && r["saddr"] == src
                    && r["sport"] == sport
                    && r["daddr"] == dst
                    && r["dport"] == dport
            })
            .unwrap_or_else(|| panic!("no baseline row for {src}:{sport} -> {dst}:{dport}"))
            ["communityid"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let (o, evs) = events(&[dir.join("udp.pcap").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let kinds: Vec<&str> = evs.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["dns", "dns_answer"]);
    for e in &evs {
        let id = want(
            e["src_ip"].as_str().unwrap(),
            e["src_port"].as_u64().unwrap(),
            e["dst_ip"].as_str().unwrap(),
            e["dst_port"].as_u64().unwrap(),
        );
        assert_eq!(e["community_id"], id.as_str(), "{e}");
    }
}
