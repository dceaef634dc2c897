//! The domain types every stage may use: what a flow gives up ([`Extracted`]), the
//! observations the workers hand to the aggregator ([`Observation`], [`What`]), and what the
//! run learnt about each input ([`InputSummary`]). No logic beyond turning the first into the
//! second; no threads, no I/O.

use std::net::{IpAddr, Ipv4Addr};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::proto::preamble::ProxyTarget;
use crate::proto::{dhcp, dhcpv6, dns, ech, ja4, kerberos, nbns, ntlm, tls};
use crate::time::TsNanos;

/// What the extract stage took out of one flow's bytes: a whole message, as the parser gave
/// it. [`Extracted::into_whats`] splits it into observations, one per name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Extracted {
    Dns(dns::Message),
    /// A ClientHello, over TCP or in QUIC Initials; `retry` when it is the second of its
    /// connection (after a HelloRetryRequest), which names the same connection again.
    Hello {
        hello: tls::Hello,
        retry: bool,
    },
    /// An HTTP CONNECT or SOCKS request seen before the TLS it tunnels, or a plain HTTP
    /// request's target.
    Proxy(ProxyTarget),
    /// A plain HTTP request's head, without its secrets (after its `Proxy`).
    HttpRequest(crate::proto::http::RequestHead),
    /// A plain HTTP response's head and page title (the server's direction).
    HttpResponse(crate::proto::http::ResponseHead),
    /// A server's ServerHello and, up to TLS 1.2, its certificate's names.
    ServerHello(crate::proto::tls_server::ServerHello),
    /// A TCP connection whose client spoke something else (SSH, a database, a VPN): no name
    /// can come from its bytes. Only for connections whose SYN was seen.
    Other,
    /// A connection that carried a ClientHello ended (FIN/RST, idle, or the capture's end):
    /// how long it lasted and what it carried, for the aggregator to join to its hello.
    End(Session),
    /// A message that may say who a host is.
    Identity(Identity),
}

/// Client silence that separates two bursts of a [`Session`]: longer than the pauses inside
/// one page load or one request (a browser fetches a page's resources within a second or
/// two), shorter than a console's polling interval (every 4 to 30 s).
pub const BURST_GAP_NS: i64 = 3_000_000_000;

/// A TLS or QUIC connection from its ClientHello to its end, as the flow stage counted it.
/// Payload bytes and packets with payload, each way (`up`: client to server).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Session {
    /// The packet that completed the hello.
    pub start: TsNanos,
    /// The connection's last packet.
    pub end: TsNanos,
    pub bytes_up: u64,
    pub bytes_down: u64,
    pub packets_up: u32,
    pub packets_down: u32,
    /// Bursts of client data: client packets with payload after at least
    /// [`BURST_GAP_NS`] of client silence (the first counts). A page load is one or a few;
    /// a person working, or an app polling, makes one every few seconds.
    pub bursts_up: u32,
    /// A FIN or RST ended it (TCP); otherwise it went idle or the capture ended.
    pub closed: bool,
}

impl Session {
    pub fn duration(&self) -> i64 {
        self.end.saturating_sub(self.start).max(0)
    }
}

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
    fn into_whats(self, src: IpAddr, mut emit: impl FnMut(IdentityWhat)) {
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

/// What one observation is about: one name (or one DNS answer message) of an [`Extracted`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum What {
    DnsQuery {
        name: String,
        qtype: u16,
    },
    DnsAnswer {
        msg: dns::Message,
    },
    /// One server name of a ClientHello over TCP ("" when it has none), and the ECH
    /// extension it carries. `again`: the connection already gave a hello observation (a
    /// second server name, or the hello after a HelloRetryRequest), so it is not counted twice.
    TlsHello {
        name: String,
        ech: Option<ech::Offer>,
        again: bool,
        client: Option<ja4::Client>,
    },
    /// The same, for a ClientHello carried in QUIC Initial packets.
    QuicHello {
        name: String,
        ech: Option<ech::Offer>,
        again: bool,
        client: Option<ja4::Client>,
    },
    Proxy {
        target: ProxyTarget,
    },
    /// Something a flow exposes (plain HTTP, a credential in clear, weak TLS); an event
    /// only when its server is a vendor's.
    Exposure(crate::exposure::Exposure),
    /// A plain HTTP response, addressed as its packet (server first): what a self-hosted
    /// help desk is recognised by.
    HttpResponse(crate::proto::http::ResponseHead),
    /// A server's ServerHello (addressed server first): its certificate names tie an HTTPS
    /// port to a help desk found on plain HTTP.
    ServerHello(crate::proto::tls_server::ServerHello),
    /// A TCP connection whose client spoke neither TLS nor HTTP: counted, not reported.
    OtherTcp,
    /// A connection with a hello ended; the observation is addressed as its hello was
    /// (client first). Joined to the hello, never an event of its own.
    SessionEnd(Session),
    Identity(IdentityWhat),
}

impl Extracted {
    /// The observations this stands for, in output order: a query gives one per question, an
    /// answer one for the whole message, a hello one per server name (and one, with "", when
    /// it has none: the aggregator may still attribute it through the client's DNS answers).
    pub fn into_whats(self, tcp: bool, src: IpAddr, mut emit: impl FnMut(What)) {
        match self {
            Extracted::Dns(msg) if msg.response => emit(What::DnsAnswer { msg }),
            Extracted::Dns(msg) => {
                for q in msg.questions {
                    emit(What::DnsQuery {
                        name: q.name,
                        qtype: q.qtype,
                    });
                }
            }
            Extracted::Hello { hello, retry } => {
                let ech = hello.ech;
                let client = hello.client;
                let what = |name, again| match tcp {
                    true => What::TlsHello {
                        name,
                        ech,
                        again,
                        client: client.clone(),
                    },
                    false => What::QuicHello {
                        name,
                        ech,
                        again,
                        client: client.clone(),
                    },
                };
                let weak = client.as_ref().filter(|_| !retry).and_then(|c| {
                    let first = hello.names.first().map(String::as_str).unwrap_or_default();
                    crate::exposure::Exposure::of_hello(first, c.version, c.weak_suites_only)
                });
                if hello.names.is_empty() {
                    emit(what(String::new(), retry));
                }
                for (i, name) in hello.names.into_iter().enumerate() {
                    emit(what(name, retry || i > 0));
                }
                if let Some(e) = weak {
                    emit(What::Exposure(e));
                }
            }
            Extracted::Proxy(target) => emit(What::Proxy { target }),
            Extracted::HttpRequest(r) => {
                for e in crate::exposure::Exposure::of_request(r) {
                    emit(What::Exposure(e));
                }
            }
            Extracted::HttpResponse(r) => emit(What::HttpResponse(r)),
            Extracted::ServerHello(h) => {
                if let Some(e) = crate::exposure::Exposure::of_server_hello(&h) {
                    emit(What::Exposure(e));
                }
                emit(What::ServerHello(h));
            }
            Extracted::Other => emit(What::OtherTcp),
            Extracted::End(s) => emit(What::SessionEnd(s)),
            Extracted::Identity(i) => i.into_whats(src, |w| emit(What::Identity(w))),
        }
    }
}

/// One observation, addressed as the packet that completed it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Observation {
    /// Index of the packet across all inputs; orders the output.
    pub order: u64,
    /// Which input the packet came from: the index of the file in the scan's inputs, or of
    /// the interface in live capture. The consumer maps it to the name events show, so no
    /// string travels with each observation.
    pub input: u32,
    pub ts: TsNanos,
    pub src: IpAddr,
    pub dst: IpAddr,
    pub sport: u16,
    pub dport: u16,
    pub tcp: bool,
    pub what: What,
}

/// One input (file or interface) as the report lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputSummary {
    pub path: String,
    pub packets: u64,
    pub linktype: Option<String>,
    pub error: Option<String>,
    /// The input could not be read as a capture at all (exit status 2).
    pub fatal: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn whats(e: Extracted, tcp: bool) -> Vec<What> {
        let mut out = Vec::new();
        e.into_whats(tcp, "10.0.0.1".parse().unwrap(), |w| out.push(w));
        out
    }

    #[test]
    fn a_hello_gives_one_observation_per_name_counted_once() {
        let hello = |names: &[&str]| tls::Hello {
            names: names.iter().map(|n| n.to_string()).collect(),
            ech: None,
            client: None,
        };
        let tls = |name: &str, again| What::TlsHello {
            name: name.into(),
            ech: None,
            again,
            client: None,
        };
        let two = Extracted::Hello {
            hello: hello(&["a.example", "b.example"]),
            retry: false,
        };
        assert_eq!(
            whats(two, true),
            [tls("a.example", false), tls("b.example", true)]
        );
        // No server name: still one observation, to be attributed through DNS answers.
        let none = Extracted::Hello {
            hello: hello(&[]),
            retry: false,
        };
        assert_eq!(whats(none, true), [tls("", false)]);
        // The hello after a HelloRetryRequest names a connection already counted.
        let retry = Extracted::Hello {
            hello: hello(&["a.example"]),
            retry: true,
        };
        assert_eq!(
            whats(retry, false),
            [What::QuicHello {
                name: "a.example".into(),
                ech: None,
                again: true,
                client: None,
            }]
        );
    }

    #[test]
    fn a_query_gives_one_observation_per_question_an_answer_one() {
        let q = |name: &str| dns::Question {
            name: name.into(),
            qtype: 1,
        };
        let query = dns::Message {
            questions: vec![q("a.example"), q("b.example")],
            ..dns::Message::default()
        };
        let names: Vec<What> = whats(Extracted::Dns(query.clone()), false);
        assert_eq!(
            names,
            [
                What::DnsQuery {
                    name: "a.example".into(),
                    qtype: 1
                },
                What::DnsQuery {
                    name: "b.example".into(),
                    qtype: 1
                }
            ]
        );
        let answer = dns::Message {
            response: true,
            ..query
        };
        assert_eq!(
            whats(Extracted::Dns(answer.clone()), false),
            [What::DnsAnswer { msg: answer }]
        );
    }
    fn identity(i: Identity, src: &str) -> Vec<IdentityWhat> {
        let mut out = Vec::new();
        Extracted::Identity(i).into_whats(false, src.parse().unwrap(), |w| match w {
            What::Identity(w) => out.push(w),
            other => panic!("{other:?}"),
        });
        out
    }

    fn value(w: &IdentityWhat) -> (String, Field, Source, Option<&str>) {
        let IdentityWhat::Claim(c) = w else {
            panic!("{w:?}")
        };
        (c.ip.to_string(), c.field, c.source, c.value.as_deref())
    }

    /// The rules of gen_identity_truth.py's docstring, one case each.
    #[test]
    fn identity_rules() {
        // DHCP ACK: ip = yiaddr; mac; option 12 with its trailing dot and case dropped; no
        // option 81, so that claim waits for the REQUEST's.
        let ack = dhcp::Message {
            msg_type: Some(dhcp::DHCPACK),
            xid: 9,
            ciaddr: Ipv4Addr::UNSPECIFIED,
            yiaddr: Ipv4Addr::new(10, 0, 0, 7),
            mac: Some([0xaa, 0xbb, 0xcc, 0, 1, 2]),
            hostname: Some(b" Alice-PC. ".to_vec()),
            fqdn: None,
            lease_secs: Some(600),
        };
        let w = identity(Identity::Dhcp(ack.clone()), "10.0.0.1");
        let ip = "10.0.0.7".to_string();
        assert_eq!(
            w.iter().map(value).collect::<Vec<_>>(),
            [
                (ip.clone(), Field::Hostname, Source::Dhcp, Some("alice-pc")),
                (ip.clone(), Field::Hostname, Source::DhcpFqdn, None),
                (
                    ip.clone(),
                    Field::Mac,
                    Source::Dhcp,
                    Some("aa:bb:cc:00:01:02")
                ),
            ]
        );
        // An INFORM's ACK names ciaddr; with neither address there is nothing.
        let inform = dhcp::Message {
            yiaddr: Ipv4Addr::UNSPECIFIED,
            ciaddr: Ipv4Addr::new(10, 0, 0, 8),
            ..ack.clone()
        };
        assert_eq!(
            value(&identity(Identity::Dhcp(inform.clone()), "10.0.0.1")[0]).0,
            "10.0.0.8"
        );
        let nothing = dhcp::Message {
            ciaddr: Ipv4Addr::UNSPECIFIED,
            ..inform
        };
        assert!(identity(Identity::Dhcp(nothing), "10.0.0.1").is_empty());
        // mDNS: only the record holding the sender's own address.
        let mdns = dns::Message {
            response: true,
            addrs: vec![
                ("other.local".into(), "10.0.0.9".parse().unwrap()),
                ("me.local".into(), "10.0.0.5".parse().unwrap()),
            ],
            ..dns::Message::default()
        };
        let w = identity(Identity::Mdns(mdns), "10.0.0.5");
        assert_eq!(
            w.iter().map(value).collect::<Vec<_>>(),
            [(
                "10.0.0.5".into(),
                Field::Hostname,
                Source::Mdns,
                Some("me.local")
            )]
        );
        // NBNS: unique <00> names only; a refresh (8) counts, a query (0) does not.
        let rec = |name: &[u8], suffix, group| nbns::Record {
            name: name.to_vec(),
            suffix,
            addrs: vec![(Ipv4Addr::new(10, 0, 0, 6), group)],
        };
        let reg = |opcode| nbns::Message {
            response: false,
            opcode,
            records: vec![
                rec(b"PC1", 0, false),
                rec(b"WORKGROUP", 0, true),
                rec(b"PC1", 0x20, false),
            ],
        };
        let w = identity(Identity::Nbns(reg(8)), "10.0.0.6");
        assert_eq!(
            w.iter().map(value).collect::<Vec<_>>(),
            [(
                "10.0.0.6".into(),
                Field::Hostname,
                Source::Nbns,
                Some("pc1")
            )]
        );
        assert!(identity(Identity::Nbns(reg(0)), "10.0.0.6").is_empty());
        // Kerberos: parts joined with '/', then '@' and the realm; none without a cname.
        let krb = |cname: &[&[u8]], realm: &[u8]| {
            let r = kerberos::AsReq {
                cname: cname.iter().map(|p| p.to_vec()).collect(),
                realm: realm.to_vec(),
            };
            identity(Identity::Kerberos(r), "10.0.0.4")
                .iter()
                .map(value)
                .map(|v| v.3.map(str::to_owned))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            krb(&[b"host", b"PC1.corp"], b"CORP"),
            [Some("host/pc1.corp@corp".into())]
        );
        assert_eq!(krb(&[b"bob"], b""), [Some("bob".into())]);
        assert!(krb(&[], b"CORP").is_empty());
        // NTLM: domain\user, or user alone; the workstation; anonymous gives nothing.
        let ntlm = |domain: &str, user: &str| {
            let a = ntlm::Authenticate {
                domain: domain.into(),
                user: user.into(),
                workstation: "WS1 ".into(),
            };
            identity(Identity::Ntlm(a), "10.0.0.3")
                .iter()
                .map(value)
                .map(|v| v.3.map(str::to_owned))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            ntlm("CORP", "Bob"),
            [Some("corp\\bob".into()), Some("ws1".into())]
        );
        assert_eq!(ntlm("", "bob"), [Some("bob".into()), Some("ws1".into())]);
        assert!(ntlm("CORP", "").is_empty());
    }
}
