//! Processes a test starts, supervised by [`base::process`]: killed and
//! reaped when the test ends, however it ends, and never waited on without
//! a deadline.

#![allow(dead_code, unused_imports)]

use std::process::{Command, Output};

pub use base::process::Supervised;

use super::WAIT;

/// Runs `cmd` (stdin empty) to its exit and returns what it printed, like
/// [`Command::output`], but panics, killing it, if it has not exited
/// within [`WAIT`].
pub fn output_within_wait(cmd: &mut Command) -> Output {
    base::process::output_within("test command", cmd, WAIT).unwrap_or_else(|e| panic!("{e}"))
}
