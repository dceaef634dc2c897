//! Policy findings (`require-region`, `require-cert`): the first thing a compliance reader
//! looks for, so the page shows them above the matrix.

use super::{capped, word};
use crate::findings::Finding;

pub struct FindingView<'a> {
    pub high: bool,
    pub severity: String,
    pub kind: String,
    pub line: usize,
    pub vendor: &'a str,
    pub tenant: Option<&'a str>,
    pub region: Option<&'a str>,
    pub region_by: Option<&'a str>,
    pub required: String,
    pub missing: String,
    pub hosts: Vec<String>,
    pub hosts_more: usize,
    pub message: &'a str,
}

pub fn view(f: &Finding) -> FindingView<'_> {
    let severity = word(&f.severity);
    let (hosts, hosts_more) = capped(&f.hosts);
    FindingView {
        high: severity == "high",
        severity,
        kind: word(&f.kind),
        line: f.line,
        vendor: &f.vendor,
        tenant: f.tenant.as_deref(),
        region: f.region.as_deref(),
        region_by: f.region_by.as_deref(),
        required: f.required.join(", "),
        missing: f.missing.join(", "),
        hosts,
        hosts_more,
        message: &f.message,
    }
}
