//! The parts of the report the page shows as plain markup, drawn by the template (which
//! escapes every value it inserts) rather than by the script: policy findings, the vendors'
//! risk profiles and the tenants' regions, self-hosted help desks, and per host its identity
//! and per vendor the region, exposures and evidence chain. They are read rather than
//! filtered, and a reader who prints the page, or opens it with scripts off, still has them.
//!
//! Values are shown as the JSON report writes them (names are already in the presentation
//! form of `crate::escape` there), so a reader can search the report for what the page says.

use serde::Serialize;

use crate::report::Report;

mod evidence;
mod findings;
mod selfhosted;
mod vendors;

pub use evidence::HostView;
pub use findings::FindingView;
pub use selfhosted::SelfHostedView;
pub use vendors::{TenantView, VendorView};

/// Hosts listed under one finding or one self-hosted help desk: a finding of `require-cert`
/// names every host using the vendor (thousands on a large network); the JSON report has
/// them all.
const MAX_HOSTS_LISTED: usize = 32;

/// Everything the sections show.
pub struct Sections<'a> {
    pub findings: Vec<FindingView<'a>>,
    pub vendors: Vec<VendorView<'a>>,
    pub tenants: Vec<TenantView<'a>>,
    pub tenants_not_shown: usize,
    pub self_hosted: Vec<SelfHostedView<'a>>,
    pub hosts: Vec<HostView<'a>>,
    /// Host and vendor pairs past the evidence section's limit.
    pub pairs_not_shown: usize,
    pub pairs_shown: usize,
}

pub fn build<'a>(report: &'a Report<'a>) -> Sections<'a> {
    let (tenants, tenants_not_shown) = vendors::tenants(report);
    let (hosts, pairs_shown, pairs_not_shown) = evidence::hosts(report);
    Sections {
        findings: report.policy_findings.iter().map(findings::view).collect(),
        vendors: report.vendors.iter().map(vendors::view).collect(),
        tenants,
        tenants_not_shown,
        self_hosted: report.self_hosted.iter().map(selfhosted::view).collect(),
        hosts,
        pairs_not_shown,
        pairs_shown,
    }
}

/// A value as the JSON report writes it: an enum's name (`credentials_in_clear`, `A`), a
/// number, a time in RFC 3339; empty for null. Read through serde so the page says exactly
/// what the report says, whatever the Rust type.
fn word(v: &impl Serialize) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(serde_json::Value::Null) | Err(_) => String::new(),
        Ok(v) => v.to_string(),
    }
}

/// The first [`MAX_HOSTS_LISTED`] of a list, as text, and how many were left out.
fn capped<T: ToString>(items: &[T]) -> (Vec<String>, usize) {
    let shown = items
        .iter()
        .take(MAX_HOSTS_LISTED)
        .map(T::to_string)
        .collect();
    (shown, items.len().saturating_sub(MAX_HOSTS_LISTED))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_is_what_the_json_report_writes() {
        // The report's own spellings (CONTRACT.md): snake_case kinds, numbers, null.
        assert_eq!(
            word(&crate::exposure::ExposureKind::CredentialsInClear),
            "credentials_in_clear"
        );
        assert_eq!(word(&Some(443u16)), "443");
        assert_eq!(word(&None::<&str>), "");
    }

    #[test]
    fn long_host_lists_are_cut_and_counted() {
        let hosts: Vec<u32> = (0..40).collect();
        let (shown, more) = capped(&hosts);
        assert_eq!(
            (shown.len(), more),
            (MAX_HOSTS_LISTED, 40 - MAX_HOSTS_LISTED)
        );
        assert_eq!(shown.last().map(String::as_str), Some("31"));
        assert_eq!(
            capped(&hosts[..3]),
            (vec!["0".into(), "1".into(), "2".into()], 0)
        );
    }
}
