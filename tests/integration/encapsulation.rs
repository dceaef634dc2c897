//! What a span port, a tap or a cloud mirror delivers (testdata/captures/more, recorded by
//! testdata/record-more.sh): real kernel tunnels, real packets wrapped in outer headers
//! built to the RFCs where the kernel lacks the tunnel, IP fragments, STARTTLS and proxies.

use crate::util::*;

fn more(name: &str) -> String {
    root()
        .join("testdata/captures/more")
        .join(name)
        .to_str()
        .unwrap()
        .to_owned()
}

#[test]
fn every_encapsulated_capture_matches_tshark() {
    let caps = captures_with_truth_in("testdata/captures/more");
    for cap in caps {
        let (got, want) = rows_and_truth(&cap);
        assert!(!want.is_empty(), "{}: empty truth", cap.display());
        assert_eq!(got, want, "{}", cap.display());
    }
}

#[test]
fn proxy_requests_are_events_and_the_tls_inside_counts_for_the_client() {
    for (file, kind, method, host, vendor) in [
        (
            "http_connect.pcap",
            "http",
            "CONNECT",
            "acme.zendesk.com",
            "zendesk",
        ),
        (
            "socks5.pcap",
            "socks",
            "SOCKS5",
            "docs.helpscout.net",
            "helpscout",
        ),
        (
            "socks4a.pcap",
            "socks",
            "SOCKS4A",
            "widget.intercom.io",
            "intercom",
        ),
    ] {
        let (o, evs) = events(&[&more(file)]);
        assert!(o.status.success(), "{file}");
        let req = evs
            .iter()
            .find(|e| e["kind"] == kind)
            .unwrap_or_else(|| panic!("{file}: no {kind} event"));
        assert_eq!(req["method"], method, "{file}");
        assert_eq!(req["hostname"], host, "{file}");
        assert_eq!(req["target_port"], 443, "{file}");
        assert_eq!(req["vendor"], vendor, "{file}");
        let tls = evs
            .iter()
            .find(|e| e["kind"] == "tls")
            .unwrap_or_else(|| panic!("{file}: no tls"));
        assert_eq!(tls["hostname"], host, "{file}");
        // Same connection: the client talks to the proxy, and the vendor use is its own.
        assert_eq!(
            (&tls["src_ip"], &tls["src_port"]),
            (&req["src_ip"], &req["src_port"]),
            "{file}"
        );
        let (_, rep) = report(&[&more(file)]);
        let host_entry = rep["hosts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h["ip"] == req["src_ip"])
            .unwrap();
        assert!(
            host_entry["vendors"]
                .as_array()
                .unwrap()
                .iter()
                .any(|v| v["vendor"] == vendor),
            "{file}"
        );
    }
}

#[test]
fn tls_after_starttls_and_postgres_sslrequest() {
    for (file, port) in [
        ("smtp_starttls.pcap", 25),
        ("imap_starttls.pcap", 143),
        ("pop3_stls.pcap", 110),
        ("postgres_ssl.pcap", 5432),
    ] {
        let (_, evs) = events(&[&more(file)]);
        let tls: Vec<_> = evs.iter().filter(|e| e["kind"] == "tls").collect();
        assert!(
            !tls.is_empty(),
            "{file}: no ClientHello found after the upgrade"
        );
        for e in tls {
            assert_eq!(e["dst_port"], port, "{file}");
            assert!(!e["vendor"].is_null(), "{file}: {e}");
        }
    }
}

#[test]
fn fragmented_dns_answers_are_reassembled() {
    for file in ["frag_dns_v4.pcap", "frag_dns_v6.pcap"] {
        let (_, rep) = report(&[&more(file)]);
        let s = &rep["stats"];
        assert!(
            s["ip_datagrams_reassembled"].as_u64().unwrap() > 0,
            "{file}: {s}"
        );
        assert_eq!(s["ip_fragments_dropped"]["overlap"], 0);
        // The answers inside the reassembled datagrams, as tshark reads them.
        let want: Vec<(String, String)> = tsv(std::path::Path::new(&format!(
            "{}.dns-answers.tsv",
            more(file)
        )))
        .into_iter()
        .map(|r| (r["qname"].clone(), r["answers"].clone()))
        .collect();
        let (_, evs) = events(&[&more(file)]);
        let got: Vec<(String, String)> = evs
            .iter()
            .filter(|e| e["kind"] == "dns_answer")
            .map(|e| {
                let a: Vec<&str> = e["answers"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|x| x.as_str().unwrap())
                    .collect();
                (e["hostname"].as_str().unwrap().to_owned(), a.join(","))
            })
            .collect();
        assert_eq!(got, want, "{file}");
        assert!(
            got.iter().any(|(_, a)| a.split(',').count() > 50),
            "{file}: no large answer"
        );
    }
}

#[test]
fn tunnels_report_the_inner_hosts() {
    for file in [
        "vxlan.pcap",
        "geneve.pcap",
        "gre.pcap",
        "gretap.pcap",
        "ipip.pcap",
        "gre_vxlan.pcap",
        "gtpu.pcap",
        "teredo.pcap",
        "mpls.pcap",
        "pppoe.pcap",
        "erspan2.pcap",
        "erspan3.pcap",
        "capwap.pcap",
    ] {
        let path = more(file);
        let (o, evs) = events(&[&path]);
        assert!(o.status.success(), "{file}");
        assert!(!evs.is_empty(), "{file}: nothing seen inside the tunnel");
        // Every client address is one the truth names (tshark reports the innermost hosts).
        let clients: std::collections::BTreeSet<String> = truth(std::path::Path::new(&path))
            .into_iter()
            .map(|r| r.1)
            .collect();
        for e in evs
            .iter()
            .filter(|e| e["kind"] == "dns" || e["kind"] == "tls")
        {
            assert!(
                clients.contains(e["src_ip"].as_str().unwrap()),
                "{file}: {e}"
            );
        }
    }
}

#[test]
fn quic_captures_of_real_clients_match_tshark() {
    // testdata/record-quic.sh: Chromium forced onto QUIC (its post-quantum ClientHello spans
    // two Initial packets, in out-of-order CRYPTO frames), aioquic with QUIC v1 and v2.
    let caps = captures_with_truth_in("testdata/captures/quic");
    assert_eq!(caps.len(), 3);
    for cap in caps {
        let (o, evs) = events(&[cap.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(0));
        let mut got: Vec<_> = evs
            .iter()
            .filter(|e| e["kind"] == "quic")
            .map(|e| {
                (
                    e["src_ip"].as_str().unwrap().to_owned(),
                    e["src_port"].as_u64().unwrap(),
                    e["hostname"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        let mut want: Vec<_> = tsv(std::path::Path::new(&format!(
            "{}.truth.tsv",
            cap.display()
        )))
        .into_iter()
        .filter(|r| r["kind"] == "quic")
        .map(|r| {
            (
                r["src_ip"].clone(),
                r["src_port"].parse::<u64>().unwrap(),
                r["hostname"].clone(),
            )
        })
        .collect();
        assert!(!want.is_empty());
        // Multisets: a hello reported twice must fail.
        got.sort();
        want.sort();
        assert_eq!(got, want, "{}", cap.display());
        assert!(evs
            .iter()
            .filter(|e| e["kind"] == "quic")
            .all(|e| !e["vendor"].is_null()));
    }
}
