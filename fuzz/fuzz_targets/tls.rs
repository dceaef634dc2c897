//! TLS: the byte stream of a TCP connection (records, ChangeCipherSpec prefix) and the bare
//! handshake stream QUIC's CRYPTO frames carry.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shadowdesk::proto::tls::{self, Parse};

fuzz_target!(|data: &[u8]| {
    let _ = tls::may_start_handshake(data);
    let skip = tls::change_cipher_spec_prefix(data);
    assert!(skip <= data.len());
    if let Parse::ClientHello { end, .. } = tls::parse_client_hello(&data[skip..]) {
        assert!(end <= data.len() - skip);
    }
    if let Parse::ClientHello { end, .. } = tls::parse_handshake_stream(data) {
        assert!(end <= data.len());
    }
});
