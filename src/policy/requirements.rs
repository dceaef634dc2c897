//! `require-region` and `require-cert`: read with the rest of the policy file; the findings
//! they produce are judged in the report stage (`findings`).

use crate::catalog::risk::{CERTS, REGION_CODES};

/// `require-region` and `require-cert` statements of a policy file.
#[derive(Clone, Debug, Default)]
pub struct Requirements {
    /// (vendor id, or None for `*`; allowed region codes; policy line)
    regions: Vec<(Option<String>, Vec<String>, usize)>,
    /// (only unsanctioned vendors; required certs; policy line)
    pub(crate) certs: Vec<(bool, Vec<String>, usize)>,
}

fn list(s: &str) -> Vec<&str> {
    s.split([',', ' ', '\t'])
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .collect()
}

impl Requirements {
    /// `require-region CODE[,CODE...] for VENDOR[, VENDOR...]|*`; `resolve` turns what the
    /// user wrote into a catalog id (or an error naming the vendor).
    pub fn parse_region(
        &mut self,
        rest: &str,
        line: usize,
        resolve: impl Fn(&str) -> Result<String, String>,
    ) -> Result<(), String> {
        let usage = "expected 'require-region CODE[,CODE...] for VENDOR[, ...]|*' (e.g. 'require-region eu for zendesk')";
        let Some((codes, vendors)) = rest.split_once(" for ") else {
            return Err(usage.into());
        };
        let codes = list(codes);
        let vendors = list(vendors);
        if codes.is_empty() || vendors.is_empty() {
            return Err(usage.into());
        }
        for c in &codes {
            if !REGION_CODES.contains(c) {
                return Err(format!(
                    "unknown region '{c}' (one of {})",
                    REGION_CODES.join(", ")
                ));
            }
        }
        let codes: Vec<String> = codes.into_iter().map(str::to_owned).collect();
        for v in vendors {
            let id = if v == "*" { None } else { Some(resolve(v)?) };
            self.regions.push((id, codes.clone(), line));
        }
        Ok(())
    }

    /// `require-cert CERT[,CERT...] [for unsanctioned|for *]`.
    pub fn parse_cert(&mut self, rest: &str, line: usize) -> Result<(), String> {
        let (certs, scope) = match rest.split_once(" for ") {
            Some((c, s)) => (c, Some(s.trim())),
            None => (rest, None),
        };
        let only_unsanctioned = match scope {
            None | Some("*") => false,
            Some("unsanctioned") => true,
            Some(other) => {
                return Err(format!(
                    "require-cert applies 'for unsanctioned' or 'for *', not '{other}'"
                ))
            }
        };
        let certs = list(certs);
        if certs.is_empty() {
            return Err("expected 'require-cert CERT[,CERT...] [for unsanctioned|for *]'".into());
        }
        for c in &certs {
            if !CERTS.contains(c) {
                return Err(format!("unknown cert '{c}' (one of {})", CERTS.join(", ")));
            }
        }
        self.certs.push((
            only_unsanctioned,
            certs.into_iter().map(str::to_owned).collect(),
            line,
        ));
        Ok(())
    }

    /// The regions allowed for `vendor` and the line that says so: a statement naming the
    /// vendor wins over `for *`; among those, the first line.
    pub fn regions_for(&self, vendor: &str) -> Option<(&[String], usize)> {
        let named = self
            .regions
            .iter()
            .find(|(v, _, _)| v.as_deref() == Some(vendor));
        named
            .or_else(|| self.regions.iter().find(|(v, _, _)| v.is_none()))
            .map(|(_, c, l)| (c.as_slice(), *l))
    }

    /// Whether `region` is allowed for `vendor`: None when nothing requires a region of it
    /// or the region is unknown (unknown is never a violation).
    pub fn region_ok(&self, vendor: &str, region: Option<&str>) -> Option<bool> {
        let (codes, _) = self.regions_for(vendor)?;
        region.map(|r| codes.iter().any(|c| c == r))
    }
}

#[cfg(test)]
mod tests;
