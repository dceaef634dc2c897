//! TCP reassembly and the per-flow parsers behind it: a sequence of segments over a few
//! flows (both directions, ports that pick DNS-over-TCP, Kerberos, TLS, HTTP and others), sequence
//! numbers near each side's ISN or anywhere, SYN/FIN/RST, and time that moves (ageing) into a
//! table small enough to evict. The call into `FlowTable::tcp` is one line: easy to adapt
//! when the flow module changes.
#![no_main]

use std::net::{IpAddr, Ipv4Addr};

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use shadowdesk::decode::{Decoded, TcpInfo, Transport};
use shadowdesk::flow::FlowTable;
use shadowdesk::model::Extracted;

const SERVER_PORTS: [u16; 8] = [443, 53, 80, 88, 1080, 25, 5432, 22];

#[derive(Arbitrary, Debug)]
enum Seq {
    /// Relative to this direction's ISN: in or near the window.
    Near(i16),
    Abs(u32),
}

#[derive(Arbitrary, Debug)]
struct Segment {
    flow: u8,
    from_server: bool,
    seq: Seq,
    syn: bool,
    ack: bool,
    fin: bool,
    rst: bool,
    /// Milliseconds since the previous segment.
    dt_ms: u32,
    advance: bool,
    payload: Vec<u8>,
}

#[derive(Arbitrary, Debug)]
struct Input {
    isn: [u32; 2],
    segments: Vec<Segment>,
}

fuzz_target!(|input: Input| {
    let mut table = FlowTable::new(1 << 20);
    let mut out = Vec::new();
    let mut ts: i64 = 1_700_000_000_000_000_000;
    for s in input.segments {
        ts = ts.saturating_add(s.dt_ms as i64 * 1_000_000);
        if s.advance {
            table.advance(ts);
        }
        let client = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1 + (s.flow >> 6)));
        let server = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
        let cport = 40_000 + (s.flow & 7) as u16;
        let sport = SERVER_PORTS[(s.flow >> 3) as usize & 7];
        let dir = s.from_server as usize;
        let seq = match s.seq {
            Seq::Near(d) => input.isn[dir].wrapping_add(d as i32 as u32),
            Seq::Abs(x) => x,
        };
        let (src, dst, sp, dp) = if s.from_server {
            (server, client, sport, cport)
        } else {
            (client, server, cport, sport)
        };
        let tcp = TcpInfo {
            seq,
            syn: s.syn,
            ack: s.ack,
            fin: s.fin,
            rst: s.rst,
        };
        let d = Decoded {
            src,
            dst,
            sport: sp,
            dport: dp,
            transport: Transport::Tcp(tcp),
            payload: &s.payload,
            truncated: false,
        };
        out.clear();
        table.tcp(&d, tcp, ts, &mut out);
        for (_, f) in out.drain(..) {
            std::hint::black_box(matches!(f, Extracted::Other));
        }
    }
    std::hint::black_box(table.len());
});
