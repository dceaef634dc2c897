//! How much of each host's traffic the sensor could put a name on.

use std::net::IpAddr;

use super::attribution::HelloView;
use super::{Aggregator, VISIBILITY_BYTES};
use crate::event::Kind;

/// How much of a host's traffic the sensor could put a name on. Counted per TLS or QUIC
/// connection (its first hello), per plain-HTTP or proxy request, and per other TCP connection
/// whose SYN was seen.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Visibility {
    pub tls_hellos: u64,
    pub quic_hellos: u64,
    pub http_requests: u64,
    /// TCP connections whose client spoke neither TLS nor HTTP (SSH, databases, VPNs).
    pub other_tcp: u64,
    /// The destination's name was on the wire (SNI, Host, proxy target), and was not an
    /// ECH provider's public name.
    pub named: u64,
    /// No usable name on the wire, but one was recovered from the client's own DNS: the
    /// answer that gave it the server's address, or the HTTPS record whose ECH config it used.
    /// named + attributed + unnamed = every hello, request and other TCP connection.
    pub attributed: u64,
    /// No name at all: no SNI and no answer, or ECH with no HTTPS record seen.
    pub unnamed: u64,
    /// Of those, TLS and QUIC hellos: encrypted traffic whose destination stays unknown, the
    /// blind spot that puts a host on the report.
    pub unnamed_hellos: u64,
    /// Hellos that used ECH for real (evidence in the event), and hellos that merely carried
    /// the extension, GREASE included.
    pub ech: u64,
    pub ech_offered: u64,
    /// Connections to encrypted-DNS resolvers (the names they resolve are not visible).
    pub encrypted_dns: u64,
    pub dns_queries: u64,
}

impl Visibility {
    /// Encrypted traffic whose destination has no name, or real ECH: what lists a host as
    /// hidden in the report and the summary. (Other TCP with no name alone does not: SSH to
    /// an address is no blind spot for support vendors.)
    pub fn has_hidden_traffic(&self) -> bool {
        self.unnamed_hellos > 0 || self.ech > 0
    }

    /// Every connection counted: each is named, attributed or unnamed.
    pub fn connections(&self) -> u64 {
        self.tls_hellos + self.quic_hellos + self.http_requests + self.other_tcp
    }

    pub fn plus(mut self, o: &Visibility) -> Visibility {
        self.tls_hellos += o.tls_hellos;
        self.quic_hellos += o.quic_hellos;
        self.http_requests += o.http_requests;
        self.other_tcp += o.other_tcp;
        self.named += o.named;
        self.attributed += o.attributed;
        self.unnamed += o.unnamed;
        self.unnamed_hellos += o.unnamed_hellos;
        self.ech += o.ech;
        self.ech_offered += o.ech_offered;
        self.encrypted_dns += o.encrypted_dns;
        self.dns_queries += o.dns_queries;
        self
    }
}

impl Aggregator<'_> {
    /// Takes `bytes` of the visibility budget (visibility and encrypted DNS) if they fit.
    pub(super) fn visibility_room(&mut self, bytes: usize) -> bool {
        let fits = self.visibility_bytes + bytes <= self.limits.visibility_bytes;
        self.visibility_bytes += bytes * fits as usize;
        fits
    }

    /// A host's visibility counts; past the budget, new hosts count in the untracked sum.
    pub(super) fn visibility_of(&mut self, client: IpAddr) -> &mut Visibility {
        if !self.visibility.contains_key(&client) && !self.visibility_room(VISIBILITY_BYTES) {
            self.dropped.visibility_memcap += 1;
            return &mut self.untracked;
        }
        self.visibility.entry(client).or_default()
    }

    /// Every host's visibility, tracked or not.
    pub fn visibility_total(&self) -> Visibility {
        self.visibility
            .values()
            .fold(self.untracked.clone(), |a, v| a.plus(v))
    }

    pub(super) fn count_visibility(
        &mut self,
        client: IpAddr,
        kind: Kind,
        hostname: &str,
        hello: Option<&HelloView>,
        encrypted_dns: bool,
    ) {
        let v = self.visibility_of(client);
        if hello.is_some_and(|h| h.again) {
            return;
        }
        match kind {
            Kind::Dns => {
                v.dns_queries += 1;
                return;
            }
            Kind::Tls => v.tls_hellos += 1,
            Kind::Quic => v.quic_hellos += 1,
            Kind::Http | Kind::Socks => v.http_requests += 1,
            Kind::DnsAnswer | Kind::Stats | Kind::Identity | Kind::Exposure => return,
        }
        v.encrypted_dns += encrypted_dns as u64;
        let (ech, attributed) = match hello {
            Some(h) => {
                v.ech_offered += h.ech_offered as u64;
                (h.ech.is_some(), h.attributed.is_some())
            }
            None => (false, false),
        };
        v.ech += ech as u64;
        if attributed {
            v.attributed += 1;
        } else if hostname.is_empty() || ech {
            v.unnamed += 1;
            v.unnamed_hellos += hello.is_some() as u64;
        } else {
            v.named += 1;
        }
    }
}
