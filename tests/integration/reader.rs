//! Our pcap/pcapng reader gives exactly the records libpcap gives: same count, timestamps,
//! bytes, wire lengths and link types, and stops where libpcap stops.

use std::path::{Path, PathBuf};

use shadowdesk::capture::{libpcap, InputPath, Next, Reader};

use crate::util::*;

type Rec = (i64, i32, Vec<u8>, u32);

fn ours(p: &Path) -> Result<(Vec<Rec>, bool), String> {
    let mut r = Reader::open(&InputPath {
        shown: p.display().to_string(),
        path: p.to_path_buf(),
    })?;
    let mut v = Vec::new();
    loop {
        match r.next_record() {
            Next::Record(x) => v.push((x.ts, x.linktype, x.data.to_vec(), x.wire_len)),
            Next::End => return Ok((v, false)),
            Next::Cut(_) => return Ok((v, true)),
            Next::Idle => {}
        }
    }
}

fn theirs(p: &Path) -> Result<(Vec<Rec>, bool), String> {
    let mut r = libpcap::Reader::open(&InputPath {
        shown: p.display().to_string(),
        path: p.to_path_buf(),
    })?;
    let mut v = Vec::new();
    loop {
        match r.next_record() {
            Next::Record(x) => v.push((x.ts, x.linktype, x.data.to_vec(), x.wire_len)),
            Next::End => return Ok((v, false)),
            Next::Cut(_) => return Ok((v, true)),
            Next::Idle => {}
        }
    }
}

fn all_captures(dir: &Path, out: &mut Vec<PathBuf>) {
    let rd = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            all_captures(&p, out);
        } else if p.extension().is_some_and(|x| x == "pcap" || x == "pcapng") {
            out.push(p);
        }
    }
}

fn compare(files: &[PathBuf]) -> usize {
    let mut compared = 0;
    for f in files {
        let (a, b) = (ours(f), theirs(f));
        match (a, b) {
            (Ok((ra, cut_a)), Ok((rb, cut_b))) => {
                assert_eq!(ra.len(), rb.len(), "{}: record count", f.display());
                for (i, (x, y)) in ra.iter().zip(rb.iter()).enumerate() {
                    assert_eq!(x, y, "{}: record {}", f.display(), i + 1);
                }
                assert_eq!(cut_a, cut_b, "{}: cut", f.display());
                compared += 1;
            }
            (Err(_), Err(_)) => {}
            // libpcap refuses pcapng files whose interfaces have different link types; we read them.
            (Ok(_), Err(e)) if e.contains("different") || e.contains("link") => {}
            (a, b) => panic!(
                "{}: ours {:?}, libpcap {:?}",
                f.display(),
                a.map(|x| x.0.len()),
                b.map(|x| x.0.len())
            ),
        }
    }
    compared
}

#[test]
fn same_records_as_libpcap_on_the_recorded_captures() {
    let mut files = Vec::new();
    all_captures(&root().join("testdata/captures"), &mut files);
    files.sort();
    assert!(files.len() >= 50, "{} recorded captures", files.len());
    // Every recorded capture is readable by both: all of them are compared.
    assert_eq!(compare(&files), files.len());
}

#[test]
fn same_records_as_libpcap_on_the_public_captures() {
    let Some(public) = shared_public() else {
        return;
    };
    let mut files = Vec::new();
    all_captures(&public, &mut files);
    files.sort();
    let n = compare(&files);
    eprintln!(
        "compared {n} of {} public captures record by record",
        files.len()
    );
    assert!(n >= 70);
}
