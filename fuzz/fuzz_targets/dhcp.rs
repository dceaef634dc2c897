//! DHCPv4 messages (UDP 67/68 payloads): BOOTP header, options, option overload into the
//! `file` and `sname` fields, option 81 names in both encodings.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shadowdesk::model::{Extracted, Identity};
use shadowdesk::proto::dhcp;

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = dhcp::parse(data) {
        // And the rules that turn it into identity observations.
        let src = "10.0.0.1".parse().unwrap();
        Extracted::Identity(Identity::Dhcp(m)).into_whats(false, src, |_| {});
    }
});
