//! `vendors`: the catalog as text or JSON.

use crate::cli::VendorsArgs;
use crate::output::{self};

use super::setup::load_catalog;
use super::*;

pub(super) fn vendors(a: VendorsArgs) -> Result<u8, Fatal> {
    let catalog = load_catalog(a.catalog.fingerprints.as_deref())?;
    let mut out = String::new();
    if a.json {
        for v in catalog.vendors() {
            let line = output::VendorListing::new(v, &catalog.rules_of(&v.id));
            // Into a String the writer cannot fail; the listing holds only strings and bools.
            out.push_str(&serde_json::to_string(&line).unwrap_or_default());
            out.push('\n');
        }
    } else {
        out.push_str(&format!(
            "{:<26} {:<32} {:<27} DOMAINS\n",
            "ID", "NAME", "CATEGORY"
        ));
        for v in catalog.vendors() {
            let doms: Vec<String> = catalog
                .rules_of(&v.id)
                .iter()
                .map(|r| {
                    format!(
                        "{}{}[{}]",
                        r.pattern,
                        if r.strong { "" } else { "(weak)" },
                        r.endpoint.map_or("?", |e| e.as_str())
                    )
                })
                .collect();
            out.push_str(&format!(
                "{:<26} {:<32} {:<27} {}\n",
                v.id,
                v.name,
                v.category,
                doms.join(" ")
            ));
            out.push_str(&output::vendor_profile_lines(&v.profile));
        }
        out.push_str(&format!("{} vendors\n", catalog.len()));
    }
    write_stdout(&out).map_err(|e| Fatal(format!("writing the vendor list to {e}")))?;
    Ok(EXIT_OK)
}
