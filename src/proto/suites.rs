//! Cipher suites by strength: which the IANA registry and the deprecating RFCs class as
//! weak. Used by the ClientHello's client profile (`ja4`) and the exposure rules.

/// The weak class of a cipher suite (IANA TLS Cipher Suites registry; RFC 7465 forbids RC4,
/// RFC 8996 deprecates TLS 1.0/1.1; NULL, EXPORT, single DES, 3DES and anonymous key
/// exchange are the classes OpenSSL's `@SECLEVEL` rules and Mozilla's "old" profile drop).
/// None for a suite that is not weak, or a signalling value (SCSV).
pub fn weak_suite(s: u16) -> Option<&'static str> {
    Some(match s {
        0x0000..=0x0002
        | 0x002c..=0x002e
        | 0x003b
        | 0x00b0
        | 0x00b1
        | 0x00b4
        | 0x00b5
        | 0x00b8
        | 0x00b9
        | 0xc001
        | 0xc006
        | 0xc00b
        | 0xc010
        | 0xc015
        | 0xc039
        | 0xc03a
        | 0xc03b => "null",
        0x0003
        | 0x0006
        | 0x0008
        | 0x000b
        | 0x000e
        | 0x0011
        | 0x0014
        | 0x0017
        | 0x0019
        | 0x0026..=0x002b
        | 0x0060..=0x0065 => "export",
        0x0004 | 0x0005 | 0x0018 | 0x0020 | 0x0024 | 0x008a | 0x008e | 0x0092 | 0xc002 | 0xc007
        | 0xc00c | 0xc011 | 0xc016 | 0xc033 => "rc4",
        0x0009 | 0x000c | 0x000f | 0x0012 | 0x0015 | 0x001a | 0x001e | 0x0022 => "des",
        0x000a
        | 0x000d
        | 0x0010
        | 0x0013
        | 0x0016
        | 0x001b
        | 0x001f
        | 0x0023
        | 0x008b
        | 0x008f
        | 0x0093
        | 0xc003
        | 0xc008
        | 0xc00d
        | 0xc012
        | 0xc017
        | 0xc01a..=0xc01c
        | 0xc034 => "3des",
        0x0034 | 0x003a | 0x006c | 0x006d | 0x00a6 | 0x00a7 | 0x0046 | 0x0089 | 0x009b | 0x00bf
        | 0x00c5 | 0xc018 | 0xc019 => "anon",
        _ => return None,
    })
}

/// Signalling values in a suite list, not suites (RFC 5746 renegotiation, RFC 7507
/// fallback).
fn signalling(s: u16) -> bool {
    matches!(s, 0x00ff | 0x5600)
}

/// When every real suite offered is weak: the class of the first one. None when any strong
/// suite is offered, or none at all.
pub fn weak_suites_only(suites: &[u16]) -> Option<&'static str> {
    let mut real = suites
        .iter()
        .copied()
        .filter(|s| !signalling(*s))
        .peekable();
    let first = weak_suite(*real.peek()?)?;
    real.all(|s| weak_suite(s).is_some()).then_some(first)
}
