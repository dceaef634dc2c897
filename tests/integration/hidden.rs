//! What hides a destination: ECH, SNI-less hellos, encrypted DNS; and the report's
//! visibility section that counts them. Real-client captures in `testdata/captures/hidden/`
//! (`testdata/record-hidden.sh`) and public ones from Zeek's test suite.

use serde_json::Value;

use crate::util::*;

fn public(rel: &str) -> Option<std::path::PathBuf> {
    let p = root().join("../shared/pcaps/public").join(rel);
    if p.exists() {
        Some(p)
    } else {
        eprintln!("skipped: {} not present", p.display());
        None
    }
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
