//! The measurement behind replacing dns-parser 0.8 with our own DNS parser: on real captures
//! it loses whole messages whose question type it does not know (HTTPS = 65), names that
//! tshark and shadowdesk see.

use std::path::Path;

use shadowdesk::capture::{InputPath, Next, Reader};
use shadowdesk::decode::{self, Transport};

use crate::util::*;

/// (query names dns-parser gets, query names our parser gets) over UDP port-53 queries.
fn count(path: &Path) -> (usize, usize) {
    let input = InputPath {
        shown: path.display().to_string(),
        path: path.to_path_buf(),
    };
    // A file neither reader can open counts for neither; the callers list only captures.
    let Ok(mut r) = Reader::open(&input) else {
        return (0, 0);
    };
    let lt = r.linktype;
    let (mut theirs, mut ours) = (0, 0);
    while let Next::Record(rec) = r.next_record() {
        let Ok(d) = decode::decode(lt, rec.data) else {
            continue;
        };
        if d.transport != Transport::Udp || (d.sport != 53 && d.dport != 53) {
            continue;
        }
        if let Ok(m) = shadowdesk::proto::dns::parse(d.payload) {
            if !m.response {
                ours += m.questions.iter().filter(|q| !q.name.is_empty()).count();
            }
        }
        if let Ok(p) = dns_parser::Packet::parse(d.payload) {
            if p.header.query {
                theirs += p
                    .questions
                    .iter()
                    .filter(|q| !q.qname.to_string().is_empty())
                    .count();
            }
        }
    }
    (theirs, ours)
}

#[test]
fn dns_parser_loses_https_queries_that_ours_keeps() {
    let (theirs, ours) = count(&capture("dns_udp_v4.pcap"));
    // tshark's truth for this capture is the reference.
    let truth_rows = truth(&capture("dns_udp_v4.pcap")).len();
    assert_eq!(ours, truth_rows);
    assert!(theirs < ours, "dns-parser {theirs}, ours {ours}");
    eprintln!("dns_udp_v4.pcap: dns-parser {theirs} query names, ours {ours}, tshark {truth_rows}");
}

#[test]
fn dns_parser_comparison_on_public_captures() {
    let Some(public) = shared_public() else {
        return;
    };
    let mut files = Vec::new();
    fn walk(d: &Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "pcap" || x == "pcapng") {
                out.push(p);
            }
        }
    }
    walk(&public, &mut files);
    files.sort();
    let (mut t, mut o) = (0, 0);
    for f in &files {
        let (a, b) = count(f);
        t += a;
        o += b;
    }
    eprintln!(
        "public captures ({}): dns-parser {t} UDP query names, ours {o}",
        files.len()
    );
    assert!(o >= t);
}
