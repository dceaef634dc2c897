//! NetBIOS name service (RFC 1002 §4.2): the names and addresses of registration, refresh
//! and multi-homed registration requests. Names are first-level encoded (RFC 1001 §14.1: each
//! of 16 bytes as two letters 'A' + nibble), the 16th byte being the suffix (`<00>` for a
//! workstation), the first 15 padded with spaces.

#![deny(clippy::indexing_slicing)]

use std::net::Ipv4Addr;

use crate::wire::{be16, Cursor};

pub const OP_REGISTRATION: u8 = 5;
pub const OP_REFRESH: u8 = 8;
/// RFC 1002 says 8; Microsoft's stacks send 9 for refresh too.
pub const OP_REFRESH_ALT: u8 = 9;
pub const OP_MULTIHOMED: u8 = 15;

const TYPE_NB: u16 = 0x0020;
/// NB_FLAGS' G bit: a group name (workgroup, domain), not one host's.
const NB_GROUP: u16 = 0x8000;
/// Records read per message; a registration has one.
const MAX_RECORDS: usize = 16;
/// Addresses read per record; a multi-homed host has a handful.
const MAX_ADDRS: usize = 16;
/// Compression pointers followed for one name.
const MAX_POINTER_HOPS: usize = 8;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Message {
    pub response: bool,
    pub opcode: u8,
    pub records: Vec<Record>,
}

/// One NB resource record of the answer, authority or additional section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// The decoded name without the suffix byte and the space padding.
    pub name: Vec<u8>,
    pub suffix: u8,
    /// Each address with its G (group) flag.
    pub addrs: Vec<(Ipv4Addr, bool)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NbnsError {
    TooShort,
}

pub fn parse(b: &[u8]) -> Result<Message, NbnsError> {
    let mut h = Cursor::new(b);
    let (Some(_id), Some(flags), Some(qd), Some(an), Some(ns), Some(ar)) =
        (h.be16(), h.be16(), h.be16(), h.be16(), h.be16(), h.be16())
    else {
        return Err(NbnsError::TooShort);
    };
    let mut m = Message {
        response: flags & 0x8000 != 0,
        opcode: ((flags >> 11) & 0x0f) as u8,
        records: Vec::new(),
    };
    let mut pos = 12;
    for _ in 0..qd {
        let Some((_, next)) = read_name(b, pos) else {
            return Ok(m);
        };
        pos = next + 4;
    }
    let rrs = an as usize + ns as usize + ar as usize;
    for _ in 0..rrs.min(MAX_RECORDS) {
        let Some((name, next)) = read_name(b, pos) else {
            return Ok(m);
        };
        let (Some(rtype), Some(rdlen)) = (be16(b, next), be16(b, next + 8)) else {
            return Ok(m);
        };
        let at = next + 10;
        let Some(rdata) = b.get(at..at + rdlen as usize) else {
            return Ok(m);
        };
        pos = at + rdlen as usize;
        if rtype != TYPE_NB {
            continue;
        }
        let Some((name, suffix)) = name.and_then(decode) else {
            continue;
        };
        let addrs = rdata
            .chunks_exact(6)
            .take(MAX_ADDRS)
            .filter_map(|e| {
                let flags = be16(e, 0)?;
                let a: [u8; 4] = e.get(2..6)?.try_into().ok()?;
                Some((Ipv4Addr::from(a), flags & NB_GROUP != 0))
            })
            .collect();
        m.records.push(Record {
            name,
            suffix,
            addrs,
        });
    }
    Ok(m)
}

/// The first label of the name at `pos` (the encoded NetBIOS name; the rest is the scope)
/// and the offset after the name's bytes at `pos`.
fn read_name(b: &[u8], pos: usize) -> Option<(Option<&[u8]>, usize)> {
    let mut at = pos;
    let mut end = None;
    let mut first = None;
    for _ in 0..=MAX_POINTER_HOPS {
        loop {
            let len = *b.get(at)?;
            match len {
                0 => return Some((first, end.unwrap_or(at + 1))),
                0xc0..=0xff => {
                    let off = (be16(b, at)? & 0x3fff) as usize;
                    end.get_or_insert(at + 2);
                    at = off;
                    break;
                }
                0x40..=0xbf => return None,
                _ => {
                    let label = b.get(at + 1..at + 1 + len as usize)?;
                    first.get_or_insert(label);
                    at += 1 + len as usize;
                }
            }
        }
    }
    None
}

/// RFC 1001 §14.1 first-level decoding of a 32-letter label: the 15-byte name (trailing
/// spaces dropped) and the suffix byte.
fn decode(label: &[u8]) -> Option<(Vec<u8>, u8)> {
    if label.len() != 32 {
        return None;
    }
    let mut raw = [0u8; 16];
    for (out, pair) in raw.iter_mut().zip(label.chunks_exact(2)) {
        let hi = pair.first()?.checked_sub(b'A').filter(|x| *x < 16)?;
        let lo = pair.get(1)?.checked_sub(b'A').filter(|x| *x < 16)?;
        *out = hi << 4 | lo;
    }
    let [name @ .., suffix] = raw;
    let len = name.iter().rposition(|&c| c != b' ').map_or(0, |p| p + 1);
    Some((name.get(..len).unwrap_or_default().to_vec(), suffix))
}

#[cfg(test)]
// Tests may index: a panic there is a failed test, not a crash on hostile bytes.
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::proto::unhex;

    /// A name registration request as RFC 1002 §4.2.2 lays it out: header (opcode 5, RD,
    /// broadcast), the question name, then one additional NB record pointing back to it.
    fn registration(name_label: &str, nb_flags: &str) -> Vec<u8> {
        let mut b = unhex("1234 2910 0001 0000 0000 0001");
        b.push(32);
        b.extend_from_slice(name_label.as_bytes());
        b.extend_from_slice(&unhex("00 0020 0001"));
        b.extend_from_slice(&unhex("c00c 0020 0001 000493e0 0006"));
        b.extend_from_slice(&unhex(nb_flags));
        b.extend_from_slice(&[10, 97, 0, 11]);
        b
    }

    #[test]
    fn registration_of_a_workstation_name() {
        // "ALICE-LAPTOP<00>": RFC 1001 §14.1 encodes 'A' (0x41) as "EB", ' ' as "CA".
        let m = parse(&registration("EBEMEJEDEFCNEMEBFAFEEPFACACACAAA", "0000")).unwrap();
        assert!(!m.response);
        assert_eq!(m.opcode, OP_REGISTRATION);
        assert_eq!(
            m.records,
            [Record {
                name: b"ALICE-LAPTOP".to_vec(),
                suffix: 0,
                addrs: vec![(Ipv4Addr::new(10, 97, 0, 11), false)],
            }]
        );
        // WORKGROUP<00> registered as a group name.
        let m = parse(&registration("FHEPFCELEHFCEPFFFACACACACACACAAA", "8000")).unwrap();
        assert_eq!(m.records[0].name, b"WORKGROUP");
        assert_eq!(m.records[0].addrs, [(Ipv4Addr::new(10, 97, 0, 11), true)]);
    }

    #[test]
    fn malformed_names_and_lengths() {
        // Not first-level encoding (a letter past 'P').
        let m = parse(&registration("ZZEMEJEDEFCNEMEBFAFEEPFACACACAAA", "0000")).unwrap();
        assert!(m.records.is_empty());
        // A pointer loop instead of a name.
        let mut b = unhex("1234 2910 0000 0000 0000 0001 c00c 0020 0001 00000000 0006 0000");
        b.extend_from_slice(&[1, 2, 3, 4]);
        assert!(parse(&b).unwrap().records.is_empty());
        // RDATA longer than the message; every cut of a good one.
        let good = registration("EBEMEJEDEFCNEMEBFAFEEPFACACACAAA", "0000");
        for n in 0..good.len() {
            let _ = parse(&good[..n]);
        }
        assert!(parse(&good[..good.len() - 1]).unwrap().records.is_empty());
        assert_eq!(parse(&good[..11]), Err(NbnsError::TooShort));
    }
}
