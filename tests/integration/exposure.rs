//! Insecure integrations (issue 16, item 1): plain HTTP, credentials in clear and weak TLS
//! towards a vendor, on the captures `testdata/record-exposure.sh` made with curl, Python
//! urllib and openssl s_client. Expected values are what the script sent; the no-secret
//! test greps every output for the secret values the script lists in `secrets.txt`.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::util::*;

fn cap(name: &str) -> String {
    capture(&format!("exposure/{name}"))
        .to_string_lossy()
        .into_owned()
}

fn s(v: &Value, k: &str) -> String {
    v[k].as_str().unwrap_or("-").to_owned()
}

#[test]
fn plain_http_and_each_credential_kind_as_the_clients_sent_them() {
    let (o, evs) = events(&[&cap("exposure_http.pcap")]);
    assert!(o.status.success(), "{}", stderr(&o));
    let got: Vec<[String; 6]> = evs
        .iter()
        .filter(|e| e["kind"] == "exposure")
        .map(|e| {
            assert_eq!(e["src_ip"], "10.99.70.1");
            assert_eq!(e["dst_ip"], "10.99.70.2");
            assert_eq!(e["dst_port"], 80);
            [
                s(e, "exposure"),
                s(e, "hostname"),
                s(e, "method"),
                s(e, "path"),
                s(e, "credential"),
                s(e, "credential_name"),
            ]
        })
        .collect();
    let row = |x: &str, h: &str, m: &str, p: &str, c: &str, n: &str| {
        [x, h, m, p, c, n].map(str::to_owned)
    };
    let (z, f) = ("acme.zendesk.com", "acme.freshdesk.com");
    let want = vec![
        // curl -u user:pass -X POST .../api/v2/tickets.json
        row("plain_http", z, "POST", "/api/v2/tickets.json", "-", "-"),
        row(
            "credentials_in_clear",
            z,
            "POST",
            "/api/v2/tickets.json",
            "basic_auth",
            "-",
        ),
        // curl -H "Authorization: Bearer ..."
        row("plain_http", z, "GET", "/api/v2/users/me.json", "-", "-"),
        row(
            "credentials_in_clear",
            z,
            "GET",
            "/api/v2/users/me.json",
            "bearer_token",
            "-",
        ),
        // curl -H "X-API-Key: ..." .../api/v2/tickets?page=2
        row("plain_http", f, "GET", "/api/v2/tickets?page", "-", "-"),
        row(
            "credentials_in_clear",
            f,
            "GET",
            "/api/v2/tickets?page",
            "api_key_header",
            "x-api-key",
        ),
        // curl ".../search.json?query=status%3Aopen&api_key=..."
        row(
            "plain_http",
            z,
            "GET",
            "/api/v2/search.json?query&api_key",
            "-",
            "-",
        ),
        row(
            "credentials_in_clear",
            z,
            "GET",
            "/api/v2/search.json?query&api_key",
            "api_key_param",
            "api_key",
        ),
        // curl -b "_zendesk_session=..." .../agent/dashboard
        row("plain_http", z, "GET", "/agent/dashboard", "-", "-"),
        row(
            "credentials_in_clear",
            z,
            "GET",
            "/agent/dashboard",
            "cookie",
            "_zendesk_session",
        ),
        // Python urllib POST with Basic and api-key headers
        row("plain_http", f, "POST", "/api/v2/contacts", "-", "-"),
        row(
            "credentials_in_clear",
            f,
            "POST",
            "/api/v2/contacts",
            "basic_auth",
            "-",
        ),
        row(
            "credentials_in_clear",
            f,
            "POST",
            "/api/v2/contacts",
            "api_key_header",
            "api-key",
        ),
    ];
    assert_eq!(got, want);
    // The report lists them per host and vendor, counted.
    let (_, doc) = report(&[&cap("exposure_http.pcap")]);
    let host = doc["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["ip"] == "10.99.70.1")
        .expect("the client is listed");
    let vendor = |id: &str| {
        host["vendors"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["vendor"] == id)
            .unwrap_or_else(|| panic!("{id} listed"))
            .clone()
    };
    let z = vendor("zendesk");
    let list = z["exposures"].as_array().expect("exposures");
    let plain = list.iter().find(|x| x["exposure"] == "plain_http").unwrap();
    assert_eq!(plain["count"], 4);
    assert_eq!(plain["example_path"], "/api/v2/tickets.json");
    let creds: BTreeSet<String> = list
        .iter()
        .filter(|x| x["exposure"] == "credentials_in_clear")
        .map(|x| s(x, "credential"))
        .collect();
    let want: BTreeSet<String> = ["api_key_param", "basic_auth", "bearer_token", "cookie"]
        .map(String::from)
        .into();
    assert_eq!(creds, want);
    let f = vendor("freshworks");
    assert_eq!(f["exposures"].as_array().unwrap().len(), 4);
}

#[test]
fn weak_client_tls_to_a_vendor() {
    let (o, evs) = events(&[&cap("weak_tls.pcap")]);
    assert!(o.status.success(), "{}", stderr(&o));
    let got: Vec<[String; 4]> = evs
        .iter()
        .filter(|e| e["kind"] == "exposure")
        .map(|e| {
            [
                s(e, "hostname"),
                e["tls_version"].as_str().unwrap_or("-").to_owned(),
                s(e, "reason"),
                s(e, "weak_suite"),
            ]
        })
        .collect();
    let row = |v: &str, r: &str, w: &str| ["acme.zendesk.com", v, r, w].map(str::to_owned);
    // The server's rows: tshark -Y 'tls.handshake.type == 2' reads the ServerHellos as
    // (0x0301, 0xc014), (0x0302, 0xc014), (0x0303, 0x003b = TLS_RSA_WITH_NULL_SHA256); the
    // name is the certificate's (CN and SAN acme.zendesk.com, as the script made it).
    assert_eq!(
        got,
        vec![
            // s_client -tls1, then -tls1_1 (DEFAULT:@SECLEVEL=0); s_server accepts both.
            row("1.0", "client_max_version", "-"),
            row("1.0", "server_version", "-"),
            row("1.1", "client_max_version", "-"),
            row("1.1", "server_version", "-"),
            // s_client -tls1_2 -cipher NULL-SHA256: TLS_RSA_WITH_NULL_SHA256 only
            row("1.2", "client_weak_suites_only", "null"),
            row("1.2", "server_weak_suite", "null"),
        ]
    );
    // A server's choice is reported from the client's side, like every event.
    for e in evs.iter().filter(|e| e["kind"] == "exposure") {
        assert_eq!(
            (e["src_ip"].as_str(), e["dst_port"].as_u64()),
            (Some("10.99.70.1"), Some(443))
        );
    }
}

/// Every output file, and stderr at the most verbose log level, is free of every secret
/// value the clients sent; the capture itself holds them (or this test proves nothing).
#[test]
fn no_secret_reaches_any_output() {
    let secrets: Vec<String> = std::fs::read_to_string(cap("secrets.txt"))
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(String::from)
        .collect();
    assert!(secrets.len() >= 18, "{secrets:?}");
    // Basic auth's passwords travel inside their base64 (also listed); the other values and
    // those base64 strings are on the wire as they are.
    let pcaps = [
        "exposure_http.pcap",
        "weak_tls.pcap",
        "selfhosted_http.pcap",
    ];
    let pcap: Vec<u8> = pcaps
        .iter()
        .flat_map(|p| std::fs::read(cap(p)).unwrap())
        .collect();
    let on_wire = secrets
        .iter()
        .filter(|sec| pcap.windows(sec.len()).any(|w| w == sec.as_bytes()))
        .count();
    assert_eq!(on_wire, secrets.len() - 2, "{secrets:?}");
    let dir = tempdir("exposure-secrets");
    let p = |n: &str| dir.join(n).to_string_lossy().into_owned();
    let o = std::process::Command::new(bin())
        .env("SHADOWDESK_LOG", "trace")
        .args([
            "scan",
            "--events",
            &p("events.jsonl"),
            "--report",
            &p("report.json"),
            "--csv",
            &p("hosts.csv"),
            "--html",
            &p("report.html"),
            &cap("exposure_http.pcap"),
            &cap("weak_tls.pcap"),
            &cap("selfhosted_http.pcap"),
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    // The terminal summary (written when no output file is asked for) is an output too,
    // with both sections.
    let caps = pcaps.map(cap);
    let t = std::process::Command::new(bin())
        .env("SHADOWDESK_LOG", "trace")
        .arg("scan")
        .args(&caps)
        .output()
        .unwrap();
    assert!(t.status.success(), "{}", stderr(&t));
    let summary = String::from_utf8_lossy(&t.stdout).into_owned();
    assert!(
        summary.contains("\nEXPOSURES (") && summary.contains("\nSELF-HOSTED HELP DESKS\n"),
        "{summary}"
    );
    let mut outputs = vec![
        ("stderr".to_owned(), o.stderr),
        ("stdout".to_owned(), o.stdout),
        ("summary".to_owned(), t.stdout),
        ("summary stderr".to_owned(), t.stderr),
    ];
    for e in std::fs::read_dir(&dir).unwrap() {
        let e = e.unwrap();
        outputs.push((
            e.path().display().to_string(),
            std::fs::read(e.path()).unwrap(),
        ));
    }
    assert!(
        outputs.len() >= 6,
        "{:?}",
        outputs.iter().map(|o| &o.0).collect::<Vec<_>>()
    );
    for (name, bytes) in &outputs {
        for sec in &secrets {
            assert!(
                !bytes.windows(sec.len()).any(|w| w == sec.as_bytes()),
                "{sec} written to {name}"
            );
        }
    }
    // The outputs did see the exposures (an empty output would pass the grep).
    let events = std::fs::read_to_string(dir.join("events.jsonl")).unwrap();
    assert_eq!(events.matches("\"credentials_in_clear\"").count(), 7);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Each folder of `testdata/selfhosted/` is one product's login page that the script served
/// as `<folder>` on 10.99.70.3:80 and headless Chromium loaded: each is in the report's
/// `self_hosted` list, as that product, with that name and the client that loaded it.
#[test]
fn each_self_hosted_product_is_recognised_on_plain_http() {
    let sites = root().join("testdata/selfhosted");
    let mut want: Vec<(String, String)> = std::fs::read_dir(&sites)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("body.html").exists())
        .map(|e| {
            let host = e.file_name().to_string_lossy().into_owned();
            let product = match host.split('.').next().unwrap() {
                "rt" => "request-tracker".to_owned(),
                p => p.to_owned(),
            };
            (product, host)
        })
        .collect();
    want.sort();
    assert_eq!(want.len(), 8, "{want:?}");
    let (o, doc) = report(&[&cap("selfhosted_http.pcap")]);
    assert!(o.status.success(), "{}", stderr(&o));
    let list = doc["self_hosted"].as_array().expect("self_hosted");
    let mut got: Vec<(String, String)> = list
        .iter()
        .map(|x| {
            assert_eq!(x["server_ip"], "10.99.70.3", "{x}");
            assert_eq!(x["server_port"], 80, "{x}");
            assert_eq!(x["hosts"], serde_json::json!(["10.99.70.1"]), "{x}");
            let names = x["server_names"].as_array().unwrap();
            assert_eq!(names.len(), 1, "{x}");
            for sig in x["signatures"].as_array().unwrap() {
                assert!(sig["source"].as_str().unwrap().contains(':'), "{sig}");
            }
            (s(x, "product"), names[0].as_str().unwrap().to_owned())
        })
        .collect();
    got.sort();
    assert_eq!(got, want);
    // osTicket shows all three kinds: the session cookie, the title and the /scp/ path.
    let ost = list.iter().find(|x| x["product"] == "osticket").unwrap();
    let fields: BTreeSet<String> = ost["signatures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| s(g, "field"))
        .collect();
    assert_eq!(fields, ["cookie", "path", "title"].map(String::from).into());
}

/// A cloud vendor's own name is that vendor, never a self-hosted instance: the vendor
/// captures (plain HTTP to acme.zendesk.com, TLS) list none.
#[test]
fn vendor_traffic_is_not_self_hosted() {
    let (_, doc) = report(&[&cap("exposure_http.pcap"), &cap("weak_tls.pcap")]);
    assert_eq!(doc["self_hosted"], serde_json::json!([]));
}

/// Over TLS 1.2 (Chromium --ssl-version-max=tls1.2) the help desks' HTTPS port shows only
/// its certificate, whose SAN names every self-hosted host (as the script made it; tshark's
/// x509ce.dNSName reads the same): each help desk found on plain HTTP gets its 443 port too,
/// tied by the certificate name that is its own.
#[test]
fn a_certificate_ties_the_https_port_to_the_help_desk() {
    let (_, doc) = report(&[&cap("selfhosted_http.pcap"), &cap("selfhosted_tls.pcap")]);
    let list = doc["self_hosted"].as_array().unwrap();
    let https: Vec<&Value> = list.iter().filter(|x| x["server_port"] == 443).collect();
    assert_eq!(https.len(), 8);
    for x in https {
        let name = x["server_names"][0].clone();
        assert_eq!(x["certificate_names"], serde_json::json!([name]), "{x}");
        assert_eq!(x["hosts"], serde_json::json!(["10.99.70.1"]));
    }
    // Alone, the TLS capture names no product: a certificate says who, not what.
    let (_, doc) = report(&[&cap("selfhosted_tls.pcap")]);
    assert_eq!(doc["self_hosted"], serde_json::json!([]));
}
