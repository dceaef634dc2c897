//! DHCPv6 messages (UDP 546/547 payloads), relay messages nested in relay messages.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shadowdesk::model::{Extracted, Identity};
use shadowdesk::proto::dhcpv6;

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = dhcpv6::parse(data) {
        let src = "fe80::1".parse().unwrap();
        Extracted::Identity(Identity::Dhcpv6(m)).into_whats(false, src, |_| {});
    }
});
