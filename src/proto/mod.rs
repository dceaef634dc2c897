//! Application-layer parsers: bytes in, plain structs out. No flow state, no I/O; the flow
//! stage decides which bytes to hand them.

pub mod dhcp;
pub mod dhcpv6;
pub mod dns;
pub mod ech;
pub mod http;
pub mod ja4;
pub mod kerberos;
pub mod nbns;
pub mod ntlm;
pub mod preamble;
pub mod quic;
pub mod suites;
pub mod tls;
pub mod tls_server;

/// Bytes from hex text (whitespace ignored): test vectors are written that way.
#[cfg(test)]
pub(crate) fn unhex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}
