//! NTLMSSP AUTHENTICATE messages, raw and as the probe finds them in any TCP payload
//! (signatures anywhere, base64 in HTTP Authorization headers, SPNEGO-wrapped).
#![no_main]

use libfuzzer_sys::fuzz_target;
use shadowdesk::model::{Extracted, Identity};
use shadowdesk::proto::ntlm;

fuzz_target!(|data: &[u8]| {
    let _ = ntlm::parse(data);
    if let ntlm::Found::Authenticate(a) = ntlm::find_authenticate(data) {
        let src = "10.0.0.1".parse().unwrap();
        Extracted::Identity(Identity::Ntlm(a)).into_whats(true, src, |_| {});
    }
});
