//! Output: where events and the report go ([`Sink`], [`write_report`]), and the human
//! summary. What an event or the report holds is typed in [`crate::event`] and
//! [`crate::report`].

use std::io::{self, BufWriter, Write};

use crate::catalog::risk::{Cert, Incident, RegionRule, RegionsOffered};
use crate::catalog::{Deployment, Endpoint, Rule, Vendor};
use crate::event::Strength;
use crate::report::Report;

mod args;
mod summary;
pub use args::OutputArgs;
pub use summary::{summary, summary_with, Look};

/// One line of `vendors --json`: a vendor of the catalog and its domain patterns. Fields in
/// the order of their names, as this listing has always been written.
#[derive(Debug, serde::Serialize)]
pub struct VendorListing<'a> {
    pub category: &'a str,
    /// What the vendor's own trust or security pages state, each with its source and the
    /// date it was read.
    pub certs: &'a [Cert],
    /// The company behind the product, when it differs from `name`; else null.
    pub company: Option<&'a str>,
    /// Where the vendor runs: `cloud` (the vendor hosts every tenant) or `self_hosted`
    /// (software the customer runs).
    pub deployment: Deployment,
    pub domains: Vec<DomainRule<'a>>,
    pub id: &'a str,
    /// Publicly reported security incidents.
    pub incidents: &'a [Incident],
    pub name: &'a str,
    pub product: &'a str,
    /// Names matching `pattern` put the tenant's data in `code`; the first matching rule wins.
    pub regions: &'a [RegionRule],
    /// The data-residency regions the vendor offers; null when no source was read.
    pub regions_offered: Option<&'a RegionsOffered>,
}

/// The risk profile of `shadowdesk vendors` (text), indented under the vendor's line: only
/// what the catalog states, each fact with its source and read date; nothing for a cloud
/// vendor without facts, so the list stays one line per vendor until the data lands.
pub fn vendor_profile_lines(p: &crate::catalog::Profile) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let pad = "    ";
    if p.deployment != Deployment::Cloud {
        let _ = writeln!(s, "{pad}deployment: {}", p.deployment.as_str());
    }
    if let Some(c) = &p.company {
        let _ = writeln!(s, "{pad}company: {c}");
    }
    for r in &p.regions {
        let _ = writeln!(s, "{pad}region {}: {}  ({})", r.code, r.pattern, r.source);
    }
    if let Some(o) = &p.regions_offered {
        let _ = writeln!(
            s,
            "{pad}regions offered: {}  ({}, read {})",
            o.codes.join(","),
            o.source,
            o.read
        );
    }
    for c in &p.certs {
        let _ = writeln!(s, "{pad}cert {}  ({}, read {})", c.cert, c.source, c.read);
    }
    for i in &p.incidents {
        let _ = writeln!(
            s,
            "{pad}incident {}: {}  ({}, read {})",
            i.date, i.summary, i.source, i.read
        );
    }
    s
}

/// One domain pattern of a vendor.
#[derive(Debug, serde::Serialize)]
pub struct DomainRule<'a> {
    /// The pattern matches that name only, not names under it.
    pub exact: bool,
    pub pattern: &'a str,
    /// What the host serves (`agent`, `api`, `end_user`, `shared`, `tenant`); null when the
    /// catalog does not say.
    pub role: Option<Endpoint>,
    pub strength: Strength,
    /// The label left of the pattern is the customer's account (`acme` in `acme.zendesk.com`).
    pub tenant: bool,
}

impl<'a> VendorListing<'a> {
    pub fn new(v: &'a Vendor, rules: &[&'a Rule]) -> VendorListing<'a> {
        VendorListing {
            category: &v.category,
            certs: &v.profile.certs,
            company: v.profile.company.as_deref(),
            deployment: v.profile.deployment,
            incidents: &v.profile.incidents,
            regions: &v.profile.regions,
            regions_offered: v.profile.regions_offered.as_ref(),
            domains: rules
                .iter()
                .map(|r| DomainRule {
                    exact: r.exact,
                    pattern: &r.pattern,
                    role: r.endpoint,
                    strength: Strength::of(r.strong),
                    tenant: r.tenant,
                })
                .collect(),
            id: &v.id,
            name: &v.name,
            product: &v.product,
        }
    }
}

/// A line-oriented sink that treats a closed pipe (`| head`) as the reader being done, not
/// as an error.
pub struct Sink {
    out: Option<Box<dyn Write + Send>>,
    flush_lines: bool,
}

impl Sink {
    /// `-` is standard output. `append` keeps what a file holds (live capture: a restart or
    /// a log rotation never clobbers events); `flush_lines` flushes after every line, so a
    /// shipper tailing the file sees each event as soon as it is known.
    pub fn create(path: &str, append: bool, flush_lines: bool) -> io::Result<Sink> {
        let out: Box<dyn Write + Send> = if path == "-" {
            Box::new(BufWriter::with_capacity(1 << 16, io::stdout()))
        } else {
            let f = std::fs::OpenOptions::new()
                .create(true)
                .write(true)
                .append(append)
                .truncate(!append)
                .open(path)?;
            Box::new(BufWriter::with_capacity(1 << 16, f))
        };
        Ok(Sink {
            out: Some(out),
            flush_lines,
        })
    }

    /// Writes one line (the newline is added).
    pub fn write_line(&mut self, line: &[u8]) -> io::Result<()> {
        let Some(out) = self.out.as_mut() else {
            return Ok(());
        };
        let mut r = out.write_all(line).and_then(|_| out.write_all(b"\n"));
        if self.flush_lines && r.is_ok() {
            r = out.flush();
        }
        self.check(r)
    }

    pub fn flush(&mut self) -> io::Result<()> {
        let r = match self.out.as_mut() {
            Some(o) => o.flush(),
            None => Ok(()),
        };
        self.check(r)
    }

    fn check(&mut self, r: io::Result<()>) -> io::Result<()> {
        match r {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                self.out = None;
                Ok(())
            }
            other => other,
        }
    }
}

/// Writes the report in one piece: see [`crate::outfile`] for where the bytes go (standard
/// output for `-`, into a device or FIFO in place, else a temporary file renamed over the
/// target), so a reader never sees half a report.
pub fn write_report(path: &str, report: &Report<'_>) -> io::Result<()> {
    // Streamed (Report::write_to), not held whole: a 38 MB report as one Vec cost 64 MiB more
    // at the run's peak (the `http-headers` flood at 32k clients).
    crate::outfile::write_whole_with(path, |w| report.write_to(w))
}

/// Writes text to standard output and flushes it, so a full disk (`> /dev/full`) is an error
/// (exit status 2) rather than lost at exit. A closed pipe (`| head`) is not an error: the
/// reader has what it wanted. The error reads "standard output: REASON".
pub fn write_stdout(text: &str) -> Result<(), String> {
    let mut out = io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(format!("standard output: {e}")),
        _ => Ok(()),
    }
}
