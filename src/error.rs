//! Errors that decide the process exit code.
//!
//! The command-line contract has three exits: 0 success, 1 "the command ran and found a problem",
//! 2 "usage or configuration error". Anything wrapped in [`UsageError`] ends with 2; every other
//! error ends with 1. Messages are one sentence that names the thing and what to do.

use std::fmt;

/// A mistake in how camdock was called or configured: the admin must change the call, not retry it.
#[derive(Debug)]
pub struct UsageError(pub String);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// Shorthand: `return Err(usage!("..."))`.
#[macro_export]
macro_rules! usage {
    ($($arg:tt)*) => { anyhow::Error::new($crate::error::UsageError(format!($($arg)*))) };
}

/// A refusal of what was asked (a typed error of a workflow: a clip not drawn, a gap explained
/// already) as a usage error: exit 2 on the command line, 400 on the dashboard.
pub fn refusal(e: impl std::fmt::Display) -> anyhow::Error {
    anyhow::Error::new(UsageError(e.to_string()))
}

/// The exit code an error should end the process with.
pub fn exit_code_for(err: &anyhow::Error) -> i32 {
    if err.chain().any(|cause| cause.is::<UsageError>()) {
        2
    } else {
        1
    }
}
