//! The whole scan in-process: bytes as a capture file → reader, decode, defrag, flows,
//! parsers (`pipeline::run` with `Source::Bytes`, one worker) → aggregator with the built-in
//! catalog, resolver and ECH lists → events, report and summary, as `scan` builds them.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use shadowdesk::aggregate::{Aggregator, Limits};
use shadowdesk::catalog::{Catalog, EchFronts, Resolvers};
use shadowdesk::memcap::{Shares, MIN_MEMCAP};
use shadowdesk::output;
use shadowdesk::pipeline::{self, Source};
use shadowdesk::policy::Policy;
use shadowdesk::report::{Report, RunInfo};

struct Config {
    catalog: Catalog,
    policy: Policy,
    resolvers: Resolvers,
    fronts: EchFronts,
}

fn config() -> &'static Config {
    static C: OnceLock<Config> = OnceLock::new();
    C.get_or_init(|| {
        let catalog = Catalog::builtin().expect("the built-in catalog loads");
        let mut policy = Policy::default();
        // Some vendors sanctioned, so both verdicts occur.
        let first = catalog
            .vendors()
            .first()
            .map(|v| v.id.clone())
            .unwrap_or_default();
        let _ = policy.allow_everywhere(&first, &catalog);
        Config {
            catalog,
            policy,
            resolvers: Resolvers::builtin().expect("the built-in resolver list loads"),
            fronts: EchFronts::builtin().expect("the built-in ECH list loads"),
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let c = config();
    // A small budget, so the fuzzer reaches the limits' paths too.
    let shares = Shares::split(MIN_MEMCAP, 1);
    let limits = Limits::new(&shares, false);
    let mut agg = Aggregator::new(&c.catalog, &c.policy, &c.resolvers, &c.fronts, limits);
    let mut line = Vec::new();
    let mut events = 0usize;
    let source = Source::Bytes {
        name: "fuzz.pcap".into(),
        data: data.to_vec(),
    };
    let result = pipeline::run(source, 1, MIN_MEMCAP, false, &mut |o| {
        if agg.observe(&o, Some(&mut line)) {
            events += line.len();
        }
    });
    assert!(
        result.internal_error.is_none(),
        "{:?}",
        result.internal_error
    );
    let run = RunInfo::default();
    let doc = Report::build(&agg, &c.catalog, &result.inputs, &result.stats, false, &run);
    std::hint::black_box(doc.to_bytes().len() + events);
    let text = output::summary(&agg, &c.catalog, &result.inputs, &result.stats, true);
    std::hint::black_box(text.len());
});
