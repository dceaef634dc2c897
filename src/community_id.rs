//! Community ID v1 (<https://github.com/corelight/community-id-spec>): one flow hash that Zeek,
//! Suricata, Arkime and most SIEMs write, so an event here can be joined to their logs. Seed
//! 0, base64, as they write it by default.

use std::net::IpAddr;

use base64::Engine;
use sha1::{Digest, Sha1};

pub const TCP: u8 = 6;
pub const UDP: u8 = 17;

/// `1:<base64 of SHA-1>` over the seed, the ordered endpoints, the protocol, one byte of
/// padding and the ports (spec §"Hashing"). The endpoint that sorts first (address, then
/// port) goes first, so both directions of a flow give the same ID. Mixed address families
/// cannot share a flow; they hash in the order given.
pub fn v1(proto: u8, src: IpAddr, sport: u16, dst: IpAddr, dport: u16) -> String {
    let bytes = |a: IpAddr| -> Vec<u8> {
        match a {
            IpAddr::V4(a) => a.octets().to_vec(),
            IpAddr::V6(a) => a.octets().to_vec(),
        }
    };
    let (s, d) = (bytes(src), bytes(dst));
    let swap = (&s, sport) > (&d, dport);
    let ((a, ap), (b, bp)) = if swap {
        ((d, dport), (s, sport))
    } else {
        ((s, sport), (d, dport))
    };
    let mut h = Sha1::new();
    h.update(0u16.to_be_bytes()); // seed
    h.update(&a);
    h.update(&b);
    h.update([proto, 0]);
    h.update(ap.to_be_bytes());
    h.update(bp.to_be_bytes());
    let mut out = String::with_capacity(30);
    out.push_str("1:");
    base64::engine::general_purpose::STANDARD.encode_string(h.finalize(), &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The spec's published baseline (baseline/baseline_deflt.json and the README's table,
    /// default seed 0), every TCP and UDP row, each direction.
    #[test]
    fn spec_baseline_vectors() {
        let rows: &[(u8, &str, &str, u16, u16, &str)] = &[
            (
                TCP,
                "1.2.3.4",
                "5.6.7.8",
                1122,
                3344,
                "1:wCb3OG7yAFWelaUydu0D+125CLM=",
            ),
            (
                UDP,
                "1.2.3.4",
                "5.6.7.8",
                1122,
                3344,
                "1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg=",
            ),
            (
                TCP,
                "2001:470:e5bf:dead:4957:2174:e82c:4887",
                "2607:f8b0:400c:c03::1a",
                63943,
                25,
                "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=",
            ),
            (
                TCP,
                "128.232.110.120",
                "66.35.250.204",
                34855,
                80,
                "1:LQU9qZlK+B5F3KDmev6m5PMibrg=",
            ),
            (
                UDP,
                "192.168.1.52",
                "8.8.8.8",
                54585,
                53,
                "1:d/FP5EW3wiY1vCndhwleRRKHowQ=",
            ),
        ];
        for &(proto, s, d, sp, dp, want) in rows {
            let (s, d) = (s.parse().unwrap(), d.parse().unwrap());
            assert_eq!(v1(proto, s, sp, d, dp), want, "{s}:{sp} -> {d}:{dp}");
            assert_eq!(v1(proto, d, dp, s, sp), want, "{d}:{dp} -> {s}:{sp}");
        }
    }
}
