//! Timings of the per-packet hot functions on real packets from `testdata/captures`:
//! decode, DNS parse, ClientHello parse, catalog lookup, and the whole pipeline on a capture.
//!
//!     cargo bench --bench hot            # prints ns per call
//!
//! No harness crate: each function runs for a fixed number of iterations and the median of
//! five rounds is printed. End-to-end figures against tcpdump and ndpiReader are in the
//! README (scripts/bench.sh).

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Instant;

use shadowdesk::capture::{InputPath, Next, Reader};
use shadowdesk::catalog::Catalog;
use shadowdesk::decode::{self, Transport};
use shadowdesk::proto::{dns, tls};

fn frames(name: &str) -> (i32, Vec<Vec<u8>>) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/captures")
        .join(name);
    let mut r = Reader::open(&InputPath {
        shown: name.into(),
        path,
    })
    .expect("capture");
    let lt = r.linktype;
    let mut v = Vec::new();
    while let Next::Record(rec) = r.next_record() {
        v.push(rec.data.to_vec());
    }
    (lt, v)
}

fn time(label: &str, per_round: usize, items: usize, mut f: impl FnMut()) {
    let mut rounds = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        for _ in 0..per_round {
            f();
        }
        rounds.push(t.elapsed().as_nanos() as f64 / (per_round * items) as f64);
    }
    rounds.sort_by(|a, b| a.partial_cmp(b).unwrap());
    println!("{label:<44} {:>10.1} ns", rounds[2]);
}

fn main() {
    let (lt, mixed) = frames("mixed.pcap");
    let n = mixed.len();
    time(
        &format!("decode, per packet (mixed.pcap, {n} packets)"),
        200,
        n,
        || {
            for f in &mixed {
                let _ = black_box(decode::decode(lt, black_box(f)));
            }
        },
    );

    let (lt, dnsf) = frames("dns_udp_v4.pcap");
    let payloads: Vec<Vec<u8>> = dnsf
        .iter()
        .filter_map(|f| decode::decode(lt, f).ok())
        .filter(|d| d.transport == Transport::Udp)
        .map(|d| d.payload.to_vec())
        .collect();
    time(
        &format!("dns::parse, per message ({} messages)", payloads.len()),
        2000,
        payloads.len(),
        || {
            for p in &payloads {
                let _ = black_box(dns::parse(black_box(p)));
            }
        },
    );

    let (lt, tlsf) = frames("tls_curl_v4.pcap");
    let hello = tlsf
        .iter()
        .filter_map(|f| decode::decode(lt, f).ok())
        .find(|d| d.payload.first() == Some(&0x16) && d.dport == 443)
        .map(|d| d.payload.to_vec())
        .expect("a ClientHello");
    time(
        &format!("tls::parse_client_hello ({} bytes)", hello.len()),
        100_000,
        1,
        || {
            let _ = black_box(tls::parse_client_hello(black_box(&hello)));
        },
    );

    let cat = Catalog::builtin().unwrap();
    let names = [
        "acme.zendesk.com",
        "www.google.com",
        "widget.intercom.io",
        "a.b.c.d.example.org",
        "static.zdassets.com",
        "notzendesk.com",
        "eu.acme.freshdesk.com",
        "connectivitycheck.gstatic.com",
    ];
    time(
        &format!("catalog lookup, per name ({} names)", names.len()),
        200_000,
        names.len(),
        || {
            for n in names {
                let _ = black_box(cat.lookup(black_box(n)));
            }
        },
    );
}
