//! `--baseline OLD_REPORT.json`: what is new since an earlier report, and what is gone.
//!
//! Three things are compared, as the reports list them: host and vendor pairs
//! (`hosts[].vendors[]`), the names filed under each pair (`hostnames`), and vendor tenants
//! (`tenants[]`). A name is new when its pair did not have it in the baseline; past the 64
//! names a pair lists, a name the baseline saw but did not list counts as new.
//!
//! This module holds what the aggregator asks (is this pair or name new?) and the report's
//! `baseline` section; reading the old report is the merge's (`merge::baseline`, which reads
//! reports back) and marking a new report the report's (`report::baseline`).

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::event::Timestamp;

/// The baseline as read.
#[derive(Debug)]
pub struct Baseline {
    pub path: String,
    pub generated_at: Timestamp,
    /// (host, vendor) → the names filed under it.
    pub(crate) pairs: BTreeMap<(IpAddr, String), BTreeSet<String>>,
    /// (vendor, tenant).
    pub(crate) tenants: BTreeSet<(String, String)>,
}

/// The report's `baseline` section.
#[derive(Clone, Debug, Default, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct BaselineDiff {
    /// The baseline's `meta.generated_at`.
    pub generated_at: Timestamp,
    /// In the baseline, not in this report.
    pub gone: Changes,
    /// In this report, not in the baseline (also marked where they are listed).
    pub new: Changes,
    /// The baseline report, as given to `--baseline`.
    pub path: String,
}

/// Host and vendor pairs, names and tenants, each sorted.
#[derive(Clone, Debug, Default, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Changes {
    /// Names of pairs present in both (a new or gone pair's names are not repeated here).
    pub hostnames: Vec<PairName>,
    pub pairs: Vec<Pair>,
    pub tenants: Vec<VendorTenant>,
}

impl Changes {
    pub fn is_empty(&self) -> bool {
        self.hostnames.is_empty() && self.pairs.is_empty() && self.tenants.is_empty()
    }
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Pair {
    pub ip: IpAddr,
    pub vendor: String,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct PairName {
    pub hostname: String,
    pub ip: IpAddr,
    pub vendor: String,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct VendorTenant {
    pub tenant: String,
    pub vendor: String,
}

impl Baseline {
    /// A vendor event's mark: its pair, or its name under the pair, is not in the baseline.
    pub fn is_new(&self, ip: IpAddr, vendor: &str, name: &str) -> bool {
        self.pairs
            .get(&(ip, vendor.to_owned()))
            .is_none_or(|names| !names.contains(name))
    }
}
