//! What hides a destination: ECH, SNI-less hellos, encrypted DNS; and the report's
//! visibility section that counts them. Real-client captures in `testdata/captures/hidden/`
//! (`testdata/record-hidden.sh`) and public ones from Zeek's test suite.

use serde_json::Value;

use crate::util::*;

fn public(rel: &str) -> Option<std::path::PathBuf> {
    let p = root().join("../shared/pcaps/public").join(rel);
    require(p.exists(), &format!("{} is not present", p.display())).then_some(p)
}

/// Zeek's dns/ech.pcap: HTTPS answers for defo.ie (three ECHConfigs, ids 0x6a, 0x47, 0x22,
/// all with public name cover.defo.ie) and cloudflare-ech.com (id 0x74). The expected names
/// come from tshark's `dns.svcb.svcparam.echconfig` bytes, decoded by hand.
#[test]
fn https_answers_name_their_ech_public_names() {
    let Some(p) = public("zeek/dns__ech.pcap") else {
        return;
    };
    let (o, evs) = events(&[p.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let names = |q: &str| -> Vec<Value> {
        evs.iter()
            .filter(|e| e["kind"] == "dns_answer" && e["hostname"] == q)
            .flat_map(|e| {
                e["ech_public_names"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
            })
            .collect()
    };
    assert_eq!(names("defo.ie"), ["cover.defo.ie"]);
    assert_eq!(names("cloudflare-ech.com"), ["cloudflare-ech.com"]);
}

/// Zeek's tls/tls13-ech.pcap: Firefox with real ECH to Cloudflare (outer SNI
/// cloudflare-ech.com, which tshark shows), its DNS not in the capture. ECH is confirmed by the
/// known public name; the inner name cannot be known, and the report says so.
#[test]
fn ech_to_a_known_front_is_hidden_traffic() {
    let Some(p) = public("zeek/tls__tls13-ech.pcap") else {
        return;
    };
    let (o, evs) = events(&[p.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let hellos: Vec<&Value> = evs.iter().filter(|e| e["kind"] == "tls").collect();
    assert_eq!(hellos.len(), 2);
    for h in &hellos {
        assert_eq!(h["hostname"], "cloudflare-ech.com");
        assert_eq!(h["ech_offered"], true);
        assert_eq!(h["ech"], true);
        assert_eq!(h["ech_evidence"], "known_public_name");
        assert_eq!(h["attributed_hostname"], Value::Null);
    }
    let (_, doc) = report(&[p.to_str().unwrap()]);
    let host = doc["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["ip"] == "192.168.20.65")
        .expect("the ECH client is listed for its hidden traffic");
    let v = &host["visibility"];
    assert_eq!(v["tls_hellos"], 2);
    assert_eq!(v["ech"], 2);
    assert_eq!(v["unnamed"], 2);
    assert_eq!(v["named_share"], 0.0);
}

/// Headless Chromium sends a GREASE ECH extension on every hello that has no ECH config (tshark
/// shows extension 0xfe0d in all of them), with the real name as SNI: offered, not ECH, and
/// the name counts as seen. curl sends none.
#[test]
fn grease_ech_from_real_chromium_is_not_ech() {
    for (file, kind, hellos, offered) in [
        ("tls_chromium_split.pcap", "tls", 2, true),
        ("quic/chromium_quic.pcap", "quic", 1, true),
        ("tls_curl_v4.pcap", "tls", 1, false),
    ] {
        let cap = capture(file);
        let (o, evs) = events(&[cap.to_str().unwrap()]);
        assert!(o.status.success(), "{}", stderr(&o));
        let hs: Vec<&Value> = evs.iter().filter(|e| e["kind"] == kind).collect();
        assert_eq!(hs.len(), hellos, "{file}");
        for h in hs {
            assert_eq!(h["ech_offered"], offered, "{file}: {h}");
            assert_eq!(h["ech"], false, "{file}: {h}");
            assert!(h.get("ech_evidence").is_none(), "{file}: {h}");
        }
        let (_, doc) = report(&[cap.to_str().unwrap()]);
        let v = &doc["visibility"];
        assert_eq!(v["named"], hellos as u64, "{file}: {v}");
        assert_eq!(v["unnamed"], 0, "{file}: {v}");
        assert_eq!(v["named_share"], 1.0, "{file}: {v}");
    }
}

fn hidden(name: &str) -> String {
    capture(&format!("hidden/{name}"))
        .to_str()
        .unwrap()
        .to_owned()
}

fn host<'a>(doc: &'a Value, ip: &str) -> &'a Value {
    doc["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["ip"] == ip)
        .unwrap_or_else(|| panic!("host {ip} not in the report: {doc}"))
}

const CLIENT: &str = "10.99.40.1";

#[test]
fn every_hidden_capture_matches_tshark() {
    for cap in captures_with_truth_in("testdata/captures/hidden") {
        let (mut got, want) = rows_and_truth(&cap);
        // tshark's truth has no row for a hello without a name; ours is an event with "".
        got.retain(|r| !r.5.is_empty());
        assert_eq!(got, want, "{}", cap.display());
    }
}

/// Chromium got acme.kustomerapp.com's HTTPS record with an ECHConfig (id 0x2a, public name
/// public.ech-front.example; made and checked against tshark by record-hidden.sh) and sent
/// real ECH; when the server could not decrypt it, Chromium retried without ECH, with GREASE.
#[test]
fn real_ech_from_chromium_is_linked_to_the_https_record() {
    let (o, evs) = events(&[&hidden("ech_chromium.pcap")]);
    assert!(o.status.success(), "{}", stderr(&o));
    let https = evs
        .iter()
        .find(|e| e["kind"] == "dns_answer" && e.get("ech_public_names").is_some())
        .expect("the HTTPS answer");
    assert_eq!(https["hostname"], "acme.kustomerapp.com");
    assert_eq!(
        https["ech_public_names"],
        serde_json::json!(["public.ech-front.example"])
    );
    let hellos: Vec<&Value> = evs.iter().filter(|e| e["kind"] == "tls").collect();
    assert_eq!(hellos.len(), 4);
    let (outer, retry): (Vec<&Value>, Vec<&Value>) = hellos
        .into_iter()
        .partition(|h| h["hostname"] == "public.ech-front.example");
    assert_eq!(outer.len(), 2);
    for h in outer {
        assert_eq!(h["ech"], true, "{h}");
        assert_eq!(h["ech_evidence"], "client_https_record", "{h}");
        assert_eq!(h["attributed_hostname"], "acme.kustomerapp.com", "{h}");
        assert_eq!(h["attribution"], "ech_https_record", "{h}");
        assert_eq!(h["attribution_candidates"], 1, "{h}");
        assert_eq!(h["vendor"], "kustomer", "{h}");
        assert!(h["attribution_ts"].as_str().unwrap() <= h["ts"].as_str().unwrap());
    }
    for h in retry {
        assert_eq!(h["hostname"], "acme.kustomerapp.com", "{h}");
        assert_eq!(
            (&h["ech_offered"], &h["ech"]),
            (&Value::Bool(true), &Value::Bool(false))
        );
    }
    let (_, doc) = report(&[&hidden("ech_chromium.pcap")]);
    let v = &host(&doc, CLIENT)["visibility"];
    assert_eq!(v["tls_hellos"], 4, "{v}");
    assert_eq!(v["ech"], 2, "{v}");
    assert_eq!(v["ech_offered"], 4, "{v}");
    assert_eq!(v["attributed"], 2, "{v}");
    assert_eq!(v["named"], 2, "{v}");
    let kustomer = &host(&doc, CLIENT)["vendors"][0];
    assert_eq!(kustomer["vendor"], "kustomer");
    assert_eq!(
        kustomer["hostnames"],
        serde_json::json!(["acme.kustomerapp.com"])
    );
}

/// curl and openssl to an IP literal send no server_name (tshark has no SNI row for them).
/// The two to 10.99.40.2 follow the client's lookup of help.acme-corp.example (a CNAME to
/// acme.zendesk.com); the one to 10.99.40.3, which no answer named, stays unnamed.
#[test]
fn sni_less_hellos_follow_the_clients_dns_answer() {
    let (o, evs) = events(&[&hidden("ip_literal.pcap")]);
    assert!(o.status.success(), "{}", stderr(&o));
    let hellos: Vec<&Value> = evs.iter().filter(|e| e["kind"] == "tls").collect();
    assert_eq!(hellos.len(), 3);
    for h in &hellos {
        assert_eq!(h["hostname"], "");
    }
    let (to_named, to_other): (Vec<&Value>, Vec<&Value>) = hellos
        .into_iter()
        .partition(|h| h["dst_ip"] == "10.99.40.2");
    assert_eq!(to_named.len(), 2);
    for h in to_named {
        assert_eq!(h["attributed_hostname"], "help.acme-corp.example", "{h}");
        assert_eq!(h["attribution"], "dns_answer", "{h}");
        assert_eq!(h["attribution_owner"], "acme.zendesk.com", "{h}");
        assert_eq!(h["vendor"], "zendesk", "{h}");
    }
    assert_eq!(to_other[0]["attribution"], Value::Null);
    assert_eq!(to_other[0]["vendor"], Value::Null);
    let (_, doc) = report(&[&hidden("ip_literal.pcap")]);
    let v = &host(&doc, CLIENT)["visibility"];
    assert_eq!(
        (&v["attributed"], &v["unnamed"], &v["named"]),
        (&2.into(), &1.into(), &0.into()),
        "{v}"
    );
    assert_eq!(v["unnamed_hellos"], 1, "{v}");
}

/// dig +tls (DNS over TLS, no SNI, port 853) and curl's DNS over HTTPS to dns.google: blind
/// spots on the events and under the host.
#[test]
fn dot_and_doh_from_real_clients_are_blind_spots() {
    let (o, evs) = events(&[&hidden("encrypted_dns.pcap")]);
    assert!(o.status.success(), "{}", stderr(&o));
    let marks: Vec<(&str, &str)> = evs
        .iter()
        .filter(|e| e["kind"] == "tls")
        .map(|e| {
            (
                e["encrypted_dns"].as_str().unwrap_or("-"),
                e["hostname"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        marks,
        [("dot", ""), ("doh", "dns.google"), ("doh", "dns.google")]
    );
    let (_, doc) = report(&[&hidden("encrypted_dns.pcap")]);
    let h = host(&doc, CLIENT);
    let listed: Vec<(String, String, u64)> = h["encrypted_dns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["protocol"].as_str().unwrap().to_owned(),
                r["resolver"].as_str().unwrap().to_owned(),
                r["connections"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        listed,
        [
            ("doh".into(), "dns.google".into(), 2),
            ("dot".into(), "10.99.40.2".into(), 1)
        ]
    );
    assert_eq!(h["visibility"]["encrypted_dns_connections"], 3);
}

#[test]
fn plain_http_requests_name_their_host() {
    let (o, evs) = events(&[&hidden("http_plain.pcap")]);
    assert!(o.status.success(), "{}", stderr(&o));
    let got: Vec<(&str, &str, u64, &str)> = evs
        .iter()
        .map(|e| {
            (
                e["kind"].as_str().unwrap(),
                e["hostname"].as_str().unwrap(),
                e["dst_port"].as_u64().unwrap(),
                e["vendor"].as_str().unwrap_or("-"),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            // Each plain request to a vendor is also an exposure (issue 16).
            ("http", "status.helpjuice.com", 80, "helpjuice"),
            ("exposure", "status.helpjuice.com", 80, "helpjuice"),
            ("http", "acme.zendesk.com", 8080, "zendesk"),
            ("exposure", "acme.zendesk.com", 8080, "zendesk")
        ]
    );
}

/// OpenSSH's client speaks SSH, not TLS: no event, but the report counts both connections,
/// the one to the address the client resolved as attributed and the other as unnamed.
#[test]
fn other_tcp_is_counted_not_reported() {
    let (o, evs) = events(&[&hidden("ssh_other.pcap")]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(evs
        .iter()
        .all(|e| e["kind"] == "dns" || e["kind"] == "dns_answer"));
    let (_, doc) = report(&[&hidden("ssh_other.pcap")]);
    let v = &doc["visibility"];
    assert_eq!(v["other_tcp"], 2, "{v}");
    assert_eq!(v["attributed"], 1, "{v}");
    assert_eq!(v["unnamed"], 1, "{v}");
    assert_eq!(v["connections"], 2, "{v}");
    // SSH with no name is no blind spot for support vendors: the host is not listed for it.
    assert_eq!(v["unnamed_hellos"], 0, "{v}");
    assert!(doc["hosts"].as_array().unwrap().is_empty(), "{doc}");
}

/// The same config behind an HTTPS record with alpn h3: Chromium's QUIC Initials carry real
/// ECH (tshark decrypts them and shows the public name), and so do its TCP hellos after the
/// fallback; all are linked to widget.intercom.io.
#[test]
fn real_ech_over_quic_is_linked_too() {
    let (o, evs) = events(&[&hidden("ech_chromium_quic.pcap")]);
    assert!(o.status.success(), "{}", stderr(&o));
    let quic: Vec<&Value> = evs.iter().filter(|e| e["kind"] == "quic").collect();
    assert_eq!(quic.len(), 1);
    let outer: Vec<&Value> = evs
        .iter()
        .filter(|e| e["hostname"] == "public.ech-front.example")
        .collect();
    // tshark's truth: one QUIC and one TCP hello with the public name.
    let want = tsv(std::path::Path::new(&format!(
        "{}.truth.tsv",
        hidden("ech_chromium_quic.pcap")
    )))
    .iter()
    .filter(|r| r["hostname"] == "public.ech-front.example")
    .count();
    assert_eq!(want, 2);
    assert_eq!(outer.len(), want, "QUIC and TCP outer hellos");
    for h in outer {
        assert_eq!(h["ech"], true, "{h}");
        assert_eq!(h["attributed_hostname"], "widget.intercom.io", "{h}");
        assert_eq!(h["vendor"], "intercom", "{h}");
    }
}

/// psql's connection to PostgreSQL 15 sends a second ClientHello after a HelloRetryRequest
/// (tshark: two hellos from the same client port). Both are events; visibility counts the
/// connection once.
#[test]
fn a_hello_retry_connection_counts_once() {
    let cap = capture("more/postgres_ssl.pcap");
    let rows = tsv(std::path::Path::new(&format!(
        "{}.truth.tsv",
        cap.display()
    )));
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["src_port"], rows[1]["src_port"]);
    let (_, evs) = events(&[cap.to_str().unwrap()]);
    assert_eq!(evs.iter().filter(|e| e["kind"] == "tls").count(), 2);
    let (_, doc) = report(&[cap.to_str().unwrap()]);
    assert_eq!(doc["visibility"]["tls_hellos"], 1, "{}", doc["visibility"]);
    assert_eq!(doc["visibility"]["connections"], 1);
}
