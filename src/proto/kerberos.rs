//! Kerberos 5 AS-REQ (RFC 4120 §5.4.1): the client principal and realm of the request body.
//! A minimal DER reader, enough for the path AS-REQ → req-body → cname / realm; every
//! length is checked against the enclosing value, so a nested length that lies ends the
//! parse with an error.
//!
//! ```text
//! AS-REQ       ::= [APPLICATION 10] KDC-REQ
//! KDC-REQ      ::= SEQUENCE { pvno [1] INTEGER, msg-type [2] INTEGER, padata [3] ... OPTIONAL,
//!                             req-body [4] KDC-REQ-BODY }
//! KDC-REQ-BODY ::= SEQUENCE { kdc-options [0], cname [1] PrincipalName OPTIONAL,
//!                             realm [2] Realm, ... }
//! PrincipalName ::= SEQUENCE { name-type [0] Int32, name-string [1] SEQUENCE OF KerberosString }
//! ```

#![deny(clippy::indexing_slicing)]

use crate::wire::be32;

/// DER tags (RFC 4120 §5.10: application 10 is AS-REQ).
const TAG_AS_REQ: u8 = 0x6a;
const TAG_SEQUENCE: u8 = 0x30;
const TAG_GENERAL_STRING: u8 = 0x1b;
const TAG_INTEGER: u8 = 0x02;
const fn ctx(n: u8) -> u8 {
    0xa0 | n
}
const MSG_AS_REQ: u8 = 10;

/// Name parts kept; real principals have one to three (`host/name`, `krbtgt/REALM`).
const MAX_NAME_PARTS: usize = 8;
/// A record larger than this is not an AS-REQ worth reading (RFC 4120 §7.2.2 allows up to
/// 2^31; PKINIT requests with certificate chains stay under 16 KiB).
pub const MAX_TCP_RECORD: usize = 64 * 1024;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AsReq {
    /// The cname's name-string parts; empty when the request has no cname.
    pub cname: Vec<Vec<u8>>,
    pub realm: Vec<u8>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KerberosError {
    /// A length or tag that does not fit its enclosing value.
    Malformed,
}

/// What a Kerberos message is: an AS-REQ, or something else (replies, TGS, errors).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Message {
    AsReq(AsReq),
    Other,
}

/// One message as carried over UDP (no record mark).
pub fn parse(b: &[u8]) -> Result<Message, KerberosError> {
    let Some((tag, body, _)) = tlv(b) else {
        return Err(KerberosError::Malformed);
    };
    if tag != TAG_AS_REQ {
        return Ok(Message::Other);
    }
    let seq = expect(body, TAG_SEQUENCE)?;
    let mut req = AsReq::default();
    let mut is_as_req = false;
    for item in fields(seq) {
        let (tag, v) = item?;
        match tag {
            t if t == ctx(2) => {
                let int = expect(v, TAG_INTEGER)?;
                is_as_req = int == [MSG_AS_REQ];
            }
            t if t == ctx(4) => req = req_body(expect(v, TAG_SEQUENCE)?)?,
            _ => {}
        }
    }
    Ok(if is_as_req {
        Message::AsReq(req)
    } else {
        Message::Other
    })
}

/// Over TCP each message follows a 4-byte length (RFC 4120 §7.2.2, high bit reserved): the
/// message's length and the bytes that frame it, or None while they are not all there.
pub fn tcp_record(b: &[u8]) -> Option<(usize, usize)> {
    let len = (be32(b, 0)? & 0x7fff_ffff) as usize;
    Some((len, 4 + len))
}

fn req_body(seq: &[u8]) -> Result<AsReq, KerberosError> {
    let mut req = AsReq::default();
    for item in fields(seq) {
        let (tag, v) = item?;
        match tag {
            t if t == ctx(1) => req.cname = principal(expect(v, TAG_SEQUENCE)?)?,
            t if t == ctx(2) => req.realm = expect(v, TAG_GENERAL_STRING)?.to_vec(),
            _ => {}
        }
    }
    Ok(req)
}

fn principal(seq: &[u8]) -> Result<Vec<Vec<u8>>, KerberosError> {
    let mut parts = Vec::new();
    for item in fields(seq) {
        let (tag, v) = item?;
        if tag != ctx(1) {
            continue;
        }
        for s in fields(expect(v, TAG_SEQUENCE)?) {
            let (tag, s) = s?;
            if tag == TAG_GENERAL_STRING && parts.len() < MAX_NAME_PARTS {
                parts.push(s.to_vec());
            }
        }
    }
    Ok(parts)
}

/// The value of the single TLV `b` must be, with tag `want`.
fn expect(b: &[u8], want: u8) -> Result<&[u8], KerberosError> {
    match tlv(b) {
        Some((tag, v, _)) if tag == want => Ok(v),
        _ => Err(KerberosError::Malformed),
    }
}

/// The TLVs of a constructed value, in order; an item that does not fit ends with an error.
fn fields(mut b: &[u8]) -> impl Iterator<Item = Result<(u8, &[u8]), KerberosError>> {
    std::iter::from_fn(move || {
        if b.is_empty() {
            return None;
        }
        match tlv(b) {
            Some((tag, v, rest)) => {
                b = rest;
                Some(Ok((tag, v)))
            }
            None => {
                b = &[];
                Some(Err(KerberosError::Malformed))
            }
        }
    })
}

/// One DER tag-length-value: the tag, the value and what follows it. Single-byte tags only
/// (all of Kerberos' are); definite lengths of up to 4 bytes.
fn tlv(b: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = b.split_first()?;
    if tag & 0x1f == 0x1f {
        return None;
    }
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (first as usize, rest)
    } else {
        let n = (first & 0x7f) as usize;
        if n == 0 || n > 4 {
            return None;
        }
        let bytes = rest.get(..n)?;
        let len = bytes.iter().fold(0usize, |a, &x| a << 8 | x as usize);
        (len, rest.get(n..)?)
    };
    let v = rest.get(..len)?;
    Some((tag, v, rest.get(len..)?))
}

#[cfg(test)]
// Tests may index: a panic there is a failed test, not a crash on hostile bytes.
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::proto::unhex;

    /// An AS-REQ for `alice@SHADOW.TEST` as MIT kinit sends it (shortened: no padata, one
    /// etype), assembled by hand from RFC 4120 §5.4.1 and checked against tshark's decode of
    /// recorded/real-krb5-kinit.pcap (kerberos.CNameString "alice", kerberos.realm
    /// "SHADOW.TEST").
    fn as_req(cname: &str) -> Vec<u8> {
        let inner = unhex(&format!(
            "a0 07 03 05 00 00000010
             {cname}
             a2 0d 1b 0b 534841444f572e54455354
             a3 20 30 1e a0 03 02 01 02 a1 17 30 15 1b 06 6b72627467741b0b 534841444f572e54455354
             a7 06 02 04 12345678
             a8 05 30 03 02 01 12"
        ));
        let mut body = vec![0x30];
        push_len(&mut body, inner.len());
        body.extend_from_slice(&inner);
        let mut kdc = unhex("a1 03 02 01 05 a2 03 02 01 0a");
        kdc.push(0xa4);
        push_len(&mut kdc, body.len());
        kdc.extend_from_slice(&body);
        let mut seq = vec![0x30];
        push_len(&mut seq, kdc.len());
        seq.extend_from_slice(&kdc);
        let mut out = vec![0x6a];
        push_len(&mut out, seq.len());
        out.extend_from_slice(&seq);
        out
    }

    fn push_len(v: &mut Vec<u8>, n: usize) {
        if n < 0x80 {
            v.push(n as u8);
        } else {
            v.extend_from_slice(&[0x82, (n >> 8) as u8, n as u8]);
        }
    }

    const ALICE: &str = "a1 12 30 10 a0 03 02 01 01 a1 09 30 07 1b 05 616c696365";
    const BOB_ADMIN: &str = "a1 17 30 15 a0 03 02 01 01 a1 0e 30 0c 1b 03 626f62 1b 05 61646d696e";

    #[test]
    fn as_req_cname_and_realm() {
        let Ok(Message::AsReq(r)) = parse(&as_req(ALICE)) else {
            panic!()
        };
        assert_eq!(r.cname, [b"alice".to_vec()]);
        assert_eq!(r.realm, b"SHADOW.TEST");
        let Ok(Message::AsReq(r)) = parse(&as_req(BOB_ADMIN)) else {
            panic!()
        };
        assert_eq!(r.cname, [b"bob".to_vec(), b"admin".to_vec()]);
        // No cname: an AS-REQ still, with no parts.
        let Ok(Message::AsReq(r)) = parse(&as_req("")) else {
            panic!()
        };
        assert!(r.cname.is_empty());
    }

    #[test]
    fn other_messages_and_lying_lengths() {
        // A KRB-ERROR ([APPLICATION 30]) is not an AS-REQ.
        assert_eq!(parse(&unhex("7e 03 30 01 00")), Ok(Message::Other));
        let good = as_req(ALICE);
        for n in 0..good.len() {
            assert!(parse(&good[..n]).is_err(), "cut at {n}");
        }
        // The cname's SEQUENCE claims more than its [1] wrapper holds.
        let mut lie = good.clone();
        let at = lie.windows(2).position(|w| w == [0x30, 0x10]).unwrap();
        lie[at + 1] = 0x7f;
        assert_eq!(parse(&lie), Err(KerberosError::Malformed));
        // Long-form lengths of 5 bytes, and of 0 bytes (indefinite), are refused.
        assert!(tlv(&[0x30, 0x85, 0, 0, 0, 0, 1, 0]).is_none());
        assert!(tlv(&[0x30, 0x80, 0, 0]).is_none());
        assert_eq!(tcp_record(&[0x80, 0, 0, 5]), Some((5, 9)));
    }
}
