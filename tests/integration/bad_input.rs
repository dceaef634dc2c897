//! Inputs that are not what they should be: each gets a clear message naming it, the other
//! inputs are still processed, and the exit status follows CONTRACT.md.

use std::path::Path;

use crate::util::*;

/// Complete records in a classic little-endian pcap of `len` bytes (independent of libpcap).
fn complete_records(bytes: &[u8]) -> u64 {
    let mut at = 24;
    let mut n = 0;
    while at + 16 <= bytes.len() {
        let incl = u32::from_le_bytes(bytes[at + 8..at + 12].try_into().unwrap()) as usize;
        if at + 16 + incl > bytes.len() {
            break;
        }
        at += 16 + incl;
        n += 1;
    }
    n
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p.to_str().unwrap().to_owned()
}

#[test]
fn capture_cut_mid_record_keeps_what_was_read() {
    let dir = tempdir("cut");
    let full = std::fs::read(capture("mixed.pcap")).unwrap();
    // Cut in the middle of a record, past the DNS and the first TLS hello.
    let cut_at = full.len() * 3 / 4 + 7;
    let cut = write(&dir, "cut.pcap", &full[..cut_at]);
    let want_records = complete_records(&full[..cut_at]);
    assert!(want_records > 0 && want_records < complete_records(&full));

    let (o, mut evs_cut) = events(&[&cut]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "a cut capture is a warning, not a failure"
    );
    let err = stderr(&o);
    assert!(
        err.contains("cut.pcap") && err.contains(&format!("record {}", want_records + 1)),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "one warning line: {err}");

    // Everything up to the cut is reported: the events are a prefix of the full file's.
    let (_, mut evs_full) = events(&[capture("mixed.pcap").to_str().unwrap()]);
    assert!(!evs_cut.is_empty());
    // A copy of the file: only `input` may differ.
    for e in evs_full.iter_mut().chain(evs_cut.iter_mut()) {
        e.as_object_mut().unwrap().remove("input");
    }
    assert_eq!(&evs_full[..evs_cut.len()], &evs_cut[..]);

    let (o, rep) = report(&[&cut]);
    assert_eq!(o.status.code(), Some(0));
    let input = &rep["inputs"][0];
    assert_eq!(input["packets"].as_u64(), Some(want_records));
    assert!(input["error"]
        .as_str()
        .unwrap()
        .contains(&format!("record {}", want_records + 1)));
}

#[test]
fn not_a_capture_empty_and_missing_are_errors_but_others_are_read() {
    let dir = tempdir("bad");
    let text = write(&dir, "notes.txt", b"this is not a capture file\n");
    let empty = write(&dir, "empty.pcap", b"");
    let short = write(
        &dir,
        "short.pcap",
        &std::fs::read(capture("mixed.pcap")).unwrap()[..10],
    );
    let missing = dir.join("nope.pcap").to_str().unwrap().to_owned();
    let good = capture("tls_curl_v4.pcap");
    let (o, evs) = events(&[&text, &empty, good.to_str().unwrap(), &short, &missing]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    for (name, why) in [
        ("notes.txt", "not a pcap"),
        ("empty.pcap", "empty"),
        ("short.pcap", "cut short"),
        ("nope.pcap", "no such file"),
    ] {
        let line = err
            .lines()
            .find(|l| l.contains(name))
            .unwrap_or_else(|| panic!("no message for {name}: {err}"));
        assert!(line.contains(why), "{name}: {line}");
    }
    // The good input was still processed.
    assert_eq!(rows(&evs), truth(&good));
}

#[test]
fn empty_but_valid_capture_is_fine() {
    let dir = tempdir("nopkts");
    let hdr = std::fs::read(capture("mixed.pcap")).unwrap()[..24].to_vec();
    let p = write(&dir, "header-only.pcap", &hdr);
    let (o, rep) = report(&[&p]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(rep["inputs"][0]["packets"], 0);
    assert!(rep["inputs"][0]["error"].is_null());
}

#[test]
fn unsupported_link_type_is_a_warning_and_the_file_is_skipped() {
    let dir = tempdir("lt");
    let mut b = std::fs::read(capture("mixed.pcap")).unwrap();
    b[20..24].copy_from_slice(&147u32.to_le_bytes()); // LINKTYPE_USER0
    let odd = write(&dir, "user0.pcap", &b);
    let good = capture("tls_curl_v4.pcap");
    let (o, evs) = events(&[&odd, good.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0));
    let err = stderr(&o);
    assert!(
        err.contains("user0.pcap")
            && err.contains("link type 147")
            && err.contains("not supported"),
        "{err}"
    );
    assert_eq!(rows(&evs), truth(&good));
}

#[test]
fn stdin_is_read() {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new(bin())
        .args(["scan", "--quiet", "--events", "-", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let bytes = std::fs::read(capture("mixed.pcap")).unwrap();
    child.stdin.take().unwrap().write_all(&bytes).unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0));
    let evs: Vec<serde_json::Value> = String::from_utf8(o.stdout)
        .unwrap()
        .lines()
        .map(crate::util::event_line)
        .collect();
    assert_eq!(rows(&evs), truth(&capture("mixed.pcap")));
}

#[test]
fn folders_are_read_recursively_in_a_stable_order() {
    let dir = tempdir("tree");
    std::fs::create_dir_all(dir.join("b/inner")).unwrap();
    std::fs::copy(capture("tls_curl_v4.pcap"), dir.join("b/inner/x.pcap")).unwrap();
    std::fs::copy(capture("dns_tcp.pcap"), dir.join("a.pcap")).unwrap();
    std::fs::write(dir.join("b/readme.txt"), "not read").unwrap();
    let (o, rep) = report(&[dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let paths: Vec<&str> = rep["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths.len(), 2);
    assert!(
        paths[0].ends_with("a.pcap") && paths[1].ends_with("b/inner/x.pcap"),
        "{paths:?}"
    );
}
