//! The two lists compiled in beside the vendors: encrypted DNS resolvers and ECH public
//! names, one `key = words` line per entry.

use hashbrown::HashMap;

use super::CatalogError;

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
