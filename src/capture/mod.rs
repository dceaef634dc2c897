//! Capture input: naming the inputs (files, folders recursive and sorted, `-` for standard
//! input) and reading them.
//!
//! Files are read by our own pcap/pcapng reader ([`file`]): it reads in large blocks and hands
//! out records as ranges of shared blocks, so packets cross to the workers without a copy,
//! and it knows pcapng files whose interfaces have different link types. libpcap
//! ([`libpcap`]) reads the same files in a test that proves both give the same records, and
//! will carry live capture.

use std::path::{Path, PathBuf};

use std::sync::Arc;

use crate::time::TsNanos;

pub mod file;
pub mod libpcap;
pub mod live;

pub use file::FileReader as Reader;

/// One input as the user named it, or as found inside a folder they named.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputPath {
    /// What we print and report.
    pub shown: String,
    pub path: PathBuf,
}

/// Expands folders into their capture files (recursively, sorted by path so the order is
/// stable across runs and machines). Returns the inputs and one error per path that does not
/// exist or cannot be listed.
pub fn expand(paths: &[String]) -> (Vec<InputPath>, Vec<(String, String)>) {
    let mut out = Vec::new();
    let mut errs = Vec::new();
    for p in paths {
        if p == "-" {
            out.push(InputPath {
                shown: "-".into(),
                path: PathBuf::from("-"),
            });
            continue;
        }
        let path = Path::new(p);
        match std::fs::metadata(path) {
            Err(e) => errs.push((p.clone(), io_reason(&e))),
            Ok(m) if m.is_dir() => {
                let mut found = Vec::new();
                walk(path, &mut found, &mut errs);
                found.sort();
                if found.is_empty() {
                    errs.push((
                        p.clone(),
                        "folder holds no capture files (.pcap, .pcapng, .cap)".into(),
                    ));
                }
                out.extend(found.into_iter().map(|f| InputPath {
                    shown: f.display().to_string(),
                    path: f,
                }));
            }
            Ok(_) => out.push(InputPath {
                shown: p.clone(),
                path: path.to_path_buf(),
            }),
        }
    }
    (out, errs)
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or folder".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

/// File names taken from folders. Named files are read whatever their name.
fn is_capture_name(p: &Path) -> bool {
    let n = p
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    [".pcap", ".pcapng", ".cap", ".dmp"]
        .iter()
        .any(|x| n.ends_with(x))
        || n.contains(".pcap") && !n.ends_with(".tsv") && !n.ends_with(".json")
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>, errs: &mut Vec<(String, String)>) {
    let rd = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) => {
            errs.push((dir.display().to_string(), io_reason(&e)));
            return;
        }
    };
    for e in rd.flatten() {
        let p = e.path();
        match e.file_type() {
            Ok(t) if t.is_dir() => walk(&p, out, errs),
            Ok(_) if is_capture_name(&p) => out.push(p),
            _ => {}
        }
    }
}

/// One record.
pub struct Record<'a> {
    pub ts: TsNanos,
    /// Link type of the interface the record came from (libpcap's DLT numbering).
    pub linktype: i32,
    pub data: &'a [u8],
    /// Length on the wire (may exceed `data.len()` under a snaplen).
    pub wire_len: u32,
    /// The shared block `data` lies in, when the reader has one: lets a consumer keep the
    /// bytes without copying them.
    pub block: Option<&'a Arc<Vec<u8>>>,
}

pub enum Next<'a> {
    Record(Record<'a>),
    /// Live capture only: time passed without a packet.
    Idle,
    End,
    /// The file stops inside a record or is corrupt there; `String` says how.
    Cut(String),
}
