use super::*;
use crate::decode::Transport;
use crate::flow::IDLE_TIMEOUT_NS;

const S: i64 = 1_000_000_000;

/// A segment of the connection 10.0.0.1:40000 → 10.0.0.2:443 (`up`) or back.
fn seg(up: bool, seq: u32, flags: (bool, bool, bool), payload: &[u8]) -> (Decoded<'_>, TcpInfo) {
    let (syn, fin, rst) = flags;
    let tcp = TcpInfo {
        seq,
        syn,
        ack: !(syn && up),
        fin,
        rst,
    };
    let (a, b) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
    let (src, dst, sport, dport) = if up {
        (a, b, 40000, 443)
    } else {
        (b, a, 443, 40000)
    };
    let d = Decoded {
        src,
        dst,
        sport,
        dport,
        transport: Transport::Tcp(tcp),
        payload,
        truncated: false,
    };
    (d, tcp)
}

/// The README promises a fixed track of at most 80 bytes per followed connection.
#[test]
fn a_track_is_small() {
    assert!(std::mem::size_of::<crate::flow::Track>() <= 80);
}

#[test]
fn a_connection_with_a_hello_is_followed_to_its_fins() {
    let ch = crate::proto::tls::tests::client_hello("acme.zendesk.com", 100);
    let mut t = FlowTable::new(1 << 20);
    let mut out = Vec::new();
    let none = (false, false, false);
    let mut feed = |t: &mut FlowTable, up, seq, flags, p: &[u8], ts| {
        let (d, tcp) = seg(up, seq, flags, p);
        t.tcp(&d, tcp, ts, &mut out);
    };
    feed(&mut t, true, 100, (true, false, false), b"", 0);
    feed(&mut t, false, 900, (true, false, false), b"", 0);
    feed(&mut t, true, 101, none, &ch, S);
    assert!(t.ended.is_empty());
    let n = ch.len() as u32;
    // The server's reply, then the client polls three times, 10 s apart.
    feed(&mut t, false, 901, none, &[0x16; 1000], S + 1);
    for i in 0..3u32 {
        feed(
            &mut t,
            true,
            101 + n + 50 * i,
            none,
            &[0x17; 50],
            (11 + 10 * i as i64) * S,
        );
    }
    // One FIN does not end it (the other side may still send); the second does.
    feed(
        &mut t,
        true,
        101 + n + 150,
        (false, true, false),
        b"",
        40 * S,
    );
    assert!(t.ended.is_empty());
    feed(&mut t, false, 1901, (false, true, false), b"", 41 * S);
    let e = t.ended.pop().expect("ended");
    assert_eq!(e.client, 0);
    let s = e.session;
    assert_eq!((s.start, s.end), (S, 41 * S));
    assert_eq!((s.bytes_up, s.packets_up), (ch.len() as u64 + 150, 4));
    assert_eq!((s.bytes_down, s.packets_down), (1000, 1));
    // The hello, then three polls each after more than 3 s of client silence.
    assert_eq!(s.bursts_up, 4);
    assert!(s.closed);
    assert_eq!(t.len(), 0, "the entry goes with its end");
    assert_eq!((t.stats.sessions_tracked, t.stats.sessions_ended), (1, 1));
}

#[test]
fn an_idle_connection_ends_at_its_last_packet_and_the_rest_at_the_input_end() {
    let ch = crate::proto::tls::tests::client_hello("acme.zendesk.com", 100);
    let mut t = FlowTable::new(1 << 20);
    let mut out = Vec::new();
    let (d, tcp) = seg(true, 100, (true, false, false), b"");
    t.tcp(&d, tcp, 0, &mut out);
    let (d, tcp) = seg(true, 101, (false, false, false), &ch);
    t.tcp(&d, tcp, 5 * S, &mut out);
    t.advance(5 * S + IDLE_TIMEOUT_NS - 1);
    assert!(t.ended.is_empty());
    t.advance(5 * S + IDLE_TIMEOUT_NS + 10 * S);
    let e = t.ended.pop().expect("idle end");
    assert_eq!(
        (e.session.start, e.session.end, e.session.closed),
        (5 * S, 5 * S, false)
    );
    // A second connection still open when the input ends.
    let (mut d, tcp) = seg(true, 100, (true, false, false), b"");
    d.sport = 40001;
    t.tcp(&d, tcp, 200 * S, &mut out);
    let (mut d, tcp) = seg(true, 101, (false, false, false), &ch);
    d.sport = 40001;
    t.tcp(&d, tcp, 201 * S, &mut out);
    t.flush_sessions();
    assert_eq!(t.ended.len(), 1);
    assert_eq!(t.stats.sessions_lost(), 0);
}
