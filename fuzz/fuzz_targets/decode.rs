//! Link layers and tunnels: the first byte picks a link type (every supported one, plus the
//! raw number for the rest), the remainder is one frame; decoded without and with a
//! fragment table, and a completed datagram decoded again as the reader does.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shadowdesk::decode::{self, linktype as lt, Context};
use shadowdesk::defrag::Defrag;

const LINKTYPES: &[i32] = &[
    lt::NULL,
    lt::ETHERNET,
    lt::PPP,
    lt::PPP_HDLC,
    lt::RAW_12,
    lt::RAW_14,
    lt::RAW,
    lt::IEEE802_11,
    lt::LOOP,
    lt::IEEE802_11_RADIOTAP,
    lt::NFLOG,
    lt::LINUX_SLL,
    lt::IPV4,
    lt::IPV6,
    lt::LINUX_SLL2,
];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, frame)) = data.split_first() else {
        return;
    };
    let linktype = match LINKTYPES.get(pick as usize) {
        Some(&l) => l,
        None => pick as i32,
    };
    let _ = decode::decode(linktype, frame);
    let mut defrag = Defrag::default();
    let mut cx = Context::new(Some(&mut defrag), 0);
    let _ = decode::decode_with(linktype, frame, &mut cx);
    if let Some(p) = cx.reassembled.take() {
        let mut cx = Context::new(Some(&mut defrag), 0);
        let _ = decode::decode_ip(&p, &mut cx);
    }
});
