//! Catalog matching alone: ns per `Catalog::lookup` on a realistic mix of names, with the
//! built-in catalog and with a synthetic one four times as broad, so the growth of the
//! catalog (issue 16: from 90 to 350+ vendors) can be measured apart from everything else.
//!
//!     cargo bench --bench catalog
//!
//! The names are every DNS and TLS name tshark read from the public captures
//! (`../shared/pcaps/public/*/*.truth.tsv`, in traffic order, repeats kept: a sensor sees
//! names as often as they are used), and from the office day of `testdata/office`, which is
//! mostly vendor names. Without `../shared` only the office day is used.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Instant;

use shadowdesk::catalog::{parse_file, Catalog, VendorDef};

/// The hostname column of every truth file in a folder (one level of sub-folders).
fn truth_names(dir: &Path) -> Vec<String> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.to_string_lossy().ends_with(".truth.tsv") {
                files.push(p);
            }
        }
    }
    files.sort();
    let mut names = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap_or_default();
        for line in text.lines().skip(1) {
            let cols: Vec<&str> = line.split('\t').collect();
            if let (Some(kind), Some(name)) = (cols.first(), cols.get(5)) {
                if matches!(*kind, "dns" | "tls") && !name.is_empty() && !name.starts_with('<') {
                    names.push(name.to_string());
                }
            }
        }
    }
    names
}

/// `n` vendors shaped like the real ones: three or four domain lines each (the catalog has
/// 276 lines for 90 vendors), a tenant suffix, an exact host under it, a CDN and a widget
/// domain, on made-up names that no real traffic matches.
fn synthetic(n: usize) -> Vec<VendorDef> {
    (0..n)
        .map(|i| {
            let id = format!("synth-{i:03}");
            let text = format!(
                "id = {id}\nname = Synth {i}\nproduct = p\ncategory = live_chat\n\
                 domain = synth{i}desk.com strong tenant role=tenant\n\
                 domain = api.synth{i}desk.com strong exact role=api\n\
                 domain = cdn.synth{i}-static.net strong role=end_user\n\
                 domain = synth{i}chat.io strong role=shared\n"
            );
            parse_file(&format!("{id}.vendor"), &text).expect("synthetic vendor")
        })
        .collect()
}

/// One pass over the names: ns per lookup, and how many matched.
fn pass(cat: &Catalog, names: &[String], repeat: usize) -> (f64, usize) {
    let mut hits = 0usize;
    let t = Instant::now();
    for _ in 0..repeat {
        for n in names {
            hits += black_box(cat.lookup(black_box(n))).is_some() as usize;
        }
    }
    let ns = t.elapsed().as_nanos() as f64 / (repeat * names.len()) as f64;
    (ns, hits / repeat)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

/// Both catalogs in alternating rounds, so a busy machine slows both alike; the medians of
/// each and of the per-round ratios.
fn compare(mix: &str, one: &Catalog, four: &Catalog, names: &[String]) {
    let repeat = (1_000_000 / names.len().max(1)).max(1);
    let (mut a, mut b, mut r) = (Vec::new(), Vec::new(), Vec::new());
    let mut hits = (0, 0);
    for _ in 0..11 {
        let (x, hx) = pass(one, names, repeat);
        let (y, hy) = pass(four, names, repeat);
        a.push(x);
        b.push(y);
        r.push(y / x);
        hits = (hx, hy);
    }
    println!(
        "{:<50} {:>7.1} ns/lookup  ({} vendors, {} names, {} matched)",
        format!("lookup, built-in catalog, {mix}"),
        median(a),
        one.len(),
        names.len(),
        hits.0
    );
    println!(
        "{:<50} {:>7.1} ns/lookup  ({} vendors, {} names, {} matched)",
        format!("lookup, + 270 synthetic vendors, {mix}"),
        median(b),
        four.len(),
        names.len(),
        hits.1
    );
    println!(
        "{:<50} {:>7.2}x (median of per-round ratios)",
        format!("ratio, {mix}"),
        median(r)
    );
}

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let public = truth_names(&root.join("../shared/pcaps/public"));
    let office = truth_names(&root.join("testdata/office"));
    let builtin = Catalog::builtin().expect("built-in catalog");
    let wide = Catalog::builtin()
        .expect("built-in catalog")
        .with_overrides(synthetic(270))
        .expect("synthetic catalog");
    for (mix, names) in [("public captures", &public), ("office day", &office)] {
        if names.is_empty() {
            println!("{mix}: no truth files found, skipped");
            continue;
        }
        compare(mix, &builtin, &wide, names);
    }
}
