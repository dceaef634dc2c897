//! The domain types every stage may use: what a flow gives up ([`Extracted`]), the
//! observations the workers hand to the aggregator ([`Observation`], [`What`]), and what the
//! run learnt about each input ([`InputSummary`]). No logic beyond turning the first into the
//! second; no threads, no I/O.

use std::net::IpAddr;

use crate::proto::preamble::ProxyTarget;
use crate::proto::{dns, ech, ja4, tls};
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

mod identity;
pub use identity::*;

#[cfg(test)]
mod tests;
