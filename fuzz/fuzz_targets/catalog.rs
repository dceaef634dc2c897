//! The catalog loaders, from text: a vendor file (and the built-in catalog with it as an
//! override), the encrypted-DNS resolver list and the ECH public-name list; every word of
//! the text is then looked up, as a host name from the wire would be.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shadowdesk::catalog::{self, Catalog, EchFronts, Resolvers};

fuzz_target!(|text: &str| {
    if let Ok(def) = catalog::parse_file("fuzz.vendor", text) {
        if let Ok(c) = Catalog::from_defs(vec![def.clone()]) {
            for w in text.split_whitespace() {
                std::hint::black_box(c.lookup(w));
            }
        }
        if let Ok(builtin) = Catalog::builtin() {
            if let Ok(c) = builtin.with_overrides(vec![def]) {
                std::hint::black_box(c.vendors().len());
            }
        }
    }
    if let Ok(r) = Resolvers::parse("encrypted-dns.resolvers", text) {
        for w in text.split_whitespace() {
            std::hint::black_box(r.lookup(w));
        }
    }
    if let Ok(f) = EchFronts::parse("ech.public-names", text) {
        for w in text.split_whitespace() {
            std::hint::black_box(f.contains(w));
        }
    }
});
