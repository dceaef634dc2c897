//! Events against tshark's truth for every recorded capture: each link type, pcap and pcapng,
//! microsecond and nanosecond, the split and the reordered ClientHello, DNS over UDP and TCP.

use crate::util::*;

#[test]
fn every_capture_matches_tshark() {
    for cap in captures_with_truth() {
        let (got, want) = rows_and_truth(&cap);
        assert!(!want.is_empty(), "{}: empty truth", cap.display());
        assert_eq!(got, want, "{}: events differ from tshark", cap.display());
    }
}

#[test]
fn split_clienthello_in_order_reordered_and_retransmitted() {
    for name in [
        "tls_chromium_split.pcap",
        "tls_chromium_split.pcapng",
        "tls_chromium_split_ooo.pcap",
    ] {
        let cap = capture(name);
        // The recording really split the hello: tshark reassembled it from two frames.
        let detail = tsv(&cap.with_file_name(format!("{name}.truth-detail.tsv")));
        assert!(
            detail
                .iter()
                .all(|r| r["notes"].contains("split_over_frames=")),
            "{name}: not split"
        );
        let (_, evs) = events(&[cap.to_str().unwrap()]);
        let tls: Vec<_> = evs.iter().filter(|e| e["kind"] == "tls").collect();
        assert_eq!(tls.len(), detail.len(), "{name}");
        for e in tls {
            assert_eq!(e["hostname"], "acme.kustomerapp.com");
            assert_eq!(e["vendor"], "kustomer");
            assert_eq!(e["tenant"], "acme");
            assert_eq!(e["sanctioned"], false);
        }
    }
}

#[test]
fn link_types_and_formats_give_the_same_events() {
    // Every variant was derived from (or recorded with) mixed.pcap's traffic.
    let (_, base) = events(&[capture("mixed.pcap").to_str().unwrap()]);
    let base_rows = rows(&base);
    assert_eq!(base_rows.len(), 8);
    for v in [
        "mixed.pcapng",
        "mixed_nsec.pcap",
        "mixed_vlan.pcap",
        "mixed_qinq.pcap",
        "mixed_sll.pcap",
        "mixed_sll2.pcap",
        "mixed_raw.pcap",
        "mixed_null.pcap",
        "mixed_pktap.pcap",
        "mixed_arcnet_bsd.pcap",
        "mixed_arcnet_linux.pcap",
    ] {
        let (o, evs) = events(&[capture(v).to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(0), "{v}");
        assert_eq!(rows(&evs), base_rows, "{v}");
    }
    let (_, v4) = events(&[capture("mixed_raw4.pcap").to_str().unwrap()]);
    let (_, v6) = events(&[capture("mixed_raw6.pcap").to_str().unwrap()]);
    let mut both = rows(&v4);
    both.extend(rows(&v6));
    both.sort();
    assert_eq!(both, base_rows);
}

#[test]
fn nanosecond_timestamps_are_kept_to_the_microsecond() {
    let (_, us) = events(&[capture("mixed.pcap").to_str().unwrap()]);
    let (_, ns) = events(&[capture("mixed_nsec.pcap").to_str().unwrap()]);
    let ts = |v: &[serde_json::Value]| {
        v.iter()
            .map(|e| e["ts"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(ts(&us), ts(&ns));
    // tshark's epoch time of the first TLS hello, to the microsecond.
    let detail = tsv(&capture("mixed.pcap.truth-detail.tsv"));
    let first_tls = detail.iter().find(|r| r["kind"] == "tls").unwrap();
    let epoch: f64 = first_tls["time_epoch"].parse().unwrap();
    let ev = us.iter().find(|e| e["kind"] == "tls").unwrap();
    let secs = epoch.floor() as i64;
    let micros = ((epoch - epoch.floor()) * 1e6).round() as i64;
    let ts = ev["ts"].as_str().unwrap();
    assert!(ts.ends_with(&format!("{micros:06}Z")), "{ts} vs {epoch}");
    let _ = secs;
}

#[test]
fn dns_answers_match_tshark() {
    for name in ["dns_udp_v4.pcap", "dns_udp_v6.pcap", "dns_tcp.pcap"] {
        let cap = capture(name);
        let want: Vec<(String, String, String)> =
            tsv(&cap.with_file_name(format!("{name}.dns-answers.tsv")))
                .into_iter()
                .map(|r| {
                    (
                        r["qname"].clone(),
                        r["cname_chain"].clone(),
                        r["answers"].clone(),
                    )
                })
                .collect();
        let (_, evs) = events(&[cap.to_str().unwrap()]);
        let got: Vec<(String, String, String)> = evs
            .iter()
            .filter(|e| e["kind"] == "dns_answer")
            .map(|e| {
                let join = |k: &str| {
                    e[k].as_array()
                        .unwrap()
                        .iter()
                        .map(|x| x.as_str().unwrap())
                        .collect::<Vec<_>>()
                        .join(",")
                };
                (
                    e["hostname"].as_str().unwrap().to_owned(),
                    join("cnames"),
                    join("answers"),
                )
            })
            .collect();
        assert_eq!(got, want, "{name}");
    }
}

#[test]
fn cname_to_a_vendor_is_that_vendors_use() {
    let (_, evs) = events(&[capture("dns_udp_v4.pcap").to_str().unwrap()]);
    let via: Vec<_> = evs
        .iter()
        .filter(|e| {
            e["kind"] == "dns_answer"
                && e["hostname"] == "help.acme-corp.example"
                && !e["cnames"].as_array().unwrap().is_empty()
        })
        .collect();
    assert!(!via.is_empty());
    for e in via {
        assert_eq!(e["vendor"], "zendesk");
        assert_eq!(e["via"], "acme.zendesk.com");
        assert_eq!(e["tenant"], "acme");
        // The client is the host that asked, not the resolver that answered.
        assert_eq!(e["src_ip"], "10.99.0.1");
    }
    // The query itself names no vendor.
    let q = evs
        .iter()
        .find(|e| e["kind"] == "dns" && e["hostname"] == "help.acme-corp.example")
        .unwrap();
    assert!(q["vendor"].is_null() && q["sanctioned"].is_null());
}

#[test]
fn https_qtype_queries_are_kept() {
    let (_, evs) = events(&[capture("dns_udp_v4.pcap").to_str().unwrap()]);
    let https: Vec<_> = evs
        .iter()
        .filter(|e| e["kind"] == "dns" && e["qtype"] == "HTTPS")
        .collect();
    // tshark's reading of the same capture: qtype 65 (RFC 9460) questions.
    let want = tsv(&capture("dns_udp_v4.pcap.truth-detail.tsv"))
        .iter()
        .filter(|r| r["kind"] == "dns" && r["notes"].split(';').any(|n| n == "qtype=65"))
        .count();
    assert!(want > 0);
    assert_eq!(https.len(), want, "HTTPS queries");
}
