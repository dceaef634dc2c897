//! The policy loader, from text, against the built-in catalog; `--sanctioned` lists and
//! CIDRs from the same text; every vendor then asked about a few hosts.
#![no_main]

use std::net::IpAddr;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use shadowdesk::catalog::Catalog;
use shadowdesk::policy::{Cidr, Policy};

fn catalog() -> &'static Catalog {
    static C: OnceLock<Catalog> = OnceLock::new();
    C.get_or_init(|| Catalog::builtin().expect("the built-in catalog loads"))
}

fuzz_target!(|text: &str| {
    let catalog = catalog();
    let hosts: [IpAddr; 3] = [
        "10.1.2.3".parse().unwrap(),
        "192.168.0.1".parse().unwrap(),
        "2001:db8::1".parse().unwrap(),
    ];
    for w in text.split_whitespace() {
        if let Ok(c) = Cidr::parse(w) {
            for h in hosts {
                std::hint::black_box(c.contains(h));
            }
        }
    }
    let mut policy = match Policy::parse("fuzz.policy", text, catalog) {
        Ok(p) => p,
        Err(_) => Policy::default(),
    };
    if let Some(line) = text.lines().next() {
        let _ = policy.allow_everywhere(line, catalog);
    }
    for v in catalog.vendors() {
        for h in hosts {
            std::hint::black_box(policy.sanctioned(&v.id, h));
        }
    }
    // Ownership questions on the input's own words (any UTF-8, any length).
    for w in text.split_whitespace().take(64) {
        std::hint::black_box(policy.ours_domain(w));
        std::hint::black_box(policy.declared_tenant("zendesk", w));
    }
});
