//! Naming the inputs: files as given, folders expanded recursively into the capture files
//! they hold (sorted, so the order is the same on every run and machine), `-` for standard
//! input; and why a path that cannot be read is refused.

use std::path::{Path, PathBuf};

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

pub(super) fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or folder".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

/// File names taken from folders. Named files are read whatever their name.
/// Compressed ones count by the name under the compression suffix (`x.cap.gz`).
fn is_capture_name(p: &Path) -> bool {
    let n = p
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let n = [".gz", ".zst", ".xz", ".lz4"]
        .iter()
        .find_map(|x| n.strip_suffix(x))
        .unwrap_or(&n);
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
            Ok(_) if is_capture_name(&p) => {
                // Follows a symlink: what matters is what reading it would do. A FIFO (or a
                // device) in a folder would block the scan until someone writes to it.
                match std::fs::metadata(&p) {
                    Ok(m) if m.is_file() => out.push(p),
                    Ok(m) => tracing::warn!(
                        path = %p.display(),
                        "{}: skipped: a {}, not a regular file (name it on the command line to read it)",
                        p.display(),
                        kind_of(&m.file_type())
                    ),
                    Err(e) => errs.push((p.display().to_string(), io_reason(&e))),
                }
            }
            _ => {}
        }
    }
}

fn kind_of(t: &std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if t.is_fifo() {
        "FIFO"
    } else if t.is_char_device() || t.is_block_device() {
        "device"
    } else if t.is_socket() {
        "socket"
    } else if t.is_dir() {
        "folder"
    } else {
        "special file"
    }
}
