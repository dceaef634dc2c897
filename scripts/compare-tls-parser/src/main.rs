//! Reads `frame<TAB>hex of the client's TLS bytes<TAB>tshark's SNI` lines (from
//! ../compare-tls-parser.sh) and, for each ClientHello, asks two parsers for its server names:
//! shadowdesk's (`proto::tls::parse_client_hello`: records and extensions walked by hand,
//! tls-parser for the hello body and SNI list) and tls-parser's own whole path
//! (`parse_tls_plaintext` for the record, `parse_tls_extensions` for every extension). Prints
//! how many of tshark's names each recovers and the time per hello.

use std::io::BufRead;
use std::time::Instant;

use shadowdesk::proto::tls::{parse_client_hello, Parse};
use tls_parser::{SNIType, TlsExtension, TlsMessage, TlsMessageHandshake};

fn hex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .filter_map(|i| u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok())
        .collect()
}

fn ours(b: &[u8]) -> Vec<String> {
    match parse_client_hello(b) {
        Parse::ClientHello { hello, .. } => hello.names,
        _ => Vec::new(),
    }
}

/// tls-parser alone: one record, its handshake message, every extension parsed.
fn theirs(b: &[u8]) -> Result<Vec<String>, String> {
    let (_, rec) = tls_parser::parse_tls_plaintext(b).map_err(|e| format!("record: {e:?}"))?;
    for msg in rec.msg {
        if let TlsMessage::Handshake(TlsMessageHandshake::ClientHello(ch)) = msg {
            let (_, exts) = tls_parser::parse_tls_extensions(ch.ext.unwrap_or_default())
                .map_err(|e| format!("extensions: {e:?}"))?;
            let mut names = Vec::new();
            for e in exts {
                if let TlsExtension::SNI(list) = e {
                    for (t, n) in list {
                        if t == SNIType::HostName {
                            names.push(shadowdesk::escape::name(n));
                        }
                    }
                }
            }
            return Ok(names);
        }
    }
    Err("no ClientHello in the first record".into())
}

fn main() {
    let mut hellos = Vec::new();
    for line in std::io::stdin().lock().lines().map_while(Result::ok) {
        let mut f = line.split('\t');
        let (Some(where_), Some(h), Some(sni)) = (f.next(), f.next(), f.next()) else {
            continue;
        };
        hellos.push((where_.to_owned(), hex(h), sni.to_ascii_lowercase()));
    }
    let (mut want, mut got_ours, mut got_theirs) = (0, 0, 0);
    let mut failures: std::collections::BTreeMap<String, usize> = Default::default();
    for (where_, b, sni) in &hellos {
        if sni.is_empty() {
            continue;
        }
        want += 1;
        if ours(b).iter().any(|n| n == sni) {
            got_ours += 1;
        }
        match theirs(b) {
            Ok(n) if n.iter().any(|n| n == sni) => got_theirs += 1,
            Ok(_) => *failures.entry("parsed, SNI not found".into()).or_default() += 1,
            Err(e) => {
                let why = e.split('(').next().unwrap_or(&e).to_owned();
                eprintln!("{where_}: tls-parser: {e}");
                *failures.entry(why).or_default() += 1;
            }
        }
    }
    let time = |f: &dyn Fn(&[u8]) -> usize| {
        let rounds = 200;
        let t = Instant::now();
        let mut n = 0;
        for _ in 0..rounds {
            for (_, b, _) in &hellos {
                n += f(b);
            }
        }
        std::hint::black_box(n);
        t.elapsed().as_nanos() as f64 / (rounds * hellos.len().max(1)) as f64
    };
    let ns_ours = time(&|b| ours(b).len());
    let ns_theirs = time(&|b| theirs(b).map(|n| n.len()).unwrap_or(0));
    println!("hellos: {} ({} with an SNI per tshark)", hellos.len(), want);
    println!("shadowdesk:        {got_ours}/{want} names, {ns_ours:.0} ns per hello");
    println!("tls-parser alone:  {got_theirs}/{want} names, {ns_theirs:.0} ns per hello");
    for (why, n) in failures {
        println!("  tls-parser missed {n}: {why}");
    }
}
