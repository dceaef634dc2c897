//! The event an observation makes, from what the aggregator decided about it.

use std::net::IpAddr;

use super::attribution::HelloView;
use crate::catalog::Match;
use crate::event::{
    AttributionMethod, AttributionShown, Body, Dns, DnsAnswer, EncryptedDnsProtocol, Event, Hello,
    Kind, Method, Named, Origin, QType, RCode, Request, Strength, Timestamp, TlsVersion, Transport,
    VendorMatch, Who,
};
use crate::model::{Observation, What};

/// What [`Aggregator::observe`](super::Aggregator::observe) decided about an observation that makes an event.
pub(super) struct Facts<'o> {
    pub(super) kind: Kind,
    pub(super) client: IpAddr,
    pub(super) server: IpAddr,
    pub(super) cport: u16,
    pub(super) sport: u16,
    pub(super) hostname: &'o str,
    pub(super) m: Option<&'o Match<'o>>,
    pub(super) sanctioned: Option<bool>,
    /// The CNAME target that named the vendor (DNS answers).
    pub(super) via: Option<&'o str>,
    pub(super) hello: Option<&'o HelloView>,
    pub(super) encrypted_dns: Option<EncryptedDnsProtocol>,
    /// Who held the client address (vendor events only).
    pub(super) who: Who<'o>,
    /// `--baseline`, vendor events: the host and vendor pair, or the name, is new.
    pub(super) new_since_baseline: Option<bool>,
}

impl<'o> Facts<'o> {
    /// The event; None only for what makes none (other TCP returns before this).
    pub(super) fn event(&self, o: &'o Observation, origin: Origin<'o>) -> Option<Event<'o>> {
        let Facts {
            kind,
            client,
            server,
            cport,
            sport,
            hostname,
            m,
            sanctioned,
            via,
            hello,
            encrypted_dns,
            who,
            new_since_baseline,
        } = *self;
        let attributed = hello.and_then(|h| h.attributed.as_ref());
        let named = Named {
            src_ip: client,
            src_port: cport,
            dst_ip: server,
            dst_port: sport,
            transport: if o.tcp {
                Transport::Tcp
            } else {
                Transport::Udp
            },
            community_id: crate::community_id::v1(
                if o.tcp {
                    crate::community_id::TCP
                } else {
                    crate::community_id::UDP
                },
                client,
                cport,
                server,
                sport,
            ),
            hostname,
            vendor: m.map(|m| m.vendor.id.as_str()),
            sanctioned,
            vendor_match: m.map(|m| VendorMatch {
                vendor_name: &m.vendor.name,
                category: &m.vendor.category,
                matched: m.pattern,
                strength: Strength::of(m.strong),
                tenant: m.tenant.as_deref(),
                endpoint: m.endpoint.map(|e| e.as_str()),
                new_since_baseline,
            }),
            who,
        };
        let body = match &o.what {
            What::DnsQuery { qtype, .. } => Some(Body::Dns(Dns {
                named,
                qtype: QType::of(*qtype),
            })),
            What::Proxy { target } => {
                let r = Request {
                    named,
                    method: Method::from_preamble(target.method),
                    target_port: target.port,
                };
                Some(match kind {
                    Kind::Socks => Body::Socks(r),
                    _ => Body::Http(r),
                })
            }
            What::DnsAnswer { msg } => Some(Body::DnsAnswer(DnsAnswer {
                named,
                rcode: msg.rcode,
                rcode_name: RCode::of(msg.rcode),
                qtype: msg.questions.first().map(|q| QType::of(q.qtype)),
                min_ttl: msg.min_ttl,
                cnames: msg.cnames.iter().map(|(_, t)| t.as_str()).collect(),
                answers: msg.addrs.iter().map(|(_, a)| *a).collect(),
                ech_public_names: (!msg.ech.is_empty()).then(|| {
                    let mut names: Vec<&str> = msg
                        .ech
                        .iter()
                        .flat_map(|r| &r.configs)
                        .map(|c| c.public_name.as_str())
                        .collect();
                    names.sort_unstable();
                    names.dedup();
                    names
                }),
                via,
            })),
            What::TlsHello { client, .. } | What::QuicHello { client, .. } => hello.map(|h| {
                let e = Hello {
                    named,
                    encrypted_dns,
                    ech_offered: h.ech_offered,
                    ech: h.ech.is_some(),
                    ech_evidence: h.ech,
                    // When the wire has no usable name (none, or an ECH public name),
                    // say how (and whether) one was recovered.
                    attribution: (hostname.is_empty() || h.ech.is_some()).then(|| {
                        AttributionShown {
                            attributed_hostname: attributed.map(|a| a.asked.as_str()),
                            attribution: attributed.map(|a| a.how),
                        }
                    }),
                    attribution_owner: attributed
                        .filter(|a| a.owner != a.asked)
                        .map(|a| a.owner.as_str()),
                    attribution_ts: attributed.map(|a| Timestamp(a.ts)),
                    attribution_candidates: attributed
                        .filter(|a| a.how == AttributionMethod::EchHttpsRecord)
                        .map(|a| a.candidates as u64),
                    ja4: client.as_ref().map(|c| c.ja4(kind == Kind::Quic)),
                    tls_version: client.as_ref().map(|c| TlsVersion::of(c.version)),
                    alpn: client.as_ref().map(|c| c.alpn.as_slice()),
                    client: client.as_ref().map(|c| c.class.into()),
                };
                match kind {
                    Kind::Quic => Body::Quic(e),
                    _ => Body::Tls(e),
                }
            }),
            What::Exposure(x) => Some(Body::Exposure(super::exposure::event(named, x))),
            What::OtherTcp
            | What::SessionEnd(_)
            | What::Identity(_)
            | What::HttpResponse(_)
            | What::ServerHello(_) => None,
        };
        Some(Event {
            ts: Timestamp(o.ts),
            body: body?,
            origin,
        })
    }
}
