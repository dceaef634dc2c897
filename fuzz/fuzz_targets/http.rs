//! Plain HTTP heads (issue 16): a request's exposures and a response's head and title; a
//! server's first TLS flight (ServerHello, certificate names); the self-hosted signature
//! file's parser.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shadowdesk::exposure::Exposure;
use shadowdesk::proto::http::{self, Response, MAX_NAME, MAX_PATH, MAX_TITLE};

fuzz_target!(|data: &[u8]| {
    if let Some(r) = http::request(data) {
        // The path keeps at most MAX_PATH path bytes (each escaped to 4 characters at most)
        // and names, never a value longer than a name.
        assert!(r.path.len() <= MAX_PATH * 4 + 16 * (MAX_NAME * 4 + 1) + 1);
        let _ = Exposure::of_request(r);
    }
    if let Response::Head(h) = http::response(data) {
        assert!(h.title.map_or(0, |t| t.len()) <= MAX_TITLE);
    }
    if let shadowdesk::proto::tls_server::Parse::Done(h) = shadowdesk::proto::tls_server::parse(data) {
        assert!(h.names.len() <= shadowdesk::proto::tls_server::MAX_CERT_NAMES);
        let _ = Exposure::of_server_hello(&h);
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = shadowdesk::selfhosted::Signatures::parse(text);
    }
});
