//! Where an output file really is, and how to write it without clobbering anything.
//!
//! A service running as root with `--report /dev/null` must not replace the device node with
//! a regular file, and a report path that is a symlink must keep the link. So every output
//! path is resolved first: symlinks are followed to the file they name; a target that is not
//! a regular file (device, FIFO, socket, or an already-open descriptor under `/dev/fd`,
//! `/dev/std*`, `/proc/*/fd`) is written in place; a regular file, or one not there yet, is
//! written to a temporary file beside it and renamed over it, so no reader ever sees an
//! empty or half-written report. All of this is checked before any output is opened.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Symlink hops followed before giving up (Linux's own limit, ELOOP).
const MAX_LINK_HOPS: usize = 40;

/// What an output path turned out to be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// Standard output (`-`).
    Stdout,
    /// A regular file (or none yet) at this resolved path: write beside it and rename.
    Replace {
        path: PathBuf,
        /// The mode, owner and group of the file being replaced, kept on the new one.
        mode: Option<u32>,
        owner: Option<(u32, u32)>,
    },
    /// Not a regular file, or an open descriptor: open it and write into it.
    InPlace { path: PathBuf, fifo: bool },
}

impl Target {
    /// The file the bytes end up in, for comparing two outputs.
    /// Two outputs may share a device (`/dev/null`) but not a regular file.
    fn identity(&self) -> Option<&Path> {
        match self {
            Target::Replace { path, .. } => Some(path),
            Target::Stdout | Target::InPlace { .. } => None,
        }
    }
}

/// How an output is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Whole, at once ([`write_whole`]): needs a folder that takes a temporary file.
    Whole,
    /// A stream of lines into the file itself (events): needs the file, or its folder when
    /// the file is not there yet.
    Stream,
}

/// Resolves `path` (see the module comment) and checks that it can be written as `mode`
/// needs: its folder exists and takes new files (or, for an existing stream file, the file
/// opens for writing), it is not a folder. Truncates nothing: an existing file or device is
/// opened for writing and closed at once, which changes nothing; a FIFO is not opened, as
/// that would wait for a reader.
pub fn check(path: &str, mode: Mode) -> Result<Target, String> {
    let t = resolve(path)?;
    match &t {
        Target::Stdout => {}
        Target::Replace {
            path,
            mode: Some(_),
            ..
        } if mode == Mode::Stream => {
            OpenOptions::new()
                .write(true)
                .open(path)
                .map_err(|e| reason(&e))?;
        }
        Target::Replace { path, .. } => {
            let dir = path.parent().unwrap_or(Path::new("."));
            probe_dir(dir).map_err(|e| format!("cannot create files in {}: {e}", dir.display()))?;
        }
        Target::InPlace { path, fifo: false } => {
            OpenOptions::new()
                .write(true)
                .open(path)
                .map_err(|e| reason(&e))?;
        }
        Target::InPlace { fifo: true, .. } => {}
    }
    Ok(t)
}

/// Checks every output path before any of them is opened, and refuses two that name the
/// same file, standard output included (`-`: one document on stdout must stay parseable).
/// Returns the targets in the order given.
pub fn check_all(paths: &[(&str, &str, Mode)]) -> Result<Vec<Target>, String> {
    let on_stdout: Vec<String> = paths
        .iter()
        .filter(|(_, p, _)| *p == "-")
        .map(|(flag, _, _)| format!("{flag} -"))
        .collect();
    if on_stdout.len() > 1 {
        return Err(format!(
            "{} cannot share standard output",
            on_stdout.join(" and ")
        ));
    }
    let mut out: Vec<Target> = Vec::new();
    for (flag, p, mode) in paths {
        let t = check(p, *mode).map_err(|e| format!("cannot write {flag} {p}: {e}"))?;
        if let Some(id) = t.identity() {
            if out.iter().any(|o| o.identity() == Some(id)) {
                return Err(format!("{flag} {p}: the same file as another output"));
            }
        }
        out.push(t);
    }
    Ok(out)
}

fn reason(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::NotFound => "no such file or folder".into(),
        io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

/// Follows `path` to what it names, hop by hop, so a dangling link still resolves to where
/// the file would be created.
pub fn resolve(path: &str) -> Result<Target, String> {
    if path == "-" {
        return Ok(Target::Stdout);
    }
    if path.is_empty() {
        return Err("empty path".into());
    }
    let mut p = PathBuf::from(path);
    for _ in 0..MAX_LINK_HOPS {
        let name = p
            .file_name()
            .ok_or_else(|| format!("{} does not name a file", p.display()))?
            .to_owned();
        let parent = match p.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let dir = std::fs::canonicalize(&parent).map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => format!("folder {} does not exist", parent.display()),
            _ => format!("folder {}: {}", parent.display(), reason(&e)),
        })?;
        if !dir.is_dir() {
            return Err(format!("{} is not a folder", parent.display()));
        }
        let full = dir.join(&name);
        // /dev/fd/N, /dev/stdout and /proc/PID/fd/N name a descriptor this process (or
        // another) already has open; their link text is not a path to rename onto.
        if dir.starts_with("/proc") {
            let fifo = std::fs::metadata(&full)
                .map(|m| std::os::unix::fs::FileTypeExt::is_fifo(&m.file_type()))
                .unwrap_or(false);
            return Ok(Target::InPlace { path: full, fifo });
        }
        let meta = match std::fs::symlink_metadata(&full) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Ok(Target::Replace {
                    path: full,
                    mode: None,
                    owner: None,
                })
            }
            Err(e) => return Err(reason(&e)),
            Ok(m) => m,
        };
        let ft = meta.file_type();
        if ft.is_symlink() {
            let to = std::fs::read_link(&full).map_err(|e| reason(&e))?;
            p = if to.is_absolute() { to } else { dir.join(to) };
            continue;
        }
        if ft.is_dir() {
            return Err("is a folder".into());
        }
        if ft.is_file() {
            use std::os::unix::fs::MetadataExt;
            return Ok(Target::Replace {
                path: full,
                mode: Some(meta.mode()),
                owner: Some((meta.uid(), meta.gid())),
            });
        }
        use std::os::unix::fs::FileTypeExt;
        return Ok(Target::InPlace {
            path: full,
            fifo: ft.is_fifo(),
        });
    }
    Err("too many levels of symbolic links".into())
}

/// Creates and removes a file in `dir`: the only sure test that new files can be made there
/// (permissions, ACLs, a read-only mount, root).
fn probe_dir(dir: &Path) -> io::Result<()> {
    let p = dir.join(format!(".shadowdesk-probe-{}", std::process::id()));
    OpenOptions::new().write(true).create_new(true).open(&p)?;
    std::fs::remove_file(&p)
}

/// Writes `bytes` as the whole content of the output at `path`: standard output, in place,
/// or through a temporary file renamed over the target (see the module comment). A closed
/// standard output (`| head`) is not an error.
pub fn write_whole(path: &str, bytes: &[u8]) -> io::Result<()> {
    write_whole_with(path, |w| w.write_all(bytes))
}

/// Buffer between a streamed writer and the output: pretty JSON comes in pieces of a few
/// bytes, and standard output would otherwise flush at every newline.
const STREAM_BUFFER: usize = 64 << 10;

/// Like [`write_whole`], with the content streamed by `write` instead of held whole: a report
/// of tens of MB is never a second time in memory (its `Vec` grew by doubling, up to twice its
/// size, on top of the state it was built from).
pub fn write_whole_with(
    path: &str,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    let target = resolve(path).map_err(io::Error::other)?;
    match target {
        Target::Stdout => {
            let mut out = io::BufWriter::with_capacity(STREAM_BUFFER, io::stdout().lock());
            match write(&mut out).and_then(|_| out.flush()) {
                Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
                other => other,
            }
        }
        Target::InPlace { path, .. } => {
            // Truncation is a no-op on a device or FIFO; on a regular file reached through
            // /dev/fd it drops an older, longer report.
            let f = OpenOptions::new().write(true).truncate(true).open(&path)?;
            let mut out = io::BufWriter::with_capacity(STREAM_BUFFER, f);
            write(&mut out)?;
            out.flush()
        }
        Target::Replace { path, mode, owner } => replace(&path, mode, owner, write),
    }
}

fn replace(
    path: &Path,
    mode: Option<u32>,
    owner: Option<(u32, u32)>,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp{}", std::process::id()));
    let written = (|| {
        let f = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&tmp)?;
        let mut out = io::BufWriter::with_capacity(STREAM_BUFFER, f);
        write(&mut out)?;
        let f = out.into_inner().map_err(io::IntoInnerError::into_error)?;
        if let Some(mode) = mode {
            use std::os::unix::fs::PermissionsExt;
            f.set_permissions(std::fs::Permissions::from_mode(mode & 0o7777))?;
        }
        if let Some((uid, gid)) = owner {
            // Root replacing a service user's report keeps it theirs; anyone else can only
            // keep their own, and a refusal changes nothing that matters.
            let _ = std::os::unix::fs::fchown(&f, Some(uid), Some(gid));
        }
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
        return written;
    }
    // The rename is durable only once the folder is synced; a failure here loses nothing
    // that was written.
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(tag: &str) -> PathBuf {
        let d =
            std::env::temp_dir().join(format!("shadowdesk-outfile-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::canonicalize(d).unwrap()
    }

    #[test]
    fn symlink_chain_resolves_to_the_final_file_even_when_dangling() {
        let d = tmp("links");
        std::os::unix::fs::symlink("b", d.join("a")).unwrap();
        std::os::unix::fs::symlink(d.join("c"), d.join("b")).unwrap();
        let a = d.join("a");
        assert_eq!(
            resolve(a.to_str().unwrap()).unwrap(),
            Target::Replace {
                path: d.join("c"),
                mode: None,
                owner: None
            }
        );
        write_whole(a.to_str().unwrap(), b"{}\n").unwrap();
        assert!(std::fs::symlink_metadata(&a)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(std::fs::read(d.join("c")).unwrap(), b"{}\n");
        let _ = std::fs::remove_dir_all(d);
    }

    #[test]
    fn loops_missing_folders_and_folders_are_refused() {
        let d = tmp("bad");
        std::os::unix::fs::symlink("y", d.join("x")).unwrap();
        std::os::unix::fs::symlink("x", d.join("y")).unwrap();
        let e = resolve(d.join("x").to_str().unwrap()).unwrap_err();
        assert!(e.contains("too many levels"), "{e}");
        let e = check(d.join("no/r.json").to_str().unwrap(), Mode::Whole).unwrap_err();
        assert!(e.contains("does not exist"), "{e}");
        assert_eq!(
            check(d.to_str().unwrap(), Mode::Stream).unwrap_err(),
            "is a folder"
        );
        let _ = std::fs::remove_dir_all(d);
    }

    #[test]
    fn dev_null_and_open_descriptors_are_written_in_place() {
        assert!(matches!(
            resolve("/dev/null").unwrap(),
            Target::InPlace { fifo: false, .. }
        ));
        assert!(matches!(
            resolve("/dev/stderr").unwrap(),
            Target::InPlace { .. }
        ));
        write_whole("/dev/null", b"x").unwrap();
    }

    #[test]
    fn replacing_keeps_the_mode_and_leaves_no_temporary_file() {
        use std::os::unix::fs::PermissionsExt;
        let d = tmp("mode");
        let f = d.join("r.json");
        std::fs::write(&f, b"old").unwrap();
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o640)).unwrap();
        write_whole(f.to_str().unwrap(), b"new").unwrap();
        assert_eq!(std::fs::read(&f).unwrap(), b"new");
        let m = std::fs::metadata(&f).unwrap().permissions().mode() & 0o777;
        assert_eq!(m, 0o640);
        // As root, a file another user owns stays theirs.
        if std::os::unix::fs::chown(&f, Some(4321), Some(4321)).is_ok() {
            use std::os::unix::fs::MetadataExt;
            write_whole(f.to_str().unwrap(), b"newer").unwrap();
            let m = std::fs::metadata(&f).unwrap();
            assert_eq!((m.uid(), m.gid()), (4321, 4321));
        }
        assert_eq!(std::fs::read_dir(&d).unwrap().count(), 1);
        let _ = std::fs::remove_dir_all(d);
    }
}
