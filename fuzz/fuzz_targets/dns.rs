//! DNS messages (UDP payloads, and DNS-over-TCP messages without their length prefix).
#![no_main]

use libfuzzer_sys::fuzz_target;
use shadowdesk::proto::dns;

fuzz_target!(|data: &[u8]| {
    let _ = dns::parse(data);
    let _ = dns::parse_mdns(data);
    // Names anywhere in the message, as the parser's own record walk may reach them.
    for pos in [0, 12, data.len() / 2, data.len().saturating_sub(1)] {
        let _ = dns::read_name(data, pos);
    }
});
