//! Compressed captures (made here by the real gzip, zstd, xz and lz4 tools, so the reader is
//! checked against their encoders, not ours), archives refused by name, write failures of
//! every output, the progress bar on a terminal, and `--help`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::util::*;

fn have(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// `tool ARGS < src > dst`.
fn filter(tool: &str, args: &[&str], src: &[u8], dst: &Path) {
    use std::io::Write;
    let mut c = Command::new(tool)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(std::fs::File::create(dst).unwrap())
        .spawn()
        .unwrap();
    c.stdin.take().unwrap().write_all(src).unwrap();
    assert!(c.wait().unwrap().success(), "{tool} {args:?}");
}

/// The compressors and the file names we give their output (the names do not matter to the
/// reader: one test below names every file `.pcap`).
const TOOLS: [(&str, &[&str], &str); 4] = [
    ("gzip", &["-c"], "gz"),
    ("zstd", &["-q", "-c"], "zst"),
    ("xz", &["-c"], "xz"),
    ("lz4", &["-q", "-c"], "lz4"),
];

fn tools_present() -> bool {
    TOOLS.iter().all(|(t, _, _)| {
        require(
            have(t),
            &format!("{t} is not installed (apt-get install gzip zstd xz-utils lz4)"),
        )
    })
}

/// The report without what names the inputs.
fn report_without_paths(path: &str) -> Value {
    let o = run(&["scan", "--quiet", "--report", "-", path]);
    assert_eq!(o.status.code(), Some(0), "{path}: {}", stderr(&o));
    let mut r = report_doc(&o.stdout);
    for i in r["inputs"].as_array_mut().unwrap() {
        i.as_object_mut().unwrap().remove("path");
    }
    r.as_object_mut().unwrap().remove("meta");
    r
}

/// The events as text, so a difference shows as lines.
fn events_text(args: &[&str]) -> String {
    let (o, evs) = events(args);
    assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
    assert!(!evs.is_empty());
    // The same capture under another name: only `input` may differ.
    without_input(&String::from_utf8(o.stdout).unwrap())
}

#[test]
fn compressed_captures_give_the_same_events_and_report() {
    if !tools_present() {
        return;
    }
    let dir = tempdir("compressed");
    for name in ["mixed.pcap", "mixed.pcapng"] {
        let plain = capture(name);
        let plain_s = plain.to_str().unwrap();
        let bytes = std::fs::read(&plain).unwrap();
        let want_events = events_text(&[plain_s]);
        let want_report = report_without_paths(plain_s);
        for (tool, args, ext) in TOOLS {
            let f = dir.join(format!("{name}.{ext}"));
            filter(tool, args, &bytes, &f);
            let fs = f.to_str().unwrap();
            assert_eq!(events_text(&[fs]), want_events, "{tool}");
            assert_eq!(report_without_paths(fs), want_report, "{tool}");
            // Recognised by its bytes, not its name; and from a pipe on standard input.
            let disguised = dir.join(format!("{tool}-{name}"));
            std::fs::copy(&f, &disguised).unwrap();
            assert_eq!(
                events_text(&[disguised.to_str().unwrap()]),
                want_events,
                "{tool} named {}",
                disguised.display()
            );
            let piped = Command::new("sh")
                .args([
                    "-c",
                    &format!("cat '{fs}' | '{}' scan -q --events - -", bin()),
                ])
                .output()
                .unwrap();
            assert_eq!(piped.status.code(), Some(0), "{}", stderr(&piped));
            assert_eq!(
                without_input(&String::from_utf8_lossy(&piped.stdout)),
                want_events,
                "{tool} through a pipe"
            );
        }
    }
}

// `cat a.gz b.gz` (and pigz, and a capture rotated into pieces then joined) is one gzip
// file of two members: both are read. The same for zstd frames, xz streams, lz4 frames.
#[test]
fn concatenated_members_are_one_capture() {
    if !tools_present() {
        return;
    }
    let dir = tempdir("members");
    let plain = capture("mixed_pktap.pcap");
    let want = events_text(&[plain.to_str().unwrap()]);
    let bytes = std::fs::read(&plain).unwrap();
    // Mid-record on purpose: a member boundary is not a record boundary.
    let (a, b) = bytes.split_at(bytes.len() / 2 + 3);
    for (tool, args, ext) in TOOLS {
        let (pa, pb) = (dir.join(format!("a.{ext}")), dir.join(format!("b.{ext}")));
        filter(tool, args, a, &pa);
        filter(tool, args, b, &pb);
        let both = [std::fs::read(&pa).unwrap(), std::fs::read(&pb).unwrap()].concat();
        let f = dir.join(format!("both.pcap.{ext}"));
        std::fs::write(&f, both).unwrap();
        assert_eq!(events_text(&[f.to_str().unwrap()]), want, "{tool}");
    }
}

// A gzip file cut short (a copy that did not finish): the records before the cut are
// analysed, a warning names the file, the format and the record count, exit status 0 as for
// any capture cut short (README, exit status).
#[test]
fn a_cut_gzip_file_keeps_what_came_before_and_says_so() {
    if !require(have("gzip"), "gzip is not installed") {
        return;
    }
    let dir = tempdir("cutgz");
    let plain = capture("mixed_pktap.pcap");
    let full_events = events_text(&[plain.to_str().unwrap()]);
    let f = dir.join("x.pcap.gz");
    filter("gzip", &["-c"], &std::fs::read(&plain).unwrap(), &f);
    let gz = std::fs::read(&f).unwrap();
    let cut = dir.join("cut.pcap.gz");
    std::fs::write(&cut, &gz[..gz.len() * 2 / 3]).unwrap();
    let cs = cut.to_str().unwrap();
    let o = run(&[
        "scan",
        "-q",
        "--events",
        "-",
        "--report",
        &format!("{}", dir.join("r.json").display()),
        cs,
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let report: Value =
        serde_json::from_slice(&std::fs::read(dir.join("r.json")).unwrap()).unwrap();
    let read = report["inputs"][0]["packets"].as_u64().unwrap();
    assert!(read > 0, "nothing read before the cut");
    let err = stderr(&o);
    let want = format!(
        "shadowdesk: warning: {cs}: record {}: read error: gzip data cut short; the {read} records before it were read",
        read + 1
    );
    assert!(err.contains(&want), "{err}\nwanted: {want}");
    assert!(!err.contains("panicked"));
    // What was read is what the whole file gives up to there.
    let got = without_input(&String::from_utf8_lossy(&o.stdout));
    assert!(full_events.starts_with(&got) && got.len() < full_events.len());
}

#[test]
fn archives_are_refused_by_name() {
    let dir = tempdir("archives");
    let plain = capture("mixed.pcap");
    let tar = dir.join("c.tar");
    let ok = Command::new("tar")
        .args(["-cf", tar.to_str().unwrap(), "-C"])
        .arg(plain.parent().unwrap())
        .arg("mixed.pcap")
        .status()
        .unwrap();
    assert!(ok.success());
    let mut cases: Vec<(PathBuf, &str)> = vec![(
        tar.clone(),
        "a tar archive, not a capture: extract it first",
    )];
    if require(have("gzip"), "gzip is not installed") {
        let tgz = dir.join("c.tgz");
        filter("gzip", &["-c"], &std::fs::read(&tar).unwrap(), &tgz);
        cases.push((tgz, "gzip-compressed, and inside a tar archive"));
    }
    if require(have("zip"), "zip is not installed (apt-get install zip)") {
        let zip = dir.join("c.zip");
        let ok = Command::new("zip")
            .args(["-q", "-j", zip.to_str().unwrap()])
            .arg(&plain)
            .status()
            .unwrap();
        assert!(ok.success());
        cases.push((zip, "a zip archive, not a capture"));
    }
    if require(have("bzip2"), "bzip2 is not installed") {
        let bz = dir.join("c.pcap.bz2");
        filter("bzip2", &["-c"], &std::fs::read(&plain).unwrap(), &bz);
        cases.push((bz, "bzip2-compressed, which is not read directly"));
    }
    for (f, why) in cases {
        let fs = f.to_str().unwrap();
        let o = run(&["scan", "-q", "--report", "-", fs]);
        assert_eq!(o.status.code(), Some(2), "{fs}: {}", stderr(&o));
        let want = format!("shadowdesk: error: {fs}: {why}");
        assert!(stderr(&o).contains(&want), "{}\nwanted: {want}", stderr(&o));
    }
}

// Every output to a full disk: exit status 2 and a message naming it.
#[test]
fn writing_to_a_full_disk_is_an_error_naming_the_output() {
    if !require(Path::new("/dev/full").exists(), "/dev/full is missing") {
        return;
    }
    let cap = capture("mixed.pcap");
    let cs = cap.to_str().unwrap();
    let to_full = |args: &[&str]| {
        let o = Command::new(bin())
            .args(args)
            .stdout(
                std::fs::OpenOptions::new()
                    .write(true)
                    .open("/dev/full")
                    .unwrap(),
            )
            .output()
            .unwrap();
        (o.status.code(), stderr(&o))
    };
    for (args, what) in [
        (
            vec!["vendors"],
            "writing the vendor list to standard output",
        ),
        (
            vec!["vendors", "--json"],
            "writing the vendor list to standard output",
        ),
        (vec!["scan", cs], "writing the summary to standard output"),
        (
            vec!["scan", "-q", "--events", "-", cs],
            "writing events to standard output",
        ),
        (
            vec!["scan", "-q", "--report", "-", cs],
            "writing the report to standard output",
        ),
    ] {
        let (code, err) = to_full(&args);
        assert_eq!(code, Some(2), "{args:?}: {err}");
        assert!(
            err.contains(&format!(
                "shadowdesk: error: {what}: No space left on device"
            )),
            "{args:?}: {err}"
        );
    }
    let o = run(&["scan", "-q", "--events", "/dev/full", cs]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("writing events to /dev/full: No space left"),
        "{}",
        stderr(&o)
    );
}

// On a terminal (a pseudo-terminal from script(1)), the bar shows a percent and the input
// being read, and is cleared before the summary: no bar text is left on the summary's lines.
#[test]
fn the_progress_bar_shows_a_percent_and_is_cleared() {
    if !require(have("script"), "script (util-linux) is not installed") {
        return;
    }
    let cap = capture("mixed.pcap");
    let cs = cap.to_str().unwrap();
    let cmd = format!("'{}' scan '{cs}' '{cs}'", bin());
    let o = Command::new("script")
        .args(["-qefc", &cmd, "/dev/null"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    let tty = String::from_utf8_lossy(&o.stdout);
    let bar_at = tty
        .find("% [")
        .unwrap_or_else(|| panic!("no percent shown: {tty:?}"));
    assert!(tty.contains("[1/2] "), "no input shown: {tty:?}");
    // The last bar drawn is erased (indicatif: carriage return, then clear line) before the
    // summary starts.
    let summary_at = tty
        .find("shadowdesk: 2 input")
        .unwrap_or_else(|| panic!("no summary: {tty:?}"));
    let between = &tty[bar_at..summary_at];
    assert!(between.contains("\x1b[2K"), "bar not cleared: {between:?}");
    assert!(
        !tty[summary_at..].contains("% ["),
        "bar after the summary: {tty:?}"
    );
    // --quiet: no bar at all.
    let o = Command::new("script")
        .args(["-qefc", &format!("{cmd} --quiet"), "/dev/null"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&o.stdout).contains("% ["));
}

#[test]
fn help_gives_the_policy_grammar_and_the_exit_statuses() {
    for args in [&["--help"][..], &["scan", "--help"], &["live", "--help"]] {
        let o = run(args);
        assert!(o.status.success());
        let h = String::from_utf8_lossy(&o.stdout);
        for want in [
            "allow VENDOR[, VENDOR...]",
            "for GROUP|CIDR",
            "group NAME CIDR",
            "domain NAME",
            "tenant VENDOR TENANT",
            "Exit status:",
            "130, 143",
            "gzip, zstd, xz or lz4",
        ] {
            assert!(h.contains(want), "{args:?}: no {want:?} in\n{h}");
        }
    }
}
