//! Output files are never clobbered or left broken, and a scan stopped by a signal still
//! reports what it read: the real binary onto a device node, a FIFO, a symlink, an open
//! descriptor, a missing folder, and killed mid-scan. Names never carry terminal control
//! bytes.

use std::io::{Read, Write};
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::util::*;

fn cap() -> String {
    capture("dns_udp_v4.pcap").to_str().unwrap().to_owned()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The report of a whole, uninterrupted scan of [`cap`], as the reference.
fn full_report() -> Value {
    let (o, doc) = report(&[&cap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(doc["interrupted"], false);
    sans_meta(doc)
}

/// A report without its `meta`, which differs from run to run (the time, the options).
fn sans_meta(mut doc: Value) -> Value {
    assert!(doc["meta"]["generated_at"].is_string(), "{doc}");
    doc.as_object_mut().unwrap().remove("meta");
    doc
}

fn mkfifo(p: &Path) {
    let st = Command::new("mkfifo").arg(p).status().expect("mkfifo runs");
    assert!(st.success(), "mkfifo {}", p.display());
}

fn read_json(p: &Path) -> Value {
    let text = std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    sans_meta(crate::util::report_doc(&text))
}

#[test]
fn report_onto_a_device_node_writes_into_it_and_keeps_the_node() {
    if !require(is_root(), "not root: mknod needs it") {
        return;
    }
    let d = tempdir("dev");
    let null = d.join("null");
    // Linux's /dev/null: character device 1,3 (Documentation/admin-guide/devices.txt).
    let st = Command::new("mknod")
        .args([s(&null), "c", "1", "3"])
        .status()
        .unwrap();
    assert!(st.success());
    let o = run(&[
        "scan",
        "-q",
        &cap(),
        "--report",
        s(&null),
        "--events",
        s(&null),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let m = std::fs::symlink_metadata(&null).unwrap();
    assert!(
        m.file_type().is_char_device(),
        "the device node was replaced: {m:?}"
    );
    // Nothing else appeared beside it (no temporary file left).
    assert_eq!(std::fs::read_dir(&d).unwrap().count(), 1);
    let _ = std::fs::remove_dir_all(d);
}

#[test]
fn report_onto_a_fifo_reaches_its_reader_whole() {
    let d = tempdir("fifo-out");
    let fifo = d.join("report.fifo");
    mkfifo(&fifo);
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read(fifo).unwrap())
    };
    let o = run(&["scan", "-q", &cap(), "--report", s(&fifo)]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let got: Value = sans_meta(crate::util::report_doc(&reader.join().unwrap()));
    assert_eq!(got, full_report());
    assert!(std::fs::symlink_metadata(&fifo)
        .unwrap()
        .file_type()
        .is_fifo());
    let _ = std::fs::remove_dir_all(d);
}

#[test]
fn report_onto_an_open_descriptor_is_written_in_place() {
    let d = tempdir("fd");
    let out = d.join("fd3.json");
    // The shell opens fd 3 onto the file; the report goes through /dev/fd/3 into that file.
    let st = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "exec '{}' scan -q '{}' --report /dev/fd/3 3>'{}'",
            bin(),
            cap(),
            s(&out)
        ))
        .status()
        .unwrap();
    assert_eq!(st.code(), Some(0));
    assert_eq!(read_json(&out), full_report());
    // A pipe, through /dev/stdout.
    let o = run(&["scan", "-q", &cap(), "--report", "/dev/stdout"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let piped: Value = sans_meta(crate::util::report_doc(&o.stdout));
    assert_eq!(piped, full_report());
    let _ = std::fs::remove_dir_all(d);
}

#[test]
fn report_onto_a_symlink_replaces_the_target_and_keeps_the_link() {
    let d = tempdir("link");
    std::fs::create_dir(d.join("real")).unwrap();
    // A relative link to a file that does not exist yet, then to one that does.
    let link = d.join("r.json");
    std::os::unix::fs::symlink("real/target.json", &link).unwrap();
    for round in 0..2 {
        let o = run(&["scan", "-q", &cap(), "--report", s(&link)]);
        assert_eq!(o.status.code(), Some(0), "round {round}: {}", stderr(&o));
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink(),
            "round {round}: the link was replaced"
        );
        assert_eq!(read_json(&d.join("real/target.json")), full_report());
        let names: Vec<_> = std::fs::read_dir(d.join("real"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["target.json"], "round {round}");
    }
    let _ = std::fs::remove_dir_all(d);
}

#[test]
fn a_bad_output_path_fails_before_any_output_is_touched() {
    let d = tempdir("missing");
    let events = d.join("e.ndjson");
    let report_file = d.join("r.json");
    std::fs::write(&events, b"earlier events\n").unwrap();
    std::fs::write(&report_file, b"{\"earlier\": true}\n").unwrap();
    let missing = d.join("no/such/dir/x.json");
    for args in [
        ["--report", s(&missing), "--events", s(&events)],
        ["--events", s(&missing), "--report", s(&report_file)],
    ] {
        let c = cap();
        let mut a = vec!["scan", "-q", c.as_str()];
        a.extend_from_slice(&args);
        let o = run(&a);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(
            stderr(&o).contains("does not exist"),
            "{args:?}: {}",
            stderr(&o)
        );
    }
    assert_eq!(std::fs::read(&events).unwrap(), b"earlier events\n");
    assert_eq!(
        std::fs::read(&report_file).unwrap(),
        b"{\"earlier\": true}\n"
    );
    assert!(!d.join("no").exists());
    // A folder as the report: refused the same way.
    let o = run(&[
        "scan",
        "-q",
        &cap(),
        "--report",
        s(&d),
        "--events",
        s(&events),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(std::fs::read(&events).unwrap(), b"earlier events\n");
    let _ = std::fs::remove_dir_all(d);
}

/// Waits until process `pid` has read at least `n` bytes (its `rchar` in /proc), so a
/// signal sent next finds the capture in its buffers rather than still in the pipe.
fn wait_read(pid: u32, n: u64) {
    let started = Instant::now();
    loop {
        let io = std::fs::read_to_string(format!("/proc/{pid}/io")).unwrap_or_default();
        let rchar: u64 = io
            .lines()
            .find_map(|l| l.strip_prefix("rchar: "))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0);
        if rchar >= n {
            // From the stream thread's buffer to the reader's: a hand-over, not I/O.
            std::thread::sleep(Duration::from_millis(300));
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the scan read {rchar} of {n} bytes"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Sends `sig` to a running scan and waits for it: its exit status and what it wrote to stderr.
fn stop(child: &mut std::process::Child, sig: &str) -> (std::process::ExitStatus, String) {
    signal(child.id(), sig);
    let st = child.wait().unwrap();
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    (st, err)
}

fn signal(pid: u32, sig: &str) {
    let st = Command::new("kill")
        .args([sig, &pid.to_string()])
        .status()
        .unwrap();
    assert!(st.success());
}

/// The whole capture goes in through `input` (a FIFO, or the scan's stdin when `None`),
/// which stays open; then `sig`. The scan must stop, report what it read, flush the events
/// and exit `code`.
fn interrupted_scan(tag: &str, fifo_input: bool, sig: &str, code: i32) {
    let d = tempdir(tag);
    let (rep, evs) = (d.join("r.json"), d.join("e.ndjson"));
    let bytes = std::fs::read(cap()).unwrap();
    let fifo = d.join("in.pcap");
    let input = if fifo_input {
        mkfifo(&fifo);
        s(&fifo).to_owned()
    } else {
        "-".to_owned()
    };
    let mut child = Command::new(bin())
        .args([
            "scan",
            "-q",
            &input,
            "--report",
            s(&rep),
            "--events",
            s(&evs),
        ])
        .stdin(if fifo_input {
            Stdio::null()
        } else {
            Stdio::piped()
        })
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Held open until the end of the test: the scan never sees end of input.
    let mut writer: Box<dyn Write> = if fifo_input {
        Box::new(std::fs::OpenOptions::new().write(true).open(&fifo).unwrap())
    } else {
        Box::new(child.stdin.take().unwrap())
    };
    writer.write_all(&bytes).unwrap();
    writer.flush().unwrap();
    wait_read(child.id(), bytes.len() as u64);
    let (st, err) = stop(&mut child, sig);
    drop(writer);
    assert_eq!(st.code(), Some(code), "{sig}: {err}");
    let doc = read_json(&rep);
    assert_eq!(doc["interrupted"], true);
    let full = full_report();
    // Everything was read before the signal: the same hosts and counts as a whole scan.
    assert_eq!(doc["hosts"], full["hosts"]);
    assert_eq!(doc["stats"]["events"], full["stats"]["events"]);
    assert_eq!(doc["inputs"][0]["packets"], full["inputs"][0]["packets"]);
    assert!(doc["inputs"][0]["error"]
        .as_str()
        .unwrap()
        .starts_with("interrupted by a signal"));
    // The events were flushed: the same lines as an uninterrupted run, as a multiset.
    // Read from a FIFO or stdin, not the file: only `input` may differ.
    let mut got: Vec<String> = without_input(&std::fs::read_to_string(&evs).unwrap())
        .lines()
        .map(str::to_owned)
        .collect();
    let (o, _) = events(&[&cap()]);
    let mut want: Vec<String> = without_input(&String::from_utf8(o.stdout).unwrap())
        .lines()
        .map(str::to_owned)
        .collect();
    got.sort();
    want.sort();
    assert!(!want.is_empty());
    assert_eq!(got, want);
    let _ = std::fs::remove_dir_all(d);
}

#[test]
fn sigint_mid_scan_of_a_fifo_reports_what_was_read_and_exits_130() {
    interrupted_scan("sigint", true, "-INT", 130);
}

#[test]
fn sigterm_mid_scan_of_stdin_reports_what_was_read_and_exits_143() {
    interrupted_scan("sigterm", false, "-TERM", 143);
}

#[test]
fn a_silent_fifo_is_noted_after_10_s_and_a_signal_still_ends_the_scan() {
    let d = tempdir("silent");
    let fifo = d.join("silent.pcap");
    mkfifo(&fifo);
    let rep = d.join("r.json");
    let mut child = Command::new(bin())
        .args(["scan", "-q", s(&fifo), "--report", s(&rep)])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(10_700));
    let (st, err) = stop(&mut child, "-INT");
    assert_eq!(st.code(), Some(130), "{err}");
    assert!(err.contains("nothing has arrived for 10 s"), "{err}");
    let doc = read_json(&rep);
    assert_eq!(doc["interrupted"], true);
    assert_eq!(doc["inputs"][0]["packets"], 0);
    assert_eq!(
        doc["inputs"][0]["error"],
        "not read: interrupted by a signal"
    );
    let _ = std::fs::remove_dir_all(d);
}

#[test]
fn a_fifo_inside_a_folder_is_skipped_with_a_warning() {
    let d = tempdir("fifo-in-dir");
    std::fs::copy(cap(), d.join("a.pcap")).unwrap();
    mkfifo(&d.join("b.pcap"));
    let started = Instant::now();
    let (o, doc) = report(&[s(&d)]);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "waited on the FIFO"
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("b.pcap: skipped: a FIFO"),
        "{}",
        stderr(&o)
    );
    let paths: Vec<&str> = doc["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, [s(&d.join("a.pcap"))]);
    let _ = std::fs::remove_dir_all(d);
}

/// The SOCKS5 capture (curl --socks5-hostname docs.helpscout.net through dante) with the
/// second byte of the name in the SOCKS request turned into ESC (0x1b).
fn socks5_with_esc(d: &Path) -> PathBuf {
    let mut b = std::fs::read(root().join("testdata/captures/more/socks5.pcap")).unwrap();
    // VER=5 CMD=CONNECT RSV=0 ATYP=3 (domain) LEN=18, then the name (RFC 1928 §4).
    let req = b"\x05\x01\x00\x03\x12docs.helpscout.net";
    let at = b
        .windows(req.len())
        .position(|w| w == req)
        .expect("the SOCKS5 request is in the capture");
    b[at + 6] = 0x1b;
    let p = d.join("socks5_esc.pcap");
    std::fs::write(&p, b).unwrap();
    p
}

#[test]
fn a_control_byte_in_a_socks_name_never_reaches_the_terminal() {
    let d = tempdir("esc");
    let p = socks5_with_esc(&d);
    // RFC 1035 §5.1: an octet as \DDD, its decimal value (ESC = 27).
    let shown = "d\\027cs.helpscout.net";
    let (o, evs) = events(&[s(&p)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let socks: Vec<&Value> = evs.iter().filter(|e| e["kind"] == "socks").collect();
    assert_eq!(socks.len(), 1);
    assert_eq!(socks[0]["hostname"], shown);
    // The TLS inside still names the real host.
    assert!(evs
        .iter()
        .any(|e| e["kind"] == "tls" && e["hostname"] == "docs.helpscout.net"));
    let o = run(&["scan", "-q", s(&p)]);
    assert!(o.status.success());
    assert!(!o.stdout.contains(&0x1b), "ESC reached the summary");
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(text.contains(shown), "{text}");
    let _ = std::fs::remove_dir_all(d);
}
