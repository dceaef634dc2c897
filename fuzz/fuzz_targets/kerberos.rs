//! Kerberos messages (UDP 88 payloads, or TCP ones after the record mark): the DER walk to
//! an AS-REQ's cname and realm, with nested lengths that may lie.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shadowdesk::model::{Extracted, Identity};
use shadowdesk::proto::kerberos;

fuzz_target!(|data: &[u8]| {
    if let Ok(kerberos::Message::AsReq(r)) = kerberos::parse(data) {
        let src = "10.0.0.1".parse().unwrap();
        Extracted::Identity(Identity::Kerberos(r)).into_whats(false, src, |_| {});
    }
    let _ = kerberos::tcp_record(data);
});
