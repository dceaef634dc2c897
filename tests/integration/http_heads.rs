//! Plain-HTTP heads past the 8 KiB bound (`dropped.http_head_too_long`) or cut short by the
//! capture's end (`dropped.http_head_unfinished`), on a hand-built capture: heads that never
//! end, or pad headers rather than the URL, come from no client we can record; the case is
//! adversarial, so the frames are written here. The expected counts come from how the capture
//! was built (which heads have their blank line within 8 KiB), not from a previous run.
//! Long request lines, which real clients do send, are read from curl's capture
//! (`testdata/captures/http/long_url.pcap`, `testdata/record-http.sh`) against tshark's view.

use std::path::Path;

use crate::util::{capture, events, report, report_doc, run, stderr, tempdir};

/// Ethernet + IPv4 + TCP frames of one capture, as a little-endian microsecond pcap.
struct Pcap {
    bytes: Vec<u8>,
    usec: u32,
}

impl Pcap {
    fn new() -> Pcap {
        let mut bytes = vec![0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0];
        bytes.extend_from_slice(&[0; 8]);
        bytes.extend_from_slice(&65535u32.to_le_bytes());
        bytes.extend_from_slice(&1u32.to_le_bytes()); // LINKTYPE_ETHERNET
        Pcap { bytes, usec: 0 }
    }

    #[allow(clippy::too_many_arguments)]
    fn tcp(
        &mut self,
        src: [u8; 4],
        dst: [u8; 4],
        sport: u16,
        dport: u16,
        seq: u32,
        flags: u8,
        data: &[u8],
    ) {
        let mut tcp = Vec::with_capacity(20 + data.len());
        tcp.extend_from_slice(&sport.to_be_bytes());
        tcp.extend_from_slice(&dport.to_be_bytes());
        tcp.extend_from_slice(&seq.to_be_bytes());
        tcp.extend_from_slice(&0u32.to_be_bytes());
        tcp.extend_from_slice(&[0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
        tcp.extend_from_slice(data);
        let mut pseudo = Vec::new();
        pseudo.extend_from_slice(&src);
        pseudo.extend_from_slice(&dst);
        pseudo.extend_from_slice(&[0, 6]);
        pseudo.extend_from_slice(&(tcp.len() as u16).to_be_bytes());
        pseudo.extend_from_slice(&tcp);
        let sum = checksum(&pseudo);
        tcp[16..18].copy_from_slice(&sum.to_be_bytes());
        let mut ip = vec![0x45, 0];
        ip.extend_from_slice(&((20 + tcp.len()) as u16).to_be_bytes());
        ip.extend_from_slice(&[0, 0, 0x40, 0, 64, 6, 0, 0]);
        ip.extend_from_slice(&src);
        ip.extend_from_slice(&dst);
        let sum = checksum(&ip);
        ip[10..12].copy_from_slice(&sum.to_be_bytes());
        let mut frame = vec![2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00];
        frame.extend_from_slice(&ip);
        frame.extend_from_slice(&tcp);
        self.usec += 1000;
        self.bytes
            .extend_from_slice(&1_800_000_000u32.to_le_bytes());
        self.bytes.extend_from_slice(&self.usec.to_le_bytes());
        self.bytes
            .extend_from_slice(&(frame.len() as u32).to_le_bytes());
        self.bytes
            .extend_from_slice(&(frame.len() as u32).to_le_bytes());
        self.bytes.extend_from_slice(&frame);
    }

    /// A connection from `client` to port 80: the handshake, then `up` from the client and
    /// `down` from the server, each in segments of `seg` bytes.
    fn exchange(&mut self, client: [u8; 4], sport: u16, up: &[u8], down: &[u8], seg: usize) {
        const SERVER: [u8; 4] = [192, 0, 2, 80];
        const SYN: u8 = 0x02;
        const ACK: u8 = 0x10;
        let (c, s) = (1_000u32, 5_000u32);
        self.tcp(client, SERVER, sport, 80, c, SYN, b"");
        self.tcp(SERVER, client, 80, sport, s, SYN | ACK, b"");
        self.tcp(client, SERVER, sport, 80, c + 1, ACK, b"");
        for (i, part) in up.chunks(seg).enumerate() {
            self.tcp(
                client,
                SERVER,
                sport,
                80,
                c + 1 + (i * seg) as u32,
                ACK,
                part,
            );
        }
        for (i, part) in down.chunks(seg).enumerate() {
            self.tcp(
                SERVER,
                client,
                80,
                sport,
                s + 1 + (i * seg) as u32,
                ACK,
                part,
            );
        }
    }
}

fn checksum(b: &[u8]) -> u16 {
    let mut sum: u32 = b
        .chunks(2)
        .map(|c| u32::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)])))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

const START: &str = "GET /v1?token=x HTTP/1.1\r\nHost: api.zendesk.com\r\nX-Api-Key: 1\r\n";

#[test]
fn heads_past_8_kib_or_cut_short_are_counted_and_heads_within_8_kib_are_read() {
    let many: String = (0..600)
        .map(|n| format!("X-H{n}: {}\r\n", "v".repeat(90)))
        .collect();
    let mut p = Pcap::new();
    // Past the bound, each counted once: 600 headers in 60 KiB; one 32 KiB header line; a
    // head of 16 KiB that never ends; a response head of 10 KiB.
    p.exchange(
        [10, 0, 0, 1],
        40001,
        format!("{START}{many}\r\n").as_bytes(),
        b"",
        1460,
    );
    let long = format!("{START}X-Long: {}\r\n\r\n", "L".repeat(32768));
    p.exchange([10, 0, 0, 2], 40002, long.as_bytes(), b"", 1460);
    let open = format!(
        "{START}{}",
        "X-N: nnnnnnnnnnnnnnnnnnnnnnnnnnn\r\n".repeat(500)
    );
    p.exchange([10, 0, 0, 3], 40003, open.as_bytes(), b"", 1460);
    let response = format!("HTTP/1.1 200 OK\r\nX-Pad: {}\r\n\r\n", "r".repeat(10_000));
    let ok = format!("{START}\r\n");
    p.exchange(
        [10, 0, 0, 4],
        40004,
        ok.as_bytes(),
        response.as_bytes(),
        1460,
    );
    // Within it, read: a 1 KiB head in 3-byte segments, and a head of 8,000 bytes.
    let small: String = (0..20)
        .map(|n| format!("X-S{n}: {}\r\n", "s".repeat(40)))
        .collect();
    p.exchange(
        [10, 0, 0, 5],
        40005,
        format!("{START}{small}\r\n").as_bytes(),
        b"",
        3,
    );
    let mut near = format!("{START}X-Pad: ").into_bytes();
    near.resize(8000 - 4, b'p');
    near.extend_from_slice(b"\r\n\r\n");
    p.exchange([10, 0, 0, 6], 40006, &near, b"", 1460);
    // Cut short: 3 KiB of head, then the capture ends.
    let cut = format!(
        "{START}{}",
        "X-C: cccccccccccccccccccccccccc\r\n".repeat(100)
    );
    p.exchange([10, 0, 0, 7], 40007, cut.as_bytes(), b"", 1460);

    let dir = tempdir("http-heads");
    let cap = dir.join("heads.pcap");
    std::fs::write(&cap, &p.bytes).unwrap();
    let events = dir.join("events.ndjson");
    let o = run(&[
        "scan",
        "--quiet",
        "--report",
        "-",
        "--events",
        events.to_str().unwrap(),
        cap.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let r = report_doc(&o.stdout);
    let dropped = &r["stats"]["dropped"];
    assert_eq!(dropped["http_head_too_long"], 4, "{dropped}");
    assert_eq!(dropped["http_head_unfinished"], 1, "{dropped}");
    assert_eq!(dropped["reassembly_window"], 0, "{dropped}");
    assert_eq!(r["stats"]["flow_buffer_overflows"], 0);
    // The clients whose heads ended in time (4's request, 5, 6) each named the vendor's host.
    // (tshark 4.0, checksums checked, shows requests from 1, 2, 4, 5 and 6: it reads heads of
    // any length; 1 and 2 are the ones past the bound, 3 and 7 never end.)
    let named = read_http_clients(&events);
    assert_eq!(named, ["10.0.0.4", "10.0.0.5", "10.0.0.6"], "{named:?}");
}

fn read_http_clients(events: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(events).unwrap();
    let mut v: Vec<String> = text
        .lines()
        .map(crate::util::event_line)
        .filter(|e| e["kind"] == "http" && e["hostname"] == "api.zendesk.com")
        .map(|e| e["src_ip"].as_str().unwrap().to_owned())
        .collect();
    v.sort();
    v
}

/// curl's requests with 3 KB and 10 KB URLs (`record-http.sh`): a request line past the 1 KiB
/// a text command may have is still a request, so the one whose head fits 8 KiB names its Host
/// and the other is counted. Expected hosts and URI lengths are tshark's (`<pcap>.http.tsv`:
/// http.host, http.request.uri).
#[test]
fn long_request_lines_from_curl_name_their_host() {
    let cap = capture("http/long_url.pcap");
    let truth = std::fs::read_to_string(cap.with_extension("pcap.http.tsv")).unwrap();
    // (host, uri length) per request tshark shows.
    let requests: Vec<(&str, usize)> = truth
        .lines()
        .map(|l| {
            let (host, uri) = l.split_once('\t').unwrap();
            (host, uri.len())
        })
        .collect();
    assert_eq!(requests.len(), 2, "{truth}");
    assert!(requests.iter().all(|(_, n)| *n > 1024), "{requests:?}");
    // curl's other header lines take about 100 bytes: far from either side of the bound.
    let fits = |n: usize| n + 200 < 8192;
    let want: Vec<&str> = requests
        .iter()
        .filter(|(_, n)| fits(*n))
        .map(|(h, _)| *h)
        .collect();
    assert_eq!(want, ["widget.intercom.io"]);

    let (o, evs) = events(&[cap.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let got: Vec<(&str, &str, &str)> = evs
        .iter()
        .filter(|e| e["kind"] == "http")
        .map(|e| {
            (
                e["hostname"].as_str().unwrap(),
                e["method"].as_str().unwrap(),
                e["vendor"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(got, [(want[0], "GET", "intercom")]);
    let (_, doc) = report(&[cap.to_str().unwrap()]);
    let too_long = requests.iter().filter(|(_, n)| !fits(*n)).count();
    assert_eq!(
        doc["stats"]["dropped"]["http_head_too_long"], too_long,
        "{}",
        doc["stats"]["dropped"]
    );
    assert_eq!(doc["visibility"]["http_requests"], want.len());
}
