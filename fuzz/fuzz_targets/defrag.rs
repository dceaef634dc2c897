//! IP defragmentation: a sequence of fragments straight into `Defrag::add` (with headers of
//! the lengths the decoder gives it: 20-60 bytes for IPv4, 40 for IPv6), mixed with raw IP
//! packets through the decoder, which builds its own fragments; every completed datagram is
//! decoded again.
#![no_main]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use shadowdesk::decode::{self, linktype, Context};
use shadowdesk::defrag::{Defrag, FragKey, Fragment};

#[derive(Arbitrary, Debug)]
enum Op {
    Add {
        /// Few distinct keys, so fragments meet.
        key: u8,
        v6: bool,
        offset: u16,
        more: bool,
        data: Vec<u8>,
        header: Option<Vec<u8>>,
        ts: i64,
    },
    Packet {
        ts: i64,
        bytes: Vec<u8>,
    },
}

fn key(k: u8, v6: bool) -> FragKey {
    let (src, dst) = if v6 {
        (
            IpAddr::V6(Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 1 + (k & 1) as u16)),
            IpAddr::V6(Ipv6Addr::LOCALHOST),
        )
    } else {
        (
            IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1 + (k & 1))),
            IpAddr::V4(Ipv4Addr::new(10, 0, 0, 9)),
        )
    };
    FragKey {
        src,
        dst,
        proto: if k & 2 == 0 { 6 } else { 17 },
        id: (k >> 2) as u32 & 3,
    }
}

/// The header as decode hands it over: the IPv4 header (IHL 5..15 words) or a 40-byte IPv6
/// header; the content is the fuzzer's.
fn header(h: Vec<u8>, v6: bool) -> Vec<u8> {
    let want = if v6 {
        40
    } else {
        (20 + h.first().map_or(0, |b| (*b as usize % 11) * 4)).min(60)
    };
    let mut h = h;
    h.resize(want, 0);
    h
}

fuzz_target!(|ops: Vec<Op>| {
    let mut d = Defrag::default();
    for op in ops {
        let (ts, out) = match op {
            Op::Add {
                key: k,
                v6,
                offset,
                more,
                data,
                header: h,
                ts,
            } => {
                let f = Fragment {
                    key: key(k, v6),
                    offset: offset as usize * 8,
                    more,
                    data: &data,
                    header: h.map(|h| header(h, v6)),
                };
                (ts, d.add(f, ts))
            }
            Op::Packet { ts, bytes } => {
                let mut cx = Context::new(Some(&mut d), ts);
                let _ = decode::decode_with(linktype::RAW, &bytes, &mut cx);
                (ts, cx.reassembled.take())
            }
        };
        if let Some(p) = out {
            let mut cx = Context::new(Some(&mut d), ts);
            let _ = decode::decode_ip(&p, &mut cx);
        }
    }
    std::hint::black_box(d.pending());
});
