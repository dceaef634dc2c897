//! How a command ends: its exit status (the README's table) and the one error type that
//! ends it with status 2. Apart from `app` so that `merge`, which `app` runs, can use them
//! without importing the module that calls it.

pub const EXIT_OK: u8 = 0;
pub const EXIT_UNSANCTIONED: u8 = 1;
pub const EXIT_ERROR: u8 = 2;

/// A configuration or usage error: printed as one line, exit status 2.
#[derive(Debug)]
pub struct Fatal(pub String);
