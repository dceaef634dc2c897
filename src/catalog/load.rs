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
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_line() {
        let e = parse_file(
            "x.vendor",
            "id = x\nname = X\ncategory = live_chat\ndomain = Bad_Domain strong\n",
        )
        .unwrap_err();
        assert_eq!(e.line, 4);
        assert!(e.to_string().starts_with("x.vendor:4:"), "{e}");
        let e = parse_file(
            "x.vendor",
            "id = x\nname = X\ncategory = live_chat\ndomain = a.example strng\n",
        )
        .unwrap_err();
        assert_eq!(e.line, 4);
        let e = parse_file(
            "x.vendor",
            "id = y\nname = X\ncategory = live_chat\ndomain = a.example strong\n",
        )
        .unwrap_err();
        assert!(e.msg.contains("file name"));
        let e = parse_file(
            "x.vendor",
            "id = x\nname = X\ncategory = chat\ndomain = a.example strong\n",
        )
        .unwrap_err();
        assert!(e.msg.contains("category"));
        let e = parse_file(
            "x.vendor",
            "id = x\nname = X\ncategory = live_chat\ndomain = com strong\n",
        )
        .unwrap_err();
        assert!(e.msg.contains("two or more labels"));
    }

    const HEAD: &str = "id = x\nname = X\ncategory = live_chat\ndomain = a.example strong\n";

    #[test]
    fn risk_keys_load_with_errors_naming_the_line() {
        let ok = parse_file(
            "x.vendor",
            &format!(
                "{HEAD}deployment = cloud\ncompany = X Corp\n\
                 region = eu *.eu.a.example source=https://a.example/regions\n\
                 region = au app.au.a.example source=https://a.example/regions\n\
                 regions_offered = us,eu,au source=https://a.example/regions read=2026-11-27\n\
                 cert = soc2_type2 source=https://a.example/trust read=2026-11-27\n\
                 cert = iso27001 source=https://a.example/trust read=2026-11-27\n\
                 incident = 2024-02-03 source=https://news.example/x read=2026-11-27 a thing happened\n\
                 source = https://a.example/\n"
            ),
        )
        .unwrap();
        let p = &ok.vendor.profile;
        assert_eq!(p.company.as_deref(), Some("X Corp"));
        assert_eq!(p.regions.len(), 2);
        assert_eq!(p.certs.len(), 2);
        assert_eq!(p.incidents[0].summary, "a thing happened");
        let line_of = |extra: &str| {
            parse_file("x.vendor", &format!("{HEAD}{extra}"))
                .unwrap_err()
                .to_string()
        };
        // Line 5 is the first line after HEAD.
        let e = line_of("cert = soc2 source=https://a.example/ read=2026-11-27\n");
        assert!(e.starts_with("x.vendor:5: unknown cert 'soc2'"), "{e}");
        let e = line_of("region = europe a.eu.a.example source=https://a.example/\n");
        assert!(e.starts_with("x.vendor:5: bad region code"), "{e}");
        let e = line_of("region = eu *.example source=https://a.example/\n");
        assert!(e.starts_with("x.vendor:5: bad region pattern"), "{e}");
        let e = line_of("cert = soc3 source=https://a.example/\n");
        assert!(e.starts_with("x.vendor:5: missing read="), "{e}");
        let e = line_of("region = eu a.eu.a.example\n");
        assert!(e.starts_with("x.vendor:5: missing source="), "{e}");
        let e = line_of("cert = soc3 source=https://a.example/ read=2026-11-27\ncompany = X\n");
        assert!(e.starts_with("x.vendor:6: 'company' out of order"), "{e}");
        let e = line_of("source = https://a.example/\ndomain = b.example strong\n");
        assert!(e.starts_with("x.vendor:6: 'domain' out of order"), "{e}");
        let e = line_of("company = X\ncompany = Y\n");
        assert!(e.starts_with("x.vendor:6: 'company' given twice"), "{e}");
        let e = line_of("deployment = cloud\ndeployment = self_hosted\n");
        assert!(e.starts_with("x.vendor:6: 'deployment' given twice"), "{e}");
        // Self-hosted: no domain needed; cloud: still required.
        let sh = parse_file(
            "x.vendor",
            "id = x\nname = X\ncategory = helpdesk_ticketing\ndeployment = self_hosted\nsource = https://x.example/\n",
        )
        .unwrap();
        assert_eq!(sh.vendor.profile.deployment, Deployment::SelfHosted);
        assert!(sh.rules.is_empty());
        let e = parse_file(
            "x.vendor",
            "id = x\nname = X\ncategory = helpdesk_ticketing\ndeployment = cloud\n",
        )
        .unwrap_err();
        assert!(e.msg.contains("no 'domain' lines"), "{e}");
    }

    fn domain_line(flags: &str) -> Result<VendorDef, CatalogError> {
        parse_file(
            "x.vendor",
            &format!("id = x\nname = X\ncategory = live_chat\n# c\ndomain = a.example {flags}\n"),
        )
    }

    #[test]
    fn role_parses_after_the_other_flags() {
        let r = &domain_line("strong exact role=end_user").unwrap().rules[0];
        assert_eq!(
            (r.exact, r.tenant, r.endpoint),
            (true, false, Some(Endpoint::EndUser))
        );
        let r = &domain_line("weak tenant role=tenant").unwrap().rules[0];
        assert_eq!(
            (r.strong, r.tenant, r.endpoint),
            (false, true, Some(Endpoint::Tenant))
        );
        for (w, e) in [
            ("agent", Endpoint::Agent),
            ("api", Endpoint::Api),
            ("shared", Endpoint::Shared),
        ] {
            let r = &domain_line(&format!("strong role={w}")).unwrap().rules[0];
            assert_eq!(r.endpoint, Some(e));
        }
        // No role word: the role is unknown, not a default.
        assert_eq!(domain_line("strong").unwrap().rules[0].endpoint, None);
    }

    #[test]
    fn bad_role_is_an_error_naming_the_line() {
        let e = domain_line("strong role=staff").unwrap_err();
        assert_eq!(e.line, 5);
        assert!(
            e.to_string()
                .starts_with("x.vendor:5: unknown role 'staff'"),
            "{e}"
        );
        assert!(
            e.msg.contains("agent, api, end_user, shared, tenant"),
            "{e}"
        );
        // Case matters as it does for the other words.
        assert_eq!(domain_line("strong role=Agent").unwrap_err().line, 5);
        assert_eq!(domain_line("strong role=").unwrap_err().line, 5);
        // Out of order or repeated: one way to write a line.
        for flags in [
            "strong role=api exact",
            "strong tenant exact",
            "strong role=api role=agent",
            "strong exact exact",
        ] {
            let e = domain_line(flags).unwrap_err();
            assert_eq!(e.line, 5, "{flags}");
            assert!(e.msg.contains("out of order"), "{flags}: {e}");
        }
    }
}
