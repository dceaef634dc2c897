//! Link layers and the layers that sit where a link layer would: Ethernet with VLAN tags,
//! PPP, Cisco HDLC, IEEE 802.11 with LLC/SNAP, Linux NFLOG, MPLS, ARCNET, and the capture
//! headers that name the link type of what follows (Apple's PKTAP, PPI).

#![deny(clippy::indexing_slicing)]

use super::*;

pub(super) fn ethernet<'a>(frame: &'a [u8], cx: &mut Context) -> Result<Decoded<'a>, Skip> {
    let mut et = be16(frame, 12).ok_or(Skip::Malformed)?;
    let mut rest = frame.get(14..).ok_or(Skip::Malformed)?;
    let mut tags = 0;
    while matches!(et, ETHERTYPE_VLAN | ETHERTYPE_QINQ | ETHERTYPE_QINQ_OLD) {
        tags += 1;
        if tags > MAX_VLAN_TAGS {
            return Err(Skip::Malformed);
        }
        et = be16(rest, 2).ok_or(Skip::Malformed)?;
        rest = rest.get(4..).ok_or(Skip::Malformed)?;
    }
    ether_type(et, rest, cx)
}

/// PPP: an optional address/control pair (0xff 0x03), then the protocol field.
pub(super) fn ppp<'a>(b: &'a [u8], cx: &mut Context) -> Result<Decoded<'a>, Skip> {
    let b = b.strip_prefix(&[0xff, 0x03]).unwrap_or(b);
    // The protocol field may be compressed to one byte (RFC 1661 §6.5) when odd.
    let (proto, rest) = match b.first() {
        Some(p) if p & 1 == 1 => (*p as u16, b.get(1..).unwrap_or_default()),
        _ => (
            be16(b, 0).ok_or(Skip::Malformed)?,
            b.get(2..).unwrap_or_default(),
        ),
    };
    match proto {
        0x0021 | 0x0057 => ip(rest, cx),
        _ => Err(Skip::NotIp),
    }
}

/// IEEE 802.11 data frames (plain, QoS, four-address) with an LLC/SNAP header; management
/// and control frames, and protected (encrypted) data, carry nothing we can read.
pub(super) fn wlan<'a>(f: &'a [u8], cx: &mut Context) -> Result<Decoded<'a>, Skip> {
    let fc = *f.first().ok_or(Skip::Malformed)?;
    let flags = *f.get(1).ok_or(Skip::Malformed)?;
    wlan_with(fc, flags, f, cx)
}

pub(super) fn wlan_with<'a>(
    fc: u8,
    flags: u8,
    f: &'a [u8],
    cx: &mut Context,
) -> Result<Decoded<'a>, Skip> {
    if (fc >> 2) & 0x3 != 2 || flags & 0x40 != 0 {
        return Err(Skip::NotIp);
    }
    let mut hdr = 24;
    if flags & 0x03 == 0x03 {
        hdr += 6; // address 4
    }
    if fc & 0x80 != 0 {
        hdr += 2; // QoS control
        if flags & 0x80 != 0 {
            hdr += 4; // HT control, with the order bit in QoS frames
        }
    }
    llc(f.get(hdr..).ok_or(Skip::Malformed)?, cx)
}

/// LLC/SNAP (aa aa 03, OUI 0) followed by an EtherType.
pub(super) fn llc<'a>(b: &'a [u8], cx: &mut Context) -> Result<Decoded<'a>, Skip> {
    if !b.starts_with(&[0xaa, 0xaa, 0x03]) {
        return Err(Skip::NotIp);
    }
    match (be16(b, 6), b.get(8..)) {
        (Some(et), Some(rest)) => ether_type(et, rest, cx),
        _ => Err(Skip::NotIp),
    }
}

/// Linux NFLOG: a 4-byte header, then TLVs (little-endian length and type, padded to 4);
/// type 9 holds the packet from its IP header on.
pub(super) fn nflog<'a>(f: &'a [u8], cx: &mut Context) -> Result<Decoded<'a>, Skip> {
    let mut at = 4;
    while let (Some(&l0), Some(&l1), Some(&t0), Some(&t1)) =
        (f.get(at), f.get(at + 1), f.get(at + 2), f.get(at + 3))
    {
        let len = u16::from_le_bytes([l0, l1]) as usize;
        let typ = u16::from_le_bytes([t0, t1]);
        if len < 4 {
            return Err(Skip::Malformed);
        }
        if typ == 9 {
            return ip(
                f.get(at + 4..(at + len).min(f.len()))
                    .ok_or(Skip::Malformed)?,
                cx,
            );
        }
        at += (len + 3) & !3;
    }
    Err(Skip::NotIp)
}

/// MPLS: pop labels to the bottom of the stack; the payload is IP (told by its version
/// nibble) or, for pseudowires with a control word (first nibble 0), Ethernet.
pub(super) fn mpls<'a>(mut b: &'a [u8], cx: &mut Context) -> Result<Decoded<'a>, Skip> {
    for _ in 0..16 {
        let bottom = *b.get(2).ok_or(Skip::Malformed)? & 1 == 1;
        b = b.get(4..).ok_or(Skip::Malformed)?;
        if bottom {
            return match b.first().map(|x| x >> 4) {
                Some(4) | Some(6) => ip(b, cx),
                Some(0) => ethernet(b.get(4..).ok_or(Skip::Malformed)?, cx),
                _ => Err(Skip::NotIp),
            };
        }
    }
    Err(Skip::Malformed)
}

/// Cisco HDLC: address (0x0f unicast, 0x8f broadcast), control, then an EtherType.
pub(super) fn c_hdlc<'a>(b: &'a [u8], cx: &mut Context) -> Result<Decoded<'a>, Skip> {
    let et = be16(b, 2).ok_or(Skip::Malformed)?;
    ether_type(et, b.get(4..).ok_or(Skip::Malformed)?, cx)
}

/// PKTAP's `pth_type_next` for a record that carries a packet (others carry none).
const PTH_TYPE_PACKET: u32 = 1;
/// The smallest PKTAP header (Wireshark's MIN_PKTAP_HDR_LEN): the fixed fields up to the
/// process names; Apple's is larger and says so in `pth_length`.
const MIN_PKTAP_HDR_LEN: usize = 108;

/// Apple's PKTAP (xnu bsd/net/pktap.h): `pth_length` (the header's length), `pth_type_next`
/// and `pth_dlt` (the link type of the packet after the header), all 32-bit in the
/// capturing host's byte order, which is little-endian on every Mac (Wireshark reads them
/// so too). The inner link type goes through the same dispatch, one tunnel level deeper.
pub(super) fn pktap<'a>(f: &'a [u8], cx: &mut Context) -> Result<Decoded<'a>, Skip> {
    let le32 = |at: usize| u32_in(f, at, true).ok_or(Skip::Malformed);
    let len = le32(0)? as usize;
    if len < MIN_PKTAP_HDR_LEN {
        return Err(Skip::Malformed);
    }
    if le32(4)? != PTH_TYPE_PACKET {
        return Err(Skip::NotIp);
    }
    let dlt = le32(8)?;
    let inner_frame = f.get(len..).ok_or(Skip::Malformed)?;
    inner_link(dlt, inner_frame, cx)
}

/// PPI (Per-Packet Information): version, flags, the header's length (LE 16), then the DLT
/// of the packet after the header (LE 32).
pub(super) fn ppi<'a>(f: &'a [u8], cx: &mut Context) -> Result<Decoded<'a>, Skip> {
    let len = u16_in(f, 2, true).ok_or(Skip::Malformed)? as usize;
    let dlt = u32_in(f, 4, true).ok_or(Skip::Malformed)?;
    inner_link(dlt, f.get(len.max(8)..).ok_or(Skip::Malformed)?, cx)
}

/// A packet whose link type a capture header named: decoded like a frame of that type,
/// within the tunnel depth bound (a PKTAP header naming PKTAP would otherwise recurse).
fn inner_link<'a>(dlt: u32, f: &'a [u8], cx: &mut Context) -> Result<Decoded<'a>, Skip> {
    let dlt = i32::try_from(dlt).map_err(|_| Skip::UnsupportedLinktype)?;
    inner(cx, |cx| decode_with(dlt, f, cx))
}

/// ARCNET protocol ids (RFC 1201 and RFC 1051; libpcap's arcnet.h, Wireshark's
/// arcnet_pids.h).
const ARC_IP_RFC1201: u8 = 0xd4;
const ARC_IP_RFC1051: u8 = 0xf0;
const ARC_ARP_RFC1051: u8 = 0xf1;
const ARC_IPV6: u8 = 0xc4;
const ARC_DIAGNOSE: u8 = 0x80;

/// ARCNET: source and destination station ids, (Linux only) a 2-byte offset, then the
/// protocol id at `proto_at`. RFC 1051 ids are followed by the payload; the others by
/// RFC 1201's split flag and a 2-byte sequence number. On BSD, a split flag of 0xff marks
/// an exception packet (RFC 1201 §2.3: payloads of 253 to 256 bytes), whose 4 filler bytes
/// are followed by the real protocol id, split flag and sequence number.
///
/// RFC 1201 §2.2 splits a packet over 504 bytes: the first fragment's flag is odd and it
/// starts with the IP header; later ones (even flags) carry the rest, which cannot be read
/// on its own, so they are counted as fragments. The first one is read and marked cut.
pub(super) fn arcnet<'a>(
    f: &'a [u8],
    proto_at: usize,
    has_exception: bool,
    cx: &mut Context,
) -> Result<Decoded<'a>, Skip> {
    let proto = *f.get(proto_at).ok_or(Skip::Malformed)?;
    let payload_at = match proto {
        ARC_IP_RFC1051 | ARC_ARP_RFC1051 | ARC_DIAGNOSE => proto_at + 1,
        _ => {
            let mut flag_at = proto_at + 1;
            if has_exception && f.get(flag_at) == Some(&0xff) {
                flag_at += 4;
            }
            let flag = *f.get(flag_at).ok_or(Skip::Malformed)?;
            if flag != 0 && flag & 1 == 0 {
                return Err(Skip::Fragment);
            }
            flag_at + 3
        }
    };
    let payload = f.get(payload_at..).ok_or(Skip::Malformed)?;
    match proto {
        ARC_IP_RFC1201 | ARC_IP_RFC1051 | ARC_IPV6 => ip(payload, cx),
        _ => Err(Skip::NotIp),
    }
}
