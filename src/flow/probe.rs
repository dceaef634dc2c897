//! What a stream's first bytes are: a ClientHello (behind any STARTTLS dialogue or proxy
//! request), plain HTTP requests, or DNS-over-TCP messages. The flow stage calls this when new
//! contiguous bytes arrive; the parsers in `proto` decide, and say `Incomplete` with how many
//! bytes they need, so a stream fed a byte at a time is parsed a few times, not once a byte.

use crate::model::{Identity, Source};
use crate::proto::preamble::{self, Preamble};
use crate::proto::{dns, http, kerberos, tls, tls_server};
use crate::wire::be16;

use super::reassembly::Reassembler;
use crate::model::Extracted;

/// Preamble steps (text lines, proxy requests, upgrade requests) looked through before the
/// ClientHello; SMTP sends a handful of lines before STARTTLS.
const MAX_PREAMBLE_STEPS: u8 = 32;

/// What probing a stream has learnt so far.
#[derive(Debug, Default)]
pub struct Probe {
    /// ClientHellos already reported (a second one follows a HelloRetryRequest).
    hellos: u8,
    /// Preamble steps skipped so far (STARTTLS dialogue, proxy requests).
    preamble_steps: u8,
    /// A hello or a request target came out of this stream.
    pub named: bool,
    /// The TLS parser needs at least this many bytes before it can say more.
    need: usize,
    /// Text (a command, a proxy request, an HTTP head) was incomplete at this many bytes
    /// (0: not waiting on text): it is classified again only once new bytes can change that.
    text_checked: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Progress {
    /// More bytes may tell more.
    Waiting,
    /// The direction has nothing more to give.
    Finished,
    /// An HTTP head ran past its bound (`http::MAX_HEAD`) without ending: the direction is
    /// given up like `Finished`, and counted.
    HeadTooLong,
}

/// A TLS stream, possibly behind a preamble.
pub fn tls_or_preamble(
    p: &mut Probe,
    s: &mut Reassembler,
    emit: &mut impl FnMut(Extracted),
) -> Progress {
    loop {
        if p.hellos > 0 {
            s.consume(tls::change_cipher_spec_prefix(s.bytes()));
        }
        if s.bytes().len() < p.need {
            return Progress::Waiting;
        }
        if p.text_checked > 0 {
            if preamble::text_unchanged(s.bytes(), p.text_checked) {
                return Progress::Waiting;
            }
            p.text_checked = 0;
        }
        match tls::parse_client_hello(s.bytes()) {
            tls::Parse::Incomplete { need } => {
                p.need = need;
                return Progress::Waiting;
            }
            tls::Parse::NotTls if p.hellos > 0 || p.preamble_steps >= MAX_PREAMBLE_STEPS => {
                return Progress::Finished
            }
            // A server's plain HTTP response: its head and title, once per connection.
            tls::Parse::NotTls if p.preamble_steps == 0 && s.bytes().starts_with(b"HTTP/") => {
                return match http::response(s.bytes()) {
                    http::Response::Incomplete => Progress::Waiting,
                    http::Response::NotHttp => Progress::Finished,
                    http::Response::HeadTooLong => Progress::HeadTooLong,
                    http::Response::Head(h) => {
                        p.named = true;
                        emit(Extracted::HttpResponse(h));
                        Progress::Finished
                    }
                };
            }
            // A server's handshake: its choices and certificate names, once per connection.
            tls::Parse::NotTls if p.preamble_steps == 0 && s.bytes().first() == Some(&0x16) => {
                return match tls_server::parse(s.bytes()) {
                    tls_server::Parse::Incomplete => Progress::Waiting,
                    tls_server::Parse::NotServer => Progress::Finished,
                    tls_server::Parse::Done(h) => {
                        p.named = true;
                        emit(Extracted::ServerHello(h));
                        Progress::Finished
                    }
                };
            }
            // Not TLS (yet): a STARTTLS dialogue or a proxy request may come first.
            tls::Parse::NotTls => match preamble::classify(s.bytes()) {
                Preamble::Incomplete => {
                    if preamble::is_text(s.bytes()) {
                        p.text_checked = s.bytes().len();
                    }
                    return Progress::Waiting;
                }
                Preamble::Unknown => return Progress::Finished,
                Preamble::HeadTooLong => return Progress::HeadTooLong,
                Preamble::Skip {
                    len,
                    target,
                    then_tls,
                } => {
                    // A keep-alive HTTP connection may carry any number of requests; each
                    // is an event, so only the other steps use up the budget.
                    let http_request = !then_tls && target.is_some();
                    if !http_request {
                        p.preamble_steps += 1;
                    }
                    if let Some(t) = target {
                        p.named = true;
                        emit(Extracted::Proxy(t));
                        if http_request {
                            // What the request exposes, read from its head alone.
                            let head = s.bytes().get(..len).unwrap_or_default();
                            if let Some(r) = http::request(head) {
                                emit(Extracted::HttpRequest(r));
                            }
                        }
                    }
                    s.consume(len);
                    p.need = 0;
                }
            },
            tls::Parse::ClientHello { hello, end } => {
                p.hellos += 1;
                p.named = true;
                emit(Extracted::Hello {
                    hello,
                    retry: p.hellos > 1,
                });
                if p.hellos >= 2 {
                    return Progress::Finished;
                }
                s.consume(end);
                p.need = 0;
            }
        }
    }
}

/// The bytes a probe still holds are the start of an HTTP request or response head, its end
/// not among them (a head still held is within [`http::MAX_HEAD`]: past it the direction
/// ended as `HeadTooLong`). Asked only of flows going idle or left at the input's end, so a
/// scan of at most a head is cheap.
pub fn unfinished_http_head(b: &[u8]) -> bool {
    let method = b.iter().position(|c| *c == b' ').and_then(|i| b.get(..i));
    let http = b.starts_with(b"HTTP/1.")
        || method.is_some_and(|m| m == b"CONNECT" || http::method_name(m) != "OTHER");
    http && http::head_end(b).is_none()
}

/// Frames length-prefixed DNS messages. DNS over TCP never finishes: a connection may carry
/// any number of queries.
pub fn dns_messages(s: &mut Reassembler, emit: &mut impl FnMut(Extracted)) -> Progress {
    let mut pos = 0;
    let b = s.bytes();
    while let Some(len) = be16(b, pos) {
        let len = len as usize;
        let Some(msg) = b.get(pos + 2..pos + 2 + len) else {
            break;
        };
        if let Ok(m) = dns::parse(msg) {
            emit(Extracted::Dns(m));
        }
        pos += 2 + len;
    }
    s.consume(pos);
    Progress::Waiting
}

/// Frames Kerberos messages behind their 4-byte record marks (RFC 4120 §7.2.2) and gives the
/// AS-REQs among them. A record longer than any AS-REQ read here ends the direction.
pub fn kerberos_messages(s: &mut Reassembler, emit: &mut impl FnMut(Extracted)) -> Progress {
    let mut pos = 0;
    let b = s.bytes();
    while let Some((len, total)) = kerberos::tcp_record(b.get(pos..).unwrap_or_default()) {
        if len > kerberos::MAX_TCP_RECORD {
            emit(Extracted::Identity(Identity::Malformed(Source::Kerberos)));
            return Progress::Finished;
        }
        let Some(msg) = b.get(pos + 4..pos + total) else {
            break;
        };
        match kerberos::parse(msg) {
            Ok(kerberos::Message::AsReq(r)) => emit(Extracted::Identity(Identity::Kerberos(r))),
            Ok(kerberos::Message::Other) => {}
            Err(_) => emit(Extracted::Identity(Identity::Malformed(Source::Kerberos))),
        }
        pos += total;
    }
    s.consume(pos);
    Progress::Waiting
}
