use super::*;

/// A UDP/IPv4 DNS query as `dig` sends it (header fields annotated; payload shortened).
#[rustfmt::skip]
const IPV4_UDP: &[u8] = &[
    0x45, 0x00, 0x00, 0x20,  0x12, 0x34, 0x00, 0x00,  0x40, 0x11, 0x00, 0x00, // v4, len 32, UDP
    10, 0, 0, 1,  10, 0, 0, 2,                                                  // src, dst
    0xc3, 0x50, 0x00, 0x35,  0x00, 0x0c, 0x00, 0x00,                            // 50000 → 53, len 12
    0xab, 0xcd, 0x01, 0x00,                                                      // payload
];

fn eth(et: &[u8], inner: &[u8]) -> Vec<u8> {
    let mut f = vec![0u8; 12];
    f.extend_from_slice(et);
    f.extend_from_slice(inner);
    f
}

#[test]
fn raw_ipv4_udp() {
    let d = decode(linktype::RAW, IPV4_UDP).unwrap();
    assert_eq!(d.src, "10.0.0.1".parse::<IpAddr>().unwrap());
    assert_eq!((d.sport, d.dport), (50000, 53));
    assert_eq!(d.payload, &[0xab, 0xcd, 0x01, 0x00]);
    assert!(!d.truncated);
}

#[test]
fn ethernet_with_qinq() {
    let f = eth(
        &[0x88, 0xa8, 0, 100, 0x81, 0x00, 0, 200, 0x08, 0x00],
        IPV4_UDP,
    );
    assert_eq!(decode(linktype::ETHERNET, &f).unwrap().dport, 53);
}

#[test]
fn sll_sll2_null() {
    let mut sll = vec![0u8; 14];
    sll.extend_from_slice(&[0x08, 0x00]);
    sll.extend_from_slice(IPV4_UDP);
    assert_eq!(decode(linktype::LINUX_SLL, &sll).unwrap().dport, 53);
    let mut sll2 = vec![0x08, 0x00];
    sll2.extend_from_slice(&[0u8; 18]);
    sll2.extend_from_slice(IPV4_UDP);
    assert_eq!(decode(linktype::LINUX_SLL2, &sll2).unwrap().dport, 53);
    let mut null = vec![2, 0, 0, 0];
    null.extend_from_slice(IPV4_UDP);
    assert_eq!(decode(linktype::NULL, &null).unwrap().dport, 53);
}

fn with(head: &[u8], inner: &[u8]) -> Vec<u8> {
    let mut f = head.to_vec();
    f.extend_from_slice(inner);
    f
}

/// A PKTAP header as macOS writes it: 156 bytes (xnu's struct pktap_header), little-endian
/// `pth_length`, `pth_type_next` = 1 (packet) and `pth_dlt`.
fn pktap_header(dlt: u32, type_next: u32) -> Vec<u8> {
    let mut h = vec![0u8; 156];
    h[0..4].copy_from_slice(&156u32.to_le_bytes());
    h[4..8].copy_from_slice(&type_next.to_le_bytes());
    h[8..12].copy_from_slice(&dlt.to_le_bytes());
    h[12..15].copy_from_slice(b"en0");
    h
}

#[test]
fn pktap_names_the_inner_link_type() {
    let e = eth(&[0x08, 0x00], IPV4_UDP);
    let f = with(&pktap_header(1, 1), &e);
    let d = decode(linktype::PKTAP, &f).unwrap();
    assert_eq!((d.sport, d.dport), (50000, 53));
    // utun interfaces: DLT_RAW (12 on Darwin); loopback: DLT_NULL with AF_INET.
    let f = with(&pktap_header(12, 1), IPV4_UDP);
    let d = decode(linktype::PKTAP, &f).unwrap();
    assert_eq!(d.dport, 53);
    let null = with(&[2, 0, 0, 0], IPV4_UDP);
    assert_eq!(
        decode(linktype::PKTAP, &with(&pktap_header(0, 1), &null))
            .unwrap()
            .dport,
        53
    );
    // A record that carries no packet, a header shorter than the minimum, an inner
    // link type we do not read, and PKTAP in PKTAP past the depth bound.
    assert_eq!(
        decode(linktype::PKTAP, &with(&pktap_header(1, 2), &e)),
        Err(Skip::NotIp)
    );
    let mut short = pktap_header(1, 1);
    short[0..4].copy_from_slice(&64u32.to_le_bytes());
    assert_eq!(
        decode(linktype::PKTAP, &with(&short, &e)),
        Err(Skip::Malformed)
    );
    assert_eq!(
        decode(linktype::PKTAP, &with(&pktap_header(147, 1), &e)),
        Err(Skip::UnsupportedLinktype)
    );
    let mut nested = e.clone();
    for _ in 0..=MAX_TUNNEL_DEPTH {
        nested = with(&pktap_header(258, 1), &nested);
    }
    assert_eq!(decode(linktype::PKTAP, &nested), Err(Skip::Malformed));
}

#[test]
fn arcnet_bsd_and_linux() {
    // BSD (LINKTYPE_ARCNET_BSD 7): source 0x01, destination 0x02, protocol id, then
    // RFC 1201's split flag and sequence number; RFC 1051 ids (0xf0) have neither.
    let f = with(&[1, 2, 0xd4, 0, 0x12, 0x34], IPV4_UDP);
    let d = decode(linktype::ARCNET_BSD, &f).unwrap();
    assert_eq!((d.sport, d.dport), (50000, 53));
    let f = with(&[1, 2, 0xf0], IPV4_UDP);
    let d = decode(linktype::ARCNET_BSD, &f).unwrap();
    assert_eq!(d.dport, 53);
    // An exception packet (RFC 1201 §2.3): flag 0xff, filler, then the real id, flag and
    // sequence number.
    let exc = [1, 2, 0xd4, 0xff, 0xff, 0xff, 0xd4, 0, 0x12, 0x34];
    assert_eq!(
        decode(linktype::ARCNET_BSD, &with(&exc, IPV4_UDP))
            .unwrap()
            .dport,
        53
    );
    // The first fragment of a split packet (odd flag) starts with the IP header; a later
    // one (even flag) does not.
    let f = with(&[1, 2, 0xd4, 3, 0, 1], IPV4_UDP);
    let d = decode(linktype::ARCNET_BSD, &f).unwrap();
    assert_eq!(d.dport, 53);
    assert_eq!(
        decode(
            linktype::ARCNET_BSD,
            &with(&[1, 2, 0xd4, 2, 0, 1], IPV4_UDP)
        ),
        Err(Skip::Fragment)
    );
    // ARP (RFC 1201 id 0xd5) is not IP.
    assert_eq!(
        decode(
            linktype::ARCNET_BSD,
            &with(&[1, 2, 0xd5, 0, 0, 1], &[0; 28])
        ),
        Err(Skip::NotIp)
    );
    // Linux (LINKTYPE_ARCNET_LINUX 129): a 2-byte offset before the protocol id.
    let f = with(&[1, 2, 0, 0, 0xd4, 0, 0x12, 0x34], IPV4_UDP);
    let d = decode(linktype::ARCNET_LINUX, &f).unwrap();
    assert_eq!(d.dport, 53);
}

#[test]
fn ipv6_over_arcnet() {
    // An IPv6 UDP packet to port 53 under protocol id 0xc4.
    let mut v6 = vec![0x60, 0, 0, 0, 0, 12, 17, 64];
    v6.extend_from_slice(&[0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    v6.extend_from_slice(&[0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
    v6.extend_from_slice(&[0xc3, 0x50, 0, 53, 0, 12, 0, 0, 0xab, 0xcd, 1, 0]);
    let f = with(&[1, 2, 0xc4, 0, 0, 1], &v6);
    let d = decode(linktype::ARCNET_BSD, &f).unwrap();
    assert_eq!(d.dst, "fd00::2".parse::<IpAddr>().unwrap());
    assert_eq!(d.dport, 53);
}

#[test]
fn other_headers_before_ip() {
    let e = eth(&[0x08, 0x00], IPV4_UDP);
    let snap = with(&[0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00], IPV4_UDP);
    let mut ppi_hdr = vec![0, 0, 8, 0];
    ppi_hdr.extend_from_slice(&1u32.to_le_bytes());
    let cases: Vec<(i32, Vec<u8>)> = vec![
        (
            linktype::ENC,
            with(&[2, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0], IPV4_UDP),
        ),
        (
            linktype::IPNET,
            with(&[[1, 2].as_slice(), &[0; 22]].concat(), IPV4_UDP),
        ),
        // pflog: a 61-byte header (PFLOG_REAL_HDRLEN) padded to 64.
        (
            linktype::PFLOG,
            with(&[[61, 2].as_slice(), &[0; 62]].concat(), IPV4_UDP),
        ),
        (
            linktype::FDDI,
            with(&[[0x50].as_slice(), &[0; 12], &snap].concat(), &[]),
        ),
        (linktype::ATM_RFC1483, snap.clone()),
        (
            linktype::PPP_ETHER,
            with(&[0x11, 0, 0, 1, 0, 34, 0, 0x21], IPV4_UDP),
        ),
        (
            linktype::PPP_WITH_DIR,
            with(&[1, 0xff, 0x03, 0, 0x21], IPV4_UDP),
        ),
        (linktype::PPP_PPPD, with(&[1, 0x03, 0, 0x21], IPV4_UDP)),
        (linktype::C_HDLC, with(&[0x0f, 0, 0x08, 0x00], IPV4_UDP)),
        (
            linktype::C_HDLC_WITH_DIR,
            with(&[0, 0x0f, 0, 0x08, 0x00], IPV4_UDP),
        ),
        (linktype::MPLS, with(&[0, 0x01, 0x01, 64], IPV4_UDP)),
        (linktype::PPI, with(&ppi_hdr, &e)),
    ];
    for (lt, f) in cases {
        let d = decode(lt, &f).unwrap_or_else(|e| panic!("{lt}: {e:?}"));
        assert_eq!((d.src, d.dport), ("10.0.0.1".parse().unwrap(), 53), "{lt}");
        for n in 0..f.len() {
            let _ = decode(lt, &f[..n]);
        }
    }
}

#[test]
fn cut_udp_is_marked_truncated() {
    let d = decode(linktype::RAW, &IPV4_UDP[..30]).unwrap();
    assert!(d.truncated);
    assert_eq!(d.payload, &[0xab, 0xcd]);
}

#[test]
fn every_prefix_is_safe() {
    let f = eth(&[0x81, 0x00, 0, 1, 0x08, 0x00], IPV4_UDP);
    for lt in [
        linktype::ETHERNET,
        linktype::RAW,
        linktype::NULL,
        linktype::LINUX_SLL,
        linktype::LINUX_SLL2,
        linktype::IEEE802_11_RADIOTAP,
        linktype::IEEE802_11,
        linktype::NFLOG,
        linktype::PPP,
        999,
    ] {
        for n in 0..=f.len() {
            let _ = decode(lt, &f[..n]);
        }
    }
}

/// Mutations of valid frames through every decoder, tunnels included: no panic.
#[test]
fn mutated_frames_never_panic() {
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    // UDP to each tunnel port, so the tunnel decoders see the mutated bytes.
    let mut bases = vec![eth(&[0x08, 0x00], IPV4_UDP)];
    for port in [4789u16, 6081, 2152, 3544, 4754, 5247] {
        let mut p = IPV4_UDP.to_vec();
        p[22..24].copy_from_slice(&port.to_be_bytes());
        p.extend_from_slice(&[0u8; 64]);
        let len = p.len() as u16;
        p[2..4].copy_from_slice(&len.to_be_bytes());
        p[24..26].copy_from_slice(&(len - 20).to_be_bytes());
        bases.push(eth(&[0x08, 0x00], &p));
    }
    let lts = [
        0, 1, 7, 9, 50, 51, 101, 104, 105, 113, 117, 127, 129, 192, 204, 228, 239, 258, 276,
    ];
    let mut defrag = Defrag::default();
    for i in 0..50_000 {
        let mut f = bases[i % bases.len()].clone();
        for _ in 0..(1 + next() % 6) {
            let at = next() as usize % f.len();
            f[at] = next() as u8;
        }
        f.truncate(next() as usize % (f.len() + 1));
        let lt = lts[next() as usize % lts.len()];
        let mut cx = Context::new(Some(&mut defrag), i as i64);
        let _ = decode_with(lt, &f, &mut cx);
    }
}

#[test]
fn supported_link_types() {
    for lt in [
        0, 1, 7, 9, 10, 11, 12, 14, 50, 51, 101, 104, 105, 108, 109, 113, 117, 127, 129, 166, 192,
        204, 205, 219, 226, 228, 229, 239, 258, 276,
    ] {
        assert!(linktype::supported(lt), "{lt}");
    }
    // USER0, Ethernet's old 3 Mb/s variant, IEEE 802.15.4 (6LoWPAN, not plain IP), Linux
    // LAPD, DOCSIS; and SLIP, netANALYZER and IPoIB, whose headers tshark reads otherwise
    // than linktypes.html describes them: not supported.
    for lt in [147, 2, 195, 177, 143, 8, 240, 241, 242] {
        assert!(!linktype::supported(lt), "{lt}");
    }
}

#[test]
fn unknown_linktype_and_non_ip() {
    assert_eq!(decode(147, IPV4_UDP), Err(Skip::UnsupportedLinktype));
    let arp = eth(&[0x08, 0x06], &[0u8; 28]);
    assert_eq!(decode(linktype::ETHERNET, &arp), Err(Skip::NotIp));
}
