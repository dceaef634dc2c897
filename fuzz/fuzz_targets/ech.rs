//! ECH: the ClientHello extension (an offer) and an HTTPS record's ECHConfigList; every
//! config is checked against the offer, as the aggregator does.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shadowdesk::proto::ech;

fuzz_target!(|data: &[u8]| {
    let offer = ech::parse_offer(data);
    let configs = ech::parse_config_list(data);
    // The same bytes split: an offer from the head, configs from the rest.
    let mid = data.first().map_or(0, |b| *b as usize).min(data.len());
    let offer2 = ech::parse_offer(&data[..mid]).or(offer);
    let configs2 = ech::parse_config_list(&data[mid..]);
    if let Some(o) = offer2 {
        for c in configs.iter().chain(&configs2) {
            std::hint::black_box(c.offered_by(&o));
        }
    }
});
