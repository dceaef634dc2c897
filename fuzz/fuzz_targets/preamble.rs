//! What a TCP client says first when it is not TLS: HTTP requests, CONNECT, SOCKS, STARTTLS.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shadowdesk::proto::preamble;

fuzz_target!(|data: &[u8]| {
    let _ = std::hint::black_box(preamble::classify(data));
});
