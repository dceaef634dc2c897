//! What `--since`, `--until` and `--host` keep: a time window and a set of hosts (address
//! ranges, the policy's [`Cidr`], or device names and MACs), parsed from the command line and
//! asked about each observation before it reaches the aggregator.
//!
//! A name or a MAC names whichever address the device held at the observation's time, so it
//! is resolved through the identity bindings at that moment: the aggregator keeps them, and
//! learns every identity fact whether or not it is kept (`consumer`), so that a name can be
//! resolved for the observations that follow.

use std::net::IpAddr;

use crate::capture::{self, InputPath, Next};
use crate::event::Who;
use crate::model::{Field, IdentityWhat, Observation, What};
use crate::policy::Cidr;
use crate::time::{self, TsNanos};

/// Who held an address at a time: the identity bindings the aggregator keeps
/// (`aggregate::identity::Identities`). A trait, so that the filter, asked before the
/// aggregator, does not import it.
pub trait Bindings {
    fn who(&self, ip: IpAddr, ts: TsNanos) -> Who<'_>;
}

/// What survives `--since`, `--until` and `--host`, asked of every observation.
#[derive(Clone, Debug)]
pub struct Filter {
    since: TsNanos,
    until: TsNanos,
    hosts: Vec<HostSel>,
}

/// One `--host` item: an address range, or a device by name or MAC.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HostSel {
    Net(Cidr),
    /// Lower-cased; matches a host name equal to it or whose first label is it
    /// (`tablet-carol` matches `tablet-carol.corp.test`).
    Name(String),
    /// `aa:bb:cc:dd:ee:ff`, as identity values are written.
    Mac(String),
}

/// Longest host name `--host` takes (a DNS name's limit).
const MAX_NAME: usize = 253;

impl HostSel {
    /// An address or CIDR (anything with a `/` or only digits and dots is taken as one, so
    /// its error is the CIDR's), a MAC (`aa:bb:cc:dd:ee:ff` or with `-`), or a host name.
    pub fn parse(s: &str) -> Result<HostSel, String> {
        let s = s.trim();
        let numeric = s.chars().all(|c| c.is_ascii_digit() || c == '.');
        if s.contains('/') || numeric || s.parse::<IpAddr>().is_ok() {
            return Cidr::parse(s).map(HostSel::Net);
        }
        let parts: Vec<&str> = s.split([':', '-']).collect();
        if parts.len() == 6
            && parts
                .iter()
                .all(|p| p.len() == 2 && p.chars().all(|c| c.is_ascii_hexdigit()))
        {
            return Ok(HostSel::Mac(parts.join(":").to_ascii_lowercase()));
        }
        let ok = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_');
        if s.is_empty() || s.len() > MAX_NAME || !s.chars().all(ok) {
            return Err(format!(
                "bad host '{s}': neither an IP address, a CIDR range, a MAC address nor a host name"
            ));
        }
        Ok(HostSel::Name(s.trim_end_matches('.').to_ascii_lowercase()))
    }

    fn is_net(&self) -> bool {
        matches!(self, HostSel::Net(_))
    }
}

impl Filter {
    /// `end` is the capture's last packet time, needed only for a relative bound.
    pub fn new(window: Window, hosts: Vec<HostSel>, end: TsNanos) -> Filter {
        let (since, until) = window.resolve(end);
        Filter {
            since,
            until,
            hosts,
        }
    }

    pub fn keeps_all(&self) -> bool {
        self.since == TsNanos::MIN && self.until == TsNanos::MAX && self.hosts.is_empty()
    }

    /// Does a host name or MAC select hosts (so identity facts must be learnt even when not
    /// kept)?
    pub fn by_identity(&self) -> bool {
        self.hosts.iter().any(|h| !h.is_net())
    }

    /// `id`: the bindings known so far, which say who held an address at the observation's
    /// time (only asked when a name or a MAC was given).
    pub fn keeps(&self, o: &Observation, id: &impl Bindings) -> bool {
        (self.since..=self.until).contains(&o.ts)
            && (self.hosts.is_empty() || about(o).is_none_or(|ip| self.selects(ip, o.ts, id)))
    }

    /// An identity fact about `ip`, once bound: `fact` is its field, value and, for DHCP, the
    /// client's MAC. Kept when the address is selected now, or when the fact itself names a
    /// selected device, so every fact of the message that gives an address to that device is
    /// kept whatever their order.
    pub fn keeps_fact(
        &self,
        o: &Observation,
        ip: IpAddr,
        fact: (Field, &str, Option<&str>),
        id: &impl Bindings,
    ) -> bool {
        let (field, value, client_mac) = fact;
        if !(self.since..=self.until).contains(&o.ts) {
            return false;
        }
        if self.hosts.is_empty() || self.selects(ip, o.ts, id) {
            return true;
        }
        self.hosts.iter().any(|h| match h {
            HostSel::Net(_) => false,
            HostSel::Name(want) => field == Field::Hostname && name_is(value, want),
            HostSel::Mac(want) => {
                (field == Field::Mac && value == want) || client_mac == Some(want.as_str())
            }
        })
    }

    fn selects(&self, ip: IpAddr, ts: TsNanos, id: &impl Bindings) -> bool {
        let mut who = None;
        self.hosts.iter().any(|h| match h {
            HostSel::Net(n) => n.contains(ip),
            HostSel::Name(want) => who
                .get_or_insert_with(|| id.who(ip, ts))
                .host_name
                .is_some_and(|n| name_is(n, want)),
            HostSel::Mac(want) => who
                .get_or_insert_with(|| id.who(ip, ts))
                .host_mac
                .is_some_and(|m| m == want),
        })
    }
}

/// Is host name `n` the `--host` name `want`: equal, or `want` is its first label?
fn name_is(n: &str, want: &str) -> bool {
    n == want || n.split('.').next() == Some(want)
}

/// The host an observation is about: whoever asked (a DNS answer goes back to it), or the
/// address an identity fact names. None for a DHCP client's request, which only lends its
/// host name to the server's answer: it is kept, and the answer decides.
fn about(o: &Observation) -> Option<IpAddr> {
    match &o.what {
        What::DnsAnswer { .. } | What::HttpResponse(_) | What::ServerHello(_) => Some(o.dst),
        // A server's weak choice goes back to its client.
        What::Exposure(x)
            if matches!(
                x.reason,
                Some(
                    crate::exposure::WeakTls::ServerVersion
                        | crate::exposure::WeakTls::ServerWeakSuite
                )
            ) =>
        {
            Some(o.dst)
        }
        What::Identity(IdentityWhat::Claim(c)) => Some(c.ip),
        What::Identity(_) => None,
        _ => Some(o.src),
    }
}

/// The time of the last packet of all `inputs`, for relative `--since`/`--until`: a second
/// pass over the files, reading record headers only as far as the reader needs. Standard
/// input and FIFOs cannot be read twice, so a relative bound refuses them.
pub fn capture_end(inputs: &[InputPath]) -> Result<TsNanos, String> {
    let mut end = TsNanos::MIN;
    for p in inputs {
        if p.shown == "-" || !p.path.is_file() {
            return Err(format!(
                "{}: a relative --since/--until needs capture files it can read twice (not standard input or a FIFO); give an RFC 3339 time instead",
                p.shown
            ));
        }
        let mut r = capture::Reader::open(p).map_err(|e| format!("{}: {e}", p.shown))?;
        loop {
            match r.next_record() {
                Next::Record(rec) => end = end.max(rec.ts),
                Next::End | Next::Cut(_) => break,
                Next::Idle => {}
            }
        }
    }
    Ok(end)
}

/// One end of the window: a point in time, or an offset from the end of the capture (a
/// relative `-2h`), which the reader learns only after the inputs are opened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bound {
    At(TsNanos),
    BeforeEnd(i64),
}

impl Bound {
    /// RFC 3339 (`2024-01-02T03:04:05Z`), or `-<n><s|m|h|d>` before the end of the capture.
    pub fn parse(s: &str) -> Result<Bound, String> {
        let s = s.trim();
        let Some(rel) = s.strip_prefix('-') else {
            return time::parse_rfc3339(s).map(Bound::At);
        };
        let unit = rel.chars().last().unwrap_or(' ');
        let per = match unit {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            _ => {
                return Err(format!(
                "'{s}' is neither an RFC 3339 time nor a relative time like -2h (units s, m, h, d)"
            ))
            }
        };
        let n: i64 = rel[..rel.len() - 1].parse().map_err(|_| {
            format!("'{s}': the relative time needs a whole number before '{unit}'")
        })?;
        Ok(Bound::BeforeEnd(
            n.saturating_mul(per).saturating_mul(1_000_000_000),
        ))
    }

    fn resolve(self, end: TsNanos) -> TsNanos {
        match self {
            Bound::At(t) => t,
            Bound::BeforeEnd(d) => time::before(end, d),
        }
    }
}

/// The inclusive window `--since`..`--until`; either end may be open.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Window {
    pub since: Option<Bound>,
    pub until: Option<Bound>,
}

impl Window {
    pub fn is_open(&self) -> bool {
        self.since.is_none() && self.until.is_none()
    }

    /// Does the window need the end of the capture (a relative bound)?
    pub fn needs_end(&self) -> bool {
        matches!(self.since, Some(Bound::BeforeEnd(_)))
            || matches!(self.until, Some(Bound::BeforeEnd(_)))
    }

    /// The window with relative bounds fixed against `end`: (since, until), inclusive.
    pub fn resolve(&self, end: TsNanos) -> (TsNanos, TsNanos) {
        (
            self.since.map_or(TsNanos::MIN, |b| b.resolve(end)),
            self.until.map_or(TsNanos::MAX, |b| b.resolve(end)),
        )
    }
}

/// `--only`: which events the event stream keeps. The report does not change with it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Only {
    /// Events with a vendor (`vendor` not null).
    Vendor,
    /// Events of a vendor the policy does not sanction for the client.
    Unsanctioned,
}

impl Only {
    pub fn as_str(self) -> &'static str {
        match self {
            Only::Vendor => "vendor",
            Only::Unsanctioned => "unsanctioned",
        }
    }
}

/// What `--vendor` and `--only` keep. Unlike the window and the hosts, they are decided after
/// classification, in the aggregator: only it knows an observation's vendor, and it must
/// learn every DNS answer (attribution, CNAME aliases) whether or not it is kept.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VendorSelect {
    /// `--vendor`: catalog ids (aliases and case already resolved); None keeps every one.
    pub vendors: Option<std::collections::BTreeSet<String>>,
    pub only: Option<Only>,
}

impl VendorSelect {
    /// Does `--vendor` keep an observation of this vendor (events, report, summary)?
    pub fn keeps(&self, vendor: Option<&str>) -> bool {
        self.vendors
            .as_ref()
            .is_none_or(|set| vendor.is_some_and(|v| set.contains(v)))
    }

    /// Is the event of a kept observation written (`--only`, and `--vendor`)?
    pub fn writes(&self, vendor: Option<&str>, sanctioned: Option<bool>) -> bool {
        self.keeps(vendor)
            && match self.only {
                None => true,
                Some(Only::Vendor) => vendor.is_some(),
                Some(Only::Unsanctioned) => sanctioned == Some(false),
            }
    }

    /// Are identity events written? They have no vendor: not under either flag.
    pub fn writes_identity(&self) -> bool {
        self.vendors.is_none() && self.only.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_items() {
        assert!(matches!(HostSel::parse("10.0.0.0/8"), Ok(HostSel::Net(_))));
        assert!(matches!(HostSel::parse("fd00::1"), Ok(HostSel::Net(_))));
        assert!(HostSel::parse("10.0.0.0/40").is_err());
        assert!(HostSel::parse("10.0.0.300").is_err());
        assert_eq!(
            HostSel::parse("02-5D-00-00-00-C3"),
            Ok(HostSel::Mac("02:5d:00:00:00:c3".into()))
        );
        assert_eq!(
            HostSel::parse("Tablet-Carol"),
            Ok(HostSel::Name("tablet-carol".into()))
        );
        assert!(HostSel::parse("a b").is_err());
        assert!(HostSel::parse("").is_err());
    }

    #[test]
    fn vendor_select() {
        let all = VendorSelect::default();
        assert!(all.keeps(None) && all.writes(None, None) && all.writes_identity());
        let zd = VendorSelect {
            vendors: Some(["zendesk".to_owned()].into()),
            only: None,
        };
        assert!(zd.keeps(Some("zendesk")) && !zd.keeps(Some("intercom")) && !zd.keeps(None));
        assert!(!zd.writes_identity());
        let bad = VendorSelect {
            vendors: None,
            only: Some(Only::Unsanctioned),
        };
        assert!(bad.keeps(None) && !bad.writes(None, None));
        assert!(
            bad.writes(Some("zendesk"), Some(false)) && !bad.writes(Some("zendesk"), Some(true))
        );
        let vendor = VendorSelect {
            vendors: None,
            only: Some(Only::Vendor),
        };
        assert!(vendor.writes(Some("zendesk"), Some(true)) && !vendor.writes(None, None));
    }

    #[test]
    fn bounds() {
        assert_eq!(Bound::parse("-2h"), Ok(Bound::BeforeEnd(7_200_000_000_000)));
        assert_eq!(Bound::parse("-90s"), Ok(Bound::BeforeEnd(90_000_000_000)));
        assert_eq!(
            Bound::parse("1970-01-01T00:00:01Z"),
            Ok(Bound::At(1_000_000_000))
        );
        assert!(Bound::parse("-2w").is_err());
        assert!(Bound::parse("-h").is_err());
        assert!(Bound::parse("-").is_err());
        assert!(Bound::parse("yesterday").is_err());
        let w = Window {
            since: Some(Bound::BeforeEnd(10)),
            until: None,
        };
        assert!(w.needs_end());
        assert_eq!(w.resolve(100), (90, TsNanos::MAX));
    }
}
