// Tests may index: a panic there is a failed test, not a crash on hostile bytes.
#![allow(clippy::indexing_slicing)]

use super::*;
use crate::proto::unhex;

/// A self-signed P-256 certificate made with `openssl req -x509 -subj
/// "/O=Corp/CN=Help.Corp.Example" -addext "subjectAltName=DNS:help.corp.example,
/// DNS:*.desk.corp.example,IP:10.0.0.1"`; `openssl x509 -noout -subject -ext
/// subjectAltName` reads CN Help.Corp.Example and those SANs.
const CERT: &str = "308201e73082018ca003020102021407edd102a6588980f2d1b976cfe605b5bc6b04ce300a06082a8648ce3d040302302b310d300b060355040a0c04436f7270311a301806035504030c1148656c702e436f72702e4578616d706c65301e170d3236313132373133323532375a170d3336313132343133323532375a302b310d300b060355040a0c04436f7270311a301806035504030c1148656c702e436f72702e4578616d706c653059301306072a8648ce3d020106082a8648ce3d0301070342000475ad0d6116e3ea021cde2d022c945c3bdbeae86dde535c13ac67edeb03875af0689b05594ded6047d7c8db5eefdd2ce6859aadf242f30db5dcc15e5cc092336ba3818d30818a301d0603551d0e0416041458e9e86edfb17655d2eed9a2f0a95c30117ae2f3301f0603551d2304183016801458e9e86edfb17655d2eed9a2f0a95c30117ae2f3300f0603551d130101ff040530030101ff30370603551d110430302e821168656c702e636f72702e6578616d706c6582132a2e6465736b2e636f72702e6578616d706c6587040a000001300a06082a8648ce3d0403020349003046022100a04d4436ccba325b9dca94ef68d224c7d1dbb8d4421b469a84269efbfc91b66d02210086e610e9b834087ae6479899bf56ef8dbf4ff19eaa63d149ee9424da6cb39dcd";

fn record(hs: &[u8]) -> Vec<u8> {
    let mut r = vec![0x16, 3, 3];
    r.extend_from_slice(&(hs.len() as u16).to_be_bytes());
    r.extend_from_slice(hs);
    r
}

fn msg(typ: u8, body: &[u8]) -> Vec<u8> {
    let mut m = vec![typ];
    m.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
    m.extend_from_slice(body);
    m
}

/// A ServerHello body: version, random, empty session id, suite, no compression, extensions.
fn hello(version: u16, suite: u16, exts: &[u8]) -> Vec<u8> {
    let mut b = version.to_be_bytes().to_vec();
    b.extend_from_slice(&[7; 32]);
    b.push(0);
    b.extend_from_slice(&suite.to_be_bytes());
    b.push(0);
    if !exts.is_empty() {
        b.extend_from_slice(&(exts.len() as u16).to_be_bytes());
        b.extend_from_slice(exts);
    }
    msg(SERVER_HELLO, &b)
}

fn certificate(der: &[u8]) -> Vec<u8> {
    let mut list = (der.len() as u32).to_be_bytes()[1..].to_vec();
    list.extend_from_slice(der);
    let mut body = (list.len() as u32).to_be_bytes()[1..].to_vec();
    body.extend_from_slice(&list);
    msg(CERTIFICATE, &body)
}

#[test]
fn tls12_hello_and_certificate_names() {
    let mut flight = hello(0x0301, 0x003b, &[]);
    flight.extend(certificate(&unhex(CERT)));
    flight.extend(msg(14, &[]));
    let stream = record(&flight);
    let want = ServerHello {
        version: 0x0301,
        suite: 0x003b,
        names: vec!["help.corp.example".into(), "*.desk.corp.example".into()],
    };
    assert_eq!(parse(&stream), Parse::Done(want.clone()));
    // Split over two records, and every prefix waits.
    let cut = 60;
    let mut two = record(&flight[..cut]);
    two.extend(record(&flight[cut..]));
    assert_eq!(parse(&two), Parse::Done(want));
    for n in 0..stream.len() {
        assert_eq!(parse(&stream[..n]), Parse::Incomplete, "prefix {n}");
    }
}

#[test]
fn tls13_selection_and_anonymous_flights() {
    // supported_versions (0x002b) selecting TLS 1.3, legacy version 1.2.
    let s = record(&hello(
        0x0303,
        0x1301,
        &[0x00, 0x2b, 0x00, 0x02, 0x03, 0x04],
    ));
    assert!(matches!(parse(&s), Parse::Done(h) if h.version == 0x0304 && h.names.is_empty()));
    // A hello then ServerHelloDone: no certificate (anonymous suite).
    let mut f = hello(0x0303, 0x0034, &[]);
    f.extend(msg(14, &[]));
    assert!(matches!(parse(&record(&f)), Parse::Done(h) if h.suite == 0x0034));
    // A hello, then a ChangeCipherSpec record: the flight is over.
    let mut s = record(&hello(0x0303, 0xc02f, &[]));
    s.extend_from_slice(&[0x14, 3, 3, 0, 1, 1]);
    assert!(matches!(parse(&s), Parse::Done(_)));
    assert_eq!(parse(b"HTTP/1.1 200 OK\r\n"), Parse::NotServer);
    assert_eq!(parse(&record(&msg(1, &[0; 40]))), Parse::NotServer);
}

#[test]
fn junk_is_safe() {
    let der = unhex(CERT);
    for n in 0..der.len() {
        let mut f = hello(0x0303, 0x009c, &[]);
        f.extend(certificate(&der[..n]));
        let _ = parse(&record(&f));
    }
    for seed in 0u8..=255 {
        let mut b: Vec<u8> = vec![0x16, 3, 3, 0, 120];
        b.extend((0..120u8).map(|i| i.wrapping_mul(seed) ^ seed));
        let _ = parse(&b);
    }
}
