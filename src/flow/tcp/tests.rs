use super::*;
use crate::decode::Transport;
use crate::flow::IDLE_TIMEOUT_NS;
use crate::proto::tls;

const TEST_BYTES: usize = 1 << 20;

fn seg<'a>(seq: u32, syn: bool, payload: &'a [u8]) -> (Decoded<'a>, TcpInfo) {
    let tcp = TcpInfo {
        seq,
        syn,
        ack: !syn,
        fin: false,
        rst: false,
    };
    let d = Decoded {
        src: "10.0.0.1".parse().unwrap(),
        dst: "10.0.0.2".parse().unwrap(),
        sport: 40000,
        dport: 8443,
        transport: Transport::Tcp(tcp),
        payload,
        truncated: false,
    };
    (d, tcp)
}

fn hello() -> Vec<u8> {
    crate::proto::tls::tests::client_hello("acme.zendesk.com", 1700)
}

fn run(segs: &[(u32, bool, std::ops::Range<usize>)]) -> Vec<Extracted> {
    let ch = hello();
    let mut t = FlowTable::new(TEST_BYTES);
    let mut out = Vec::new();
    for (i, (seq, syn, r)) in segs.iter().enumerate() {
        let (d, tcp) = seg(*seq, *syn, &ch[r.clone()]);
        t.tcp(&d, tcp, i as i64, &mut out);
    }
    out.into_iter().map(|(_, f)| f).collect()
}

#[test]
fn other_protocols_are_reported_once_for_connections_whose_syn_was_seen() {
    let ssh = b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n";
    let mut t = FlowTable::new(TEST_BYTES);
    let mut out = Vec::new();
    let (d, tcp) = seg(100, true, b"");
    t.tcp(&d, tcp, 0, &mut out);
    let (d, tcp) = seg(101, false, ssh);
    t.tcp(&d, tcp, 1, &mut out);
    // The banner is a text line the preamble stage may skip; the binary KEXINIT that
    // follows settles it.
    let kexinit = [0, 0, 5, 0xdc, 6, 0x14, 0x9a, 0x3b, 0x11, 0x02];
    let (d, tcp) = seg(101 + ssh.len() as u32, false, &kexinit);
    t.tcp(&d, tcp, 2, &mut out);
    assert_eq!(out, vec![(0, Extracted::Other)]);
    // A SYN-ACK does not make its sender the client; nor does data with no SYN seen.
    let mut t = FlowTable::new(TEST_BYTES);
    let mut out = Vec::new();
    let (d, mut tcp) = seg(100, true, b"");
    tcp.ack = true;
    t.tcp(&d, tcp, 0, &mut out);
    let (d, tcp) = seg(101, false, ssh);
    t.tcp(&d, tcp, 1, &mut out);
    assert!(out.is_empty(), "{out:?}");
    // A TLS connection is named, not other.
    let n = hello().len();
    assert!(!run(&[(99, true, 0..0), (100, false, 0..n)]).contains(&Extracted::Other));
}

fn dns_query(name: &str) -> Vec<u8> {
    let mut m = vec![0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
    for l in name.split('.') {
        m.push(l.len() as u8);
        m.extend_from_slice(l.as_bytes());
    }
    m.extend_from_slice(&[0, 0, 1, 0, 1]);
    let mut framed = (m.len() as u16).to_be_bytes().to_vec();
    framed.extend_from_slice(&m);
    framed
}

fn dns_names(found: &[(usize, Extracted)]) -> Vec<String> {
    found
        .iter()
        .filter_map(|(_, f)| match f {
            Extracted::Dns(m) => Some(m.questions[0].name.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn dns_over_tcp_framing() {
    let mut stream = dns_query("a.example");
    stream.extend(dns_query("b.example"));
    stream.extend(dns_query("c.example"));
    let mut t = FlowTable::new(TEST_BYTES);
    let mut out = Vec::new();
    fn mk(seq: u32, p: &[u8]) -> (Decoded<'_>, TcpInfo) {
        let (mut d, tcp) = seg(seq, false, p);
        d.dport = 53;
        (d, tcp)
    }
    // Two messages and the first bytes of the third in one segment, the rest in another.
    let cut = stream.len() - 5;
    for (seq, part) in [(1u32, &stream[..cut]), (1 + cut as u32, &stream[cut..])] {
        let (d, tcp) = mk(seq, part);
        t.tcp(&d, tcp, 0, &mut out);
    }
    assert_eq!(dns_names(&out), ["a.example", "b.example", "c.example"]);
    // After a gap the stream resynchronises on the next segment, as tshark does.
    out.clear();
    let later = dns_query("d.example");
    let (d, tcp) = mk(10_000, &later);
    t.tcp(&d, tcp, 0, &mut out);
    assert_eq!(dns_names(&out), ["d.example"]);
}

#[test]
fn port_reuse_starts_a_new_connection() {
    let ch = hello();
    let mut t = FlowTable::new(TEST_BYTES);
    let mut out = Vec::new();
    for (i, isn) in [999u32, 5_000_000].into_iter().enumerate() {
        let (d, tcp) = seg(isn, true, &[]);
        t.tcp(&d, tcp, i as i64, &mut out);
        let (d, tcp) = seg(isn + 1, false, &ch);
        t.tcp(&d, tcp, i as i64, &mut out);
    }
    assert_eq!(out.len(), 2);
}

fn want() -> Vec<Extracted> {
    let tls::Parse::ClientHello { hello: parsed, .. } = tls::parse_client_hello(&hello()) else {
        panic!("the test hello parses");
    };
    vec![Extracted::Hello {
        hello: tls::Hello {
            names: vec!["acme.zendesk.com".into()],
            ech: None,
            client: parsed.client,
        },
        retry: false,
    }]
}

#[test]
fn split_in_order_out_of_order_and_retransmitted() {
    let n = hello().len();
    // SYN at 999: data starts at 1000.
    assert_eq!(
        run(&[
            (999, true, 0..0),
            (1000, false, 0..1448),
            (2448, false, 1448..n)
        ]),
        want()
    );
    assert_eq!(
        run(&[
            (999, true, 0..0),
            (2448, false, 1448..n),
            (1000, false, 0..1448)
        ]),
        want()
    );
    // Retransmission of the first segment and an overlapping second segment.
    assert_eq!(
        run(&[
            (999, true, 0..0),
            (1000, false, 0..1448),
            (1000, false, 0..1448),
            (2400, false, 1400..n)
        ]),
        want()
    );
    // No SYN seen, second segment first.
    assert_eq!(
        run(&[(2448, false, 1448..n), (1000, false, 0..1448)]),
        want()
    );
    // Incomplete: nothing.
    assert!(run(&[(999, true, 0..0), (1000, false, 0..1448)]).is_empty());
}

#[test]
fn idle_flows_are_evicted_and_counted() {
    let ch = hello();
    let mut t = FlowTable::new(TEST_BYTES);
    let mut out = Vec::new();
    let (d, tcp) = seg(1, false, &ch[..100]);
    t.tcp(&d, tcp, 0, &mut out);
    assert_eq!(t.len(), 1);
    t.advance(IDLE_TIMEOUT_NS + 1);
    assert_eq!(t.len(), 0);
    assert_eq!(t.stats.evicted_idle, 1);
}

#[test]
fn table_cap_holds() {
    let ch = hello();
    // A table small enough for the entry cap to bite before the buffer budget.
    let mut t = FlowTable::new(64 << 10);
    let cap = t.capacity();
    let mut out = Vec::new();
    for i in 0..(4 * cap) as u16 {
        let (mut d, tcp) = seg(1, false, &ch[..100]);
        d.sport = i;
        t.tcp(&d, tcp, i as i64, &mut out);
        assert!(t.len() <= cap);
    }
    assert!(t.stats.evicted_cap + t.stats.evicted_memcap >= (3 * cap) as u64);
}

#[test]
fn out_of_order_bytes_are_bounded_by_window_and_budget() {
    // 32 out-of-order 1,460-byte segments in each of many flows: the part past the
    // window is refused at once, and the budget evicts the oldest flows, so the bytes
    // held never pass the table's share.
    let bytes = 4 << 20;
    let mut t = FlowTable::new(bytes);
    let mut out = Vec::new();
    let junk = [0x16u8; 1460];
    for flow in 0..2000u32 {
        let (mut d, tcp) = seg(999, true, b"");
        d.src = std::net::IpAddr::from((flow + 1).to_be_bytes());
        t.tcp(&d, tcp, flow as i64, &mut out);
        for k in 1..=32u32 {
            let (mut d, tcp) = seg(1000 + k * 1460, false, &junk);
            d.src = std::net::IpAddr::from((flow + 1).to_be_bytes());
            t.tcp(&d, tcp, flow as i64, &mut out);
        }
    }
    assert!(t.budget.peak() <= t.budget.limit());
    assert!(t.stats.dropped_window > 0, "{:?}", t.stats);
    assert!(t.stats.evicted_memcap > 0, "{:?}", t.stats);
    assert!(out.is_empty(), "{out:?}");
    // A well-formed flow that comes after the flood still gets its name.
    let ch = hello();
    let (mut d, tcp) = seg(5000, true, b"");
    d.sport = 1;
    t.tcp(&d, tcp, 3000, &mut out);
    let (mut d, tcp) = seg(5001, false, &ch);
    d.sport = 1;
    t.tcp(&d, tcp, 3000, &mut out);
    assert_eq!(out.into_iter().map(|(_, f)| f).collect::<Vec<_>>(), want());
}

#[test]
fn hello_in_one_byte_segments() {
    let ch = hello();
    let segs: Vec<_> = (0..ch.len())
        .map(|i| (1000 + i as u32, false, i..i + 1))
        .collect();
    let mut all = vec![(999, true, 0..0)];
    all.extend(segs);
    assert_eq!(run(&all), want());
}

#[test]
fn an_http_head_past_its_bound_is_counted_and_its_bytes_freed() {
    // The flood's heads: 600 headers in 60 KiB, one 32 KiB line, 16 KiB never ending; each
    // on its own connection, in 1,460-byte segments.
    let start = "GET /v1?token=x HTTP/1.1\r\nHost: api.zendesk.com\r\nX-Api-Key: 1\r\n";
    let many: String = (0..600)
        .map(|n| format!("X-H{n}: {}\r\n", "v".repeat(90)))
        .collect();
    let heads = [
        format!("{start}{many}\r\n"),
        format!("{start}X-Long: {}\r\n\r\n", "L".repeat(32768)),
        format!("{start}{}", "X-N: nnnn\r\n".repeat(1500)),
    ];
    let mut t = FlowTable::new(TEST_BYTES);
    let held = t.budget.used();
    let mut out = Vec::new();
    for (i, head) in heads.iter().enumerate() {
        let port = 40000 + i as u16;
        let (mut d, tcp) = seg(999, true, b"");
        d.sport = port;
        t.tcp(&d, tcp, 0, &mut out);
        for (k, part) in head.as_bytes().chunks(1460).enumerate() {
            let (mut d, tcp) = seg(1000 + (k * 1460) as u32, false, part);
            d.sport = port;
            t.tcp(&d, tcp, 1, &mut out);
        }
    }
    assert_eq!(t.stats.http_head_too_long, 3, "{:?}", t.stats);
    // Given up as soon as 8 KiB were held: no later segment was stored or refused.
    assert_eq!(t.stats.dropped_window + t.stats.buffer_overflows, 0);
    // The directions are done: their buffers went back to the budget.
    assert_eq!(t.budget.used(), held);
    let found: Vec<_> = out.into_iter().map(|(_, f)| f).collect();
    assert_eq!(found, vec![Extracted::Other; 3]);
    // A head within the bound is read, and not counted.
    let ok = format!("{start}X-Pad: {}\r\n\r\n", "p".repeat(7000));
    let mut out = Vec::new();
    let (mut d, tcp) = seg(999, true, b"");
    d.sport = 1;
    t.tcp(&d, tcp, 2, &mut out);
    for (k, part) in ok.as_bytes().chunks(1460).enumerate() {
        let (mut d, tcp) = seg(1000 + (k * 1460) as u32, false, part);
        d.sport = 1;
        t.tcp(&d, tcp, 3, &mut out);
    }
    assert_eq!(t.stats.http_head_too_long, 3);
    assert!(
        out.iter()
            .any(|(_, f)| matches!(f, Extracted::HttpRequest(r) if r.host.as_deref() == Some("api.zendesk.com"))),
        "{out:?}"
    );
}

#[test]
fn an_http_head_cut_short_is_counted_when_idle_or_at_the_end() {
    let start = "GET /v1?token=x HTTP/1.1\r\nHost: api.zendesk.com\r\nX-Api-Key: 1\r\n";
    let cut = format!("{start}{}", "X-N: nnnn\r\n".repeat(300));
    // Three connections: a head cut short that goes idle, one left at the input's end, and
    // a whole head followed by the start of a keep-alive request that is not HTTP.
    let whole = format!("{start}\r\nSSH-2.0-x");
    let flows = [
        (1u16, cut.as_str(), 0i64),
        (2, cut.as_str(), 200),
        (3, whole.as_str(), 200),
    ];
    let mut t = FlowTable::new(TEST_BYTES);
    let mut out = Vec::new();
    for (port, head, ts) in flows {
        let (mut d, tcp) = seg(999, true, b"");
        d.sport = port;
        t.tcp(&d, tcp, ts * 1_000_000_000, &mut out);
        for (k, part) in head.as_bytes().chunks(1460).enumerate() {
            let (mut d, tcp) = seg(1000 + (k * 1460) as u32, false, part);
            d.sport = port;
            t.tcp(&d, tcp, ts * 1_000_000_000, &mut out);
        }
    }
    assert_eq!(t.stats.http_head_unfinished, 0);
    t.advance(IDLE_TIMEOUT_NS + 1_000_000_000);
    assert_eq!((t.stats.evicted_idle, t.stats.http_head_unfinished), (1, 1));
    t.flush_sessions();
    assert_eq!(t.stats.http_head_unfinished, 2, "{:?}", t.stats);
    assert_eq!(t.stats.http_head_too_long, 0);
}

/// What a stream gives when its bytes come in `chunk`-byte segments: what came out, and the
/// HTTP heads counted as too long.
fn text_stream(stream: &[u8], chunk: usize) -> (Vec<Extracted>, u64) {
    let mut t = FlowTable::new(TEST_BYTES);
    let mut out = Vec::new();
    let (d, tcp) = seg(999, true, b"");
    t.tcp(&d, tcp, 0, &mut out);
    for (k, part) in stream.chunks(chunk).enumerate() {
        let (d, tcp) = seg(1000 + (k * chunk) as u32, false, part);
        t.tcp(&d, tcp, 1, &mut out);
    }
    let found = out.into_iter().map(|(_, f)| f).collect();
    (found, t.stats.http_head_too_long)
}

#[test]
fn text_read_a_byte_at_a_time_gives_what_it_gives_whole() {
    let ch = hello();
    let get = b"GET /a?api_key=1 HTTP/1.1\r\nHost: api.zendesk.com\r\n\r\n".to_vec();
    let mut keep_alive = get.clone();
    keep_alive.extend_from_slice(b"POST /b HTTP/1.1\r\nHost: x.intercom.io:8080\r\n\r\n");
    let mut smtp = b"EHLO a.example\r\nSTARTTLS\r\n".to_vec();
    smtp.extend_from_slice(&ch);
    let mut connect =
        b"CONNECT acme.zendesk.com:443 HTTP/1.1\r\nHost: acme.zendesk.com\r\n\r\n".to_vec();
    connect.extend_from_slice(&ch);
    // A request line past the 1 KiB of a command is still read (up to the 8 KiB head
    // bound); another text line that long is not a text protocol.
    let mut long_line = b"GET /".to_vec();
    long_line.resize(1500, b'a');
    long_line.extend_from_slice(b" HTTP/1.1\r\nHost: widget.intercom.io\r\n\r\n");
    let mut long_command = b"EHLO ".to_vec();
    long_command.resize(1500, b'a');
    let mut long_head = b"GET / HTTP/1.1\r\nX-Long: ".to_vec();
    long_head.resize(9000, b'L');
    let streams: [&[u8]; 9] = [
        &keep_alive,
        &smtp,
        &connect,
        &long_line,
        &long_command,
        &long_head,
        b"GET /\x00 HTTP/1.1\r\n\r\n",
        b"HTTP/1.1 404 Not Found\r\nServer: nginx\r\nContent-Length: 0\r\n\r\n",
        b"GET / HTTP/1.1\r\nX-Tab:\tv\r\nHost: a.zendesk.com\r\n\r\n",
    ];
    for (i, stream) in streams.iter().enumerate() {
        let whole = text_stream(stream, stream.len());
        assert!(!whole.0.is_empty(), "stream {i} gave nothing");
        for chunk in [1, 2, 3, 7] {
            assert_eq!(
                text_stream(stream, chunk),
                whole,
                "stream {i} in {chunk}-byte segments"
            );
        }
    }
    assert_eq!(text_stream(&long_head, 1).1, 1);
    let long_found = text_stream(&long_line, 1).0;
    assert!(
        long_found
            .iter()
            .any(|f| matches!(f, Extracted::Proxy(t) if t.host == "widget.intercom.io")),
        "{long_found:?}"
    );
    let smtp_found = text_stream(&smtp, 1).0;
    assert!(
        smtp_found
            .iter()
            .any(|f| matches!(f, Extracted::Hello { .. })),
        "{smtp_found:?}"
    );
}
