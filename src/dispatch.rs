//! Which parser gets a packet: one table of port hints and content probes, consulted by
//! [`protocol`] and nowhere else. The reader drops what no entry claims; the worker and the
//! flow table act on the [`Protocol`] the entry names.

use crate::decode::{Decoded, Transport};
use crate::proto::quic;

/// The parser a packet (or a TCP flow) goes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    /// DNS messages, one per UDP datagram.
    Dns,
    /// Length-prefixed DNS messages in a TCP stream.
    DnsOverTcp,
    /// A UDP datagram that may hold QUIC client Initials.
    Quic,
    /// A TCP stream whose start is probed for a ClientHello, a proxy request or HTTP (and
    /// every payload, unless it is TLS, for NTLMSSP).
    Stream,
    /// DHCPv4 (BOOTP ports).
    Dhcp,
    Dhcpv6,
    /// Multicast DNS: names hosts announce for their own addresses.
    Mdns,
    /// NetBIOS name service.
    Nbns,
    /// A Kerberos message per UDP datagram.
    Kerberos,
    /// Kerberos messages behind record marks in a TCP stream.
    KerberosOverTcp,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Layer {
    Tcp,
    Udp,
}

/// What makes an entry claim a packet.
enum When {
    /// Either port is one of these.
    Port(&'static [u16]),
    /// The payload passes a cheap look at its first bytes.
    Content(fn(&[u8]) -> bool),
    Always,
}

struct Entry {
    layer: Layer,
    when: When,
    protocol: Protocol,
}

/// Tried in order; the first entry that claims the packet decides. UDP the table does not
/// claim is dropped by the reader: only DNS, QUIC Initials and the identity protocols carry
/// names here. Identity protocols go by their registered ports only, as tshark has them.
const TABLE: &[Entry] = &[
    Entry {
        layer: Layer::Udp,
        when: When::Port(&[53]),
        protocol: Protocol::Dns,
    },
    Entry {
        layer: Layer::Udp,
        when: When::Port(&[67, 68]),
        protocol: Protocol::Dhcp,
    },
    Entry {
        layer: Layer::Udp,
        when: When::Port(&[546, 547]),
        protocol: Protocol::Dhcpv6,
    },
    Entry {
        layer: Layer::Udp,
        when: When::Port(&[5353]),
        protocol: Protocol::Mdns,
    },
    Entry {
        layer: Layer::Udp,
        when: When::Port(&[137]),
        protocol: Protocol::Nbns,
    },
    Entry {
        layer: Layer::Udp,
        when: When::Port(&[88]),
        protocol: Protocol::Kerberos,
    },
    Entry {
        layer: Layer::Udp,
        when: When::Content(quic::may_be_initial),
        protocol: Protocol::Quic,
    },
    // QUIC's port: the rest of a connection's packets (short headers), so the QUIC table
    // can follow a connection whose hello it read until it goes idle. Other ports' later
    // packets are not followed: without an Initial nothing says they are QUIC.
    Entry {
        layer: Layer::Udp,
        when: When::Port(&[443]),
        protocol: Protocol::Quic,
    },
    Entry {
        layer: Layer::Tcp,
        when: When::Port(&[53]),
        protocol: Protocol::DnsOverTcp,
    },
    Entry {
        layer: Layer::Tcp,
        when: When::Port(&[88]),
        protocol: Protocol::KerberosOverTcp,
    },
    Entry {
        layer: Layer::Tcp,
        when: When::Always,
        protocol: Protocol::Stream,
    },
];

/// The parser for a decoded packet, or None when no parser wants it.
pub fn protocol(d: &Decoded) -> Option<Protocol> {
    let layer = match d.transport {
        Transport::Tcp(_) => Layer::Tcp,
        Transport::Udp => Layer::Udp,
    };
    TABLE
        .iter()
        .find(|e| {
            e.layer == layer
                && match e.when {
                    // A plain loop: `contains` on a u16 slice goes through the chunked
                    // generic search, ~25 instructions for a one-port entry on every packet.
                    When::Port(ports) => ports.iter().any(|&p| p == d.sport || p == d.dport),
                    When::Content(probe) => probe(d.payload),
                    When::Always => true,
                }
        })
        .map(|e| e.protocol)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::TcpInfo;

    fn packet(transport: Transport, sport: u16, dport: u16, payload: &[u8]) -> Decoded<'_> {
        Decoded {
            src: "10.0.0.1".parse().unwrap(),
            dst: "10.0.0.2".parse().unwrap(),
            sport,
            dport,
            transport,
            payload,
            truncated: false,
        }
    }

    #[test]
    fn table_claims_by_port_then_content() {
        let tcp = Transport::Tcp(TcpInfo {
            seq: 0,
            syn: false,
            ack: true,
            fin: false,
            rst: false,
        });
        let udp = Transport::Udp;
        assert_eq!(protocol(&packet(udp, 53, 40000, b"")), Some(Protocol::Dns));
        assert_eq!(protocol(&packet(udp, 40000, 53, b"")), Some(Protocol::Dns));
        assert_eq!(protocol(&packet(udp, 40000, 4433, b"x")), None);
        assert_eq!(
            protocol(&packet(udp, 40000, 443, b"x")),
            Some(Protocol::Quic)
        );
        // RFC 9000 17.2: long header bit, version 1, padded to 1200 bytes.
        let mut initial = vec![0xc0, 0, 0, 0, 1];
        initial.resize(1200, 0);
        assert_eq!(
            protocol(&packet(udp, 40000, 4433, &initial)),
            Some(Protocol::Quic)
        );
        initial.truncate(1199);
        assert_eq!(protocol(&packet(udp, 40000, 4433, &initial)), None);
        // On QUIC's port any datagram goes to the QUIC table (a tracked connection's later
        // packets).
        assert_eq!(
            protocol(&packet(udp, 40000, 443, &initial)),
            Some(Protocol::Quic)
        );
        assert_eq!(
            protocol(&packet(tcp, 40000, 53, b"")),
            Some(Protocol::DnsOverTcp)
        );
        assert_eq!(
            protocol(&packet(tcp, 40000, 443, b"")),
            Some(Protocol::Stream)
        );
        // Identity protocols by their registered ports, either direction.
        assert_eq!(protocol(&packet(udp, 68, 67, b"")), Some(Protocol::Dhcp));
        assert_eq!(
            protocol(&packet(udp, 547, 546, b"")),
            Some(Protocol::Dhcpv6)
        );
        assert_eq!(
            protocol(&packet(udp, 5353, 5353, b"")),
            Some(Protocol::Mdns)
        );
        assert_eq!(protocol(&packet(udp, 137, 137, b"")), Some(Protocol::Nbns));
        assert_eq!(
            protocol(&packet(udp, 40000, 88, b"")),
            Some(Protocol::Kerberos)
        );
        assert_eq!(
            protocol(&packet(tcp, 88, 40000, b"")),
            Some(Protocol::KerberosOverTcp)
        );
    }
}
