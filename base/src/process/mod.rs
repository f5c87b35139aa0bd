//! Child processes that cannot outlive their owner, for the benchmarks and
//! the tests that run the herd's binaries.
//!
//! A [`Supervised`] process is killed and reaped when it is dropped, so it
//! goes away on success, on error and on panic alike; [`Processes`] holds a
//! named set of them. Nothing here waits without a deadline:
//! [`wait_ready`] (async) and [`wait_ready_blocking`] probe until a process
//! is ready, failing early, with the tail of its standard error, if it
//! exits; [`output_within`] runs a command to its end or kills it, and
//! [`Supervised::first_line`] waits for what a server started on port 0
//! prints first (where it listens).
//! [`usage`] reads a process's CPU time and resident memory from `/proc`.

mod announce;
mod error;
mod group;
mod ready;
mod supervised;
mod usage;

#[cfg(test)]
mod tests;

pub use announce::{FIRST_LINE_SCAN, first_line};
pub use error::ProcessError;
pub use group::Processes;
pub use ready::{POLL, Watched, wait_ready, wait_ready_blocking};
pub use supervised::{Supervised, TAIL_BYTES, TAIL_LINES, output_within};
pub use usage::{Usage, usage};
