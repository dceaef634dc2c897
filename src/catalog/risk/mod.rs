//! The vendor risk profile of a catalog file (issue 16): how the product is deployed, the
//! company behind it, which hostnames put a tenant's data in which region, the regions it
//! offers, the certifications its own pages state and publicly reported incidents. Every
//! fact carries the URL it was read from, so a reader can check it and see how old it is.

use serde::Serialize;

/// Region codes a `region` or `regions_offered` line may use. `apac` only where a vendor
/// itself names no more than "APAC": a finer code would claim more than the source says.
pub const REGION_CODES: &[&str] = &[
    "us", "eu", "uk", "ca", "au", "in", "jp", "sg", "br", "ae", "de", "ch", "kr", "sa", "za", "cn",
    "apac",
];

/// Certifications and attestations a `cert` line may name (and `require-cert` may ask for).
pub const CERTS: &[&str] = &[
    "soc2_type2",
    "soc2_type1",
    "soc3",
    "iso27001",
    "iso27017",
    "iso27018",
    "iso27701",
    "hipaa",
    "pci_dss",
    "gdpr_dpa",
    "fedramp",
    "hitrust",
    "csa_star",
    "tisax",
    "c5",
    "irap",
];

/// Where the product runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Deployment {
    /// The vendor hosts every tenant.
    #[default]
    Cloud,
    /// Software the customer runs on its own servers.
    SelfHosted,
}

impl Deployment {
    pub fn as_str(self) -> &'static str {
        match self {
            Deployment::Cloud => "cloud",
            Deployment::SelfHosted => "self_hosted",
        }
    }
}

/// `region = <code> <pattern> source=<url>`: names matching `pattern` put the tenant's data
/// in `code`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct RegionRule {
    pub code: String,
    pub pattern: String,
    pub source: String,
}

/// `regions_offered = <code>,... source=<url> read=<date>`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct RegionsOffered {
    pub codes: Vec<String>,
    /// The date the source was read (YYYY-MM-DD).
    pub read: String,
    pub source: String,
}

/// `cert = <cert> source=<url> read=<date>`: what the vendor's trust or security page states.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Cert {
    pub cert: String,
    pub read: String,
    pub source: String,
}

/// `incident = <date> source=<url> read=<date> <summary>`: a publicly reported incident.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Incident {
    /// YYYY-MM-DD, or YYYY-MM when the report gives only the month.
    pub date: String,
    pub read: String,
    pub source: String,
    pub summary: String,
}

/// Everything the new keys of a vendor file say.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Profile {
    pub deployment: Deployment,
    /// The company behind the product, when it differs from the vendor's name.
    pub company: Option<String>,
    /// In file order: the first rule that matches wins.
    pub regions: Vec<RegionRule>,
    pub regions_offered: Option<RegionsOffered>,
    pub certs: Vec<Cert>,
    pub incidents: Vec<Incident>,
}

impl Profile {
    /// The first region rule (in file order) that one of `names` matches: the region and
    /// the pattern that said so. Runs in the report stage over a tenant's few distinct
    /// names, never per packet.
    pub fn region_of<'a, I>(&self, names: I) -> Option<&RegionRule>
    where
        I: IntoIterator<Item = &'a str> + Clone,
    {
        self.regions.iter().find(|r| {
            names
                .clone()
                .into_iter()
                .any(|n| pattern_matches(&r.pattern, n))
        })
    }

    pub fn has_cert(&self, cert: &str) -> bool {
        self.certs.iter().any(|c| c.cert == cert)
    }
}

/// The keys this module reads, in the order a file must give them (after the `domain` lines,
/// before the `source` lines).
pub const KEYS: &[&str] = &[
    "deployment",
    "company",
    "region",
    "regions_offered",
    "cert",
    "incident",
];

/// Reads one line of a risk key into `p`. Errors are messages; the caller adds file and line.
pub fn parse_key(p: &mut Profile, key: &str, value: &str) -> Result<(), String> {
    if value.contains('#') {
        return Err(format!(
            "'{key}' value holds '#': comments go on a line of their own"
        ));
    }
    match key {
        "deployment" => {
            p.deployment = match value {
                "cloud" => Deployment::Cloud,
                "self_hosted" => Deployment::SelfHosted,
                _ => return Err(format!("deployment '{value}' is not cloud or self_hosted")),
            };
        }
        "company" => {
            if value.is_empty() {
                return Err("'company' is empty".into());
            }
            p.company = Some(value.to_owned());
        }
        "region" => {
            let (words, attrs) = split_attrs(value, &["source"])?;
            let [code, pattern] = words[..] else {
                return Err("expected 'region = <code> <pattern> source=<url>'".into());
            };
            check_code(code)?;
            check_region_pattern(pattern)?;
            p.regions.push(RegionRule {
                code: code.to_owned(),
                pattern: pattern.to_owned(),
                source: attrs[0].clone(),
            });
        }
        "regions_offered" => {
            let (words, attrs) = split_attrs(value, &["source", "read"])?;
            let [list] = words[..] else {
                return Err(
                    "expected 'regions_offered = <code>,<code>,... source=<url> read=<date>' (no spaces in the list)".into(),
                );
            };
            let mut codes = Vec::new();
            for c in list.split(',') {
                check_code(c)?;
                if codes.iter().any(|x| x == c) {
                    return Err(format!("region '{c}' listed twice"));
                }
                codes.push(c.to_owned());
            }
            let [source, read] = <[String; 2]>::try_from(attrs).unwrap_or_default();
            p.regions_offered = Some(RegionsOffered {
                codes,
                read,
                source,
            });
        }
        "cert" => {
            let (words, attrs) = split_attrs(value, &["source", "read"])?;
            let [cert] = words[..] else {
                return Err("expected 'cert = <cert> source=<url> read=<date>'".into());
            };
            if !CERTS.contains(&cert) {
                return Err(format!(
                    "unknown cert '{cert}' (one of {})",
                    CERTS.join(", ")
                ));
            }
            if p.has_cert(cert) {
                return Err(format!("cert '{cert}' given twice"));
            }
            let [source, read] = <[String; 2]>::try_from(attrs).unwrap_or_default();
            p.certs.push(Cert {
                cert: cert.to_owned(),
                read,
                source,
            });
        }
        "incident" => {
            let mut it = value.splitn(4, char::is_whitespace);
            let date = it.next().unwrap_or("");
            check_date(date, true).map_err(|m| format!("incident date: {m}"))?;
            let (src, read) = (it.next().unwrap_or(""), it.next().unwrap_or(""));
            let summary = it.next().unwrap_or("").trim();
            let head = format!("{src} {read}");
            let (_, attrs) = split_attrs(&head, &["source", "read"]).map_err(|m| {
                format!("{m} (expected 'incident = <date> source=<url> read=<date> <summary>')")
            })?;
            if summary.is_empty() {
                return Err("incident has no summary after read=<date>".into());
            }
            let [source, read] = <[String; 2]>::try_from(attrs).unwrap_or_default();
            p.incidents.push(Incident {
                date: date.to_owned(),
                read,
                source,
                summary: summary.to_owned(),
            });
        }
        _ => return Err(format!("unknown key '{key}'")),
    }
    Ok(())
}

/// Splits `value` into its leading words and the `name=value` attributes `want`, which must
/// all be present, in that order, after the words, each once.
fn split_attrs<'v>(value: &'v str, want: &[&str]) -> Result<(Vec<&'v str>, Vec<String>), String> {
    let mut words = Vec::new();
    let mut attrs: Vec<String> = Vec::new();
    for w in value.split_whitespace() {
        match w.split_once('=') {
            Some((k, v)) => {
                let Some(&expect) = want.get(attrs.len()) else {
                    return Err(format!(
                        "unexpected '{w}' (only {})",
                        want.join("=, ") + "="
                    ));
                };
                if k != expect {
                    return Err(format!(
                        "expected '{expect}=' here, found '{k}=' ({} in that order)",
                        want.join("=, ") + "="
                    ));
                }
                match k {
                    "source" => check_url(v)?,
                    "read" => check_date(v, false).map_err(|m| format!("read=: {m}"))?,
                    _ => {}
                }
                attrs.push(v.to_owned());
            }
            None if attrs.is_empty() => words.push(w),
            None => return Err(format!("'{w}' after {}=", want[attrs.len() - 1])),
        }
    }
    if attrs.len() < want.len() {
        return Err(format!("missing {}=", want[attrs.len()]));
    }
    Ok((words, attrs))
}

fn check_url(u: &str) -> Result<(), String> {
    let rest = u
        .strip_prefix("https://")
        .or_else(|| u.strip_prefix("http://"));
    match rest {
        Some(r) if r.len() > 3 && r.contains('.') => Ok(()),
        _ => Err(format!("source '{u}' is not an http(s) URL")),
    }
}

/// `YYYY-MM-DD`, or `YYYY-MM` when `month_ok`.
fn check_date(d: &str, month_ok: bool) -> Result<(), String> {
    let parts: Vec<&str> = d.split('-').collect();
    let num = |s: &str, n: usize, lo: u32, hi: u32| {
        s.len() == n
            && s.bytes().all(|b| b.is_ascii_digit())
            && s.parse::<u32>().is_ok_and(|v| (lo..=hi).contains(&v))
    };
    let ok = match parts[..] {
        [y, m, day] => num(y, 4, 1990, 2100) && num(m, 2, 1, 12) && num(day, 2, 1, 31),
        [y, m] if month_ok => num(y, 4, 1990, 2100) && num(m, 2, 1, 12),
        _ => false,
    };
    if ok {
        Ok(())
    } else if month_ok {
        Err(format!("'{d}' is not YYYY-MM-DD or YYYY-MM"))
    } else {
        Err(format!("'{d}' is not YYYY-MM-DD"))
    }
}

fn check_code(c: &str) -> Result<(), String> {
    if REGION_CODES.contains(&c) {
        Ok(())
    } else {
        Err(format!(
            "bad region code '{c}' (one of {})",
            REGION_CODES.join(", ")
        ))
    }
}

/// A region pattern: two or more lower-case labels of `[a-z0-9_-]`, where the first label may
/// be `*` alone (one or more labels) and any label may hold `*` (a run within the label).
/// The last two labels hold no `*`: a pattern must name the vendor's domain, not any domain.
pub fn check_region_pattern(p: &str) -> Result<(), String> {
    let bad = || {
        format!(
            "bad region pattern '{p}': lower-case labels of [a-z0-9_-], '*' as a whole first label or inside a label, the last two labels without '*'"
        )
    };
    let labels: Vec<&str> = p.split('.').collect();
    if labels.len() < 2 || p.len() > 253 {
        return Err(bad());
    }
    let n = labels.len();
    for (i, l) in labels.iter().enumerate() {
        let ok = !l.is_empty()
            && l.len() <= 63
            && l.bytes().all(|b| {
                b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_' || b == b'*'
            })
            && !(i >= n - 2 && l.contains('*'))
            && !(i > 0 && *l == "*")
            && !l.contains("**");
        if !ok {
            return Err(bad());
        }
    }
    if labels[0] == "*" && n < 3 {
        return Err(bad());
    }
    Ok(())
}

/// Whether a (lower-case, no trailing dot) hostname matches a region pattern.
pub fn pattern_matches(pattern: &str, host: &str) -> bool {
    let host = host.strip_suffix('.').unwrap_or(host);
    if let Some(rest) = pattern.strip_prefix("*.") {
        // One or more labels, then the rest label by label.
        let want = rest.split('.').count();
        let labels: Vec<&str> = host.split('.').collect();
        if labels.len() <= want {
            return false;
        }
        let tail = &labels[labels.len() - want..];
        return rest.split('.').zip(tail).all(|(p, h)| label_matches(p, h));
    }
    let (mut p, mut h) = (pattern.split('.'), host.split('.'));
    loop {
        match (p.next(), h.next()) {
            (None, None) => return true,
            (Some(pl), Some(hl)) if label_matches(pl, hl) => {}
            _ => return false,
        }
    }
}

/// One label against a pattern label where `*` is any run (possibly empty) of `[a-z0-9-]`.
fn label_matches(pat: &str, label: &str) -> bool {
    let label = label.as_bytes();
    let pieces: Vec<&str> = pat.split('*').collect();
    if pieces.len() == 1 {
        return pat.as_bytes().eq_ignore_ascii_case(label);
    }
    let (first, last) = (pieces[0].as_bytes(), pieces[pieces.len() - 1].as_bytes());
    if label.len() < first.len() + last.len()
        || !label[..first.len()].eq_ignore_ascii_case(first)
        || !label[label.len() - last.len()..].eq_ignore_ascii_case(last)
    {
        return false;
    }
    let mut at = first.len();
    let end = label.len() - last.len();
    let mut free_ok = true;
    let check_run = |run: &[u8]| run.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'-');
    for mid in &pieces[1..pieces.len() - 1] {
        let mid = mid.as_bytes();
        let Some(pos) = label[at..end]
            .windows(mid.len().max(1))
            .position(|w| w.eq_ignore_ascii_case(mid))
        else {
            return false;
        };
        free_ok &= check_run(&label[at..at + pos]);
        at += pos + mid.len();
    }
    free_ok && check_run(&label[at..end])
}

#[cfg(test)]
mod tests;
