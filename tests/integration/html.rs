//! `--html`: the page opened in a real browser (headless Chromium over WebDriver, driven by
//! tests/html/check.py), with the expected hosts, vendors and counts taken from tshark's
//! truth next to the captures or from the synthetic capture generator's own record, never
//! from our output. CI installs chromium and chromium-driver; elsewhere the browser tests
//! say why they skip.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use serde_json::{json, Value};

use crate::util::*;

mod sections;

fn have(cmd: &str) -> bool {
    Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {cmd}"))
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Whether the browser checks can run here (see [`require`]).
fn browser() -> bool {
    let missing: Vec<&str> = ["python3", "chromium", "chromedriver"]
        .into_iter()
        .filter(|c| !have(c))
        .collect();
    require(
        missing.is_empty(),
        &format!(
            "{} not installed (apt-get install chromium chromium-driver)",
            missing.join(", ")
        ),
    )
}

fn python(args: &[&str]) -> std::process::Output {
    Command::new("python3")
        .args(args)
        .output()
        .expect("running python3")
}

/// Runs tests/html/check.py on a page with an expectation file; fails with its output.
fn check_in_browser(page: &Path, expect: &Value, dir: &Path, tag: &str) {
    let exp = dir.join(format!("{tag}.expect.json"));
    std::fs::write(&exp, expect.to_string()).unwrap();
    let shot = dir.join(format!("{tag}.png"));
    let pdf = dir.join(format!("{tag}.pdf"));
    let o = python(&[
        root().join("tests/html/check.py").to_str().unwrap(),
        page.to_str().unwrap(),
        "--expect",
        exp.to_str().unwrap(),
        "--screenshot",
        shot.to_str().unwrap(),
        "--pdf",
        pdf.to_str().unwrap(),
    ]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "browser check of {}:\n{out}\n{}",
        page.display(),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(out.contains("no request left the page"), "{out}");
}

/// The vendor of a name, by the vendors' own domains (written here, not taken from the
/// catalog, so a catalog change cannot move the expectation with it).
fn vendor_of(name: &str) -> Option<&'static str> {
    [
        ("zendesk.com", "zendesk"),
        ("helpscout.net", "helpscout"),
        ("intercom.io", "intercom"),
        ("kustomerapp.com", "kustomer"),
    ]
    .into_iter()
    .find(|(d, _)| name == *d || name.ends_with(&format!(".{d}")))
    .map(|(_, v)| v)
}

fn tsv(path: &Path) -> Vec<BTreeMap<String, String>> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let head: Vec<&str> = lines.next().unwrap().split('\t').collect();
    lines
        .map(|l| {
            head.iter()
                .map(|h| h.to_string())
                .zip(l.split('\t').map(str::to_owned))
                .collect()
        })
        .collect()
}

/// Events per host and vendor as tshark saw them: a DNS question or a TLS hello counts for
/// its sender, a DNS answer for its receiver (the client).
fn truth_pairs(cap: &Path) -> BTreeMap<String, BTreeMap<String, u64>> {
    let mut pairs: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
    let truth = tsv(Path::new(&format!("{}.truth.tsv", cap.display())));
    let answers = tsv(Path::new(&format!("{}.dns-answers.tsv", cap.display())));
    let rows = truth
        .iter()
        .map(|r| (r["src_ip"].clone(), r["hostname"].clone()))
        .chain(
            answers
                .iter()
                .map(|r| (r["dst_ip"].clone(), r["qname"].clone())),
        );
    for (ip, name) in rows {
        if let Some(v) = vendor_of(&name.trim_end_matches('.').to_lowercase()) {
            *pairs.entry(ip).or_default().entry(v.into()).or_default() += 1;
        }
    }
    pairs
}

fn scan_html(dir: &Path, tag: &str, args: &[&str]) -> (String, Value, std::path::PathBuf) {
    let page = dir.join(format!("{tag}.html"));
    let rep = dir.join(format!("{tag}.json"));
    let mut all = vec![
        "scan",
        "-q",
        "--report",
        rep.to_str().unwrap(),
        "--html",
        page.to_str().unwrap(),
    ];
    all.extend_from_slice(args);
    let o = run(&all);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let html = std::fs::read_to_string(&page).unwrap();
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&rep).unwrap()).unwrap();
    (html, report, page)
}

/// The JSON report's host x vendor event counts, to hold the page to.
/// The pairs the report counts as unsanctioned use (operators and integrations of a vendor the
/// policy does not allow; roles are held to the recordings in roles.rs). The page must mark
/// exactly these; each must be a truth pair whose vendor the test did not sanction.
fn report_unsanctioned(
    report: &Value,
    pairs: &BTreeMap<String, BTreeMap<String, u64>>,
    sanctioned: &str,
) -> Vec<[String; 2]> {
    let mut v = Vec::new();
    for h in report["hosts"].as_array().unwrap() {
        let ip = h["ip"].as_str().unwrap();
        for u in h["unsanctioned"].as_array().unwrap() {
            let u = u.as_str().unwrap();
            assert!(
                u != sanctioned && pairs.get(ip).is_some_and(|p| p.contains_key(u)),
                "{ip} x {u} flagged but not an unsanctioned truth pair"
            );
            v.push([ip.to_owned(), u.to_owned()]);
        }
    }
    assert!(!v.is_empty(), "some pair is unsanctioned use");
    v
}

fn report_pairs(report: &Value) -> BTreeMap<String, BTreeMap<String, u64>> {
    report["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            let vs = h["vendors"].as_array().unwrap().iter();
            (
                h["ip"].as_str().unwrap().to_owned(),
                vs.map(|v| {
                    (
                        v["vendor"].as_str().unwrap().to_owned(),
                        v["events"].as_u64().unwrap(),
                    )
                })
                .collect(),
            )
        })
        .collect()
}

/// Every page: one CSP that fetches nothing, exactly our two scripts (the data block and
/// the code), and no markup from a name.
fn assert_self_contained(html: &str) {
    assert!(
        html.contains(
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src &#39;none&#39;;"
        ) || html
            .contains("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none';"),
        "no CSP"
    );
    assert_eq!(html.matches("<script").count(), 2);
    // The SVG namespace is a name, not an address the browser fetches; the sources of the
    // vendors' risk facts are text in `<span class="src">`, not links.
    let mut html = html.replace("\"http://www.w3.org/2000/svg\"", "");
    while let Some(start) = html.find("<span class=\"src\">") {
        let end = start + html[start..].find("</span>").expect("end of a source");
        html.replace_range(start..end, "");
    }
    for external in [
        "http://",
        "https://",
        "src=\"",
        "href=\"//",
        "@import",
        "url(",
    ] {
        assert!(!html.contains(external), "page refers to {external}");
    }
}

#[test]
fn html_page_of_mixed_capture_in_chromium() {
    // mixed.pcapng (MANIFEST.tsv): 10.99.0.1 and fd00:99::1 with four vendors over DNS
    // (UDP, TCP) and TLS; zendesk sanctioned, the rest not.
    let cap = capture("mixed.pcapng");
    let dir = tempdir("html-mixed");
    let (html, report, page) = scan_html(
        &dir,
        "mixed",
        &["--sanctioned", "zendesk", cap.to_str().unwrap()],
    );
    assert_self_contained(&html);
    let pairs = truth_pairs(&cap);
    assert_eq!(pairs.len(), 2, "{pairs:?}");
    // The page is held to the truth; the JSON report must say the same.
    assert_eq!(report_pairs(&report), pairs);
    let unsanctioned = report_unsanctioned(&report, &pairs, "zendesk");
    if !browser() {
        return;
    }
    check_in_browser(
        &page,
        &json!({"pairs": pairs, "unsanctioned": unsanctioned, "texts": ["acme.zendesk.com"]}),
        &dir,
        "mixed",
    );
}

#[test]
fn hostile_names_are_text_in_the_page() {
    if !require(have("python3"), "python3 is not installed") {
        return;
    }
    let dir = tempdir("html-hostile");
    let cap = dir.join("hostile.pcap");
    let truth = dir.join("hostile.truth.json");
    let o = python(&[
        root().join("tests/html/synth.py").to_str().unwrap(),
        "hostile",
        cap.to_str().unwrap(),
        truth.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let truth: Value = serde_json::from_str(&std::fs::read_to_string(&truth).unwrap()).unwrap();
    // The policy file's text is shown in the page too, escaped like any value.
    let policy = dir.join("policy.txt");
    std::fs::write(&policy, "# <b>ours</b> & \"theirs\"\nallow kustomer\n").unwrap();
    let (html, report, page) = scan_html(
        &dir,
        "hostile",
        &["--policy", policy.to_str().unwrap(), cap.to_str().unwrap()],
    );
    assert!(
        html.contains("# &#60;b&#62;ours&#60;/b&#62; &#38; &#34;theirs&#34;")
            || html.contains("# &lt;b&gt;ours&lt;/b&gt; &amp; &quot;theirs&quot;"),
        "policy text not escaped"
    );
    assert_self_contained(&html);
    // The names reached the report as sent: the escaping is the page's to do.
    let names = report.to_string();
    assert!(
        names.contains("x<script>alert(1)</script>.zendesk.com"),
        "{names}"
    );
    // Names reach the page only inside the data block, where nothing but `</script` could
    // end it: the block holds no `<`, `>` or `&` at all (askama's json filter writes them
    // as \u003c...), and the rest of the page holds no piece of a hostile name.
    let open = "<script type=\"application/json\" id=\"data\">";
    let start = html.find(open).expect("data block") + open.len();
    let len = html[start..]
        .find("</script>")
        .expect("end of the data block");
    let block = &html[start..start + len];
    assert!(!block.contains(['<', '>', '&']), "data block: {block}");
    assert!(block.contains("x\\u003cscript\\u003ealert(1)"), "{block}");
    // Outside it, the names are text in the evidence section, escaped: no piece of their
    // markup is left whole.
    let rest = format!("{}{}", &html[..start], &html[start + len..]);
    for raw in [
        "<script>alert",
        "\"onmouseover",
        "'onfocus",
        " onmouseover=",
        " onfocus=",
        "<img",
    ] {
        assert!(
            !rest.contains(raw),
            "{raw} is in the page outside the data block"
        );
    }
    for escaped in [
        "<code>x&#60;script&#62;alert(1)&#60;/script&#62;.zendesk.com</code>",
        "<code>a&#34;onmouseover=&#34;alert(2)&#34;.intercom.io</code>",
        "<code>c&#60;/title&#62;&#60;img src=x&#62;.helpscout.net</code>",
    ] {
        assert!(rest.contains(escaped), "{escaped} is not in the page");
    }
    sections::assert_hosts(&html, &report);
    let pairs: BTreeMap<String, BTreeMap<String, u64>> =
        serde_json::from_value(truth["pairs"].clone()).unwrap();
    assert_eq!(report_pairs(&report), pairs);
    if !browser() {
        return;
    }
    let unsanctioned = report_unsanctioned(&report, &pairs, "kustomer");
    check_in_browser(
        &page,
        &json!({"pairs": pairs, "unsanctioned": unsanctioned, "texts": [
            "x<script>alert(1)</script>.zendesk.com",
            "a\"onmouseover=\"alert(2)\".intercom.io",
            "c</title><img src=x>.helpscout.net"]}),
        &dir,
        "hostile",
    );
}

#[test]
fn live_rewrites_the_page_with_the_report() {
    // Live capture on the loopback interface (root), with DNS questions sent to 127.0.0.1
    // (no server needs to answer): the page appears while the capture runs, at each
    // --report-interval, written as the JSON report is (whole, renamed into place).
    if !require(is_root(), "not root (live capture needs it)") {
        return;
    }
    let dir = tempdir("html-live");
    let page = dir.join("live.html");
    let rep = dir.join("live.json");
    let mut child = Command::new(bin())
        .args(["live", "-q", "-i", "lo", "--report-interval", "1"])
        .args([
            "--html",
            page.to_str().unwrap(),
            "--report",
            rep.to_str().unwrap(),
        ])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    // A DNS query for acme.zendesk.com, type A (RFC 1035 §4.1).
    let mut q = vec![0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0];
    for label in ["acme", "zendesk", "com"] {
        q.push(label.len() as u8);
        q.extend_from_slice(label.as_bytes());
    }
    q.extend_from_slice(&[0, 0, 1, 0, 1]);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let mut seen = false;
    while std::time::Instant::now() < deadline {
        let _ = sock.send_to(&q, "127.0.0.1:53");
        std::thread::sleep(std::time::Duration::from_millis(200));
        let html = std::fs::read_to_string(&page).unwrap_or_default();
        if html.contains("acme.zendesk.com") {
            assert!(
                html.ends_with("</html>\n") || html.ends_with("</html>"),
                "a page cut short"
            );
            seen = true;
            break;
        }
    }
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let st = child.wait().unwrap();
    assert!(
        seen,
        "the page was not rewritten with the name during the capture"
    );
    assert_eq!(st.code(), Some(0));
    let html = std::fs::read_to_string(&page).unwrap();
    assert_self_contained(&html);
    assert!(html.contains("interface:lo"), "the input is the interface");
}

#[test]
fn ten_thousand_hosts_page_size_and_time_to_usable() {
    // tests/html/scale.sh: 10,000 hosts over the 90 catalog vendors (~104,000 pairs), the
    // page opened in Chromium. The goal (README) is usable within 2 s and under 20 MB; the
    // time bound here is looser because other tests share the 2 cores while this runs, and
    // still fails a page that draws every cell (that takes tens of seconds).
    if !browser() {
        return;
    }
    let dir = tempdir("html-scale");
    let o = Command::new("bash")
        .arg(root().join("tests/html/scale.sh"))
        .args([bin(), dir.to_str().unwrap(), "10000"])
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{out}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let line = out
        .lines()
        .find(|l| l.starts_with('{'))
        .expect("the measure");
    let m: Value = serde_json::from_str(line).unwrap();
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr(), "html scale: {line}");
    assert_eq!(m["hosts"], 10000);
    assert!(m["bytes"].as_u64().unwrap() < 20 << 20, "{line}");
    assert!(m["ready_ms"].as_u64().unwrap() < 5000, "{line}");
}

#[test]
fn rows_name_the_device_from_its_dhcp_lease() {
    // dhcp_two_hosts.pcap (testdata/README.md, identity): dhclient leased 10.99.50.50 as
    // laptop-alice and udhcpc 10.99.50.113 as desk-bob; tshark's identity truth says so.
    let cap = capture("identity/dhcp_two_hosts.pcap");
    let truth = tsv(Path::new(&format!("{}.identity.tsv", cap.display())));
    let named = |ip: &str, name: &str| {
        truth
            .iter()
            .any(|r| r["ip"] == ip && r["field"] == "hostname" && r["value"] == name)
    };
    assert!(named("10.99.50.50", "laptop-alice") && named("10.99.50.113", "desk-bob"));
    let dir = tempdir("html-identity");
    let (_, report, page) = scan_html(&dir, "identity", &[cap.to_str().unwrap()]);
    let pairs = report_pairs(&report);
    let unsanctioned: Vec<[String; 2]> = report["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|h| {
            let ip = h["ip"].as_str().unwrap().to_owned();
            h["unsanctioned"]
                .as_array()
                .unwrap()
                .iter()
                .map(move |u| [ip.clone(), u.as_str().unwrap().to_owned()])
        })
        .collect();
    if !browser() {
        return;
    }
    check_in_browser(
        &page,
        &json!({"pairs": pairs, "unsanctioned": unsanctioned,
                "texts": ["10.99.50.50 laptop-alice", "10.99.50.113 desk-bob"]}),
        &dir,
        "identity",
    );
}
