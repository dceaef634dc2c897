//! Reading capture files through libpcap: pcap and pcapng, microsecond or nanosecond, files,
//! folders (recursive, sorted) and `-` for standard input. This is the only module that
//! touches the `pcap` crate for offline input.

use std::path::{Path, PathBuf};

use crate::time::TsNanos;

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

/// An open capture.
pub struct Reader {
    cap: pcap::Capture<pcap::Offline>,
    pub linktype: i32,
    /// Records read so far.
    pub records: u64,
}

/// One record, borrowed from libpcap's buffer until the next read.
pub struct Record<'a> {
    pub ts: TsNanos,
    pub data: &'a [u8],
    /// Length on the wire (may exceed `data.len()` under a snaplen).
    pub wire_len: u32,
}

pub enum Next<'a> {
    Record(Record<'a>),
    End,
    /// The file stops inside a record or is corrupt there; `String` says how.
    Cut(String),
}

impl Reader {
    /// Opens a file (or `-`, which libpcap reads from standard input). The error is a short
    /// reason suitable after the file name.
    pub fn open(p: &InputPath) -> Result<Reader, String> {
        if p.shown != "-" {
            if let Ok(m) = std::fs::metadata(&p.path) {
                if m.len() == 0 {
                    return Err("empty file, not a pcap or pcapng capture".into());
                }
            }
        }
        let cap = pcap::Capture::from_file_with_precision(&p.path, pcap::Precision::Nano)
            .map_err(|e| open_reason(&e))?;
        let linktype = cap.get_datalink().0;
        Ok(Reader {
            cap,
            linktype,
            records: 0,
        })
    }

    pub fn next_record(&mut self) -> Next<'_> {
        match self.cap.next_packet() {
            Ok(pkt) => {
                self.records += 1;
                let h = pkt.header;
                // In nanosecond precision libpcap puts nanoseconds in tv_usec. time_t and
                // suseconds_t are i32 on some targets, hence the conversion clippy sees as useless.
                #[allow(clippy::useless_conversion)]
                let ts = i64::from(h.ts.tv_sec)
                    .saturating_mul(1_000_000_000)
                    .saturating_add(i64::from(h.ts.tv_usec));
                Next::Record(Record {
                    ts,
                    data: pkt.data,
                    wire_len: h.len,
                })
            }
            Err(pcap::Error::NoMorePackets) => Next::End,
            Err(e) => Next::Cut(e.to_string()),
        }
    }
}

fn open_reason(e: &pcap::Error) -> String {
    let s = e.to_string();
    let s = s.strip_prefix("libpcap error: ").unwrap_or(&s).to_owned();
    if s.contains("unknown file format") || s.contains("bad dump file format") {
        format!("not a pcap or pcapng capture ({s})")
    } else if s.contains("truncated") {
        format!("capture header cut short ({s})")
    } else if s.contains("No such file") {
        "no such file or folder".into()
    } else {
        s
    }
}
