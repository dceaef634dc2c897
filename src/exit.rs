//! How a command ends: its exit status (the README's table) and the one error type that
//! ends it with status 2. Apart from `app` so that `merge`, which `app` runs, can use them
//! without importing the module that calls it.

pub const EXIT_OK: u8 = 0;
pub const EXIT_UNSANCTIONED: u8 = 1;
pub const EXIT_ERROR: u8 = 2;

/// A configuration or usage error: printed as one line, exit status 2.
#[derive(Debug)]
pub struct Fatal(pub String);

/// The options that can turn a run whose inputs and outputs all went well into exit status
/// 1, and the baseline that `--fail-on-new` compares with. One struct for `scan`, `live` and
/// `merge` (each flattens it), so that the three commands cannot come to describe or gate
/// differently. Here, below both `cli` and `merge`, since both name it.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct GateArgs {
    /// Exit with status 1 when a host operates or integrates with an unsanctioned vendor
    /// (visitors too with --flag-visitors: a merge follows the flag its reports were made
    /// with).
    #[arg(long)]
    pub fail_on_unsanctioned: bool,
    /// Mark what is new since this earlier report (scan, live or merge) in the report, the
    /// summary and the events (scan and live), and list what is gone.
    #[arg(long, value_name = "OLD_REPORT.json")]
    pub baseline: Option<String>,
    /// With --baseline: exit with status 1 when a host and vendor pair, a name or a tenant is
    /// new.
    #[arg(long, requires = "baseline")]
    pub fail_on_new: bool,
}

impl GateArgs {
    /// The status of a run that read every input and wrote every output: 1 when a gate that
    /// was asked for trips (`unsanctioned`: a host's use counts as unsanctioned; `new`: the
    /// report's baseline section lists something new), else 0.
    pub fn status(&self, unsanctioned: bool, new: bool) -> u8 {
        if (self.fail_on_unsanctioned && unsanctioned) || (self.fail_on_new && new) {
            EXIT_UNSANCTIONED
        } else {
            EXIT_OK
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Each gate trips only on its own condition, and only when asked for.
    #[test]
    fn a_gate_trips_only_when_asked_and_only_on_its_condition() {
        let gate = |u: bool, n: bool| GateArgs {
            fail_on_unsanctioned: u,
            baseline: n.then(|| "old.json".to_owned()),
            fail_on_new: n,
        };
        for (u, n) in [(false, false), (true, false), (false, true), (true, true)] {
            assert_eq!(gate(false, false).status(u, n), EXIT_OK);
        }
        assert_eq!(gate(true, false).status(true, false), EXIT_UNSANCTIONED);
        assert_eq!(gate(true, false).status(false, true), EXIT_OK);
        assert_eq!(gate(false, true).status(false, true), EXIT_UNSANCTIONED);
        assert_eq!(gate(false, true).status(true, false), EXIT_OK);
        assert_eq!(gate(true, true).status(false, false), EXIT_OK);
    }
}
