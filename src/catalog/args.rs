//! `--fingerprints`, the one option that extends the catalog: `scan`, `live` and `vendors`
//! flatten [`CatalogArgs`], so that the commands describe the folder one way.

use std::path::PathBuf;

#[derive(Debug, Clone, Default, clap::Args)]
pub struct CatalogArgs {
    /// Folder of extra *.vendor files; a file with a built-in id replaces that vendor. scan
    /// and live also add the entries of its encrypted-dns.resolvers and ech.public-names.
    #[arg(long, value_name = "DIR")]
    pub fingerprints: Option<PathBuf>,
}
