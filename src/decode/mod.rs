//! Packet decoding: link layer → IP → TCP/UDP.
//!
//! The contract, after smoltcp's `wire`: every function here takes untrusted bytes and never
//! panics or reads past the captured length. A packet that cannot be decoded is not an error:
//! it becomes a [`Skip`] reason that the caller counts, and processing goes on.
//!
//! The link layer is read by hand (it is a few fixed offsets per link type); IP with its
//! options and IPv6 extension headers, and the TCP/UDP headers, are read with `etherparse`'s
//! lax slicers, which accept packets cut short by a small snaplen.

#![deny(clippy::indexing_slicing)]

use std::net::IpAddr;

use etherparse::{IpNumber, LaxIpSlice, TcpSlice, UdpSlice};

use crate::defrag::{Defrag, FragKey, Fragment};
use crate::time::TsNanos;
use crate::wire::{be16, u16_in, u32_in};

mod link;
pub(crate) mod tunnel;

use link::{arcnet, c_hdlc, ethernet, mpls, nflog, pktap, ppi, ppp, wlan};

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
    /// ARCNET with BSD-style headers (RFC 1201), and Linux's, which add a 2-byte offset.
    pub const ARCNET_BSD: i32 = 7;
    pub const ARCNET_LINUX: i32 = 129;
    /// FDDI: frame control and two addresses (13 bytes), then LLC/SNAP.
    pub const FDDI: i32 = 10;
    /// DLT 11 (LINKTYPE_ATM_RFC1483 100 in files): LLC/SNAP directly.
    pub const ATM_RFC1483: i32 = 11;
    /// PPPoE session frames without their Ethernet header (the 6-byte PPPoE header first).
    pub const PPP_ETHER: i32 = 51;
    /// Cisco HDLC: address, control, then an EtherType.
    pub const C_HDLC: i32 = 104;
    /// OpenBSD's enc(4): a 12-byte header, then IP.
    pub const ENC: i32 = 109;
    /// OpenBSD pflog: a header whose first byte gives its length, then IP.
    pub const PFLOG: i32 = 117;
    /// pppd's PPP, the address byte replaced by a direction.
    pub const PPP_PPPD: i32 = 166;
    /// Per-Packet Information: a header giving its length and the DLT of what follows.
    pub const PPI: i32 = 192;
    /// PPP and Cisco HDLC with a direction byte in front.
    pub const PPP_WITH_DIR: i32 = 204;
    pub const C_HDLC_WITH_DIR: i32 = 205;
    /// MPLS label stack as the first layer.
    pub const MPLS: i32 = 219;
    /// Solaris ipnet: a 24-byte header, then IP.
    pub const IPNET: i32 = 226;
    /// Apple's PKTAP (macOS `tcpdump -i any`): a header giving its length and the DLT of the
    /// packet that follows.
    pub const PKTAP: i32 = 258;

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
/// PPP inside GRE (PPTP).
const ETHERTYPE_PPP: u16 = 0x880b;
/// ERSPAN type I and II inside GRE (the type II header has a sequence number).
const ETHERTYPE_ERSPAN_2: u16 = 0x88be;
/// ERSPAN type III inside GRE.
const ETHERTYPE_ERSPAN_3: u16 = 0x22eb;
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
    /// An IP fragment (without `defrag`, or still waiting for the rest of its datagram).
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
pub struct Context<'d> {
    /// Tunnel nesting so far.
    depth: u8,
    /// Fragment reassembly; without it, fragments are skipped.
    defrag: Option<&'d mut Defrag>,
    ts: TsNanos,
    /// A datagram the current fragment completed: the whole IP packet, to decode next.
    pub reassembled: Option<Vec<u8>>,
}

impl<'d> Context<'d> {
    pub fn new(defrag: Option<&'d mut Defrag>, ts: TsNanos) -> Context<'d> {
        Context {
            depth: 0,
            defrag,
            ts,
            reassembled: None,
        }
    }
}

/// Decodes one captured frame of link type `lt`, without fragment reassembly.
pub fn decode(lt: i32, frame: &[u8]) -> Result<Decoded<'_>, Skip> {
    decode_with(lt, frame, &mut Context::new(None, 0))
}

/// Decodes a whole IP packet (as [`Context::reassembled`] holds after a datagram completes).
pub fn decode_ip<'a>(packet: &'a [u8], cx: &mut Context) -> Result<Decoded<'a>, Skip> {
    ip(packet, cx)
}

/// Decodes one captured frame of link type `lt`. A fragment that completes its datagram
/// returns `Err(Skip::Fragment)` and leaves the datagram in `cx.reassembled`.
pub fn decode_with<'a>(lt: i32, frame: &'a [u8], cx: &mut Context) -> Result<Decoded<'a>, Skip> {
    match lt {
        linktype::ETHERNET => ethernet(frame, cx),
        linktype::PPP | linktype::PPP_HDLC => ppp(frame, cx),
        linktype::IEEE802_11 => wlan(frame, cx),
        linktype::IEEE802_11_RADIOTAP => {
            // The radiotap header gives its own length, little-endian, at bytes 2..4.
            let len = u16_in(frame, 2, true).ok_or(Skip::Malformed)?;
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
            ether_type(proto, frame.get(16..).ok_or(Skip::Malformed)?, cx)
        }
        linktype::LINUX_SLL2 => {
            let proto = be16(frame, 0).ok_or(Skip::Malformed)?;
            ether_type(proto, frame.get(20..).ok_or(Skip::Malformed)?, cx)
        }
        linktype::PKTAP => pktap(frame, cx),
        linktype::PPI => ppi(frame, cx),
        linktype::ARCNET_BSD => arcnet(frame, 2, true, cx),
        linktype::ARCNET_LINUX => arcnet(frame, 4, false, cx),
        linktype::ENC => ip(skip(frame, 12)?, cx),
        linktype::IPNET => ip(skip(frame, 24)?, cx),
        linktype::PFLOG => {
            // pfvar.h: the first byte is the header's length, padded to 4 (BPF_WORDALIGN).
            let len = *frame.first().ok_or(Skip::Malformed)? as usize;
            ip(skip(frame, (len + 3) & !3)?, cx)
        }
        linktype::FDDI => link::llc(skip(frame, 13)?, cx),
        linktype::ATM_RFC1483 => link::llc(frame, cx),
        linktype::PPP_ETHER => ppp(skip(frame, 6)?, cx),
        linktype::PPP_WITH_DIR => ppp(skip(frame, 1)?, cx),
        // The direction byte stands where the 0xff address would; control 0x03 follows.
        linktype::PPP_PPPD => ppp(skip(frame, 2)?, cx),
        linktype::C_HDLC => c_hdlc(frame, cx),
        linktype::C_HDLC_WITH_DIR => c_hdlc(skip(frame, 1)?, cx),
        linktype::MPLS => mpls(frame, cx),
        _ => Err(Skip::UnsupportedLinktype),
    }
}

/// The bytes after a fixed-size header; a frame shorter than the header is malformed.
fn skip(b: &[u8], n: usize) -> Result<&[u8], Skip> {
    b.get(n..).ok_or(Skip::Malformed)
}

fn ether_type<'a>(et: u16, payload: &'a [u8], cx: &mut Context) -> Result<Decoded<'a>, Skip> {
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

fn ip<'a>(bytes: &'a [u8], cx: &mut Context) -> Result<Decoded<'a>, Skip> {
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
fn fragment(slice: &LaxIpSlice, cx: &mut Context) {
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
                if let Some(next) = h.get_mut(6) {
                    *next = pl.ip_number.0;
                }
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
    cx: &mut Context,
    f: impl FnOnce(&mut Context) -> Result<Decoded<'a>, Skip>,
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
// Tests may index: a panic there is a failed test, not a crash on hostile bytes.
#[allow(clippy::indexing_slicing)]
mod tests;
