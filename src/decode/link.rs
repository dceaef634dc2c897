//! Link layers and the layers that sit where a link layer would: Ethernet with VLAN tags,
//! PPP, IEEE 802.11 with LLC/SNAP, Linux NFLOG, MPLS.

use super::*;

pub(super) fn ethernet<'a>(frame: &'a [u8], cx: &mut Cx) -> Result<Decoded<'a>, Skip> {
    let mut et = be16(frame, 12).ok_or(Skip::Malformed)?;
    let mut rest = &frame[14..];
    let mut tags = 0;
    while matches!(et, ETHERTYPE_VLAN | ETHERTYPE_QINQ | ETHERTYPE_QINQ_OLD) {
        tags += 1;
        if tags > MAX_VLAN_TAGS {
            return Err(Skip::Malformed);
        }
        et = be16(rest, 2).ok_or(Skip::Malformed)?;
        rest = &rest[4..];
    }
    ether_type(et, rest, cx)
}

/// PPP: an optional address/control pair (0xff 0x03), then the protocol field.
pub(super) fn ppp<'a>(b: &'a [u8], cx: &mut Cx) -> Result<Decoded<'a>, Skip> {
    let b = b.strip_prefix(&[0xff, 0x03]).unwrap_or(b);
    // The protocol field may be compressed to one byte (RFC 1661 §6.5) when odd.
    let (proto, rest) = match b.first() {
        Some(p) if p & 1 == 1 => (*p as u16, &b[1..]),
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
pub(super) fn wlan<'a>(f: &'a [u8], cx: &mut Cx) -> Result<Decoded<'a>, Skip> {
    let fc = *f.first().ok_or(Skip::Malformed)?;
    let flags = *f.get(1).ok_or(Skip::Malformed)?;
    wlan_with(fc, flags, f, cx)
}

pub(super) fn wlan_with<'a>(
    fc: u8,
    flags: u8,
    f: &'a [u8],
    cx: &mut Cx,
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
pub(super) fn llc<'a>(b: &'a [u8], cx: &mut Cx) -> Result<Decoded<'a>, Skip> {
    if b.len() < 8 || b[..3] != [0xaa, 0xaa, 0x03] {
        return Err(Skip::NotIp);
    }
    ether_type(u16::from_be_bytes([b[6], b[7]]), &b[8..], cx)
}

/// Linux NFLOG: a 4-byte header, then TLVs (little-endian length and type, padded to 4);
/// type 9 holds the packet from its IP header on.
pub(super) fn nflog<'a>(f: &'a [u8], cx: &mut Cx) -> Result<Decoded<'a>, Skip> {
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
pub(super) fn mpls<'a>(mut b: &'a [u8], cx: &mut Cx) -> Result<Decoded<'a>, Skip> {
    for _ in 0..16 {
        let entry = b.get(..4).ok_or(Skip::Malformed)?;
        b = &b[4..];
        if entry[2] & 1 == 1 {
            return match b.first().map(|x| x >> 4) {
                Some(4) | Some(6) => ip(b, cx),
                Some(0) => ethernet(b.get(4..).ok_or(Skip::Malformed)?, cx),
                _ => Err(Skip::NotIp),
            };
        }
    }
    Err(Skip::Malformed)
}
