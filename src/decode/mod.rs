//! Packet decoding: link layer → IP → TCP/UDP.
//!
//! The contract, after smoltcp's `wire`: every function here takes untrusted bytes and never
//! panics or reads past the captured length. A packet that cannot be decoded is not an error:
//! it becomes a [`Skip`] reason that the caller counts, and processing goes on.
//!
//! The link layer is read by hand (it is a few fixed offsets per link type); IP with its
//! options and IPv6 extension headers, and the TCP/UDP headers, are read with `etherparse`'s
//! lax slicers, which accept packets cut short by a small snaplen.

use std::net::IpAddr;

use etherparse::{IpNumber, LaxIpSlice, TcpSlice, UdpSlice};

use crate::defrag::{Defrag, FragKey, Fragment};
use crate::time::TsNanos;

mod link;
pub(crate) mod tunnel;

use link::{ethernet, mpls, nflog, ppp, wlan};

/// Link-layer header types, as libpcap reports them (`pcap_datalink`, DLT_* values).
pub mod linktype {
    pub const NULL: i32 = 0;
    pub const ETHERNET: i32 = 1;
    pub const PPP: i32 = 9;
    pub const PPP_HDLC: i32 = 50;
    /// DLT_RAW: Linux and most systems report 12, OpenBSD 14; LINKTYPE_RAW in files is 101.
    pub const RAW_12: i32 = 12;
    pub const RAW_14: i32 = 14;
    pub const RAW: i32 = 101;
    pub const IEEE802_11: i32 = 105;
    pub const LOOP: i32 = 108;
    pub const IEEE802_11_RADIOTAP: i32 = 127;
    pub const NFLOG: i32 = 239;
    pub const LINUX_SLL: i32 = 113;
    pub const IPV4: i32 = 228;
    pub const IPV6: i32 = 229;
    pub const LINUX_SLL2: i32 = 276;

    /// Whether [`super::decode`] understands this link type.
    pub fn supported(lt: i32) -> bool {
        // One source of truth: the decoder's own dispatch.
        super::decode(lt, &[]) != Err(super::Skip::UnsupportedLinktype)
    }

    /// A name for warnings: libpcap's name where it has one, and the number.
    pub fn name(lt: i32) -> String {
        match pcap::Linktype(lt).get_name() {
            Ok(n) => format!("{n} ({lt})"),
            Err(_) => format!("{lt}"),
        }
    }
}

const ETHERTYPE_IPV4: u16 = 0x0800;
const ETHERTYPE_IPV6: u16 = 0x86dd;
const ETHERTYPE_VLAN: u16 = 0x8100;
const ETHERTYPE_QINQ: u16 = 0x88a8;
const ETHERTYPE_QINQ_OLD: u16 = 0x9100;
const ETHERTYPE_PPPOE_SESSION: u16 = 0x8864;
const ETHERTYPE_MPLS: u16 = 0x8847;
const ETHERTYPE_MPLS_MC: u16 = 0x8848;
/// Transparent Ethernet bridging: an Ethernet frame inside GRE or Geneve.
const ETHERTYPE_TEB: u16 = 0x6558;
/// Tunnels inside tunnels are real (Geneve in VXLAN, GRE in GRE); more than this is hostile.
const MAX_TUNNEL_DEPTH: u8 = 8;
/// More stacked VLAN tags than any real network uses: a bound against hostile frames.
const MAX_VLAN_TAGS: usize = 8;

/// TCP header facts the flow stage needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TcpInfo {
    pub seq: u32,
    pub syn: bool,
    /// A SYN without ACK opens a connection: its sender is the client.
    pub ack: bool,
    pub fin: bool,
    pub rst: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    Tcp(TcpInfo),
    Udp,
}

/// A decoded packet: the innermost addresses and ports and the transport payload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decoded<'a> {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub sport: u16,
    pub dport: u16,
    pub transport: Transport,
    pub payload: &'a [u8],
    /// The capture holds fewer bytes than the headers announce (snaplen, cut record).
    pub truncated: bool,
}

/// Why a packet gave nothing to analyse. Counted per reason in the report's statistics.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Skip {
    UnsupportedLinktype,
    /// Not IP (ARP, LLDP, 802.3 LLC frames, ...).
    NotIp,
    /// IP fragment; reassembly comes with the tunnels work.
    Fragment,
    /// IP, but neither TCP nor UDP (ICMP, ESP, ...).
    OtherTransport,
    /// Headers cut short or inconsistent.
    Malformed,
}

impl Skip {
    pub fn name(self) -> &'static str {
        match self {
            Skip::UnsupportedLinktype => "unsupported_linktype",
            Skip::NotIp => "not_ip",
            Skip::Fragment => "ip_fragment",
            Skip::OtherTransport => "other_transport",
            Skip::Malformed => "malformed",
        }
    }
}

/// State a decode may use beyond the frame itself.
pub struct Cx<'d> {
    /// Tunnel nesting so far.
    depth: u8,
    /// Fragment reassembly; without it, fragments are skipped.
    defrag: Option<&'d mut Defrag>,
    ts: TsNanos,
    /// A datagram the current fragment completed: the whole IP packet, to decode next.
    pub reassembled: Option<Vec<u8>>,
}

impl<'d> Cx<'d> {
    pub fn new(defrag: Option<&'d mut Defrag>, ts: TsNanos) -> Cx<'d> {
        Cx {
            depth: 0,
            defrag,
            ts,
            reassembled: None,
        }
    }
}

/// Decodes one captured frame of link type `lt`, without fragment reassembly.
pub fn decode(lt: i32, frame: &[u8]) -> Result<Decoded<'_>, Skip> {
    decode_with(lt, frame, &mut Cx::new(None, 0))
}

/// Decodes a whole IP packet (as [`Cx::reassembled`] holds after a datagram completes).
pub fn decode_ip<'a>(packet: &'a [u8], cx: &mut Cx) -> Result<Decoded<'a>, Skip> {
    ip(packet, cx)
}

/// Decodes one captured frame of link type `lt`. A fragment that completes its datagram
/// returns `Err(Skip::Fragment)` and leaves the datagram in `cx.reassembled`.
pub fn decode_with<'a>(lt: i32, frame: &'a [u8], cx: &mut Cx) -> Result<Decoded<'a>, Skip> {
    match lt {
        linktype::ETHERNET => ethernet(frame, cx),
        linktype::PPP | linktype::PPP_HDLC => ppp(frame, cx),
        linktype::IEEE802_11 => wlan(frame, cx),
        linktype::IEEE802_11_RADIOTAP => {
            // The radiotap header gives its own length, little-endian, at bytes 2..4.
            let len = u16::from_le_bytes([
                *frame.get(2).ok_or(Skip::Malformed)?,
                *frame.get(3).ok_or(Skip::Malformed)?,
            ]);
            wlan(frame.get(len as usize..).ok_or(Skip::Malformed)?, cx)
        }
        linktype::NFLOG => nflog(frame, cx),
        linktype::RAW | linktype::RAW_12 | linktype::RAW_14 | linktype::IPV4 | linktype::IPV6 => {
            ip(frame, cx)
        }
        linktype::NULL | linktype::LOOP => {
            // The 4-byte address family is in the capturing host's byte order (NULL) or
            // network order (LOOP), and AF_INET6 differs between BSDs; the IP version nibble
            // says the same thing without those ambiguities.
            ip(frame.get(4..).ok_or(Skip::Malformed)?, cx)
        }
        linktype::LINUX_SLL => {
            let proto = be16(frame, 14).ok_or(Skip::Malformed)?;
            ether_type(proto, &frame[16..], cx)
        }
        linktype::LINUX_SLL2 => {
            let proto = be16(frame, 0).ok_or(Skip::Malformed)?;
            ether_type(proto, frame.get(20..).ok_or(Skip::Malformed)?, cx)
        }
        _ => Err(Skip::UnsupportedLinktype),
    }
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

fn ether_type<'a>(et: u16, payload: &'a [u8], cx: &mut Cx) -> Result<Decoded<'a>, Skip> {
    match et {
        ETHERTYPE_IPV4 | ETHERTYPE_IPV6 => ip(payload, cx),
        ETHERTYPE_PPPOE_SESSION => {
            // RFC 2516: 6-byte PPPoE header, then the PPP protocol field.
            ppp(payload.get(6..).ok_or(Skip::Malformed)?, cx)
        }
        ETHERTYPE_MPLS | ETHERTYPE_MPLS_MC => mpls(payload, cx),
        ETHERTYPE_TEB => ethernet(payload, cx),
        _ => Err(Skip::NotIp),
    }
}

fn ip<'a>(bytes: &'a [u8], cx: &mut Cx) -> Result<Decoded<'a>, Skip> {
    let (slice, _ext_err) = LaxIpSlice::from_slice(bytes).map_err(|_| Skip::Malformed)?;
    let pl = slice.payload();
    if pl.fragmented {
        fragment(&slice, cx);
        return Err(Skip::Fragment);
    }
    let (src, dst) = (slice.source_addr(), slice.destination_addr());
    let truncated = pl.incomplete;
    match pl.ip_number {
        IpNumber::TCP => {
            let tcp = TcpSlice::from_slice(pl.payload).map_err(|_| Skip::Malformed)?;
            Ok(Decoded {
                src,
                dst,
                sport: tcp.source_port(),
                dport: tcp.destination_port(),
                transport: Transport::Tcp(TcpInfo {
                    seq: tcp.sequence_number(),
                    syn: tcp.syn(),
                    ack: tcp.ack(),
                    fin: tcp.fin(),
                    rst: tcp.rst(),
                }),
                payload: tcp.payload(),
                truncated,
            })
        }
        IpNumber::IPV4 | IpNumber::IPV6 => inner(cx, |cx| ip(pl.payload, cx)),
        IpNumber::GRE => inner(cx, |cx| tunnel::gre(pl.payload, cx)),
        IpNumber::UDP => {
            let udp = UdpSlice::from_slice_lax(pl.payload).map_err(|_| Skip::Malformed)?;
            let payload = udp.payload();
            if let Some(Ok(d)) = tunnel::udp(udp.source_port(), udp.destination_port(), payload, cx)
            {
                return Ok(d);
            }
            Ok(Decoded {
                src,
                dst,
                sport: udp.source_port(),
                dport: udp.destination_port(),
                transport: Transport::Udp,
                // A UDP length field larger than the capture also means a cut packet.
                truncated: truncated || (udp.length() as usize) > pl.payload.len(),
                payload,
            })
        }
        _ => Err(Skip::OtherTransport),
    }
}

/// Hands a fragment to reassembly; a completed datagram waits in `cx.reassembled`.
fn fragment(slice: &LaxIpSlice, cx: &mut Cx) {
    let Some(defrag) = cx.defrag.as_deref_mut() else {
        return;
    };
    let pl = slice.payload();
    let frag = match slice {
        LaxIpSlice::Ipv4(v4) => {
            let h = v4.header();
            let offset = h.fragments_offset().byte_offset() as usize;
            Fragment {
                key: FragKey {
                    src: slice.source_addr(),
                    dst: slice.destination_addr(),
                    proto: h.protocol().0,
                    id: h.identification() as u32,
                },
                offset,
                more: h.more_fragments(),
                data: pl.payload,
                header: (offset == 0).then(|| h.slice().to_vec()),
            }
        }
        LaxIpSlice::Ipv6(v6) => {
            let Some(fh) = v6.extensions().clone().into_iter().find_map(|e| match e {
                etherparse::Ipv6ExtensionSlice::Fragment(f) => Some(f),
                _ => None,
            }) else {
                return;
            };
            let offset = fh.fragment_offset().byte_offset() as usize;
            let header = (offset == 0).then(|| {
                // A plain IPv6 header whose next header is the fragmented protocol.
                let mut h = v6.header().slice().to_vec();
                h[6] = pl.ip_number.0;
                h
            });
            Fragment {
                key: FragKey {
                    src: slice.source_addr(),
                    dst: slice.destination_addr(),
                    proto: pl.ip_number.0,
                    id: fh.identification(),
                },
                offset,
                more: fh.more_fragments(),
                data: pl.payload,
                header,
            }
        }
    };
    if pl.incomplete {
        // A fragment cut by the snaplen cannot be put together with the others.
        return;
    }
    cx.reassembled = defrag.add(frag, cx.ts);
}

/// Decodes an encapsulated packet one level deeper, within the depth bound.
fn inner<'a>(
    cx: &mut Cx,
    f: impl FnOnce(&mut Cx) -> Result<Decoded<'a>, Skip>,
) -> Result<Decoded<'a>, Skip> {
    if cx.depth >= MAX_TUNNEL_DEPTH {
        return Err(Skip::Malformed);
    }
    cx.depth += 1;
    let r = f(cx);
    cx.depth -= 1;
    r
}

#[cfg(test)]
mod tests {
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
        let lts = [0, 1, 9, 50, 101, 105, 113, 127, 228, 239, 276];
        let mut defrag = Defrag::default();
        for i in 0..50_000 {
            let mut f = bases[i % bases.len()].clone();
            for _ in 0..(1 + next() % 6) {
                let at = next() as usize % f.len();
                f[at] = next() as u8;
            }
            f.truncate(next() as usize % (f.len() + 1));
            let lt = lts[next() as usize % lts.len()];
            let mut cx = Cx::new(Some(&mut defrag), i as i64);
            let _ = decode_with(lt, &f, &mut cx);
        }
    }

    #[test]
    fn supported_link_types() {
        for lt in [
            0, 1, 9, 12, 14, 50, 101, 105, 108, 113, 127, 228, 229, 239, 276,
        ] {
            assert!(linktype::supported(lt), "{lt}");
        }
        for lt in [147, 2, 104, 192] {
            assert!(!linktype::supported(lt), "{lt}");
        }
    }

    #[test]
    fn unknown_linktype_and_non_ip() {
        assert_eq!(decode(147, IPV4_UDP), Err(Skip::UnsupportedLinktype));
        let arp = eth(&[0x08, 0x06], &[0u8; 28]);
        assert_eq!(decode(linktype::ETHERNET, &arp), Err(Skip::NotIp));
    }
}
