//! The evidence chain (issue 14, item 2) against tshark's reading of the same capture.
//!
//! `hidden/ip_literal.pcap` (testdata/record-hidden.sh): `dig help.acme-corp.example`,
//! answered by dnsmasq with `CNAME acme.zendesk.com` and `A 10.99.40.2`, then curl and
//! openssl connect to 10.99.40.2:443 with no SNI (attributed through that answer), and
//! openssl to 10.99.40.3 (never resolved: not in any chain). tshark gives each part:
//!
//! ```text
//! tshark -r ip_literal.pcap -Y 'dns.flags.response == 0 && dns.qry.name == "help.acme-corp.example"' \
//!     -T fields -e frame.time_epoch -e ip.dst -e dns.qry.type
//! tshark -r ip_literal.pcap -Y 'dns.flags.response == 1 && dns.qry.name == "help.acme-corp.example"' \
//!     -T fields -e frame.time_epoch -e ip.src -e dns.cname -e dns.a -e dns.resp.type -e dns.resp.ttl
//! tshark -r ip_literal.pcap -Y 'tls.handshake.type == 1' \
//!     -T fields -e frame.time_epoch -e ip.dst -e tcp.dstport -e tcp.srcport -e tls.handshake.extensions_server_name
//! ```
//!
//! On the office day, a hello whose SNI is our own alias (`desk.acme-corp.test`, a CNAME to
//! `acme.kustomerapp.com`) is tied to Kustomer by `cname`, checked the same way.

use serde_json::Value;

use crate::util::*;

fn have_tshark() -> bool {
    let ok = std::process::Command::new("tshark")
        .arg("-v")
        .output()
        .is_ok_and(|o| o.status.success());
    require(ok, "tshark is not installed")
}

/// tshark's fields for the packets a display filter keeps: one Vec per packet.
fn tshark(cap: &std::path::Path, filter: &str, fields: &[&str]) -> Vec<Vec<String>> {
    let mut c = std::process::Command::new("tshark");
    c.args(["-r", cap.to_str().unwrap(), "-Y", filter, "-T", "fields"]);
    for f in fields {
        c.args(["-e", f]);
    }
    let o = c.output().expect("running tshark");
    assert!(o.status.success(), "tshark -Y {filter}: {}", stderr(&o));
    String::from_utf8(o.stdout)
        .unwrap()
        .lines()
        .map(|l| l.split('\t').map(str::to_owned).collect())
        .collect()
}

/// An RFC 3339 time as seconds since the epoch with 6 decimals, via date(1) (not our
/// formatter), to compare with tshark's `frame.time_epoch`.
fn epoch(ts: &Value) -> String {
    let o = std::process::Command::new("date")
        .args(["-u", "-d", ts.as_str().unwrap(), "+%s.%6N"])
        .output()
        .expect("date(1)");
    String::from_utf8(o.stdout).unwrap().trim().to_owned()
}

/// tshark's `frame.time_epoch` to 6 decimals (pcap times are microseconds).
fn micros(t: &str) -> String {
    let (s, f) = t.split_once('.').unwrap();
    format!("{s}.{:0<6}", &f[..f.len().min(6)])
}

/// The report of a capture, and the vendor entry of `host` and `vendor` in it.
fn chain_of(cap: &std::path::Path, host: &str, vendor: &str) -> (Value, Value) {
    let o = run(&["scan", "--quiet", cap.to_str().unwrap(), "--report", "-"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let r = report_doc(&o.stdout);
    let v = r["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["ip"] == host)
        .and_then(|h| {
            h["vendors"]
                .as_array()
                .unwrap()
                .iter()
                .find(|v| v["vendor"] == vendor)
        })
        .unwrap_or_else(|| panic!("{host} {vendor} in the report"))
        .clone();
    (r, v)
}

#[test]
fn the_chain_of_a_cname_attributed_hello_is_what_tshark_sees() {
    if !have_tshark() {
        return;
    }
    let cap = capture("hidden/ip_literal.pcap");
    let name = "help.acme-corp.example";
    let (_, v) = chain_of(&cap, "10.99.40.1", "zendesk");
    let chain = &v["evidence_chain"];
    assert_eq!(chain["hostnames_not_listed"], 0);
    let names = chain["hostnames"].as_array().unwrap();
    assert_eq!(names.len(), 1, "{chain}");
    let c = &names[0];
    assert_eq!(c["hostname"], name);

    let q = tshark(
        &cap,
        &format!("dns.flags.response == 0 && dns.qry.name == \"{name}\""),
        &["frame.time_epoch", "ip.dst", "dns.qry.type"],
    );
    assert_eq!(epoch(&c["query"]["ts"]), micros(&q[0][0]));
    assert_eq!(c["query"]["resolver"], q[0][1].as_str());
    assert_eq!(q[0][2], "1");
    assert_eq!(c["query"]["qtype"], "A");

    let a = tshark(
        &cap,
        &format!("dns.flags.response == 1 && dns.qry.name == \"{name}\""),
        &[
            "frame.time_epoch",
            "ip.src",
            "dns.cname",
            "dns.a",
            "dns.resp.type",
            "dns.resp.ttl",
        ],
    );
    let ans = &c["answer"];
    assert_eq!(epoch(&ans["ts"]), micros(&a[0][0]));
    assert_eq!(ans["resolver"], a[0][1].as_str());
    let cnames: Vec<&str> = a[0][2].split(',').collect();
    assert_eq!(ans["cnames"], serde_json::json!(cnames));
    assert_eq!(cnames, ["acme.zendesk.com"], "what record-hidden.sh set up");
    let addrs: Vec<&str> = a[0][3].split(',').collect();
    assert_eq!(ans["addresses"], serde_json::json!(addrs));
    // The smallest TTL of the A and AAAA records (types 1 and 28), record by record.
    let min_ttl = a[0][4]
        .split(',')
        .zip(a[0][5].split(','))
        .filter(|(t, _)| matches!(*t, "1" | "28"))
        .map(|(_, ttl)| ttl.parse::<u64>().unwrap())
        .min();
    assert_eq!(ans["min_ttl"].as_u64(), min_ttl);

    // The connections: the hellos to the address the answer gave, in order; none to
    // 10.99.40.3, which no answer named.
    let hellos = tshark(
        &cap,
        "tls.handshake.type == 1",
        &[
            "frame.time_epoch",
            "ip.dst",
            "tcp.dstport",
            "tcp.srcport",
            "tls.handshake.extensions_server_name",
        ],
    );
    let to_answer: Vec<&Vec<String>> = hellos
        .iter()
        .filter(|h| addrs.contains(&h[1].as_str()))
        .collect();
    assert_eq!(
        to_answer.len(),
        2,
        "curl's and openssl's hellos: {hellos:?}"
    );
    let conns = c["connections"].as_array().unwrap();
    assert_eq!(conns.len(), to_answer.len());
    assert_eq!(c["connections_not_listed"], 0);
    // Each connection's Community ID is its flow's, as the events carry it (those are
    // checked against the spec's vectors in community_id.rs).
    let (_, evs) = events(&[cap.to_str().unwrap()]);
    for (k, h) in conns.iter().zip(&to_answer) {
        assert_eq!(epoch(&k["ts"]), micros(&h[0]));
        assert_eq!(k["server_ip"], h[1].as_str());
        assert_eq!(k["server_port"].to_string(), h[2]);
        assert!(h[4].is_empty(), "tshark sees no SNI: {h:?}");
        assert_eq!(k["sni"], Value::Null);
        assert_eq!(k["kind"], "tls");
        assert_eq!(k["method"], "dns_answer");
        let ev = evs
            .iter()
            .find(|e| e["kind"] == "tls" && e["src_port"].as_u64() == h[3].parse().ok())
            .expect("the hello's event");
        assert_eq!(k["community_id"], ev["community_id"]);
    }

    // The summary shows the chain under the host and vendor with --evidence.
    let o = run(&["scan", "--quiet", cap.to_str().unwrap(), "--evidence"]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains(&format!("       chain:  {name}\n")), "{text}");
    assert!(
        text.contains("CNAME acme.zendesk.com -> 10.99.40.2 from 10.99.40.2"),
        "{text}"
    );
    assert!(
        text.contains("10.99.40.2:443 no SNI, by dns_answer"),
        "{text}"
    );
}

#[test]
fn a_hello_to_our_alias_is_tied_by_cname() {
    if !have_tshark() {
        return;
    }
    let cap = root().join("testdata/office/office_day.pcap");
    let alias = "desk.acme-corp.test";
    // The client that sent the first hello to the alias, per tshark.
    let hellos = tshark(
        &cap,
        &format!("tls.handshake.type == 1 && tls.handshake.extensions_server_name == \"{alias}\""),
        &["frame.time_epoch", "ip.src", "ip.dst", "tcp.dstport"],
    );
    assert!(!hellos.is_empty(), "the office day's hellos to {alias}");
    let client = hellos[0][1].clone();
    let (_, v) = chain_of(&cap, &client, "kustomer");
    let c = v["evidence_chain"]["hostnames"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["hostname"] == alias)
        .unwrap_or_else(|| panic!("{alias} in the chain: {v}"))
        .clone();
    let mine: Vec<&Vec<String>> = hellos.iter().filter(|h| h[1] == client).collect();
    let conns = c["connections"].as_array().unwrap();
    assert_eq!(
        conns.len() as u64 + c["connections_not_listed"].as_u64().unwrap(),
        mine.len() as u64
    );
    for (k, h) in conns.iter().zip(&mine) {
        assert_eq!(epoch(&k["ts"]), micros(&h[0]));
        assert_eq!(k["server_ip"], h[2].as_str());
        assert_eq!(k["server_port"].to_string(), h[3]);
        assert_eq!(k["sni"], alias);
        assert_eq!(k["method"], "cname");
    }
    // The answer that made the alias the vendor's: its CNAME, as tshark reads it.
    let a = tshark(
        &cap,
        &format!(
            "dns.flags.response == 1 && dns.qry.name == \"{alias}\" && ip.dst == {client} && dns.a"
        ),
        &["frame.time_epoch", "dns.cname", "dns.a"],
    );
    let ans = &c["answer"];
    assert_eq!(epoch(&ans["ts"]), micros(&a[0][0]));
    assert_eq!(
        ans["cnames"],
        serde_json::json!(a[0][1].split(',').collect::<Vec<_>>())
    );
    assert_eq!(
        ans["addresses"],
        serde_json::json!(a[0][2].split(',').collect::<Vec<_>>())
    );
}
