//! The parts of the report the page shows as markup (policy findings, regions, the vendors'
//! risk profiles, exposures, evidence chains, identities, self-hosted help desks): every
//! value the JSON report holds for them must be in the page, escaped as HTML. The report is
//! the reference here: its values are held to tshark and to the recording scripts by
//! regions.rs, exposure.rs, evidence.rs and identity.rs.

use serde_json::Value;

use super::{assert_self_contained, scan_html};
use crate::util::*;

/// A value as the page's template writes it: askama escapes these five characters as
/// numeric character references.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&#60;"),
            '>' => out.push_str("&#62;"),
            '&' => out.push_str("&#38;"),
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn str_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The markup of one section, from its opening tag to its end.
fn section<'h>(html: &'h str, id: &str) -> &'h str {
    let open = format!("<section id=\"{id}\"");
    let start = html
        .find(&open)
        .unwrap_or_else(|| panic!("no section {id}"));
    let len = html[start..].find("</section>").expect("section end");
    &html[start..start + len]
}

/// The markup of one host in the evidence section.
fn host_block<'h>(evidence: &'h str, ip: &str) -> &'h str {
    let open = format!("<div class=\"host\" id=\"host-{}\">", esc(ip));
    let start = evidence
        .find(&open)
        .unwrap_or_else(|| panic!("no evidence for {ip}"));
    let len = evidence[start + open.len()..]
        .find("<div class=\"host\"")
        .map_or(evidence.len() - start, |n| n + open.len());
    &evidence[start..start + len]
}

/// The markup of one host and vendor pair in a host's block.
fn pair_block<'h>(host: &'h str, vendor: &str) -> &'h str {
    let open = format!("<details class=\"pair\" data-vendor=\"{}\">", esc(vendor));
    let start = host
        .find(&open)
        .unwrap_or_else(|| panic!("no pair for {vendor}"));
    let len = host[start..].find("</details>").expect("pair end");
    &host[start..start + len]
}

fn has(html: &str, value: &str, what: &str) {
    assert!(
        html.contains(&esc(value)),
        "{what}: {value:?} (escaped {:?}) is not in the page",
        esc(value)
    );
}

/// Every value of every host and vendor's evidence chain, region and exposures is in that
/// pair's block, under that host's address; the host's identities too.
pub(super) fn assert_hosts(html: &str, report: &Value) {
    let evidence = section(html, "evidence");
    for h in report["hosts"].as_array().unwrap() {
        let ip = h["ip"].as_str().unwrap();
        if h["vendors"].as_array().unwrap().is_empty() {
            continue;
        }
        let block = host_block(evidence, ip);
        for i in h["identity"].as_array().unwrap() {
            for k in ["field", "value", "source", "first_seen", "last_seen"] {
                has(block, &str_of(&i[k]), &format!("{ip} identity {k}"));
            }
        }
        for v in h["vendors"].as_array().unwrap() {
            let vendor = v["vendor"].as_str().unwrap();
            let pair = pair_block(block, vendor);
            let what = |k: &str| format!("{ip} x {vendor}: {k}");
            for k in ["role", "first_seen", "last_seen", "events"] {
                has(pair, &str_of(&v[k]), &what(k));
            }
            if let Some(r) = v["region"].as_str() {
                has(pair, r, &what("region"));
                has(pair, v["region_by"].as_str().unwrap(), &what("region_by"));
            }
            match v["region_ok"].as_bool() {
                Some(false) => assert!(pair.contains(": outside the policy"), "{}", what("ok")),
                Some(true) => assert!(pair.contains(": inside the policy"), "{}", what("ok")),
                None => assert!(!pair.contains("required regions"), "{}", what("ok")),
            }
            let chain = &v["evidence_chain"];
            for n in chain["hostnames"].as_array().unwrap() {
                has(pair, n["hostname"].as_str().unwrap(), &what("chain name"));
                if !n["query"].is_null() {
                    for k in ["ts", "qtype", "resolver"] {
                        has(pair, &str_of(&n["query"][k]), &what("query"));
                    }
                }
                let a = &n["answer"];
                if !a.is_null() {
                    for k in ["ts", "rcode_name", "resolver"] {
                        has(pair, &str_of(&a[k]), &what("answer"));
                    }
                    for x in a["addresses"].as_array().unwrap() {
                        has(pair, x.as_str().unwrap(), &what("answer address"));
                    }
                    for c in a["cnames"].as_array().unwrap() {
                        has(pair, c.as_str().unwrap(), &what("answer cname"));
                    }
                }
                for c in n["connections"].as_array().unwrap() {
                    for k in ["ts", "kind", "method", "community_id"] {
                        has(pair, &str_of(&c[k]), &what("connection"));
                    }
                    let ip: std::net::IpAddr = c["server_ip"].as_str().unwrap().parse().unwrap();
                    let port = c["server_port"].as_u64().unwrap() as u16;
                    has(
                        pair,
                        &std::net::SocketAddr::new(ip, port).to_string(),
                        &what("server"),
                    );
                    if let Some(sni) = c["sni"].as_str() {
                        has(pair, sni, &what("sni"));
                    }
                }
            }
            for x in v["exposures"].as_array().into_iter().flatten() {
                for k in [
                    "exposure",
                    "credential",
                    "credential_name",
                    "reason",
                    "tls_version",
                    "weak_suite",
                    "example_host",
                    "example_method",
                    "example_path",
                    "first_seen",
                    "last_seen",
                ] {
                    if !x[k].is_null() {
                        has(pair, &str_of(&x[k]), &what(k));
                    }
                }
                let count = format!("<td class=\"n\">{}</td>", x["count"]);
                assert!(pair.contains(&count), "{}", what("count"));
            }
        }
    }
}

#[test]
fn findings_regions_risk_profiles_and_chains_are_in_the_page() {
    // regions.pcap (regions.rs): 10.99.77.1 reached intercom in eu, kustomer in eu (by
    // api.prod2.kustomerapp.com) and zendesk; this policy makes kustomer's region a
    // finding, and kustomer's missing soc2_type2 another (regions.rs holds the report to
    // these).
    let dir = tempdir("html-regions");
    let policy = dir.join("policy.txt");
    std::fs::write(
        &policy,
        "allow intercom\nrequire-region eu,us for intercom\nrequire-region us for kustomer\nrequire-cert soc2_type2\n",
    )
    .unwrap();
    let cap = capture("regions/regions.pcap");
    let (html, report, _) = scan_html(
        &dir,
        "regions",
        &["--policy", policy.to_str().unwrap(), cap.to_str().unwrap()],
    );
    assert_self_contained(&html);
    // Near the top: before the overview and the matrix.
    let at = |id: &str| html.find(&format!("<section id=\"{id}\"")).unwrap();
    assert!(at("findings") < at("overview") && at("overview") < at("matrix"));
    let findings = section(&html, "findings");
    let list = report["policy_findings"].as_array().unwrap();
    assert_eq!(list.len(), 2, "{list:?}");
    assert_eq!(
        findings.matches("<tr class=\"bad\">").count(),
        2,
        "two high"
    );
    for f in list {
        for k in ["severity", "kind", "vendor", "message"] {
            has(findings, &str_of(&f[k]), k);
        }
        has(findings, &format!("policy line {}", f["line"]), "line");
        for h in f["hosts"].as_array().unwrap() {
            has(findings, h.as_str().unwrap(), "host");
        }
        for k in ["required", "missing"] {
            let v: Vec<&str> = f[k]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_str().unwrap())
                .collect();
            has(findings, &v.join(", "), k);
        }
        if let Some(r) = f["region_by"].as_str() {
            has(findings, r, "region_by");
        }
    }
    // The risk profile of each vendor, every fact with its source.
    let vendors = section(&html, "vendors");
    let mut facts = 0;
    for v in report["vendors"].as_array().unwrap() {
        let risk = &v["risk"];
        assert!(!risk.is_null(), "{v}");
        for c in risk["certs"].as_array().unwrap() {
            for k in ["cert", "source", "read"] {
                has(vendors, c[k].as_str().unwrap(), "cert");
            }
            facts += 1;
        }
        for i in risk["incidents"].as_array().unwrap() {
            for k in ["date", "summary", "source", "read"] {
                has(vendors, i[k].as_str().unwrap(), "incident");
            }
            facts += 1;
        }
        let o = &risk["regions_offered"];
        if !o.is_null() {
            let codes: Vec<&str> = o["codes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c.as_str().unwrap())
                .collect();
            has(vendors, &codes.join(", "), "regions offered");
            has(vendors, o["source"].as_str().unwrap(), "regions source");
        }
    }
    assert!(facts >= 3, "the catalog states facts about these vendors");
    for t in report["tenants"].as_array().unwrap() {
        has(vendors, t["tenant"].as_str().unwrap(), "tenant");
    }
    // Per host and vendor: one region inside, one outside the policy.
    assert_hosts(&html, &report);
    let evidence = section(&html, "evidence");
    assert_eq!(evidence.matches(": outside the policy").count(), 1);
    assert_eq!(evidence.matches(": inside the policy").count(), 1);
}

#[test]
fn exposures_and_self_hosted_desks_are_in_the_page_without_secrets() {
    // exposure_http.pcap, weak_tls.pcap, selfhosted_http.pcap (exposure.rs holds the report
    // to what record-exposure.sh sent).
    let dir = tempdir("html-exposure");
    let caps: Vec<String> = [
        "exposure_http.pcap",
        "weak_tls.pcap",
        "selfhosted_http.pcap",
    ]
    .iter()
    .map(|c| capture(&format!("exposure/{c}")).display().to_string())
    .collect();
    let args: Vec<&str> = caps.iter().map(String::as_str).collect();
    let (html, report, _) = scan_html(&dir, "exposure", &args);
    assert_self_contained(&html);
    let exposures: usize = report["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|h| h["vendors"].as_array().unwrap())
        .map(|v| v["exposures"].as_array().map_or(0, Vec::len))
        .sum();
    assert!(exposures >= 10, "{exposures}");
    assert_hosts(&html, &report);
    let selfhosted = section(&html, "self-hosted");
    let list = report["self_hosted"].as_array().unwrap();
    assert_eq!(list.len(), 8);
    for x in list {
        for k in ["product", "product_name", "first_seen", "last_seen"] {
            has(selfhosted, x[k].as_str().unwrap(), k);
        }
        has(
            selfhosted,
            &format!("{}:{}", x["server_ip"].as_str().unwrap(), x["server_port"]),
            "server",
        );
        for k in ["server_names", "hosts", "certificate_names"] {
            for n in x[k].as_array().unwrap() {
                has(selfhosted, n.as_str().unwrap(), k);
            }
        }
        for g in x["signatures"].as_array().unwrap() {
            for k in ["field", "match", "pattern", "source"] {
                has(selfhosted, g[k].as_str().unwrap(), "signature");
            }
        }
    }
    // Names only: no secret the recording sent is anywhere in the page.
    let secrets = std::fs::read_to_string(capture("exposure/secrets.txt")).unwrap();
    for s in secrets
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        assert!(!html.contains(s), "secret {s} in the page");
    }
}

#[test]
fn identities_are_under_their_address() {
    // dhcp_two_hosts.pcap: tshark's identity truth names 10.99.50.50 laptop-alice and
    // 10.99.50.113 desk-bob (html.rs checks the matrix rows); every identity the report
    // holds for a host with vendors is in that host's block.
    let cap = capture("identity/dhcp_two_hosts.pcap");
    let dir = tempdir("html-identity-sections");
    let (html, report, _) = scan_html(&dir, "identity", &[cap.to_str().unwrap()]);
    let evidence = section(&html, "evidence");
    assert!(host_block(evidence, "10.99.50.50").contains("<b>laptop-alice</b>"));
    assert!(host_block(evidence, "10.99.50.113").contains("<b>desk-bob</b>"));
    assert_hosts(&html, &report);
}
