//! Running the binary and reading its output.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use serde_json::Value;

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_shadowdesk")
}

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn capture(name: &str) -> PathBuf {
    root().join("testdata/captures").join(name)
}

/// Every capture in testdata/captures that has a truth file.
pub fn captures_with_truth() -> Vec<PathBuf> {
    let v = captures_with_truth_in("testdata/captures");
    assert!(
        v.len() >= 10,
        "expected the recorded captures, found {}",
        v.len()
    );
    v
}

/// Every capture in a folder of the repository that has a truth file.
pub fn captures_with_truth_in(dir: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root().join(dir))
        .expect("testdata/captures exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let n = p.to_string_lossy();
            (n.ends_with(".pcap") || n.ends_with(".pcapng"))
                && Path::new(&format!("{n}.truth.tsv")).exists()
        })
        .collect();
    v.sort();
    assert!(!v.is_empty(), "no recorded captures in {dir}");
    v
}

pub fn run(args: &[&str]) -> Output {
    Command::new(bin())
        .args(args)
        .output()
        .expect("running shadowdesk")
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Runs `scan --events - ARGS...` and parses every stdout line as JSON.
pub fn events(args: &[&str]) -> (Output, Vec<Value>) {
    let mut a = vec!["scan", "--quiet", "--events", "-"];
    a.extend_from_slice(args);
    let o = run(&a);
    let evs = String::from_utf8(o.stdout.clone())
        .expect("events are UTF-8")
        .lines()
        .map(event_line)
        .collect();
    (o, evs)
}

/// Parses one line of `--events` and checks it against `schema/event.schema.json`.
pub fn event_line(l: &str) -> Value {
    let v = serde_json::from_str(l).unwrap_or_else(|e| panic!("bad event line {l:?}: {e}"));
    check_event(&v);
    v
}

/// Parses a report and checks it against `schema/report.schema.json`.
pub fn report_doc(bytes: &[u8]) -> Value {
    let v = serde_json::from_slice(bytes).unwrap_or_else(|e| {
        panic!(
            "report is not JSON: {e}: {:?}",
            String::from_utf8_lossy(bytes)
        )
    });
    check_report(&v);
    v
}

/// A published schema (`schema/NAME.schema.json`, as committed), compiled. Formats are
/// checked: `ip` is an address as `IpAddr` reads it.
pub fn validator(name: &str) -> jsonschema::Validator {
    let path = root().join(format!("schema/{name}.schema.json"));
    let text = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let schema: Value = serde_json::from_slice(&text).expect("the schema is JSON");
    jsonschema::draft202012::options()
        .should_validate_formats(true)
        .with_format("ip", |s: &str| s.parse::<std::net::IpAddr>().is_ok())
        .build(&schema)
        .unwrap_or_else(|e| panic!("{}: not a valid JSON Schema: {e}", path.display()))
}

/// Why a value does not fit a schema, one line per error; empty when it fits.
pub fn schema_errors(v: &jsonschema::Validator, doc: &Value) -> String {
    v.iter_errors(doc)
        .map(|e| format!("{} at {}\n", e, e.instance_path()))
        .collect()
}

pub fn check_event(e: &Value) {
    static V: OnceLock<jsonschema::Validator> = OnceLock::new();
    let errors = schema_errors(V.get_or_init(|| validator("event")), e);
    assert!(
        errors.is_empty(),
        "event does not fit the schema: {e}\n{errors}"
    );
}

pub fn check_report(r: &Value) {
    static V: OnceLock<jsonschema::Validator> = OnceLock::new();
    let errors = schema_errors(V.get_or_init(|| validator("report")), r);
    assert!(
        errors.is_empty(),
        "report does not fit the schema:\n{errors}"
    );
}

/// Runs `scan --report - ARGS...` and parses the document.
pub fn report(args: &[&str]) -> (Output, Value) {
    let mut a = vec!["scan", "--quiet", "--report", "-"];
    a.extend_from_slice(args);
    let o = run(&a);
    assert!(!o.stdout.is_empty(), "no report; stderr: {}", stderr(&o));
    let doc = report_doc(&o.stdout);
    (o, doc)
}

pub type Row = (String, String, u16, String, u16, String);

/// Rows as a multiset: sorted, duplicates kept, so an event emitted twice (or missing
/// once) fails a comparison that a set would pass.
pub type Rows = Vec<Row>;

fn sorted(mut v: Rows) -> Rows {
    v.sort();
    v
}

/// The (kind, src, sport, dst, dport, hostname) rows of tls and dns events.
pub fn rows(evs: &[Value]) -> Rows {
    sorted(
        evs.iter()
            .filter(|e| matches!(e["kind"].as_str(), Some("tls") | Some("dns")))
            .map(|e| {
                (
                    e["kind"].as_str().unwrap().to_owned(),
                    e["src_ip"].as_str().unwrap().to_owned(),
                    e["src_port"].as_u64().unwrap() as u16,
                    e["dst_ip"].as_str().unwrap().to_owned(),
                    e["dst_port"].as_u64().unwrap() as u16,
                    e["hostname"].as_str().unwrap().to_owned(),
                )
            })
            .collect(),
    )
}

/// Reads a tab-separated file with a header into maps.
pub fn tsv(path: &Path) -> Vec<std::collections::BTreeMap<String, String>> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap_or("").split('\t').collect();
    lines
        .filter(|l| !l.is_empty())
        .map(|l| {
            header
                .iter()
                .map(|h| h.to_string())
                .zip(l.split('\t').map(str::to_owned))
                .collect()
        })
        .collect()
}

/// Runs the binary on a capture (which must exit 0) and returns its tls/dns rows and
/// tshark's: (ours, truth).
pub fn rows_and_truth(cap: &Path) -> (Rows, Rows) {
    let (o, evs) = events(&[cap.to_str().unwrap()]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}: {}",
        cap.display(),
        stderr(&o)
    );
    (rows(&evs), truth(cap))
}

/// tshark's rows for a capture (hostname lower-cased, trailing dot removed).
pub fn truth(capture: &Path) -> Rows {
    sorted(
        tsv(Path::new(&format!("{}.truth.tsv", capture.display())))
            .into_iter()
            .filter(|r| matches!(r["kind"].as_str(), "tls" | "dns") && !r["hostname"].is_empty())
            .map(|r| {
                (
                    r["kind"].clone(),
                    r["src_ip"].clone(),
                    r["src_port"].parse().unwrap(),
                    r["dst_ip"].clone(),
                    r["dst_port"].parse().unwrap(),
                    r["hostname"].trim_end_matches('.').to_lowercase(),
                )
            })
            .collect(),
    )
}

/// A test's scratch directory, removed when the test ends well and kept (its path printed)
/// when it fails, so a failure can be read. Removal matters: the HTML scale test alone writes
/// 350 MB, and CI's disk was once full before its last step.
pub struct TempDir(PathBuf);

impl std::ops::Deref for TempDir {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<Path> for TempDir {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<std::ffi::OsStr> for TempDir {
    fn as_ref(&self) -> &std::ffi::OsStr {
        self.0.as_os_str()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("kept for the failure: {}", self.0.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

pub fn tempdir(tag: &str) -> TempDir {
    let d = std::env::temp_dir().join(format!("shadowdesk-test-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    TempDir(d)
}

/// Whether the CI run is on (`CI` set, and not to "", "0" or "false"): there, a test whose
/// prerequisite is missing fails instead of skipping.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !matches!(v.trim(), "" | "0" | "false"))
}

/// The one gate for a test that needs something the machine may lack (`../shared`, a tool,
/// root). Returns true when `have` is; otherwise fails the test under CI ([`in_ci`]) and
/// elsewhere prints why it is skipped and returns false, so the caller returns. A skipped
/// test never passes in silence.
pub fn require(have: bool, what: &str) -> bool {
    if have {
        return true;
    }
    let test = std::thread::current().name().unwrap_or("a test").to_owned();
    assert!(
        !in_ci(),
        "{test}: {what}; CI must provide it (CI is set, so this fails rather than skips)"
    );
    // Straight to the process's stderr: the harness captures eprintln! of a passing test,
    // and a skip nobody sees is the silent pass this helper exists to prevent.
    use std::io::Write as _;
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED {test}: {what} (set CI=true to make this a failure)"
    );
    false
}

/// `../shared/pcaps/public`, the public captures with tshark's truth, when present (see
/// [`require`]).
pub fn shared_public() -> Option<PathBuf> {
    let p = root().join("../shared/pcaps/public");
    require(p.is_dir(), &format!("{} is not present", p.display())).then_some(p)
}

/// Whether this process runs as root (mknod, network namespaces), from /proc.
pub fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status").is_ok_and(|s| {
        s.lines()
            .find(|l| l.starts_with("Uid:"))
            .and_then(|l| l.split_whitespace().nth(2))
            == Some("0")
    })
}

/// Event lines without their `input` field: for comparing the events of one capture read
/// under different names (compressed, from a pipe, a copy). Paths here hold no `"`.
pub fn without_input(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(",\"input\":\"") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 10..];
        rest = &after[after.find('"').map_or(after.len(), |q| q + 1)..];
    }
    out.push_str(rest);
    out
}
