// Tests may index: a panic there is a failed test, not a crash on hostile bytes.
#![allow(clippy::indexing_slicing)]

use super::*;

const SECRETS: &[&str] = &["s3cr3t", "dXNlcjpzM2NyM3Q", "tok123", "KEY999", "sess42"];

#[test]
fn request_credentials_are_named_never_copied() {
    let req = b"POST http://acme.zendesk.com/api/v2/tickets.json?api_key=KEY999&page=2&tok123 HTTP/1.1\r\n\
Host: Acme.Zendesk.com:8080\r\n\
Authorization: Basic dXNlcjpzM2NyM3Q=\r\n\
X-API-Key: s3cr3t\r\n\
Cookie: _zendesk_session=sess42; lang=en\r\n\r\nbody";
    let r = request(req).unwrap();
    assert_eq!(r.method, "POST");
    assert_eq!(r.host.as_deref(), Some("acme.zendesk.com"));
    assert_eq!(r.path, "/api/v2/tickets.json?api_key&page&*");
    let kinds: Vec<_> = r
        .credentials
        .iter()
        .map(|c| (c.kind.as_str(), c.name.as_deref()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("api_key_param", Some("api_key")),
            ("basic_auth", None),
            ("api_key_header", Some("x-api-key")),
            ("cookie", Some("_zendesk_session,lang")),
        ]
    );
    let dump = format!("{r:?}");
    for s in SECRETS {
        assert!(!dump.contains(s), "{s} in {dump}");
    }
}

#[test]
fn authorization_schemes() {
    let one = |v: &str| {
        let req = format!("GET / HTTP/1.1\r\nHost: x\r\nAuthorization: {v}\r\n\r\n");
        let c = request(req.as_bytes()).unwrap().credentials;
        (c[0].kind, c[0].name.clone())
    };
    assert_eq!(one("Bearer tok123"), (CredentialKind::BearerToken, None));
    assert_eq!(one("bearer tok123"), (CredentialKind::BearerToken, None));
    assert_eq!(
        one("Token token=tok123"),
        (CredentialKind::OtherAuthorization, Some("token".into()))
    );
    // A bare key in Authorization: the first word is the secret, so no name.
    assert_eq!(one("tok123"), (CredentialKind::OtherAuthorization, None));
}

#[test]
fn long_names_and_bare_values_are_starred() {
    let long = "a".repeat(MAX_NAME + 1);
    let req = format!("GET /p?{long}=1&x=2&=3 HTTP/1.1\r\nHost: h\r\n\r\n");
    assert_eq!(request(req.as_bytes()).unwrap().path, "/p?*&x&*");
    assert!(request(b"GET / HTTP/1.1\r\nHost: h\r\n").is_none());
}

#[test]
fn response_head_and_title() {
    let resp = b"HTTP/1.1 200 OK\r\nServer: nginx\r\nSet-Cookie: _zammad_session_3f1=sess42; path=/; HttpOnly\r\n\
Content-Type: text/html\r\nContent-Length: 60\r\n\r\n<html><head><TITLE>\n Zammad  Helpdesk\n</title></head>";
    let Response::Head(h) = response(resp) else {
        panic!("head")
    };
    assert_eq!(h.status, 200);
    assert_eq!(h.server.as_deref(), Some("nginx"));
    assert_eq!(h.cookie_names, ["_zammad_session_3f1"]);
    assert_eq!(h.title.as_deref(), Some("Zammad Helpdesk"));
    assert_eq!(
        h.header_names,
        ["server", "set-cookie", "content-type", "content-length"]
    );
    assert!(!format!("{h:?}").contains("sess42"));
    // Head complete, body still to come: wait for the title.
    let cut = resp.len() - 40;
    assert_eq!(response(&resp[..cut]), Response::Incomplete);
    assert_eq!(response(b"HTTP/1."), Response::Incomplete);
    assert_eq!(response(b"SSH-2.0"), Response::NotHttp);
    // A redirect without a body is done at its head.
    assert!(matches!(
        response(b"HTTP/1.1 302 Found\r\nLocation: /login\r\n\r\n"),
        Response::Head(_)
    ));
    // A proxy's answer to CONNECT, then the server's TLS flight: no page to wait for.
    assert!(matches!(
        response(b"HTTP/1.1 200 Connection established\r\n\r\n\x16\x03\x03\x00\x40"),
        Response::Head(h) if h.status == 200 && h.title.is_none()
    ));
}

#[test]
fn every_prefix_and_junk_is_safe() {
    let resp: &[u8] = b"HTTP/1.1 200 OK\r\nSet-Cookie: a=b\r\nContent-Length: 30\r\n\r\n<title>\xff\x1b[2J</title>";
    for n in 0..resp.len() {
        let _ = response(&resp[..n]);
        let _ = request(&resp[..n]);
    }
    let Response::Head(h) = response(resp) else {
        panic!()
    };
    assert_eq!(h.title.as_deref(), Some("\\255\\027[2J"));
    for seed in 0u8..=255 {
        let b: Vec<u8> = (0..200u8)
            .map(|i| i.wrapping_mul(seed).wrapping_add(seed))
            .collect();
        let _ = request(&b);
        let _ = response(&b);
    }
}

// RFC 1035 §2.3.4: a name is at most 255 octets; a longer Host is no name and is not kept.
#[test]
fn a_host_longer_than_a_dns_name_is_not_kept() {
    let at = |n: usize| {
        let host = format!("{}.zendesk.com", "a".repeat(n - ".zendesk.com".len()));
        let head = format!("GET / HTTP/1.1\r\nHost: {host}\r\nX-Api-Key: k\r\n\r\n");
        let r = request(head.as_bytes()).unwrap();
        (r.host.map(|h| h.len()), r.credentials.len())
    };
    assert_eq!(at(255), (Some(255), 1));
    assert_eq!(at(256), (None, 1));
    assert_eq!(at(7000), (None, 1));
}

/// A head of `len` bytes (request or status line, filler headers) whose blank line starts at
/// byte `len - 4`, or that has no end at all when `ended` is false.
fn head_of(first: &str, len: usize, ended: bool) -> Vec<u8> {
    let mut b = format!("{first}\r\nHost: api.zendesk.com\r\nX-Pad: ").into_bytes();
    b.resize(len - 4, b'p');
    b.extend_from_slice(if ended { b"\r\n\r\n" } else { b"pppp" });
    b
}

#[test]
fn a_head_is_read_up_to_its_bound_and_refused_past_it() {
    // The blank line may start at byte MAX_HEAD - 1 at the latest.
    let last = head_of("HTTP/1.1 302 Found", MAX_HEAD + 3, true);
    assert!(matches!(response(&last), Response::Head(h) if h.status == 302));
    let past = head_of("HTTP/1.1 302 Found", MAX_HEAD + 4, true);
    assert_eq!(response(&past), Response::HeadTooLong);
    // A head that never ends waits until it has MAX_HEAD bytes, then is refused.
    let open = head_of("HTTP/1.1 200 OK", MAX_HEAD - 1, false);
    assert_eq!(response(&open), Response::Incomplete);
    let open = head_of("HTTP/1.1 200 OK", MAX_HEAD, false);
    assert_eq!(response(&open), Response::HeadTooLong);
    let req = head_of("GET /a HTTP/1.1", MAX_HEAD + 3, true);
    assert_eq!(
        request(&req).unwrap().host.as_deref(),
        Some("api.zendesk.com")
    );
    assert_eq!(
        request(&head_of("GET /a HTTP/1.1", MAX_HEAD + 4, true)),
        None
    );
}
