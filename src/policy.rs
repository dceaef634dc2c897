//! Which vendors are sanctioned, for which hosts.
//!
//! Policy file format (documented in the README; example in `examples/policy.txt`), one
//! statement per line, `#` starts a comment:
//!
//! ```text
//! group support-team 10.20.0.0/16, fd00:20::/48
//! allow zendesk, helpjuice                 # every host
//! allow intercom for support-team          # only hosts in the group
//! allow kustomer for 10.30.0.5/32, 10.31.0.0/24
//! domain acme-corp.test                    # our DNS domains (names under them are ours)
//! tenant zendesk acme                      # a vendor tenant that is ours
//! require-region eu for zendesk            # its tenants' data must be in these regions
//! require-cert soc2_type2 for unsanctioned # the catalog must list these certs
//! ```
//!
//! Everything not allowed is unsanctioned. Unknown vendor ids, unknown groups, bad CIDRs and
//! bad names are errors naming the line. `domain` and `tenant` decide tenant ownership (see
//! the README, "Roles and ownership").

use std::net::IpAddr;

use crate::catalog::Catalog;

mod requirements;
pub use requirements::Requirements;

/// An address range (`10.20.0.0/16`, `fd00::/8`) or one address: policy groups and `--host`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr {
    net: IpAddr,
    len: u8,
}

impl Cidr {
    pub fn parse(s: &str) -> Result<Cidr, String> {
        let (addr, len) = match s.split_once('/') {
            Some((a, l)) => (a, Some(l)),
            None => (s, None),
        };
        let net: IpAddr = addr
            .parse()
            .map_err(|_| format!("bad CIDR '{s}': '{addr}' is not an IP address"))?;
        let max = if net.is_ipv4() { 32 } else { 128 };
        let len = match len {
            None => max,
            Some(l) => match l.parse::<u8>() {
                Ok(n) if n <= max => n,
                _ => return Err(format!("bad CIDR '{s}': prefix length must be 0..={max}")),
            },
        };
        Ok(Cidr { net, len })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let (a, b, bits) = match (self.net, ip) {
            (IpAddr::V4(n), IpAddr::V4(i)) => (u32::from(n) as u128, u32::from(i) as u128, 32),
            (IpAddr::V6(n), IpAddr::V6(i)) => (u128::from(n), u128::from(i), 128),
            _ => return false,
        };
        if self.len == 0 {
            return true;
        }
        let shift = bits - self.len as u32;
        (a >> shift) == (b >> shift)
    }
}

/// Which rule decided whether a vendor is sanctioned for a host: written in the report as
/// `default` (nothing allows it: not sanctioned), `--sanctioned`, or `policy line N`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DecidedBy {
    Default,
    Flag,
    Line(usize),
}

impl std::fmt::Display for DecidedBy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DecidedBy::Default => f.write_str("default"),
            DecidedBy::Flag => f.write_str("--sanctioned"),
            DecidedBy::Line(n) => write!(f, "policy line {n}"),
        }
    }
}

impl serde::Serialize for DecidedBy {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl schemars::JsonSchema for DecidedBy {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "DecidedBy".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "The rule that decided `sanctioned`: `default` (no rule allows the vendor for this host: not sanctioned), `--sanctioned`, or `policy line N` (the first line of the policy file that allows it for this host).",
            "type": "string",
            "pattern": "^(default|--sanctioned|policy line [1-9][0-9]*)$"
        })
    }
}

#[derive(Clone, Debug, Default)]
pub struct Policy {
    /// Vendors sanctioned for every host, and the rule that allows each (a policy line, or
    /// `--sanctioned`).
    everywhere: Vec<(String, DecidedBy)>,
    /// (networks, vendors, policy line) triples.
    scoped: Vec<(Vec<Cidr>, Vec<String>, usize)>,
    /// Our own DNS domains, lower-case, without trailing dot.
    domains: Vec<String>,
    /// (vendor, tenant label) pairs declared ours.
    tenants: Vec<(String, String)>,
    /// `require-region` and `require-cert`.
    pub requirements: Requirements,
}

impl Policy {
    /// Adds `--sanctioned a,b`; ids are checked against the catalog.
    pub fn allow_everywhere(&mut self, list: &str, catalog: &Catalog) -> Result<(), String> {
        for id in split_list(list) {
            let id = check_vendor(id, catalog)?;
            self.everywhere.push((id, DecidedBy::Flag));
        }
        Ok(())
    }

    /// Whether `vendor` is sanctioned for `host`; per vendor event, so it stops at the first
    /// rule that allows ([`Policy::decided_by`] names the rule, for the report).
    pub fn sanctioned(&self, vendor: &str, host: IpAddr) -> bool {
        self.everywhere.iter().any(|(v, _)| v == vendor)
            || self.scoped.iter().any(|(nets, vs, _)| {
                vs.iter().any(|v| v == vendor) && nets.iter().any(|n| n.contains(host))
            })
    }

    /// The rule that sanctions `vendor` for `host`: the policy file's first line that allows
    /// it (an analyst fixes the line the report names), else `--sanctioned`, else none.
    pub fn decided_by(&self, vendor: &str, host: IpAddr) -> DecidedBy {
        let everywhere = self
            .everywhere
            .iter()
            .filter(|(v, _)| v == vendor)
            .map(|(_, by)| *by);
        let scoped = self
            .scoped
            .iter()
            .filter(|(nets, vs, _)| {
                vs.iter().any(|v| v == vendor) && nets.iter().any(|n| n.contains(host))
            })
            .map(|(_, _, line)| DecidedBy::Line(*line));
        everywhere
            .chain(scoped)
            .min_by_key(|by| match by {
                DecidedBy::Line(n) => *n,
                _ => usize::MAX,
            })
            .unwrap_or(DecidedBy::Default)
    }

    /// The vendor ids `--sanctioned` allowed, as the catalog names them, in order.
    pub fn sanctioned_by_flag(&self) -> Vec<String> {
        self.everywhere
            .iter()
            .filter(|(_, by)| *by == DecidedBy::Flag)
            .map(|(v, _)| v.clone())
            .collect()
    }

    /// Whether `name` is one of our domains or under one (on a label boundary).
    pub fn ours_domain(&self, name: &str) -> bool {
        let name = name.strip_suffix('.').unwrap_or(name);
        self.domains.iter().any(|d| {
            name.len() >= d.len()
                && name
                    .get(name.len() - d.len()..)
                    .is_some_and(|tail| tail.eq_ignore_ascii_case(d))
                && (name.len() == d.len()
                    || name.as_bytes().get(name.len() - d.len() - 1) == Some(&b'.'))
        })
    }

    /// Whether the policy declares `tenant` of `vendor` ours.
    pub fn declared_tenant(&self, vendor: &str, tenant: &str) -> bool {
        self.tenants
            .iter()
            .any(|(v, t)| v == vendor && t.eq_ignore_ascii_case(tenant))
    }

    /// Parses a policy file's text; `name` is used in errors.
    pub fn parse(name: &str, text: &str, catalog: &Catalog) -> Result<Policy, String> {
        let mut p = Policy::default();
        let mut groups: Vec<(String, Vec<Cidr>)> = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let at = |m: String| format!("{name}:{}: {m}", i + 1);
            let line = raw.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let (word, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
            match word {
                "group" => {
                    let (gname, nets) = rest
                        .trim()
                        .split_once(char::is_whitespace)
                        .unwrap_or((rest.trim(), ""));
                    if gname.is_empty() || nets.trim().is_empty() {
                        return Err(at("expected 'group NAME CIDR[, CIDR...]'".into()));
                    }
                    if groups.iter().any(|(g, _)| g == gname) {
                        return Err(at(format!("group '{gname}' defined twice")));
                    }
                    let nets = split_list(nets)
                        .map(Cidr::parse)
                        .collect::<Result<Vec<_>, _>>()
                        .map_err(at)?;
                    groups.push((gname.to_owned(), nets));
                }
                "allow" => {
                    let (vendors, scope) = match rest.split_once(" for ") {
                        Some((v, s)) => (v, Some(s)),
                        None => (rest, None),
                    };
                    let given: Vec<&str> = split_list(vendors).collect();
                    if given.last() == Some(&"for") || scope.is_some_and(|s| s.trim().is_empty()) {
                        return Err(at("'for' needs a group or CIDR after it (e.g. 'allow zendesk for support')".into()));
                    }
                    if given.is_empty() {
                        return Err(at(
                            "expected 'allow VENDOR[, VENDOR...] [for GROUP|CIDR, ...]'".into(),
                        ));
                    }
                    let vendors = given
                        .iter()
                        .map(|v| check_vendor(v, catalog).map_err(at))
                        .collect::<Result<Vec<String>, String>>()?;
                    match scope {
                        None => p
                            .everywhere
                            .extend(vendors.into_iter().map(|v| (v, DecidedBy::Line(i + 1)))),
                        Some(scope) => {
                            let mut nets = Vec::new();
                            for item in split_list(scope) {
                                if let Some((_, g)) = groups.iter().find(|(g, _)| g == item) {
                                    nets.extend(g.iter().copied());
                                } else if item.contains('.') || item.contains(':') {
                                    nets.push(Cidr::parse(item).map_err(at)?);
                                } else {
                                    return Err(at(format!(
                                        "unknown group '{item}' (define it with 'group' first)"
                                    )));
                                }
                            }
                            if nets.is_empty() {
                                return Err(at("'for' needs a group or CIDR".into()));
                            }
                            p.scoped.push((nets, vendors, i + 1));
                        }
                    }
                }
                "domain" => {
                    let names: Vec<&str> = split_list(rest).collect();
                    if names.is_empty() {
                        return Err(at("expected 'domain NAME[, NAME...]'".into()));
                    }
                    for d in names {
                        p.domains.push(check_domain(d).map_err(at)?);
                    }
                }
                "tenant" => {
                    let words: Vec<&str> = split_list(rest).collect();
                    let [vendor, label] = words[..] else {
                        return Err(at(
                            "expected 'tenant VENDOR TENANT' (e.g. 'tenant zendesk acme')".into(),
                        ));
                    };
                    let vendor = check_vendor(vendor, catalog).map_err(at)?;
                    let label = label.to_ascii_lowercase();
                    if label.is_empty()
                        || label.len() > 63
                        || !label
                            .bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
                    {
                        return Err(at(format!(
                            "bad tenant '{label}': a tenant is one DNS label ('acme' of acme.zendesk.com)"
                        )));
                    }
                    p.tenants.push((vendor, label));
                }
                "require-region" => p
                    .requirements
                    .parse_region(rest, i + 1, |v| check_vendor(v, catalog))
                    .map_err(at)?,
                "require-cert" => p.requirements.parse_cert(rest, i + 1).map_err(at)?,
                other => {
                    let hint = STATEMENTS
                        .iter()
                        .find(|s| edit_distance(s, other) <= 2)
                        .map(|s| format!("did you mean '{s}'? "))
                        .unwrap_or_default();
                    return Err(at(format!(
                        "unknown statement '{other}' ({hint}one of: {})",
                        STATEMENTS.join(", ")
                    )));
                }
            }
        }
        Ok(p)
    }
}

const STATEMENTS: [&str; 6] = [
    "group",
    "allow",
    "domain",
    "tenant",
    "require-region",
    "require-cert",
];

/// Levenshtein distance of two short words (statement names), by characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().take(64).collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + (ca != *cb) as usize).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

/// A domain as `domain` takes it: DNS labels of letters, digits, `-` and `_`, lower-cased,
/// without a trailing dot.
fn check_domain(d: &str) -> Result<String, String> {
    let d = d.strip_suffix('.').unwrap_or(d).to_ascii_lowercase();
    let ok = !d.is_empty()
        && d.len() <= 253
        && d.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        });
    if !ok {
        return Err(format!(
            "bad domain '{d}': expected a DNS name such as acme-corp.example"
        ));
    }
    if d.parse::<IpAddr>().is_ok() || d.contains('/') {
        return Err(format!("bad domain '{d}': an address, not a name"));
    }
    Ok(d)
}

fn split_list(s: &str) -> impl Iterator<Item = &str> {
    s.split([',', ' ', '\t'])
        .map(str::trim)
        .filter(|x| !x.is_empty())
}

/// The catalog id the user meant: ids and aliases in any case (`Freshdesk` is `freshworks`).
pub(crate) fn check_vendor(id: &str, catalog: &Catalog) -> Result<String, String> {
    if let Some(v) = catalog.resolve(id) {
        return Ok(v.id.clone());
    }
    // Ids sharing the first four characters (characters, not bytes: the id is the user's
    // text, any UTF-8), the nearest by edit distance first; else the nearest id if it is near
    // enough to be a typo. With 500 vendors a shared prefix alone often names the wrong one
    // (`zendeks` would give `zendesk-qa`), and distance alone a stranger (`zendמ`, `pendo`).
    // At most 64 characters are compared, as `edit_distance` does with the other side.
    let lower: String = id.to_lowercase().chars().take(64).collect();
    let prefix = lower
        .char_indices()
        .nth(4)
        .map_or(lower.as_str(), |(end, _)| &lower[..end]);
    let by_distance = |only_prefix: bool| {
        catalog
            .vendors()
            .iter()
            .filter(|v| !only_prefix || v.id.starts_with(prefix))
            .map(|v| (edit_distance(&lower, &v.id), v.id.len(), v.id.as_str()))
            .min()
    };
    let hint = by_distance(true)
        .or_else(|| by_distance(false).filter(|(d, _, _)| *d <= 2 + lower.chars().count() / 6))
        .map(|(_, _, v)| v)
        .map(|v| format!(" (did you mean '{v}'?)"))
        .unwrap_or_default();
    Err(format!(
        "unknown vendor id '{id}'{hint}; `shadowdesk vendors` lists them"
    ))
}

#[cfg(test)]
mod tests;
