//! Names for hellos that carry none: the DNS answers and ECH configs each client received,
//! and what they say about a hello (real ECH or GREASE, and the name behind it).

use std::net::IpAddr;

use super::{Aggregator, ANSWER_BYTES, ECH_ANSWER_BYTES};
use crate::event::{AttributionMethod, EchEvidence};
use crate::proto::{dns, ech};
use crate::time::{self, TsNanos};

/// An A/AAAA answer a client received.
#[derive(Clone, Debug)]
pub(super) struct Answer {
    asked: String,
    owner: String,
    ts: TsNanos,
    expiry: TsNanos,
}

/// An ECH config a client received in an HTTPS/SVCB answer.
#[derive(Clone, Debug)]
pub(super) struct EchAnswer {
    asked: String,
    owner: String,
    config: ech::Config,
    ts: TsNanos,
    expiry: TsNanos,
}

/// What the aggregator makes of a ClientHello.
#[derive(Debug, Default)]
pub(super) struct HelloView {
    /// The connection was already counted (see `What::TlsHello`).
    pub(super) again: bool,
    pub(super) ech_offered: bool,
    /// Why the ECH is believed real, when it is.
    pub(super) ech: Option<EchEvidence>,
    pub(super) attributed: Option<Attribution>,
}

/// A name recovered for a hello from the client's DNS, with the evidence.
#[derive(Debug)]
pub(super) struct Attribution {
    /// The name the client asked for, and the owner of the record that answered.
    pub(super) asked: String,
    pub(super) owner: String,
    pub(super) how: AttributionMethod,
    /// When the answer was seen.
    pub(super) ts: TsNanos,
    /// Distinct names that fit the evidence equally (ECH: other sites behind the same
    /// provider); the newest, preferring one that resolved to this server, is chosen.
    pub(super) candidates: usize,
}

/// Answers remembered for SNI-less attribution; past this, expired ones are dropped first,
/// then the table is cleared (it refills from the next answers). The ECH tables share it.
const MAX_ANSWERS: usize = 1 << 16;
/// ECH configs remembered per client (the newest are kept).
const MAX_ECH_PER_CLIENT: usize = 64;
/// DNS TTLs are honoured within these bounds: a TTL of 0 still covers the connection that
/// follows the answer, and a week-long TTL does not pin memory.
const MIN_ANSWER_TTL_NS: i64 = 60 * 1_000_000_000;
const MAX_ANSWER_TTL_NS: i64 = 86_400 * 1_000_000_000;

fn ttl_ns(ttl: u32) -> i64 {
    (ttl as i64 * 1_000_000_000).clamp(MIN_ANSWER_TTL_NS, MAX_ANSWER_TTL_NS)
}
impl Aggregator<'_> {
    /// Remembers which name a client resolved each answered address from, and the ECH configs
    /// its HTTPS/SVCB answers carried, for as long as the TTL (within bounds).
    pub(super) fn remember_answer(
        &mut self,
        client: IpAddr,
        asked: &str,
        msg: &dns::Message,
        ts: TsNanos,
    ) {
        let expiry = time::after(ts, ttl_ns(msg.min_ttl.unwrap_or(0)));
        let ech_bytes: usize = msg
            .ech
            .iter()
            .flat_map(|r| &r.configs)
            .map(|c| ECH_ANSWER_BYTES + 2 * (asked.len() + c.public_name.len()))
            .sum();
        let answer_bytes = msg.addrs.len() * (ANSWER_BYTES + asked.len()) + ech_bytes;
        if self.dns_cache_bytes + answer_bytes > self.limits.dns_cache_bytes {
            self.make_dns_cache_room(ts);
        }
        self.dns_cache_bytes += answer_bytes;
        for (owner, addr) in &msg.addrs {
            if self.answers.len() >= MAX_ANSWERS {
                self.make_dns_cache_room(ts);
            }
            let a = Answer {
                asked: asked.to_owned(),
                owner: owner.clone(),
                ts,
                expiry,
            };
            self.answers.insert((client, *addr), a);
        }
        if msg.ech.is_empty() {
            return;
        }
        if self.ech_answers.len() >= MAX_ANSWERS || self.ech_configs.len() >= MAX_ANSWERS {
            self.make_dns_cache_room(ts);
        }
        let mine = self.ech_answers.entry(client).or_default();
        for rec in &msg.ech {
            for c in &rec.configs {
                self.ech_configs
                    .insert((c.public_name.clone(), c.config_id), c.suites.clone());
                if mine.len() >= MAX_ECH_PER_CLIENT {
                    mine.remove(0);
                }
                mine.push(EchAnswer {
                    asked: asked.to_owned(),
                    owner: rec.owner.clone(),
                    config: c.clone(),
                    ts,
                    expiry: time::after(ts, ttl_ns(rec.ttl)),
                });
            }
        }
    }

    /// Drops expired answers, and when that is not enough, all of them (the tables refill
    /// from the next answers; hellos in between go unattributed, and the clearing is counted).
    fn make_dns_cache_room(&mut self, now: TsNanos) {
        self.answers.retain(|_, a| a.expiry >= now);
        for list in self.ech_answers.values_mut() {
            list.retain(|a| a.expiry >= now);
        }
        self.ech_answers.retain(|_, l| !l.is_empty());
        let answers: usize = self
            .answers
            .values()
            .map(|a| ANSWER_BYTES + a.asked.len())
            .sum();
        let ech: usize = self
            .ech_answers
            .values()
            .flatten()
            .map(|a| ECH_ANSWER_BYTES + 2 * (a.asked.len() + a.config.public_name.len()))
            .sum();
        self.dns_cache_bytes = answers + ech;
        if self.dns_cache_bytes > self.limits.dns_cache_bytes / 2
            || self.answers.len() >= MAX_ANSWERS
            || self.ech_answers.len() >= MAX_ANSWERS
            || self.ech_configs.len() >= MAX_ANSWERS
        {
            self.answers.clear();
            self.ech_answers.clear();
            self.ech_configs.clear();
            self.dns_cache_bytes = 0;
            self.dropped.dns_cache_cleared += 1;
        }
    }

    /// Decides whether a hello's ECH is real and what name, if any, stands for its
    /// destination.
    ///
    /// ECH is real when the hello names a config someone was given: its SNI is the config's
    /// public name and its config id and cipher suite match (a GREASE extension picks a random
    /// id, so it matches by chance 1 time in 256, and never carries a public name as SNI
    /// unless the site is the provider itself). The inner name is the one whose HTTPS record
    /// gave this client that config; among several, the one it resolved to this server's
    /// address, else the newest.
    pub(super) fn judge_hello(
        &self,
        client: IpAddr,
        server: IpAddr,
        sni: &str,
        offer: Option<ech::Offer>,
        now: TsNanos,
    ) -> HelloView {
        let mut view = HelloView {
            ech_offered: offer.is_some(),
            ..HelloView::default()
        };
        if let Some(o) = offer.filter(|_| !sni.is_empty()) {
            let fits: Vec<&EchAnswer> = self
                .ech_answers
                .get(&client)
                .into_iter()
                .flatten()
                .filter(|e| {
                    e.expiry >= now && e.config.public_name == sni && e.config.offered_by(&o)
                })
                .collect();
            view.ech = if !fits.is_empty() {
                Some(EchEvidence::ClientHttpsRecord)
            } else if self.config_known(sni, &o) {
                Some(EchEvidence::HttpsRecord)
            } else if self.ech_fronts.contains(sni) {
                Some(EchEvidence::KnownPublicName)
            } else {
                None
            };
            if let Some(newest) = fits.last() {
                let resolved = self.resolved(client, server, now);
                let same_server = |e: &&&EchAnswer| {
                    resolved.is_some_and(|a| a.asked == e.asked || a.owner == e.owner)
                };
                let e = fits.iter().rev().find(same_server).unwrap_or(newest);
                let mut names: Vec<&str> = fits.iter().map(|e| e.asked.as_str()).collect();
                names.sort_unstable();
                names.dedup();
                view.attributed = Some(Attribution {
                    asked: e.asked.clone(),
                    owner: e.owner.clone(),
                    how: AttributionMethod::EchHttpsRecord,
                    ts: e.ts,
                    candidates: names.len(),
                });
            }
        } else if sni.is_empty() {
            view.attributed = self.resolved(client, server, now).map(|a| Attribution {
                asked: a.asked.clone(),
                owner: a.owner.clone(),
                how: AttributionMethod::DnsAnswer,
                ts: a.ts,
                candidates: 1,
            });
        }
        view
    }

    /// The answer that gave this client that server's address, while its TTL lasts.
    pub(super) fn resolved(&self, client: IpAddr, server: IpAddr, now: TsNanos) -> Option<&Answer> {
        self.answers
            .get(&(client, server))
            .filter(|a| a.expiry >= now)
    }

    /// Some client got this (public name, config id) with this cipher suite.
    fn config_known(&self, sni: &str, o: &ech::Offer) -> bool {
        // Most hellos carry GREASE: no key is built when nothing can match.
        !self.ech_configs.is_empty()
            && self
                .ech_configs
                .get(&(sni.to_owned(), o.config_id))
                .is_some_and(|suites| suites.contains(&(o.kdf, o.aead)))
    }
}
