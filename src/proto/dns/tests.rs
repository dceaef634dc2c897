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
    q.extend_from_slice(b"\x07example\x03org\x00\x00\x01\x00\x01\x03www\xc0\x0c\x00\x1c\x00\x01");
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
