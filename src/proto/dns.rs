//! DNS messages (RFC 1035): the question names of queries, and the CNAME chain, A/AAAA and
//! HTTPS/SVCB (RFC 9460) answers of responses.
//!
//! Our own parser rather than `dns-parser` 0.8: that crate rejects a whole message when one
//! question or record has a type it does not know (HTTPS = 65 and SVCB = 64, which browsers
//! ask for every name), so it loses names that are plainly on the wire. See the README's
//! dependency table for the measurement.
//!
//! Guarantees: no panic on any input; compression pointers are followed to any offset of the
//! message (forward ones too, as tshark does), at most [`MAX_POINTER_HOPS`] per name and never
//! twice through the same pointer, so a loop ends the name instead of the program; a record or
//! question cut short ends the parse but keeps everything read before it.

#![deny(clippy::indexing_slicing)]

use std::net::IpAddr;

use crate::proto::ech;
use crate::wire::{be16, be32, Cursor};

/// RFC 1035 §2.3.4: 255 octets on the wire. Longer names are malformed.
const MAX_NAME_WIRE_LEN: usize = 255;
/// A message of more questions than this is hostile; real resolvers send one.
const MAX_QUESTIONS: usize = 64;
/// Bound on answer records read per message (a full 64 KiB TCP message holds ~4000 A records).
const MAX_ANSWERS: usize = 512;
/// Compression pointers followed within one name. An encoder writes one pointer per name, but
/// the suffix it points at may itself end in a pointer, so a chain can take one hop per label;
/// real names have a few labels, and 64 is half the 127 labels that fit in 255 bytes. Loops
/// through labels also end at the 255-byte bound; this one ends chains of bare pointers, and
/// keeps the visited-offset scan (quadratic in hops) at a few thousand steps at worst.
const MAX_POINTER_HOPS: usize = 64;

const TYPE_A: u16 = 1;
const TYPE_CNAME: u16 = 5;
const TYPE_AAAA: u16 = 28;
const TYPE_SVCB: u16 = 64;
const TYPE_HTTPS: u16 = 65;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Question {
    /// Presentation form: lower-cased, no trailing dot, odd bytes as `\DDD`; "" for the root.
    pub name: String,
    pub qtype: u16,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Message {
    pub id: u16,
    pub response: bool,
    pub rcode: u8,
    pub questions: Vec<Question>,
    /// CNAME records of the answer section in order: (owner, target).
    pub cnames: Vec<(String, String)>,
    /// A and AAAA values of the answer section in order: (owner, address).
    pub addrs: Vec<(String, IpAddr)>,
    /// The smallest TTL (seconds) of those A and AAAA records.
    pub min_ttl: Option<u32>,
    /// HTTPS and SVCB records of the answer section that carry ECH configs.
    pub ech: Vec<EchRecord>,
    /// The message ended before all the records its header counts (cut or malformed).
    pub incomplete: bool,
}

/// An HTTPS or SVCB record's `ech` parameter: the configs a client will encrypt its real
/// ClientHello to, each naming the public name its outer hello will carry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EchRecord {
    pub owner: String,
    pub ttl: u32,
    pub configs: Vec<ech::Config>,
}

/// Why a message gave nothing at all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DnsError {
    /// Shorter than the 12-byte header.
    TooShort,
}

/// Parses one DNS message (no TCP length prefix). Anything readable is returned; a malformed
/// part sets `incomplete` and ends the parse.
pub fn parse(msg: &[u8]) -> Result<Message, DnsError> {
    parse_records(msg, false)
}

/// As [`parse`], but the records of the authority and additional sections are read too, as
/// if they were answers: an mDNS announcement puts a host's own A/AAAA records anywhere.
pub fn parse_mdns(msg: &[u8]) -> Result<Message, DnsError> {
    parse_records(msg, true)
}

fn parse_records(msg: &[u8], all_sections: bool) -> Result<Message, DnsError> {
    if msg.len() < 12 {
        return Err(DnsError::TooShort);
    }
    let mut header = Cursor::new(msg);
    let (Some(id), Some(flags), Some(qd), Some(an)) =
        (header.be16(), header.be16(), header.be16(), header.be16())
    else {
        return Err(DnsError::TooShort);
    };
    let mut m = Message {
        id,
        response: flags & 0x8000 != 0,
        rcode: (flags & 0x000f) as u8,
        ..Message::default()
    };
    let (qd, mut an) = (qd as usize, an as usize);
    if all_sections {
        an += [8, 10]
            .iter()
            .filter_map(|&at| be16(msg, at))
            .map(usize::from)
            .sum::<usize>();
    }
    let mut pos = 12;
    for _ in 0..qd.min(MAX_QUESTIONS) {
        let Some((name, next)) = read_name(msg, pos) else {
            m.incomplete = true;
            return Ok(m);
        };
        // A question counts only when its type and class are there too (as tshark has it: a
        // question cut inside them is malformed, and its name may be garbage).
        let (Some(qtype), Some(_class)) = (be16(msg, next), be16(msg, next + 2)) else {
            m.incomplete = true;
            return Ok(m);
        };
        m.questions.push(Question { name, qtype });
        pos = next + 4;
    }
    if qd > MAX_QUESTIONS {
        m.incomplete = true;
        return Ok(m);
    }
    for _ in 0..an.min(MAX_ANSWERS) {
        let Some((owner, next)) = read_name(msg, pos) else {
            m.incomplete = true;
            return Ok(m);
        };
        let (Some(rtype), Some(rdlen)) = (be16(msg, next), be16(msg, next + 8)) else {
            m.incomplete = true;
            return Ok(m);
        };
        let rdata_at = next + 10;
        let rdata_end = rdata_at + rdlen as usize;
        let Some(rdata) = msg.get(rdata_at..rdata_end) else {
            m.incomplete = true;
            return Ok(m);
        };
        if matches!(rtype, TYPE_A | TYPE_AAAA) {
            let ttl = be32(msg, next + 4);
            if let Some(ttl) = ttl {
                m.min_ttl = Some(m.min_ttl.map_or(ttl, |x| x.min(ttl)));
            }
        }
        match rtype {
            TYPE_A if rdata.len() == 4 => {
                let a: [u8; 4] = rdata.try_into().unwrap_or_default();
                m.addrs.push((owner, IpAddr::from(a)));
            }
            TYPE_AAAA if rdata.len() == 16 => {
                let a: [u8; 16] = rdata.try_into().unwrap_or_default();
                m.addrs.push((owner, IpAddr::from(a)));
            }
            TYPE_CNAME => {
                // The target may use compression pointers into the whole message; its own
                // bytes must end within the RDATA.
                if let Some((target, end)) = read_name(msg, rdata_at) {
                    if end <= rdata_end {
                        m.cnames.push((owner, target));
                    }
                }
            }
            TYPE_SVCB | TYPE_HTTPS => {
                let ttl = be32(msg, next + 4).unwrap_or(0);
                let configs = svc_ech(msg.get(..rdata_end).unwrap_or_default(), rdata_at);
                if !configs.is_empty() {
                    m.ech.push(EchRecord {
                        owner,
                        ttl,
                        configs,
                    });
                }
            }
            _ => {}
        }
        pos = rdata_end;
    }
    Ok(m)
}

/// The ECH configs of the SvcParams of an HTTPS/SVCB record whose RDATA starts at `at` and
/// ends with `msg`: SvcPriority, TargetName, then (key, length, value) triples.
fn svc_ech(msg: &[u8], at: usize) -> Vec<ech::Config> {
    let Some((_target, mut pos)) = read_name(msg, at + 2) else {
        return Vec::new();
    };
    while let (Some(key), Some(len)) = (be16(msg, pos), be16(msg, pos + 2)) {
        let Some(value) = msg.get(pos + 4..pos + 4 + len as usize) else {
            break;
        };
        if key == ech::SVC_PARAM_ECH {
            return ech::parse_config_list(value);
        }
        pos += 4 + len as usize;
    }
    Vec::new()
}

/// Reads a possibly compressed name at `pos`. Returns the presentation form and the offset
/// just after the name's bytes at `pos` (after the first pointer, if any).
///
/// A pointer may go to any offset of the message, forward as well as back: RFC 1035 §4.1.4
/// only defines it as an offset from the start of the message, and real senders point a
/// first question at a second one (tshark decodes both). Termination does not come from
/// pointers going backwards, then, but from two bounds: at most [`MAX_POINTER_HOPS`] jumps,
/// and no jump to a pointer already followed (a loop fails at its first repeat).
pub fn read_name(msg: &[u8], mut pos: usize) -> Option<(String, usize)> {
    let mut out = String::new();
    let mut wire_len = 0usize;
    let mut end_after: Option<usize> = None;
    // Offsets of the pointers followed so far; `hops` of them are in use.
    let mut visited = [0usize; MAX_POINTER_HOPS];
    let mut hops = 0;
    loop {
        let len = *msg.get(pos)? as usize;
        match len & 0xc0 {
            0x00 => {
                if len == 0 {
                    return Some((out, end_after.unwrap_or(pos + 1)));
                }
                let label = msg.get(pos + 1..pos + 1 + len)?;
                wire_len += len + 1;
                if wire_len + 1 > MAX_NAME_WIRE_LEN {
                    return None;
                }
                if !out.is_empty() {
                    out.push('.');
                }
                push_label(&mut out, label);
                pos += 1 + len;
            }
            0xc0 => {
                let target = ((len & 0x3f) << 8) | *msg.get(pos + 1)? as usize;
                if visited.get(..hops)?.contains(&pos) {
                    return None;
                }
                // Past MAX_POINTER_HOPS there is no slot left: the name ends.
                *visited.get_mut(hops)? = pos;
                hops += 1;
                if end_after.is_none() {
                    end_after = Some(pos + 2);
                }
                // A target past the end fails at the next read.
                pos = target;
            }
            // 0x40 (extended label types, RFC 6891 retired them) and 0x80 are not in use.
            _ => return None,
        }
    }
}

/// Appends a label in presentation form ([`crate::escape`], the same for every name): ASCII
/// lower-cased; `.` and `\` escaped with a backslash; control and non-ASCII bytes as `\DDD`
/// (RFC 4343). A space stays a space, as tshark prints it.
fn push_label(out: &mut String, label: &[u8]) {
    for &b in label {
        crate::escape::push_label_byte(out, b);
    }
}

#[cfg(test)]
// Tests may index: a panic there is a failed test, not a crash on hostile bytes.
#[allow(clippy::indexing_slicing)]
mod tests;
