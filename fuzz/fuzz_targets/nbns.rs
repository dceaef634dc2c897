//! NetBIOS name service messages (UDP 137 payloads): encoded names, pointers, NB records.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shadowdesk::model::{Extracted, Identity};
use shadowdesk::proto::nbns;

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = nbns::parse(data) {
        let src = "10.0.0.1".parse().unwrap();
        Extracted::Identity(Identity::Nbns(m)).into_whats(false, src, |_| {});
    }
});
