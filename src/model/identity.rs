//! The identity side of the domain types: a message of an identity protocol, the claims it
//! makes about an address (host name, MAC, user) and where they come from.

use std::net::{IpAddr, Ipv4Addr};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::proto::{dhcp, dhcpv6, dns, kerberos, nbns, ntlm};

/// A message of an identity protocol, as its parser gave it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Identity {
    Dhcp(dhcp::Message),
    Dhcpv6(dhcpv6::Message),
    /// An mDNS message, read with its authority and additional records.
    Mdns(dns::Message),
    Nbns(nbns::Message),
    Kerberos(kerberos::AsReq),
    Ntlm(ntlm::Authenticate),
    /// A message on an identity protocol's port (or an NTLMSSP signature) that its parser
    /// refused: counted.
    Malformed(Source),
}

/// What an identity fact is about.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    /// A device name: DHCP option 12 or 81, DHCPv6 Client FQDN, an mDNS `.local` name, a
    /// NetBIOS workstation name (suffix `<00>` removed), an NTLM workstation.
    Hostname,
    /// The client's Ethernet address (DHCP `chaddr`), `aa:bb:cc:dd:ee:ff`.
    Mac,
    /// A Kerberos client principal (`user@realm`, name parts joined with `/`) or an NTLM
    /// user (`domain\user`, or `user` without a domain).
    User,
}

/// The protocol an identity fact came from.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// A DHCPv4 ACK (`mac`, and option 12 of the ACK or of the REQUEST/INFORM it answers).
    Dhcp,
    /// DHCPv4 option 81 (client FQDN), taken like `dhcp`'s host name.
    DhcpFqdn,
    /// A DHCPv6 Reply: each IA address with the Client FQDN (option 39).
    Dhcpv6,
    /// An mDNS response whose A/AAAA record holds the sender's own address.
    Mdns,
    /// A NetBIOS name registration or refresh of a unique `<00>` name.
    Nbns,
    /// A Kerberos AS-REQ's client principal, for the sender.
    Kerberos,
    /// An NTLMSSP AUTHENTICATE message, for the sender (the client).
    Ntlm,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Dhcp => "dhcp",
            Source::DhcpFqdn => "dhcp_fqdn",
            Source::Dhcpv6 => "dhcpv6",
            Source::Mdns => "mdns",
            Source::Nbns => "nbns",
            Source::Kerberos => "kerberos",
            Source::Ntlm => "ntlm",
        }
    }
}

/// A DHCPv4 exchange: the ACK answers the REQUEST (or INFORM) with the same transaction id
/// and client address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DhcpKey {
    pub xid: u32,
    pub mac: Option<[u8; 6]>,
}

/// One identity observation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IdentityWhat {
    /// A fact about `ip`; its value may have to come from the client message it answers.
    Claim(Claim),
    /// A DHCPv4 REQUEST (or INFORM): kept for the ACK's host names.
    DhcpClient {
        key: DhcpKey,
        inform: bool,
        hostname: Option<String>,
        fqdn: Option<String>,
    },
    /// A DHCPv6 client message: what a Reply with its xid answers, and its FQDN.
    Dhcpv6Client {
        xid: u32,
        msg_type: u8,
        fqdn: Option<String>,
    },
    /// A DHCPRELEASE: the client `mac` gives `ip` (its `ciaddr`) back, so its DHCP bindings
    /// end now rather than at the lease's end.
    DhcpRelease {
        ip: IpAddr,
        mac: String,
    },
    Malformed(Source),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claim {
    pub ip: IpAddr,
    pub field: Field,
    pub source: Source,
    /// Normalised (see [`norm_name`]); None when only the client's message may carry it.
    pub value: Option<String>,
    /// Where to look when the server's message has no value (or, for DHCPv6, whether it
    /// answers a message that binds addresses at all).
    pub answers: Option<Answers>,
    /// DHCP lease time, seconds.
    pub lease_secs: Option<u32>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answers {
    Dhcp { key: DhcpKey, inform: bool },
    Dhcpv6 { xid: u32 },
}

/// A name as identity values have it: white space around it and trailing dots dropped,
/// lower-cased, odd bytes escaped as every wire name is (`\DDD`).
pub fn norm_name(raw: &[u8]) -> String {
    let s = raw.trim_ascii();
    let end = s.iter().rposition(|&c| c != b'.').map_or(0, |p| p + 1);
    crate::escape::name(s.get(..end).unwrap_or_default())
}

pub(crate) fn mac_text(m: [u8; 6]) -> String {
    let [a, b, c, d, e, f] = m;
    format!("{a:02x}:{b:02x}:{c:02x}:{d:02x}:{e:02x}:{f:02x}")
}

impl Identity {
    /// The observations one message stands for, by the rules of `identity` events (the
    /// README's "Identity"); `src` is the packet's source address.
    pub(super) fn into_whats(self, src: IpAddr, mut emit: impl FnMut(IdentityWhat)) {
        let claim = |ip, field, source, value: Option<String>| Claim {
            ip,
            field,
            source,
            value: value.filter(|v| !v.is_empty()),
            answers: None,
            lease_secs: None,
        };
        let norm = |v: Option<Vec<u8>>| v.map(|v| norm_name(&v));
        match self {
            Identity::Dhcp(m) => {
                let key = DhcpKey {
                    xid: m.xid,
                    mac: m.mac,
                };
                match m.msg_type {
                    Some(t @ (dhcp::DHCPREQUEST | dhcp::DHCPINFORM)) => {
                        emit(IdentityWhat::DhcpClient {
                            key,
                            inform: t == dhcp::DHCPINFORM,
                            hostname: norm(m.hostname),
                            fqdn: norm(m.fqdn),
                        })
                    }
                    Some(dhcp::DHCPRELEASE) => {
                        if let (Some(mac), false) = (m.mac, m.ciaddr.is_unspecified()) {
                            emit(IdentityWhat::DhcpRelease {
                                ip: IpAddr::V4(m.ciaddr),
                                mac: mac_text(mac),
                            });
                        }
                    }
                    Some(dhcp::DHCPACK) => {
                        let inform = m.yiaddr.is_unspecified();
                        let ip = if inform { m.ciaddr } else { m.yiaddr };
                        if ip == Ipv4Addr::UNSPECIFIED {
                            return;
                        }
                        let ip = IpAddr::V4(ip);
                        let answers = Some(Answers::Dhcp { key, inform });
                        let lease_secs = m.lease_secs;
                        // Names before the MAC: `--host NAME` keeps the MAC's fact because
                        // the address is that name's by then.
                        for (source, v) in [(Source::Dhcp, m.hostname), (Source::DhcpFqdn, m.fqdn)]
                        {
                            emit(IdentityWhat::Claim(Claim {
                                answers,
                                lease_secs,
                                ..claim(ip, Field::Hostname, source, norm(v))
                            }));
                        }
                        if let Some(mac) = m.mac {
                            emit(IdentityWhat::Claim(Claim {
                                lease_secs,
                                ..claim(ip, Field::Mac, Source::Dhcp, Some(mac_text(mac)))
                            }));
                        }
                    }
                    _ => {}
                }
            }
            Identity::Dhcpv6(m) => match m.msg_type {
                dhcpv6::REPLY => {
                    let fqdn = norm(m.fqdn);
                    for (a, valid) in m.addrs {
                        if valid == 0 {
                            continue;
                        }
                        emit(IdentityWhat::Claim(Claim {
                            answers: Some(Answers::Dhcpv6 { xid: m.xid }),
                            lease_secs: Some(valid),
                            ..claim(IpAddr::V6(a), Field::Hostname, Source::Dhcpv6, fqdn.clone())
                        }));
                    }
                }
                t @ (dhcpv6::SOLICIT
                | dhcpv6::REQUEST
                | dhcpv6::CONFIRM
                | dhcpv6::RENEW
                | dhcpv6::REBIND
                | dhcpv6::RELEASE
                | dhcpv6::DECLINE
                | dhcpv6::INFORMATION_REQUEST) => emit(IdentityWhat::Dhcpv6Client {
                    xid: m.xid,
                    msg_type: t,
                    fqdn: norm(m.fqdn),
                }),
                _ => {}
            },
            Identity::Mdns(msg) if msg.response => {
                for (owner, a) in msg.addrs {
                    if a == src {
                        emit(IdentityWhat::Claim(claim(
                            src,
                            Field::Hostname,
                            Source::Mdns,
                            Some(owner),
                        )));
                    }
                }
            }
            Identity::Mdns(_) => {}
            Identity::Nbns(m) => {
                use nbns::*;
                let registers = matches!(
                    m.opcode,
                    OP_REGISTRATION | OP_REFRESH | OP_REFRESH_ALT | OP_MULTIHOMED
                );
                if m.response || !registers {
                    return;
                }
                for r in m.records.into_iter().filter(|r| r.suffix == 0) {
                    let name = norm_name(&r.name);
                    for (a, group) in r.addrs {
                        if !group && !a.is_unspecified() {
                            let v = Some(name.clone());
                            let c = claim(IpAddr::V4(a), Field::Hostname, Source::Nbns, v);
                            emit(IdentityWhat::Claim(c));
                        }
                    }
                }
            }
            Identity::Kerberos(req) => {
                if req.cname.iter().all(|p| p.is_empty()) {
                    return;
                }
                let parts: Vec<String> = req.cname.iter().map(|p| norm_name(p)).collect();
                let mut user = parts.join("/");
                let realm = norm_name(&req.realm);
                if !realm.is_empty() {
                    user.push('@');
                    user.push_str(&realm);
                }
                emit(IdentityWhat::Claim(claim(
                    src,
                    Field::User,
                    Source::Kerberos,
                    Some(user),
                )));
            }
            Identity::Ntlm(a) => {
                let user = norm_name(a.user.as_bytes());
                if user.is_empty() {
                    return;
                }
                let domain = norm_name(a.domain.as_bytes());
                let user = match domain.is_empty() {
                    true => user,
                    false => format!("{domain}\\{user}"),
                };
                let host = norm_name(a.workstation.as_bytes());
                emit(IdentityWhat::Claim(claim(
                    src,
                    Field::User,
                    Source::Ntlm,
                    Some(user),
                )));
                emit(IdentityWhat::Claim(claim(
                    src,
                    Field::Hostname,
                    Source::Ntlm,
                    Some(host),
                )));
            }
            Identity::Malformed(s) => emit(IdentityWhat::Malformed(s)),
        }
    }
}
