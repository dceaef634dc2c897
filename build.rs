//! Embeds the vendor catalog (`fingerprints/*.vendor`) into the binary, so it works with no
//! files beside it. Only the file list is generated here; parsing and validation happen at
//! start-up in `catalog::load`, the same code path `--fingerprints DIR` uses.

use std::{env, fs, path::Path};

fn main() {
    let dir = Path::new(&env::var("CARGO_MANIFEST_DIR").unwrap()).join("fingerprints");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files: Vec<_> = fs::read_dir(&dir)
        .expect("fingerprints/ is part of the crate")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "vendor"))
        .collect();
    files.sort();
    let mut src = String::from("/// (file name, contents) of every built-in vendor file.\npub static BUILTIN: &[(&str, &str)] = &[\n");
    for f in &files {
        println!("cargo:rerun-if-changed={}", f.display());
        src.push_str(&format!(
            "    ({:?}, include_str!({:?})),\n",
            f.file_name().unwrap().to_string_lossy(),
            f.display().to_string()
        ));
    }
    src.push_str("];\n");
    fs::write(
        Path::new(&env::var("OUT_DIR").unwrap()).join("builtin_catalog.rs"),
        src,
    )
    .unwrap();
}
