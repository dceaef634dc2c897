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
mod tests {
    use super::*;

    #[test]
    fn query_with_https_type() {
        // dig -t HTTPS example.org: type 65 must not lose the name.
        let mut q = vec![0xaa, 0xbb, 0x01, 0x20, 0, 1, 0, 0, 0, 0, 0, 0];
        q.extend_from_slice(b"\x07example\x03org\x00\x00\x41\x00\x01");
        let m = parse(&q).unwrap();
        assert!(!m.response);
        assert_eq!(
            m.questions,
            vec![Question {
                name: "example.org".into(),
                qtype: 65
            }]
        );
    }

    /// A query of `qd` questions: the header, then `body`.
    fn query(qd: u8, body: &[u8]) -> Vec<u8> {
        let mut q = vec![0x12, 0x34, 0x01, 0x00, 0, qd, 0, 0, 0, 0, 0, 0];
        q.extend_from_slice(body);
        q
    }

    #[test]
    fn forward_pointer_names_both_questions() {
        // Question 1 at offset 12 is only a pointer (0xc0 0x12 = offset 18) to the name of
        // question 2, which follows its own 2+4 bytes. RFC 1035 §4.1.4: a pointer is an offset
        // from the start of the message, and the name is the label sequence found there, so
        // both questions name example.org (types A and AAAA).
        let q = query(
            2,
            b"\xc0\x12\x00\x01\x00\x01\x07example\x03org\x00\x00\x1c\x00\x01",
        );
        let m = parse(&q).unwrap();
        assert!(!m.incomplete);
        assert_eq!(
            m.questions,
            vec![
                Question {
                    name: "example.org".into(),
                    qtype: 1
                },
                Question {
                    name: "example.org".into(),
                    qtype: 28
                },
            ]
        );
        // A forward pointer after a label: "www" + pointer forward to "example.org".
        let q = query(
            2,
            b"\x03www\xc0\x16\x00\x01\x00\x01\x07example\x03org\x00\x00\x01\x00\x01",
        );
        let m = parse(&q).unwrap();
        assert_eq!(m.questions[0].name, "www.example.org");
        assert_eq!(m.questions[1].name, "example.org");
    }

    #[test]
    fn pointer_loops_end_the_name() {
        // A pointer to itself (offset 12).
        let q = query(1, b"\xc0\x0c\x00\x01\x00\x01");
        let m = parse(&q).unwrap();
        assert!(m.questions.is_empty() && m.incomplete);
        // Two pointers to each other: 12 -> 14 -> 12.
        let q = query(1, b"\xc0\x0e\xc0\x0c\x00\x01\x00\x01");
        assert!(parse(&q).unwrap().questions.is_empty());
        // A loop through a label: "a" + pointer back to the label, which only the 255-byte
        // name bound ends.
        let q = query(1, b"\x01a\xc0\x0c\x00\x01\x00\x01");
        assert!(parse(&q).unwrap().questions.is_empty());
        // A chain of bare pointers, each to the next, ending in the name "a": within the hop
        // bound it names "a"; one hop more is refused even though it has no loop.
        let chain = |hops: usize| {
            let mut body = Vec::new();
            for i in 0..hops {
                let next = 12 + 2 * (i + 1);
                body.extend_from_slice(&[0xc0 | (next >> 8) as u8, next as u8]);
            }
            body.extend_from_slice(b"\x01a\x00\x00\x01\x00\x01");
            parse(&query(1, &body)).unwrap().questions
        };
        assert_eq!(chain(MAX_POINTER_HOPS)[0].name, "a");
        assert!(chain(MAX_POINTER_HOPS + 1).is_empty());
    }

    #[test]
    fn pointer_past_the_end_fails() {
        // 0xc0 0x40 points to offset 64, past this 18-byte message; and a pointer whose second
        // byte is missing.
        let q = query(1, b"\xc0\x40\x00\x01\x00\x01");
        assert!(parse(&q).unwrap().questions.is_empty());
        assert!(parse(&query(1, b"\xc0")).unwrap().questions.is_empty());
        // 0xff 0xff: the largest offset a pointer can hold.
        assert!(parse(&query(1, b"\xff\xff\x00\x01\x00\x01"))
            .unwrap()
            .questions
            .is_empty());
    }

    #[test]
    fn odd_bytes_are_escaped() {
        let mut q = vec![0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0];
        q.extend_from_slice(b"\x05a.b\x00C\x03com\x00\x00\x01\x00\x01");
        assert_eq!(parse(&q).unwrap().questions[0].name, "a\\.b\\000c.com");
    }

    #[test]
    fn cname_chain_with_pointers() {
        // help.acme-corp.example CNAME acme.zendesk.com, A 10.99.0.2, with pointers.
        let mut r = vec![0x12, 0x34, 0x81, 0x80, 0, 1, 0, 2, 0, 0, 0, 0];
        r.extend_from_slice(b"\x04Help\x09acme-corp\x07example\x00\x00\x01\x00\x01");
        r.extend_from_slice(&[0xc0, 12, 0, 5, 0, 1, 0, 0, 0, 60, 0, 18]);
        let target_at = r.len();
        r.extend_from_slice(b"\x04acme\x07zendesk\x03com\x00");
        r.extend_from_slice(&[
            0xc0,
            target_at as u8,
            0,
            1,
            0,
            1,
            0,
            0,
            0,
            60,
            0,
            4,
            10,
            99,
            0,
            2,
        ]);
        let m = parse(&r).unwrap();
        assert!(m.response && !m.incomplete);
        assert_eq!(m.questions[0].name, "help.acme-corp.example");
        assert_eq!(
            m.cnames,
            vec![("help.acme-corp.example".into(), "acme.zendesk.com".into())]
        );
        assert_eq!(
            m.addrs,
            vec![("acme.zendesk.com".into(), "10.99.0.2".parse().unwrap())]
        );
    }

    #[test]
    fn every_prefix_is_safe_and_keeps_the_question() {
        let mut q = vec![0xaa, 0xbb, 0x01, 0x20, 0, 2, 0, 0, 0, 0, 0, 0];
        q.extend_from_slice(
            b"\x07example\x03org\x00\x00\x01\x00\x01\x03www\xc0\x0c\x00\x1c\x00\x01",
        );
        for n in 0..q.len() {
            let _ = parse(&q[..n]);
        }
        // Cut inside the second question: the first is kept.
        let m = parse(&q[..q.len() - 5]).unwrap();
        assert_eq!(m.questions.len(), 1);
        assert!(m.incomplete);
        assert_eq!(parse(&q).unwrap().questions[1].name, "www.example.org");
    }

    #[test]
    fn https_record_with_ech() {
        // acme.example HTTPS 1 . alpn=h2 ech=<Cloudflare's published ECHConfigList>, the
        // owner a pointer to the question.
        let ech = [
            "0045fe0d0041f200200020c221a5373fabf3ebaf09da845166da6d484c07fb5217f3fdd3380ac4",
            "c74b512c0004000100010012636c6f7564666c6172652d6563682e636f6d0000",
        ]
        .concat();
        let ech = crate::proto::unhex(&ech);
        let mut rdata = vec![0, 1, 0]; // priority 1, target "."
        rdata.extend_from_slice(&[0, 1, 0, 3, 2, b'h', b'2']);
        rdata.extend_from_slice(&[0, 5]);
        rdata.extend_from_slice(&(ech.len() as u16).to_be_bytes());
        rdata.extend_from_slice(&ech);
        let mut r = vec![0, 0, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0];
        r.extend_from_slice(b"\x04acme\x07example\x00\x00\x41\x00\x01");
        r.extend_from_slice(&[0xc0, 12, 0, 65, 0, 1, 0, 0, 1, 44]);
        r.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
        r.extend_from_slice(&rdata);
        let m = parse(&r).unwrap();
        assert!(!m.incomplete);
        assert_eq!(m.ech.len(), 1);
        assert_eq!(m.ech[0].owner, "acme.example");
        assert_eq!(m.ech[0].ttl, 300);
        assert_eq!(m.ech[0].configs[0].public_name, "cloudflare-ech.com");
        assert_eq!(m.ech[0].configs[0].config_id, 0xf2);
        for n in 0..r.len() {
            let _ = parse(&r[..n]);
        }
        for i in 12..r.len() {
            for v in [0u8, 0xff, 0x01, 0xc0] {
                let mut c = r.clone();
                c[i] = v;
                let _ = parse(&c);
            }
        }
    }

    #[test]
    fn name_too_long_is_rejected() {
        let mut q = vec![0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0];
        for _ in 0..5 {
            q.push(63);
            q.extend_from_slice(&[b'a'; 63]);
        }
        q.extend_from_slice(&[0, 0, 1, 0, 1]);
        assert!(parse(&q).unwrap().questions.is_empty());
    }
}
