//! Reading vendor files. Every problem is an error naming the file and line: a catalog that
//! loads half is worse than one that refuses to load.

use std::fmt;
use std::path::Path;

use super::risk::{self, Deployment, Profile};
use super::{Endpoint, Rule, Vendor, VendorDef};

/// Rank of a key in the order a file gives them: the header keys (any order among
/// themselves), the `domain` lines, the risk keys in [`risk::KEYS`] order, the `source` lines.
fn rank(key: &str) -> Option<usize> {
    match key {
        "id" | "name" | "product" | "category" | "alias" => Some(0),
        "domain" => Some(1),
        "source" => Some(2 + risk::KEYS.len()),
        _ => risk::KEYS.iter().position(|k| *k == key).map(|i| 2 + i),
    }
}

/// Keys a file gives at most once.
const ONCE: &[&str] = &["deployment", "company", "regions_offered"];

pub const CATEGORIES: &[&str] = &[
    "helpdesk_ticketing",
    "customer_service_platform",
    "live_chat",
    "knowledge_base",
    "messaging_chatbot",
    "ccaas",
    "feedback_survey",
    "community_forum",
    "customer_success",
];

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CatalogError {
    pub file: String,
    /// 1-based; 0 when the error concerns the file as a whole.
    pub line: usize,
    pub msg: String,
}

impl CatalogError {
    pub fn new(file: &str, line: usize, msg: String) -> CatalogError {
        CatalogError {
            file: file.to_owned(),
            line,
            msg,
        }
    }
}

impl fmt::Display for CatalogError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line > 0 {
            write!(f, "{}:{}: {}", self.file, self.line, self.msg)
        } else {
            write!(f, "{}: {}", self.file, self.msg)
        }
    }
}

impl std::error::Error for CatalogError {}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn valid_pattern(p: &str) -> bool {
    let labels: Vec<&str> = p.split('.').collect();
    labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        })
}

/// Parses one vendor file. `name` is used in errors and must be `<id>.vendor` (any folder).
pub fn parse_file(name: &str, text: &str) -> Result<VendorDef, CatalogError> {
    let err = |line: usize, msg: String| CatalogError::new(name, line, msg);
    let mut v = Vendor {
        id: String::new(),
        name: String::new(),
        product: String::new(),
        category: String::new(),
        aliases: Vec::new(),
        origin: name.to_owned(),
        profile: Profile::default(),
    };
    let mut rules = Vec::new();
    let mut at_rank = 0;
    let mut seen_once: Vec<&str> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            return Err(err(n, format!("expected 'key = value', found '{line}'")));
        };
        let (key, value) = (key.trim(), value.trim());
        if let Some(r) = rank(key) {
            if r < at_rank {
                return Err(err(
                    n,
                    format!(
                        "'{key}' out of order: header keys, domain, {}, then source",
                        risk::KEYS.join(", ")
                    ),
                ));
            }
            at_rank = r;
        }
        if let Some(k) = ONCE.iter().find(|k| **k == key) {
            if seen_once.contains(k) {
                return Err(err(n, format!("'{key}' given twice")));
            }
            seen_once.push(k);
        }
        if risk::KEYS.contains(&key) {
            risk::parse_key(&mut v.profile, key, value).map_err(|m| err(n, m))?;
            continue;
        }
        let slot = match key {
            "id" => &mut v.id,
            "name" => &mut v.name,
            "product" => &mut v.product,
            "category" => &mut v.category,
            "source" => continue,
            "alias" => {
                for a in value.split(',').map(str::trim).filter(|a| !a.is_empty()) {
                    if !a
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                    {
                        return Err(err(
                            n,
                            format!("bad alias '{a}': lower-case letters, digits and '-' only"),
                        ));
                    }
                    v.aliases.push(a.to_owned());
                }
                continue;
            }
            "domain" => {
                rules.push(parse_domain(value).map_err(|m| err(n, m))?);
                continue;
            }
            _ => return Err(err(n, format!("unknown key '{key}'"))),
        };
        if !slot.is_empty() {
            return Err(err(n, format!("'{key}' given twice")));
        }
        *slot = value.to_owned();
    }
    if !valid_id(&v.id) {
        return Err(err(
            0,
            format!("missing or invalid id '{}' (use [a-z0-9-])", v.id),
        ));
    }
    let stem = Path::new(name)
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("");
    if stem != v.id {
        return Err(err(
            0,
            format!("id '{}' does not match the file name", v.id),
        ));
    }
    if v.name.is_empty() {
        return Err(err(0, "missing 'name'".into()));
    }
    if !CATEGORIES.contains(&v.category.as_str()) {
        return Err(err(
            0,
            format!(
                "category '{}' is not one of {}",
                v.category,
                CATEGORIES.join(", ")
            ),
        ));
    }
    // A self-hosted product runs on the customer's own names: it is found by its HTTP and
    // certificate signatures, so it may have no domain of its own.
    if rules.is_empty() && v.profile.deployment != Deployment::SelfHosted {
        return Err(err(0, "no 'domain' lines".into()));
    }
    Ok(VendorDef { vendor: v, rules })
}

fn parse_domain(value: &str) -> Result<Rule, String> {
    let mut words = value.split_whitespace();
    let pattern = words.next().unwrap_or("").to_owned();
    if !valid_pattern(&pattern) {
        return Err(format!(
            "'{pattern}' is not a lower-case domain of two or more labels"
        ));
    }
    let strong = match words.next() {
        Some("strong") => true,
        Some("weak") => false,
        other => {
            return Err(format!(
                "expected 'strong' or 'weak' after the domain, found {other:?}"
            ))
        }
    };
    let mut rule = Rule {
        pattern,
        strong,
        exact: false,
        tenant: false,
        endpoint: None,
    };
    // The optional words have a fixed order (`exact`, `tenant`, `role=`), each at most once, so
    // a line reads one way only.
    let mut rank = 0;
    for w in words {
        let r = if w == "exact" {
            rule.exact = true;
            1
        } else if w == "tenant" {
            rule.tenant = true;
            2
        } else if let Some(role) = w.strip_prefix("role=") {
            rule.endpoint = Some(Endpoint::parse(role).ok_or_else(|| {
                format!(
                    "unknown role '{role}' (one of {})",
                    Endpoint::ALL.map(Endpoint::as_str).join(", ")
                )
            })?);
            3
        } else {
            return Err(format!(
                "unknown domain flag '{w}' (exact, tenant, role=<role>)"
            ));
        };
        if r <= rank {
            return Err(format!(
                "domain flag '{w}' repeated or out of order (exact, tenant, role=<role>)"
            ));
        }
        rank = r;
    }
    Ok(rule)
}

/// Reads every `*.vendor` file of a folder, in name order.
pub fn load_dir(dir: &Path) -> Result<Vec<VendorDef>, CatalogError> {
    let shown = dir.display().to_string();
    let rd = std::fs::read_dir(dir)
        .map_err(|e| CatalogError::new(&shown, 0, format!("cannot read folder: {e}")))?;
    let mut paths: Vec<_> = rd
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "vendor"))
        .collect();
    paths.sort();
    // A folder that holds none of the data files is a mistake worth naming (a wrong path).
    let lists = ["encrypted-dns.resolvers", "ech.public-names"];
    if paths.is_empty() && !lists.iter().any(|f| dir.join(f).is_file()) {
        return Err(CatalogError::new(
            &shown,
            0,
            "no *.vendor, encrypted-dns.resolvers or ech.public-names files in this folder".into(),
        ));
    }
    let mut defs = Vec::new();
    for p in paths {
        let shown = p.display().to_string();
        let text =
            std::fs::read_to_string(&p).map_err(|e| CatalogError::new(&shown, 0, e.to_string()))?;
        defs.push(parse_file(&shown, &text)?);
    }
    Ok(defs)
}

#[cfg(test)]
mod tests;
