//! Configuration: the catalog, the resolver and ECH lists, the policy, the filters, and the
//! lines that name them in the summary and the report's `meta`.

use crate::catalog::{self, Catalog, EchFronts, Resolvers};
use crate::cli::CommonArgs;
use crate::filter::{self};
use crate::policy::Policy;
use crate::report::{Filters, PolicyFile, RunInfo};
use sha2::Digest as _;

use super::Fatal;

pub(super) fn load_catalog(dir: Option<&std::path::Path>) -> Result<Catalog, Fatal> {
    let builtin = Catalog::builtin().map_err(|e| Fatal(format!("built-in catalog: {e}")))?;
    match dir {
        None => Ok(builtin),
        Some(d) => {
            let extra = catalog::load_dir(d).map_err(|e| Fatal(format!("fingerprints: {e}")))?;
            builtin
                .with_overrides(extra)
                .map_err(|e| Fatal(format!("fingerprints: {e}")))
        }
    }
}

/// The built-in resolver and ECH public-name lists, plus those of a `--fingerprints` folder
/// (`encrypted-dns.resolvers`, `ech.public-names`), when it has them.
pub(super) fn load_lists(dir: Option<&std::path::Path>) -> Result<(Resolvers, EchFronts), Fatal> {
    let mut resolvers =
        Resolvers::builtin().map_err(|e| Fatal(format!("built-in resolver list: {e}")))?;
    let mut fronts =
        EchFronts::builtin().map_err(|e| Fatal(format!("built-in ECH public names: {e}")))?;
    let Some(dir) = dir else {
        return Ok((resolvers, fronts));
    };
    let read = |name: &str| -> Result<Option<(String, String)>, Fatal> {
        let p = dir.join(name);
        let shown = p.display().to_string();
        match std::fs::read_to_string(&p) {
            Ok(text) => Ok(Some((shown, text))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Fatal(format!("fingerprints: {shown}: {e}"))),
        }
    };
    let bad = |e: catalog::CatalogError| Fatal(format!("fingerprints: {e}"));
    if let Some((shown, text)) = read("encrypted-dns.resolvers")? {
        resolvers.extend(Resolvers::parse(&shown, &text).map_err(bad)?);
    }
    if let Some((shown, text)) = read("ech.public-names")? {
        fronts.extend(EchFronts::parse(&shown, &text).map_err(bad)?);
    }
    Ok((resolvers, fronts))
}

/// The policy of `--policy` and `--sanctioned`, and the file's path and digest for the
/// report's `meta` (taken from the one read: a FIFO or /dev/stdin is read once).
pub(super) fn load_policy(
    c: &CommonArgs,
    catalog: &Catalog,
) -> Result<(Policy, Option<PolicyFile>), Fatal> {
    let (mut policy, file) = match &c.policy {
        None => (Policy::default(), None),
        Some(p) => {
            let shown = p.display().to_string();
            let bytes = std::fs::read(p).map_err(|e| Fatal(format!("policy file {shown}: {e}")))?;
            let text = String::from_utf8(bytes)
                .map_err(|e| Fatal(format!("policy file {shown}: not UTF-8: {e}")))?;
            let policy = Policy::parse(&shown, &text, catalog).map_err(Fatal)?;
            let sha256 = sha2::Sha256::digest(text.as_bytes())
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            (
                policy,
                Some(PolicyFile {
                    path: shown,
                    sha256,
                }),
            )
        }
    };
    for s in &c.sanctioned {
        policy
            .allow_everywhere(s, catalog)
            .map_err(|e| Fatal(format!("--sanctioned: {e}")))?;
    }
    Ok((policy, file))
}

/// The summary's line naming the policy that applied.
pub(super) fn policy_line(run: &RunInfo) -> String {
    let flag = match run.sanctioned.is_empty() {
        true => String::new(),
        false => format!("--sanctioned {}", run.sanctioned.join(",")),
    };
    match (&run.policy, flag.is_empty()) {
        (Some(f), true) => format!("policy: {} (sha256 {:.12})\n", f.path, f.sha256),
        (Some(f), false) => format!("policy: {} (sha256 {:.12}) and {flag}\n", f.path, f.sha256),
        (None, false) => format!("policy: {flag} (no policy file)\n"),
        (None, true) => {
            "policy: none (no --policy or --sanctioned: no vendor is sanctioned)\n".to_owned()
        }
    }
}

/// The values of a long flag as they appear on the command line (`--flag V` or
/// `--flag=V`), up to a `--` that ends the flags.
pub(super) fn given(argv: &[String], flag: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut it = argv.iter().take_while(|a| *a != "--");
    while let Some(a) = it.next() {
        if a == flag {
            if let Some(v) = it.next() {
                out.push(v.clone());
            }
        } else if let Some(v) = a.strip_prefix(flag).and_then(|r| r.strip_prefix('=')) {
            out.push(v.to_owned());
        }
    }
    out
}

/// `--vendor` and `--only`, the ids resolved through the catalog (aliases, any case); an
/// unknown id is a usage error that suggests a near one.
pub(super) fn vendor_select(
    c: &CommonArgs,
    catalog: &Catalog,
) -> Result<filter::VendorSelect, Fatal> {
    let mut ids = std::collections::BTreeSet::new();
    for v in c.vendor.iter().map(|v| v.trim()).filter(|v| !v.is_empty()) {
        let id =
            crate::policy::check_vendor(v, catalog).map_err(|e| Fatal(format!("--vendor: {e}")))?;
        ids.insert(id);
    }
    Ok(filter::VendorSelect {
        vendors: (!ids.is_empty()).then_some(ids),
        only: c.only,
    })
}

/// The summary's line naming the filters that applied, or "" when none did.
pub(super) fn filters_line(f: &Filters) -> String {
    let mut parts = Vec::new();
    if !f.vendor.is_empty() {
        parts.push(format!("--vendor {}", f.vendor.join(",")));
    }
    if !f.host.is_empty() {
        parts.push(format!("--host {}", f.host.join(",")));
    }
    for (flag, v) in [("--since", &f.since), ("--until", &f.until)] {
        if let Some(v) = v {
            parts.push(format!("{flag} {v}"));
        }
    }
    if let Some(o) = &f.only {
        parts.push(format!("--only {o} (events only; this summary counts all)"));
    }
    match parts.is_empty() {
        true => String::new(),
        false => format!("filters: {}\n", crate::escape::text(&parts.join(", "))),
    }
}

/// What the report's `meta` says of the run.
pub(super) fn run_info(
    policy: &Policy,
    file: Option<PolicyFile>,
    select: &filter::VendorSelect,
) -> RunInfo {
    let argv: Vec<String> = std::env::args_os()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let filters = Filters {
        host: given(&argv, "--host")
            .iter()
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .filter(|h| !h.is_empty())
            .map(str::to_owned)
            .collect(),
        since: given(&argv, "--since").pop(),
        until: given(&argv, "--until").pop(),
        only: select.only.map(|o| o.as_str().to_owned()),
        vendor: select.vendors.iter().flatten().cloned().collect(),
    };
    RunInfo {
        command_line: argv,
        filters,
        policy: file,
        sanctioned: policy.sanctioned_by_flag(),
        merged: Vec::new(),
    }
}

pub(super) fn policy_view(c: &CommonArgs) -> crate::html::PolicyView {
    // Read again only for a page: a policy given as a FIFO or /dev/stdin is read once.
    if c.out.html.is_none() {
        return crate::html::PolicyView::default();
    }
    crate::html::PolicyView {
        file: c.policy.as_ref().map(|p| {
            let text = std::fs::read_to_string(p).unwrap_or_default();
            (p.display().to_string(), text)
        }),
        sanctioned: c.sanctioned.clone(),
    }
}
