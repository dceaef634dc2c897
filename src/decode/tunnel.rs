//! Tunnel headers: each function takes the tunnel's payload and decodes what it carries.
//! A UDP port that merely looks like a tunnel's but does not parse as one falls back to
//! plain UDP in the caller.

#![deny(clippy::indexing_slicing)]

use super::link::{ethernet, ppp, wlan, wlan_with};
use super::*;

pub const VXLAN: u16 = 4789;
pub const GENEVE: u16 = 6081;
pub const GTP_U: u16 = 2152;
pub const TEREDO: u16 = 3544;
pub const GRE_IN_UDP: u16 = 4754;
pub const CAPWAP_DATA: u16 = 5247;

/// Tries the UDP-carried tunnels; None when neither port is one of them.
pub fn udp<'a>(
    sport: u16,
    dport: u16,
    b: &'a [u8],
    cx: &mut Context,
) -> Option<Result<Decoded<'a>, Skip>> {
    let is = |p: u16| sport == p || dport == p;
    let r = if is(VXLAN) {
        inner(cx, |cx| vxlan(b, cx))
    } else if is(GENEVE) {
        inner(cx, |cx| geneve(b, cx))
    } else if is(GTP_U) {
        inner(cx, |cx| gtp_u(b, cx))
    } else if is(TEREDO) {
        inner(cx, |cx| teredo(b, cx))
    } else if dport == GRE_IN_UDP {
        inner(cx, |cx| gre(b, cx))
    } else if is(CAPWAP_DATA) {
        inner(cx, |cx| capwap(b, cx))
    } else {
        return None;
    };
    Some(r)
}

/// RFC 7348: 8-byte header with the I flag, then an Ethernet frame.
pub(super) fn vxlan<'a>(b: &'a [u8], cx: &mut Context) -> Result<Decoded<'a>, Skip> {
    match (b.first(), b.get(8..)) {
        (Some(flags), Some(frame)) if flags & 0x08 != 0 && frame.len() >= 14 => ethernet(frame, cx),
        _ => Err(Skip::Malformed),
    }
}

/// RFC 8926: 8 bytes plus options, protocol type as an EtherType.
fn geneve<'a>(b: &'a [u8], cx: &mut Context) -> Result<Decoded<'a>, Skip> {
    let first = *b.first().ok_or(Skip::Malformed)?;
    if b.len() < 8 || first >> 6 != 0 {
        return Err(Skip::Malformed);
    }
    let opt = (first & 0x3f) as usize * 4;
    let proto = be16(b, 2).ok_or(Skip::Malformed)?;
    ether_type(proto, b.get(8 + opt..).ok_or(Skip::Malformed)?, cx)
}

/// 3GPP TS 29.281: version 1, G-PDU (type 255); optional fields and extension headers.
fn gtp_u<'a>(b: &'a [u8], cx: &mut Context) -> Result<Decoded<'a>, Skip> {
    let flags = *b.first().ok_or(Skip::Malformed)?;
    if flags >> 5 != 1 || flags & 0x10 == 0 || b.get(1) != Some(&0xff) {
        return Err(Skip::NotIp);
    }
    let mut at = 8;
    if flags & 0x07 != 0 {
        // Sequence number, N-PDU number, next extension header type.
        let mut next = *b.get(at + 3).ok_or(Skip::Malformed)?;
        at += 4;
        while next != 0 {
            let units = *b.get(at).ok_or(Skip::Malformed)? as usize;
            if units == 0 {
                return Err(Skip::Malformed);
            }
            at += units * 4;
            next = *b.get(at - 1).ok_or(Skip::Malformed)?;
        }
    }
    let rest = b.get(at..).ok_or(Skip::Malformed)?;
    match rest.first().map(|x| x >> 4) {
        Some(4) | Some(6) => ip(rest, cx),
        _ => Err(Skip::NotIp),
    }
}

/// RFC 5415 CAPWAP data channel: preamble, HLEN in 4-byte words, then an 802.3 or
/// native 802.11 frame (T flag, with WBID 1).
fn capwap<'a>(b: &'a [u8], cx: &mut Context) -> Result<Decoded<'a>, Skip> {
    let (Some(0), Some(hlen), Some(flags), true) = (b.first(), b.get(1), b.get(2), b.len() >= 8)
    else {
        return Err(Skip::Malformed);
    };
    let hlen = ((hlen >> 3) as usize) * 4;
    let native = flags & 0x01 != 0;
    let frame = b.get(hlen..).ok_or(Skip::Malformed)?;
    if native {
        // Some access points (Cisco's among them) send the two frame-control bytes
        // swapped; Wireshark swaps them back by default, and so do we when only the
        // swapped order reads as a data frame.
        let (a, b) = (
            *frame.first().ok_or(Skip::Malformed)?,
            *frame.get(1).ok_or(Skip::Malformed)?,
        );
        let is_data = |fc: u8| (fc >> 2) & 0x3 == 2;
        if !is_data(a) && is_data(b) {
            wlan_with(b, a, frame, cx)
        } else {
            wlan(frame, cx)
        }
    } else {
        ethernet(frame, cx)
    }
}

/// RFC 4380: optional authentication and origin indication headers, then IPv6.
fn teredo<'a>(mut b: &'a [u8], cx: &mut Context) -> Result<Decoded<'a>, Skip> {
    if b.starts_with(&[0, 1]) {
        let id_len = *b.get(2).ok_or(Skip::Malformed)? as usize;
        let au_len = *b.get(3).ok_or(Skip::Malformed)? as usize;
        b = b.get(4 + id_len + au_len + 9..).ok_or(Skip::Malformed)?;
    }
    if b.starts_with(&[0, 0]) {
        b = b.get(8..).ok_or(Skip::Malformed)?;
    }
    if b.first().map(|x| x >> 4) != Some(6) || b.len() < 40 {
        return Err(Skip::NotIp);
    }
    ip(b, cx)
}

/// RFC 2784/2890 GRE, PPTP's enhanced GRE (version 1, PPP inside), and ERSPAN I/II/III.
pub fn gre<'a>(b: &'a [u8], cx: &mut Context) -> Result<Decoded<'a>, Skip> {
    let flags = be16(b, 0).ok_or(Skip::Malformed)?;
    let proto = be16(b, 2).ok_or(Skip::Malformed)?;
    let version = flags & 0x7;
    let mut at = 4;
    if flags & 0x8000 != 0 {
        at += 4; // checksum + reserved
    }
    if flags & 0x2000 != 0 {
        at += 4; // key (PPTP: payload length + call id)
    }
    let seq = flags & 0x1000 != 0;
    if seq {
        at += 4;
    }
    if version == 1 && flags & 0x0080 != 0 {
        at += 4; // acknowledgment number
    }
    let rest = b.get(at..).ok_or(Skip::Malformed)?;
    match proto {
        ETHERTYPE_PPP => ppp(rest, cx),
        // ERSPAN type II: with a sequence number, 8-byte header; type I: none.
        ETHERTYPE_ERSPAN_2 if seq => ethernet(rest.get(8..).ok_or(Skip::Malformed)?, cx),
        ETHERTYPE_ERSPAN_2 => ethernet(rest, cx),
        // ERSPAN type III: 12-byte header, plus 8 bytes of platform data when O is set.
        ETHERTYPE_ERSPAN_3 => {
            let o = rest.get(11).ok_or(Skip::Malformed)? & 1 == 1;
            ethernet(
                rest.get(if o { 20 } else { 12 }..).ok_or(Skip::Malformed)?,
                cx,
            )
        }
        _ => ether_type(proto, rest, cx),
    }
}
