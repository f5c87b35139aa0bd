//! Processes a test starts, supervised by [`base::process`]: killed and
//! reaped when the test ends, however it ends, and never waited on without
//! a deadline.

#![allow(dead_code, unused_imports)]

use std::process::{Command, Output};

pub use base::process::Supervised;
use base::process::{ProcessError, output_within};

use super::WAIT;

/// Runs `cmd` (stdin empty) to its exit and returns what it printed, like
/// [`Command::output`], but panics, killing it, if it has not exited
/// within [`WAIT`], and panics if it cannot start.
pub fn output_within_wait(cmd: &mut Command) -> Output {
    output_within("test command", cmd, WAIT).unwrap_or_else(|e| panic!("{e}"))
}

/// [`output_within_wait`], with an error if `cmd` cannot start (for a tool
/// that may not be installed); still panics if it outlives [`WAIT`].
pub fn try_output_within_wait(cmd: &mut Command) -> std::io::Result<Output> {
    match output_within("test command", cmd, WAIT) {
        Ok(output) => Ok(output),
        Err(ProcessError::Spawn { source, .. }) => Err(source),
        Err(e) => panic!("{e}"),
    }
}
