//! The one presentation form for every name that comes off the wire (DNS questions and
//! answers, TLS and QUIC SNI, ECH public names, HTTP Host, proxy and SOCKS targets), used
//! for the events, the report and the terminal summary alike.
//!
//! Printable ASCII stays as it is, lower-cased; a backslash is written `\\`; every other
//! byte (control bytes such as ESC, DEL, anything non-ASCII) as `\DDD`, three decimal
//! digits: the presentation format of RFC 1035 §5.1 and RFC 4343 that `dig` and zone files
//! use. So a name never carries a byte that moves a terminal's cursor or changes its colours,
//! and the form is reversible. DNS labels add `\.` for a dot inside a label
//! ([`push_label_byte`]).

use std::fmt::Write as _;

/// Appends one byte of a name in presentation form.
#[inline]
pub fn push_byte(out: &mut String, b: u8) {
    match b {
        b'\\' => out.push_str("\\\\"),
        0x20..=0x7e => out.push(b.to_ascii_lowercase() as char),
        _ => {
            let _ = write!(out, "\\{b:03}");
        }
    }
}

/// Appends one byte of a DNS label: as [`push_byte`], and a dot that is part of the label
/// (not a separator) as `\.`.
#[inline]
pub fn push_label_byte(out: &mut String, b: u8) {
    if b == b'.' {
        out.push_str("\\.");
    } else {
        push_byte(out, b);
    }
}

/// A name in presentation form.
pub fn name(raw: &[u8]) -> String {
    let mut s = String::with_capacity(raw.len());
    for &b in raw {
        push_byte(&mut s, b);
    }
    s
}

/// Text that is not a wire name but may hold anything (a file name from a scanned folder):
/// UTF-8 is kept, case too; control characters become `\DDD` per byte and a backslash
/// `\\`, so it cannot act on a terminal.
pub fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => {
                let mut b = [0u8; 4];
                for &byte in c.encode_utf8(&mut b).as_bytes() {
                    let _ = write!(out, "\\{byte:03}");
                }
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_and_non_ascii_bytes_become_decimal_escapes() {
        // Expected strings written out by hand from RFC 1035 §5.1 (`\DDD` is the decimal
        // value of the octet).
        assert_eq!(name(b"Evil\x1b[31m.Example"), "evil\\027[31m.example");
        assert_eq!(name(b"a\\b"), "a\\\\b");
        assert_eq!(name(b"caf\xc3\xa9 x\x7f\x00"), "caf\\195\\169 x\\127\\000");
        let mut s = String::new();
        for &b in b"a.b" {
            push_label_byte(&mut s, b);
        }
        assert_eq!(s, "a\\.b");
    }

    #[test]
    fn text_keeps_unicode_and_escapes_control_characters() {
        assert_eq!(text("Été\x1b]0;x\x07.pcap"), "Été\\027]0;x\\007.pcap");
        assert_eq!(text("a\u{9b}b"), "a\\194\\155b");
    }
}
