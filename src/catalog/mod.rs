//! The vendor catalog: which hostnames belong to which customer-support vendor.
//!
//! Data lives in `fingerprints/*.vendor` (format in `fingerprints/README.md`), compiled into
//! the binary; `--fingerprints DIR` adds files or replaces vendors by id. This module knows
//! nothing about packets.
//!
//! Matching: names are compared lower-cased without a trailing dot, on label boundaries only
//! (`zendesk.com` matches `acme.zendesk.com`, never `notzendesk.com`); the longest matching
//! pattern wins and an exact entry beats a suffix entry of the same length. The lookup walks
//! the name's label boundaries with one hash probe each.

#[cfg(test)]
mod integrity;
mod load;
pub mod risk;

pub use load::{load_dir, parse_file, CatalogError};
pub use risk::{Deployment, Profile};

use hashbrown::HashMap;
use schemars::JsonSchema;
use serde::Serialize;

mod builtin {
    include!(concat!(env!("OUT_DIR"), "/builtin_catalog.rs"));
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Vendor {
    pub id: String,
    pub name: String,
    pub product: String,
    pub category: String,
    /// Other names people use for it (`freshdesk` for `freshworks`), lower-case: accepted
    /// wherever an id is (`--sanctioned`, the policy).
    pub aliases: Vec<String>,
    /// File the vendor came from (`zendesk.vendor`, or a path for `--fingerprints`).
    pub origin: String,
    /// Deployment, company, region rules and the risk facts, each with its source.
    pub profile: Profile,
}

/// What a catalog hostname serves, and so who is on the other end of a connection to it:
/// the vendor's customer's staff, software, the customer's own customers, or anyone. Taken from
/// the vendors' documentation (`role=` in the vendor files); `None` where it says nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Endpoint {
    /// Agent and admin consoles, staff login, agent apps.
    Agent,
    /// The vendor's API hosts, called by software.
    Api,
    /// Widgets, messengers, their CDNs and assets, help centres and knowledge bases read by
    /// the vendor's customers' customers.
    EndUser,
    /// Infrastructure used by both sides or by other products (a generic CDN, attachments,
    /// a login used by agents and end users alike).
    Shared,
    /// A customer tenant's hostname (`<sub>.zendesk.com`): staff and end users use the same
    /// name, so the name alone does not tell them apart.
    Tenant,
}

impl Endpoint {
    /// Every role, in the order the file format documents them.
    pub const ALL: [Endpoint; 5] = [
        Endpoint::Agent,
        Endpoint::Api,
        Endpoint::EndUser,
        Endpoint::Shared,
        Endpoint::Tenant,
    ];

    /// The word used in vendor files and output.
    pub fn as_str(self) -> &'static str {
        match self {
            Endpoint::Agent => "agent",
            Endpoint::Api => "api",
            Endpoint::EndUser => "end_user",
            Endpoint::Shared => "shared",
            Endpoint::Tenant => "tenant",
        }
    }

    pub fn parse(word: &str) -> Option<Endpoint> {
        Endpoint::ALL.into_iter().find(|e| e.as_str() == word)
    }
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    pub pattern: String,
    pub strong: bool,
    pub exact: bool,
    pub tenant: bool,
    /// What the host serves (`role=` in the file); `None` when the line gives no role.
    pub endpoint: Option<Endpoint>,
}

/// A vendor with its domain rules, as read from one file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VendorDef {
    pub vendor: Vendor,
    pub rules: Vec<Rule>,
}

/// A successful lookup.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Match<'a> {
    pub vendor: &'a Vendor,
    pub pattern: &'a str,
    /// False for shared infrastructure (weak evidence).
    pub strong: bool,
    /// The customer's account label, for patterns that carry one (`acme` in
    /// `acme.zendesk.com`).
    pub tenant: Option<String>,
    /// What the matched pattern serves, from the winning line's `role=`: a more specific line
    /// (`widget.intercom.io`) refines a broader one (`intercom.io`) because it wins the match.
    pub endpoint: Option<Endpoint>,
}

#[derive(Debug, Default)]
pub struct Catalog {
    vendors: Vec<Vendor>,
    /// pattern → (vendor index, rule)
    exact: HashMap<String, (usize, Rule)>,
    suffix: HashMap<String, (usize, Rule)>,
}

/// Labels that name the vendor's own infrastructure, not a customer, when they sit where a
/// tenant label would (`www.zendesk.com`, `eu.acme.zendesk.com` has tenant `acme`).
const INFRA_LABELS: &[&str] = &[
    "www",
    "api",
    "app",
    "apps",
    "cdn",
    "static",
    "assets",
    "support",
    "help",
    "docs",
    "developer",
    "developers",
    "status",
    "login",
    "accounts",
    "secure",
    "widget",
    "mail",
    "production",
    "prod",
    "eu",
    "us",
    "ca",
    "au",
    "in",
    "uk",
    "ae",
    "jp",
    "de",
];

fn is_infra_label(l: &str) -> bool {
    if INFRA_LABELS.contains(&l) {
        return true;
    }
    // Region or pod labels such as `us-1`, `eu-2`.
    match l.split_once('-') {
        Some((region, n)) => {
            INFRA_LABELS.contains(&region) && !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())
        }
        None => false,
    }
}

impl Catalog {
    /// The catalog compiled into the binary.
    pub fn builtin() -> Result<Catalog, CatalogError> {
        let mut defs = Vec::new();
        for (name, text) in builtin::BUILTIN {
            defs.push(parse_file(name, text)?);
        }
        Catalog::from_defs(defs)
    }

    /// Builds a catalog; a pattern claimed by two vendors is an error naming both files.
    pub fn from_defs(defs: Vec<VendorDef>) -> Result<Catalog, CatalogError> {
        let mut c = Catalog::default();
        for def in defs {
            if let Some(prev) = c.vendors.iter().find(|v| v.id == def.vendor.id) {
                return Err(CatalogError::new(
                    &def.vendor.origin,
                    0,
                    format!(
                        "vendor id '{}' is also defined in {}",
                        def.vendor.id, prev.origin
                    ),
                ));
            }
            let vi = c.vendors.len();
            for rule in def.rules {
                let map = if rule.exact {
                    &mut c.exact
                } else {
                    &mut c.suffix
                };
                if let Some((other, _)) = map.get(&rule.pattern) {
                    return Err(CatalogError::new(
                        &def.vendor.origin,
                        0,
                        format!(
                            "domain '{}' is also claimed by {} ({})",
                            rule.pattern, c.vendors[*other].id, c.vendors[*other].origin
                        ),
                    ));
                }
                map.insert(rule.pattern.clone(), (vi, rule));
            }
            c.vendors.push(def.vendor);
        }
        Ok(c)
    }

    /// Adds the vendors of `extra`; one whose id exists replaces the built-in one whole.
    pub fn with_overrides(self, extra: Vec<VendorDef>) -> Result<Catalog, CatalogError> {
        let mut defs = self.into_defs();
        for e in extra {
            defs.retain(|d| d.vendor.id != e.vendor.id);
            defs.push(e);
        }
        Catalog::from_defs(defs)
    }

    fn into_defs(self) -> Vec<VendorDef> {
        let mut defs: Vec<VendorDef> = self
            .vendors
            .into_iter()
            .map(|vendor| VendorDef {
                vendor,
                rules: Vec::new(),
            })
            .collect();
        for (vi, rule) in self.exact.into_values().chain(self.suffix.into_values()) {
            defs[vi].rules.push(rule);
        }
        for d in &mut defs {
            d.rules.sort_by(|a, b| a.pattern.cmp(&b.pattern));
        }
        defs
    }

    pub fn vendors(&self) -> &[Vendor] {
        &self.vendors
    }

    pub fn vendor(&self, id: &str) -> Option<&Vendor> {
        self.vendors.iter().find(|v| v.id == id)
    }

    /// The vendor a person means by `name`: its id or one of its aliases, in any case.
    pub fn resolve(&self, name: &str) -> Option<&Vendor> {
        let name = name.to_ascii_lowercase();
        self.vendor(&name)
            .or_else(|| self.vendors.iter().find(|v| v.aliases.contains(&name)))
    }

    /// The rules of one vendor, sorted by pattern.
    pub fn rules_of(&self, id: &str) -> Vec<&Rule> {
        let Some(vi) = self.vendors.iter().position(|v| v.id == id) else {
            return Vec::new();
        };
        let mut r: Vec<&Rule> = self
            .exact
            .values()
            .chain(self.suffix.values())
            .filter(|(v, _)| *v == vi)
            .map(|(_, r)| r)
            .collect();
        r.sort_by(|a, b| a.pattern.cmp(&b.pattern));
        r
    }

    pub fn len(&self) -> usize {
        self.vendors.len()
    }

    pub fn is_empty(&self) -> bool {
        self.vendors.is_empty()
    }

    /// Finds the vendor of a hostname.
    pub fn lookup(&self, host: &str) -> Option<Match<'_>> {
        let host = host.strip_suffix('.').unwrap_or(host);
        if host.is_empty() {
            return None;
        }
        let lowered;
        let host = if host.bytes().any(|b| b.is_ascii_uppercase()) {
            lowered = host.to_ascii_lowercase();
            lowered.as_str()
        } else {
            host
        };
        if let Some((vi, rule)) = self.exact.get(host) {
            return Some(self.make_match(host, *vi, rule));
        }
        let mut at = 0;
        loop {
            let suffix = &host[at..];
            if let Some((vi, rule)) = self.suffix.get(suffix) {
                return Some(self.make_match(host, *vi, rule));
            }
            at += suffix.find('.')? + 1;
        }
    }

    fn make_match<'a>(&'a self, host: &str, vi: usize, rule: &'a Rule) -> Match<'a> {
        let tenant = if rule.tenant && host.len() > rule.pattern.len() {
            let left = &host[..host.len() - rule.pattern.len() - 1];
            left.rsplit('.')
                .find(|l| !is_infra_label(l))
                .map(str::to_owned)
        } else {
            None
        };
        Match {
            vendor: &self.vendors[vi],
            pattern: &rule.pattern,
            strong: rule.strong,
            tenant,
            endpoint: rule.endpoint,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_are_unique_and_never_another_vendors_id() {
        let cat = Catalog::builtin().unwrap();
        let mut seen = std::collections::HashSet::new();
        for v in cat.vendors() {
            assert!(seen.insert(v.id.clone()), "{}", v.id);
        }
        for v in cat.vendors() {
            for a in &v.aliases {
                assert!(seen.insert(a.clone()), "alias '{a}' of {} is taken", v.id);
            }
        }
        assert_eq!(
            cat.resolve("FreshDesk").map(|v| v.id.as_str()),
            Some("freshworks")
        );
        assert_eq!(
            cat.resolve("Zendesk").map(|v| v.id.as_str()),
            Some("zendesk")
        );
        assert!(cat.resolve("fresh").is_none());
    }

    fn cat() -> Catalog {
        Catalog::builtin().expect("the built-in catalog validates")
    }

    #[test]
    fn builtin_is_large_enough_and_has_contract_ids() {
        let c = cat();
        assert!(c.len() >= 50, "{} vendors", c.len());
        for id in [
            "zendesk",
            "helpscout",
            "kustomer",
            "helpjuice",
            "intercom",
            "freshworks",
        ] {
            assert!(c.vendor(id).is_some(), "{id}");
        }
    }

    #[test]
    fn label_boundaries_case_and_trailing_dot() {
        let c = cat();
        assert_eq!(c.lookup("acme.zendesk.com").unwrap().vendor.id, "zendesk");
        assert_eq!(c.lookup("ACME.Zendesk.COM.").unwrap().vendor.id, "zendesk");
        assert_eq!(c.lookup("zendesk.com").unwrap().vendor.id, "zendesk");
        assert!(c.lookup("notzendesk.com").is_none());
        assert!(c.lookup("zendesk.com.evil.example").is_none());
        assert!(c.lookup("").is_none());
        assert!(c.lookup(".").is_none());
    }

    #[test]
    fn tenant_is_reported_and_infra_labels_skipped() {
        let c = cat();
        assert_eq!(
            c.lookup("acme.zendesk.com").unwrap().tenant.as_deref(),
            Some("acme")
        );
        assert_eq!(
            c.lookup("eu.acme.zendesk.com").unwrap().tenant.as_deref(),
            Some("acme")
        );
        assert_eq!(c.lookup("www.zendesk.com").unwrap().tenant, None);
        assert_eq!(c.lookup("zendesk.com").unwrap().tenant, None);
        // The examples of fingerprints/README.md.
        assert_eq!(
            c.lookup("acme.us-1.gladly.com").unwrap().tenant.as_deref(),
            Some("acme")
        );
        let sf = c.lookup("acme--uat.sandbox.my.salesforce.com").unwrap();
        assert_eq!(
            (sf.vendor.id.as_str(), sf.tenant.as_deref()),
            ("salesforce-service", Some("acme--uat"))
        );
    }

    #[test]
    fn longest_and_exact_win() {
        let defs = vec![
            parse_file("a.vendor", "id = a\nname = A\nproduct = p\ncategory = live_chat\ndomain = example.com weak\n").unwrap(),
            parse_file("b.vendor", "id = b\nname = B\nproduct = p\ncategory = live_chat\ndomain = chat.example.com strong\ndomain = x.example.com strong exact\n").unwrap(),
        ];
        let c = Catalog::from_defs(defs).unwrap();
        assert_eq!(c.lookup("t.chat.example.com").unwrap().vendor.id, "b");
        assert_eq!(c.lookup("www.example.com").unwrap().vendor.id, "a");
        assert!(!c.lookup("www.example.com").unwrap().strong);
        assert_eq!(c.lookup("x.example.com").unwrap().vendor.id, "b");
        assert_eq!(c.lookup("y.x.example.com").unwrap().vendor.id, "a");
    }

    #[test]
    fn specific_role_refines_a_shared_suffix() {
        let defs = vec![parse_file(
            "v.vendor",
            "id = v\nname = V\nproduct = p\ncategory = live_chat\n\
             domain = chat.example strong role=shared\n\
             domain = widget.chat.example strong role=end_user\n\
             domain = app.chat.example strong exact role=agent\n\
             domain = desk.example strong tenant role=tenant\n\
             domain = other.example strong\n",
        )
        .unwrap()];
        let c = Catalog::from_defs(defs).unwrap();
        let role = |h: &str| c.lookup(h).unwrap().endpoint;
        assert_eq!(role("chat.example"), Some(Endpoint::Shared));
        assert_eq!(role("cdn.chat.example"), Some(Endpoint::Shared));
        assert_eq!(role("widget.chat.example"), Some(Endpoint::EndUser));
        assert_eq!(role("js.widget.chat.example"), Some(Endpoint::EndUser));
        assert_eq!(role("app.chat.example"), Some(Endpoint::Agent));
        // Exact: a name under it falls back to the broader line.
        assert_eq!(role("x.app.chat.example"), Some(Endpoint::Shared));
        let t = c.lookup("acme.desk.example").unwrap();
        assert_eq!(
            (t.endpoint, t.tenant.as_deref()),
            (Some(Endpoint::Tenant), Some("acme"))
        );
        assert_eq!(role("www.other.example"), None);
    }

    #[test]
    fn builtin_roles_of_documented_hosts() {
        let c = cat();
        let role = |h: &str| c.lookup(h).unwrap().endpoint;
        // Zendesk Web Widget CSP page: ekr.zendesk.com and static.zdassets.com are what the
        // widget loads on a visitor's page; <subdomain>.zendesk.com is the account itself.
        assert_eq!(role("ekr.zendesk.com"), Some(Endpoint::EndUser));
        assert_eq!(role("static.zdassets.com"), Some(Endpoint::EndUser));
        assert_eq!(role("acme.zendesk.com"), Some(Endpoint::Tenant));
        // Intercom's CSP page and REST API docs: the Messenger and the API share intercom.io;
        // exact lines split them, and a host under the suffix with no line of its own stays
        // shared.
        assert_eq!(role("widget.intercom.io"), Some(Endpoint::EndUser));
        assert_eq!(role("api-iam.eu.intercom.io"), Some(Endpoint::EndUser));
        assert_eq!(role("api.eu.intercom.io"), Some(Endpoint::Api));
        assert_eq!(
            role("nexus-websocket-a.intercom.io"),
            Some(Endpoint::Shared)
        );
        assert_eq!(role("app.intercom.com"), Some(Endpoint::Agent));
        // Kustomer's "Regions and base URLs": <org>.kustomerapp.com is the web app,
        // <org>.api.kustomerapp.com the API, cdn.kustomerapp.com the chat SDK; the tenant is
        // still extracted under a role.
        let k = c.lookup("acme.kustomerapp.com").unwrap();
        assert_eq!(
            (k.endpoint, k.tenant.as_deref()),
            (Some(Endpoint::Agent), Some("acme"))
        );
        let k = c.lookup("acme.api.kustomerapp.com").unwrap();
        assert_eq!(
            (k.endpoint, k.tenant.as_deref()),
            (Some(Endpoint::Api), Some("acme"))
        );
        assert_eq!(role("cdn.kustomerapp.com"), Some(Endpoint::EndUser));
        assert_eq!(role("api.prod2.kustomerapp.com"), Some(Endpoint::Api));
        // Salesforce's OAuth endpoint page: staff log in at My Domain, customers at
        // Experience Cloud sites.
        assert_eq!(role("acme.my.salesforce.com"), Some(Endpoint::Agent));
        assert_eq!(role("acme.my.site.com"), Some(Endpoint::EndUser));
        assert_eq!(role("login.salesforce.com"), Some(Endpoint::Agent));
        // Help Scout's Beacon CSP page.
        assert_eq!(role("beaconapi.helpscout.net"), Some(Endpoint::EndUser));
        assert_eq!(role("api.helpscout.net"), Some(Endpoint::Api));
        // Front's "Base URL" page.
        assert_eq!(role("api2.frontapp.com"), Some(Endpoint::Api));
        assert_eq!(
            c.lookup("acme.api.frontapp.com").unwrap().tenant.as_deref(),
            Some("acme")
        );
    }

    #[test]
    fn every_line_of_the_main_vendors_has_a_role() {
        let c = cat();
        for id in [
            "zendesk",
            "intercom",
            "freshworks",
            "salesforce-service",
            "hubspot-service",
            "helpscout",
            "kustomer",
            "helpjuice",
            "zoho-desk",
            "gorgias",
            "front",
        ] {
            for r in c.rules_of(id) {
                assert!(r.endpoint.is_some(), "{id}: {} has no role", r.pattern);
            }
        }
    }

    #[test]
    fn duplicate_pattern_names_both_files() {
        let text = |id: &str| {
            format!("id = {id}\nname = N\nproduct = p\ncategory = live_chat\ndomain = same.example strong\n")
        };
        let defs = vec![
            parse_file("one.vendor", &text("one")).unwrap(),
            parse_file("two.vendor", &text("two")).unwrap(),
        ];
        let e = Catalog::from_defs(defs).unwrap_err().to_string();
        assert!(e.contains("two.vendor") && e.contains("one.vendor"), "{e}");
    }

    #[test]
    fn override_replaces_vendor() {
        let extra = parse_file("zendesk.vendor", "id = zendesk\nname = Z\nproduct = p\ncategory = helpdesk_ticketing\ndomain = zd.example strong tenant\n").unwrap();
        let c = cat().with_overrides(vec![extra]).unwrap();
        assert!(c.lookup("acme.zendesk.com").is_none());
        assert_eq!(
            c.lookup("acme.zd.example").unwrap().tenant.as_deref(),
            Some("acme")
        );
    }
}

/// Encrypted DNS resolvers (`fingerprints/encrypted-dns.resolvers`, compiled in): connections
/// to them are blind spots, names a passive sensor cannot see.
#[derive(Debug)]
pub struct Resolvers {
    /// pattern → protocol (`doh`, `dot` or `any`)
    suffix: HashMap<String, &'static str>,
}

impl Resolvers {
    pub fn builtin() -> Result<Resolvers, CatalogError> {
        Resolvers::parse(
            "encrypted-dns.resolvers",
            include_str!("../../fingerprints/encrypted-dns.resolvers"),
        )
    }

    pub fn parse(name: &str, text: &str) -> Result<Resolvers, CatalogError> {
        let mut suffix = HashMap::new();
        for (line, words) in entries(name, text, "resolver", "<domain> <doh|dot|any>")? {
            let err = |m: &str| CatalogError::new(name, line, m.to_owned());
            let [domain, proto] = words[..] else {
                return Err(err("expected 'resolver = <domain> <doh|dot|any>'"));
            };
            let proto = match proto {
                "doh" => "doh",
                "dot" => "dot",
                "any" => "any",
                _ => return Err(err("protocol must be doh, dot or any")),
            };
            check_domain(domain).map_err(err)?;
            suffix.insert(domain.to_owned(), proto);
        }
        Ok(Resolvers { suffix })
    }

    /// Adds (or replaces) the entries of another list: a `--fingerprints` folder's.
    pub fn extend(&mut self, other: Resolvers) {
        self.suffix.extend(other.suffix);
    }

    /// The resolver protocol of a server name (`doh`, `dot`, `any`), on label boundaries.
    pub fn lookup(&self, host: &str) -> Option<&'static str> {
        let host = host.strip_suffix('.').unwrap_or(host);
        let mut at = 0;
        loop {
            if let Some(p) = self.suffix.get(&host[at..]) {
                return Some(p);
            }
            at += host[at..].find('.')? + 1;
        }
    }
}

#[cfg(test)]
mod resolver_tests {
    use super::*;

    #[test]
    fn builtin_resolvers() {
        let r = Resolvers::builtin().unwrap();
        assert_eq!(r.lookup("dns.google"), Some("any"));
        assert_eq!(r.lookup("mozilla.cloudflare-dns.com"), Some("doh"));
        assert_eq!(r.lookup("chrome.cloudflare-dns.com"), Some("any"));
        assert_eq!(r.lookup("notdns.google.example"), None);
        assert_eq!(r.lookup("xdns.google"), None);
        assert!(Resolvers::parse("x", "resolver = a.example doq\n")
            .unwrap_err()
            .to_string()
            .starts_with("x:1:"));
    }
}

/// The `key = words...` lines of a data file (blank lines and `#` comments skipped), with
/// their line numbers; a line with another key is an error naming `usage`.
fn entries<'t>(
    name: &str,
    text: &'t str,
    key: &str,
    usage: &str,
) -> Result<Vec<(usize, Vec<&'t str>)>, CatalogError> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let value = line
            .strip_prefix(key)
            .and_then(|r| r.trim_start().strip_prefix('='))
            .ok_or_else(|| CatalogError::new(name, i + 1, format!("expected '{key} = {usage}'")))?;
        out.push((i + 1, value.split_whitespace().collect()));
    }
    Ok(out)
}

fn check_domain(domain: &str) -> Result<(), &'static str> {
    if domain.split('.').count() < 2 || domain.bytes().any(|b| b.is_ascii_uppercase()) {
        return Err("domain must be lower case with two or more labels");
    }
    Ok(())
}

/// Public names of ECH providers (`fingerprints/ech.public-names`, compiled in): a hello that
/// offers ECH with one of these as its SNI is real ECH, whatever DNS the sensor saw.
#[derive(Debug, Default)]
pub struct EchFronts {
    names: std::collections::HashSet<String>,
}

impl EchFronts {
    pub fn builtin() -> Result<EchFronts, CatalogError> {
        EchFronts::parse(
            "ech.public-names",
            include_str!("../../fingerprints/ech.public-names"),
        )
    }

    pub fn parse(name: &str, text: &str) -> Result<EchFronts, CatalogError> {
        let mut names = std::collections::HashSet::new();
        for (line, words) in entries(name, text, "public_name", "<domain>")? {
            let err = |m: &str| CatalogError::new(name, line, m.to_owned());
            let [domain] = words[..] else {
                return Err(err("expected 'public_name = <domain>'"));
            };
            check_domain(domain).map_err(err)?;
            names.insert(domain.to_owned());
        }
        Ok(EchFronts { names })
    }

    pub fn extend(&mut self, other: EchFronts) {
        self.names.extend(other.names);
    }

    /// Exact match: the public name is one host, not a zone.
    pub fn contains(&self, host: &str) -> bool {
        self.names.contains(host)
    }
}

#[cfg(test)]
mod ech_front_tests {
    use super::*;

    #[test]
    fn builtin_fronts() {
        let f = EchFronts::builtin().unwrap();
        assert!(f.contains("cloudflare-ech.com"));
        assert!(!f.contains("x.cloudflare-ech.com"));
        assert!(EchFronts::parse("y", "# c\npublic_name = a b\n")
            .unwrap_err()
            .to_string()
            .starts_with("y:2:"));
    }
}
