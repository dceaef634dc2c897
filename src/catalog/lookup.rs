//! Building the catalog from vendor definitions (checks across files, `--fingerprints`
//! overrides) and the one lookup every name goes through.

use super::{builtin, parse_file, Catalog, CatalogError, Match, Rule, Vendor, VendorDef};

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
