//! `--csv`: the per-host-vendor table for spreadsheets, one row per host and vendor of the
//! report, in RFC 4180 form (CRLF line ends; a field with a comma, a double quote, CR or LF
//! is quoted, its quotes doubled). Names off the wire are already in presentation form
//! (`\DDD` for a control byte, see `escape`), so a quote or comma is all they can bring; they
//! are quoted all the same, as every field is, by the same rule.
//!
//! Hand-written rather than the `csv` crate: one fixed table of strings and numbers needs
//! only the quoting rule below, and a dependency for it would be more code than this file.

use crate::model::Field;
use crate::report::{Host, Report};
use crate::time::rfc3339;

/// The columns, in order; list-valued cells (tenants, hostnames) are joined by spaces, which
/// a name in presentation form never holds unescaped.
pub const HEADER: [&str; 13] = [
    "host",
    "host_name",
    "vendor",
    "product",
    "role",
    "sanctioned",
    "decided_by",
    "tenants",
    "hostnames",
    "first_seen",
    "last_seen",
    "events",
    "new_since_baseline",
];

/// The table of `report` as CSV text.
pub fn table(report: &Report<'_>) -> String {
    let mut out = String::new();
    row(&mut out, HEADER.iter().map(|h| h.to_string()));
    for h in &report.hosts {
        let host_name = host_name(h).unwrap_or_default();
        for v in &h.vendors {
            row(
                &mut out,
                [
                    h.ip.to_string(),
                    host_name.to_owned(),
                    v.vendor.to_owned(),
                    v.name.unwrap_or_default().to_owned(),
                    v.role.as_str().to_owned(),
                    v.sanctioned.to_string(),
                    v.decided_by.to_string(),
                    join(v.tenants.iter()),
                    join(v.hostnames.iter()),
                    rfc3339(v.first_seen.0),
                    rfc3339(v.last_seen.0),
                    v.events.to_string(),
                    // Empty without --baseline.
                    v.new_since_baseline
                        .map(|n| n.to_string())
                        .unwrap_or_default(),
                ]
                .into_iter(),
            );
        }
    }
    out
}

/// The host's device name last seen (DHCP, mDNS, NetBIOS, NTLM), if the report has one.
fn host_name<'a>(h: &Host<'a>) -> Option<&'a str> {
    h.identity
        .iter()
        .filter(|i| i.field == Field::Hostname)
        .max_by_key(|i| i.last_seen)
        .map(|i| i.value)
}

fn join<'a>(items: impl Iterator<Item = &'a String>) -> String {
    items.map(String::as_str).collect::<Vec<_>>().join(" ")
}

fn row(out: &mut String, cells: impl Iterator<Item = String>) {
    for (i, c) in cells.enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_field(out, &c);
    }
    out.push_str("\r\n");
}

/// One field, quoted when RFC 4180 §2 (6) requires it.
fn push_field(out: &mut String, f: &str) {
    if f.contains([',', '"', '\r', '\n']) {
        out.push('"');
        out.push_str(&f.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(f);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_as_rfc_4180_says() {
        let mut s = String::new();
        row(
            &mut s,
            ["plain", "a,b", "say \"hi\"", "two\nlines", ""]
                .iter()
                .map(|c| c.to_string()),
        );
        assert_eq!(s, "plain,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",\r\n");
    }
}
