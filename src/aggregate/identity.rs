//! Who each address is: the bindings of addresses to host names, MAC addresses and users
//! that DHCP, DHCPv6, mDNS, NBNS, Kerberos and NTLM carry, and the `identity` events written
//! when one is first seen or changes.
//!
//! The join of a DHCP ACK with the REQUEST it answers (and of a DHCPv6 Reply with its client
//! message) happens here, not in the workers: the two travel between different address
//! pairs, so different workers see them; the aggregator sees every observation in packet
//! order.

use std::collections::HashMap;
use std::net::IpAddr;

use super::Aggregator;
use crate::event::{self, Body, Event, IdentityEvent, Timestamp, Transport, Who};
use crate::model::{Answers, Claim, DhcpKey, Field, IdentityWhat, Observation, Source};
use crate::proto::dhcpv6;
use crate::time::{self, TsNanos};

/// Values remembered per binding for the report (a terminal server's address sees many
/// users): past this the one seen longest ago goes.
const MAX_HISTORY: usize = 8;

/// DHCP and DHCPv6 client messages kept for the server's answer. An exchange completes
/// within seconds; this many in flight at once covers a large network booting together, and
/// a flood of REQUESTs with random transaction ids costs at most this many entries (~150
/// bytes each). Past it the table is cleared (counted): only host-name fallbacks are lost.
pub const MAX_PENDING: usize = 4096;
/// Estimated bytes of one binding: map entry, key, value string, times.
const BINDING_BYTES: usize = 160;
/// Bindings without a lease (all but DHCP's) name a vendor event's client for this long
/// after they were last seen, unless `--identity-max-age` says otherwise: a workstation name
/// or a logged-on user outlives the packet that showed it, but not by days, on networks
/// where addresses move.
pub const MAX_AGE_NS: i64 = 24 * 3600 * 1_000_000_000;
/// Host-name sources, the preferred last: the latest binding wins, and on a tie (one DHCP
/// ACK gives both) the FQDN is the fuller name.
const HOSTNAME_SOURCES: [Source; 6] = [
    Source::Ntlm,
    Source::Mdns,
    Source::Nbns,
    Source::Dhcpv6,
    Source::Dhcp,
    Source::DhcpFqdn,
];

/// One binding of an address: its current value and when it held. Part of the time-aware
/// attribution to come: a vendor event at `ts` takes the binding valid at `ts`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Binding {
    pub value: String,
    pub first_seen: TsNanos,
    pub last_seen: TsNanos,
    /// DHCP: the lease's end (the ACK's time plus its lease time).
    pub until: Option<TsNanos>,
    /// Every value it held (at most [`MAX_HISTORY`]), with when each was first and last seen.
    pub history: Vec<Held>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Held {
    pub value: String,
    pub first_seen: TsNanos,
    pub last_seen: TsNanos,
}

impl Binding {
    /// Records `value` as seen at `ts`; returns the bytes newly held.
    fn saw(&mut self, value: &str, ts: TsNanos) -> usize {
        if let Some(h) = self.history.iter_mut().find(|h| h.value == value) {
            h.last_seen = h.last_seen.max(ts);
            return 0;
        }
        if self.history.len() >= MAX_HISTORY {
            let oldest = self
                .history
                .iter()
                .enumerate()
                .min_by_key(|(_, h)| h.last_seen);
            if let Some((i, _)) = oldest {
                self.history.swap_remove(i);
            }
        }
        self.history.push(Held {
            value: value.to_owned(),
            first_seen: ts,
            last_seen: ts,
        });
        STRING_BYTES + value.len()
    }
}

/// Estimated bytes of a remembered value.
const STRING_BYTES: usize = 48;

pub struct Identities {
    /// (ip, field, source) → the value it holds now.
    pub bindings: HashMap<(IpAddr, Field, Source), Binding>,
    /// How long a binding without a lease names its address after it was last seen
    /// (`--identity-max-age`).
    pub max_age_ns: i64,
    bytes: usize,
    dhcp_clients: HashMap<DhcpKey, (bool, Option<String>, Option<String>)>,
    dhcpv6_clients: HashMap<u32, (u8, Option<String>)>,
    /// Messages their parser refused, by source.
    pub malformed: u64,
    /// Times the binding table was cleared for room (its bindings are written again when
    /// next seen).
    pub cleared: u64,
    /// Times a table of pending client messages was cleared for room.
    pub pending_cleared: u64,
}

impl Default for Identities {
    fn default() -> Identities {
        Identities {
            bindings: HashMap::new(),
            max_age_ns: MAX_AGE_NS,
            bytes: 0,
            dhcp_clients: HashMap::new(),
            dhcpv6_clients: HashMap::new(),
            malformed: 0,
            cleared: 0,
            pending_cleared: 0,
        }
    }
}

impl Aggregator<'_> {
    /// An identity observation: updates the bindings, and writes an event into `line` when a
    /// binding is new or changed. Returns whether it makes an event.
    pub(super) fn observe_identity(
        &mut self,
        o: &Observation,
        w: &IdentityWhat,
        line: Option<&mut Vec<u8>>,
    ) -> bool {
        let id = &mut self.identity;
        let claim = match w {
            IdentityWhat::Malformed(_) => {
                id.malformed += 1;
                return false;
            }
            IdentityWhat::DhcpClient {
                key,
                inform,
                hostname,
                fqdn,
            } => {
                if id.dhcp_clients.len() >= MAX_PENDING && !id.dhcp_clients.contains_key(key) {
                    id.dhcp_clients.clear();
                    id.pending_cleared += 1;
                }
                let v = (*inform, hostname.clone(), fqdn.clone());
                id.dhcp_clients.insert(*key, v);
                return false;
            }
            IdentityWhat::Dhcpv6Client {
                xid,
                msg_type,
                fqdn,
            } => {
                if id.dhcpv6_clients.len() >= MAX_PENDING && !id.dhcpv6_clients.contains_key(xid) {
                    id.dhcpv6_clients.clear();
                    id.pending_cleared += 1;
                }
                id.dhcpv6_clients.insert(*xid, (*msg_type, fqdn.clone()));
                return false;
            }
            IdentityWhat::DhcpRelease { ip, mac } => {
                id.release(*ip, mac, o.ts);
                return false;
            }
            IdentityWhat::Claim(c) => c,
        };
        let Some(value) = id.value_of(claim) else {
            return false;
        };
        let bytes = self.limits.identity_bytes;
        if !id.bind(claim, &value, o.ts, bytes) {
            return false;
        }
        if let Some(f) = &self.identity_filter {
            let client_mac = match claim.answers {
                Some(Answers::Dhcp { key, .. }) => key.mac.map(crate::model::mac_text),
                _ => None,
            };
            let fact = (claim.field, value.as_str(), client_mac.as_deref());
            if !f.keeps_fact(o, claim.ip, fact, &self.identity) {
                return false;
            }
        }
        if let Some(buf) = line {
            buf.clear();
            let e = Event {
                ts: Timestamp(o.ts),
                origin: self.origin(o),
                body: Body::Identity(IdentityEvent {
                    ip: claim.ip,
                    field: claim.field,
                    value: &value,
                    source: claim.source,
                    src_ip: o.src,
                    src_port: o.sport,
                    dst_ip: o.dst,
                    dst_port: o.dport,
                    transport: if o.tcp {
                        Transport::Tcp
                    } else {
                        Transport::Udp
                    },
                }),
            };
            event::write(buf, &e);
        }
        self.events += 1;
        *self
            .events_by_kind
            .entry(crate::event::Kind::Identity)
            .or_default() += 1;
        true
    }
}

impl crate::filter::Bindings for Identities {
    fn who(&self, ip: IpAddr, ts: TsNanos) -> Who<'_> {
        self.at(ip, ts)
    }
}

impl Identities {
    /// Who held `ip` at `ts`.
    pub fn at(&self, ip: IpAddr, ts: TsNanos) -> Who<'_> {
        let pick = |field, sources: &[Source]| {
            sources
                .iter()
                .filter_map(|s| self.bindings.get(&(ip, field, *s)))
                .filter(|b| match b.until {
                    Some(end) => ts <= end,
                    None => ts.saturating_sub(b.last_seen) <= self.max_age_ns,
                })
                .max_by_key(|b| b.first_seen)
                .map(|b| b.value.as_str())
        };
        if self.bindings.is_empty() {
            return Who::default();
        }
        Who {
            host_name: pick(Field::Hostname, &HOSTNAME_SOURCES),
            host_mac: pick(Field::Mac, &[Source::Dhcp]),
            user: pick(Field::User, &[Source::Ntlm, Source::Kerberos]),
        }
    }

    /// A DHCPRELEASE of `ip` by `mac`: the DHCP bindings of the address end at `ts`, if that
    /// MAC holds it (a release sent with another client's address ends nothing).
    fn release(&mut self, ip: IpAddr, mac: &str, ts: TsNanos) {
        let holds = self
            .bindings
            .get(&(ip, Field::Mac, Source::Dhcp))
            .is_some_and(|b| b.value == mac);
        if !holds {
            return;
        }
        for key in [
            (ip, Field::Mac, Source::Dhcp),
            (ip, Field::Hostname, Source::Dhcp),
            (ip, Field::Hostname, Source::DhcpFqdn),
        ] {
            if let Some(b) = self.bindings.get_mut(&key) {
                b.until = Some(b.until.map_or(ts, |u| u.min(ts)));
            }
        }
    }

    /// Every value each address held, by address, sorted by field, source and first seen:
    /// the report's `hosts[].identity`.
    pub fn by_host(&self) -> HashMap<IpAddr, Vec<(Field, Source, &Held)>> {
        let mut out: HashMap<IpAddr, Vec<(Field, Source, &Held)>> = HashMap::new();
        for ((ip, field, source), b) in &self.bindings {
            let v = out.entry(*ip).or_default();
            v.extend(b.history.iter().map(|h| (*field, *source, h)));
        }
        for v in out.values_mut() {
            v.sort_by(|a, b| {
                (a.0, a.1, a.2.first_seen, &a.2.value).cmp(&(b.0, b.1, b.2.first_seen, &b.2.value))
            });
        }
        out
    }

    /// The claim's value: its own, or the one of the client message it answers.
    fn value_of(&self, c: &Claim) -> Option<String> {
        match c.answers {
            None => c.value.clone(),
            Some(Answers::Dhcp { key, inform }) => {
                if c.value.is_some() {
                    return c.value.clone();
                }
                // Only the message kind this ACK answers: one with a yiaddr answers a
                // REQUEST, one without an INFORM.
                let (was_inform, host, fqdn) = self.dhcp_clients.get(&key)?;
                if *was_inform != inform {
                    return None;
                }
                match c.source {
                    Source::DhcpFqdn => fqdn.clone(),
                    _ => host.clone(),
                }
            }
            Some(Answers::Dhcpv6 { xid }) => {
                let client = self.dhcpv6_clients.get(&xid);
                // A Reply to a Release, Decline or Information-request binds nothing.
                if let Some((t, _)) = client {
                    use dhcpv6::{DECLINE, INFORMATION_REQUEST, RELEASE};
                    if matches!(*t, RELEASE | DECLINE | INFORMATION_REQUEST) {
                        return None;
                    }
                }
                c.value
                    .clone()
                    .or_else(|| client.and_then(|(_, f)| f.clone()))
            }
        }
        .filter(|v| !v.is_empty())
    }

    /// Records the binding; true when it is new or its value changed.
    fn bind(&mut self, c: &Claim, value: &str, ts: TsNanos, limit: usize) -> bool {
        let until = c
            .lease_secs
            .map(|s| time::after(ts, (s as i64).saturating_mul(1_000_000_000)));
        let key = (c.ip, c.field, c.source);
        if let Some(b) = self.bindings.get_mut(&key) {
            b.last_seen = b.last_seen.max(ts);
            b.until = until.or(b.until);
            self.bytes += b.saw(value, ts);
            if b.value == value {
                return false;
            }
            self.bytes = (self.bytes + value.len()).saturating_sub(b.value.len());
            b.value = value.to_owned();
            b.first_seen = ts;
            return true;
        }
        let cost = BINDING_BYTES + value.len();
        if self.bytes + cost > limit {
            self.bindings.clear();
            self.bytes = 0;
            self.cleared += 1;
        }
        let mut b = Binding {
            value: value.to_owned(),
            first_seen: ts,
            last_seen: ts,
            until,
            history: Vec::new(),
        };
        self.bytes += cost + b.saw(value, ts);
        self.bindings.insert(key, b);
        true
    }
}

#[cfg(test)]
mod tests;
