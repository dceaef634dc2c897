//! Runs a command: validates the configuration, drives the pipeline, writes the outputs, and
//! decides the exit status (see the README's table).

use crate::cli::{Cli, Command};

mod analyze;
mod scan;
mod setup;
mod vendors;

pub use crate::exit::{Fatal, EXIT_ERROR, EXIT_OK, EXIT_UNSANCTIONED};
pub use crate::output::write_stdout;

pub fn run(cli: Cli) -> Result<u8, Fatal> {
    match cli.command {
        Command::Scan(a) => scan::scan(a),
        Command::Live(a) => scan::live(a),
        Command::Merge(a) => crate::merge::run(a),
        Command::Vendors(a) => vendors::vendors(a),
    }
}

/// Exit status after SIGINT: 128 + the signal number, as a shell reports it.
pub const EXIT_SIGINT: u8 = 130;
/// Exit status after SIGTERM.
pub const EXIT_SIGTERM: u8 = 143;

/// Whether an output path is where standard output goes: `-`, or a name of the same file
/// (`/dev/stdout`, `/dev/fd/1`, the file stdout is redirected to). The summary then stays
/// off stdout, which carries that output.
pub(super) fn names_stdout(path: &str) -> bool {
    use std::os::fd::AsFd;
    use std::os::unix::fs::MetadataExt;
    if path == "-" {
        return true;
    }
    let Ok(fd) = std::io::stdout().as_fd().try_clone_to_owned() else {
        return false;
    };
    let Ok(out) = std::fs::File::from(fd).metadata() else {
        return false;
    };
    std::fs::metadata(path).is_ok_and(|m| m.dev() == out.dev() && m.ino() == out.ino())
}

/// How an output is named in an error: its path, or "standard output" for `-`.
pub(super) fn output_name(p: &str) -> &str {
    if p == "-" {
        "standard output"
    } else {
        p
    }
}
