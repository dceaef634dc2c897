//! The vendor catalog: which hostnames belong to which customer-support vendor.
//!
//! Data lives in `fingerprints/*.vendor` (format in `fingerprints/README.md`), compiled into
//! the binary; `--fingerprints DIR` adds files or replaces vendors by id. This module knows
//! nothing about packets.
//!
//! Matching: names are compared lower-cased without a trailing dot, on label boundaries only
//! (`zendesk.com` matches `acme.zendesk.com`, never `notzendesk.com`); the longest matching
//! pattern wins and an exact entry beats a suffix entry of the same length. The lookup walks
//! the name's label boundaries with one hash probe each.

mod args;
#[cfg(test)]
mod integrity;
mod lists;
mod load;
mod lookup;
pub mod risk;

pub use args::CatalogArgs;
pub use lists::{EchFronts, Resolvers};
pub use load::{load_dir, parse_file, CatalogError};
pub use risk::{Deployment, Profile};

use hashbrown::HashMap;
use schemars::JsonSchema;
use serde::Serialize;

mod builtin {
    include!(concat!(env!("OUT_DIR"), "/builtin_catalog.rs"));
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Vendor {
    pub id: String,
    pub name: String,
    pub product: String,
    pub category: String,
    /// Other names people use for it (`freshdesk` for `freshworks`), lower-case: accepted
    /// wherever an id is (`--sanctioned`, the policy).
    pub aliases: Vec<String>,
    /// File the vendor came from (`zendesk.vendor`, or a path for `--fingerprints`).
    pub origin: String,
    /// Deployment, company, region rules and the risk facts, each with its source.
    pub profile: Profile,
}

/// What a catalog hostname serves, and so who is on the other end of a connection to it:
/// the vendor's customer's staff, software, the customer's own customers, or anyone. Taken from
/// the vendors' documentation (`role=` in the vendor files); `None` where it says nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Endpoint {
    /// Agent and admin consoles, staff login, agent apps.
    Agent,
    /// The vendor's API hosts, called by software.
    Api,
    /// Widgets, messengers, their CDNs and assets, help centres and knowledge bases read by
    /// the vendor's customers' customers.
    EndUser,
    /// Infrastructure used by both sides or by other products (a generic CDN, attachments,
    /// a login used by agents and end users alike).
    Shared,
    /// A customer tenant's hostname (`<sub>.zendesk.com`): staff and end users use the same
    /// name, so the name alone does not tell them apart.
    Tenant,
}

impl Endpoint {
    /// Every role, in the order the file format documents them.
    pub const ALL: [Endpoint; 5] = [
        Endpoint::Agent,
        Endpoint::Api,
        Endpoint::EndUser,
        Endpoint::Shared,
        Endpoint::Tenant,
    ];

    /// The word used in vendor files and output.
    pub fn as_str(self) -> &'static str {
        match self {
            Endpoint::Agent => "agent",
            Endpoint::Api => "api",
            Endpoint::EndUser => "end_user",
            Endpoint::Shared => "shared",
            Endpoint::Tenant => "tenant",
        }
    }

    pub fn parse(word: &str) -> Option<Endpoint> {
        Endpoint::ALL.into_iter().find(|e| e.as_str() == word)
    }
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    pub pattern: String,
    pub strong: bool,
    pub exact: bool,
    pub tenant: bool,
    /// What the host serves (`role=` in the file); `None` when the line gives no role.
    pub endpoint: Option<Endpoint>,
}

/// A vendor with its domain rules, as read from one file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VendorDef {
    pub vendor: Vendor,
    pub rules: Vec<Rule>,
}

/// A successful lookup.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Match<'a> {
    pub vendor: &'a Vendor,
    pub pattern: &'a str,
    /// False for shared infrastructure (weak evidence).
    pub strong: bool,
    /// The customer's account label, for patterns that carry one (`acme` in
    /// `acme.zendesk.com`).
    pub tenant: Option<String>,
    /// What the matched pattern serves, from the winning line's `role=`: a more specific line
    /// (`widget.intercom.io`) refines a broader one (`intercom.io`) because it wins the match.
    pub endpoint: Option<Endpoint>,
}

#[derive(Debug, Default)]
pub struct Catalog {
    vendors: Vec<Vendor>,
    /// pattern → (vendor index, rule)
    exact: HashMap<String, (usize, Rule)>,
    suffix: HashMap<String, (usize, Rule)>,
}

#[cfg(test)]
mod tests;
