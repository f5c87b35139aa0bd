//! The bench harness `herd-bench` and `olympic-bench` share, so each keeps
//! only what it measures.
//!
//! A run keeps its files in a [`run_dir::RunDir`]. It starts its herd from
//! a [`layout::Layout`] (which writes the topology) with [`herd::Herd`],
//! reads the servers' logs with [`herd_log`] and their counters with
//! [`metrics`], and compares with a
//! [`baseline::Baseline`] process; children started on port 0 say where
//! they listen on their first line ([`announce`]), and [`binaries`] finds
//! the programs. Every process is held by [`base::process`], so it dies
//! with the run: on success, on error, on panic and on a signal. A load
//! run's warm-up and measured interval is a [`window::Window`];
//! [`stats`] turns samples into percentiles; a report states the
//! [`machine::Machine`] it ran on and ends with a [`table::Table`] whose
//! cells [`cells`] writes.
//!
//! This is tool code whose every failure ends the run with a message, so
//! it uses `anyhow` rather than typed errors.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub mod announce;
pub mod baseline;
pub mod binaries;
pub mod cells;
pub mod herd;
pub mod herd_log;
pub mod layout;
pub mod machine;
pub mod metrics;
pub mod run_dir;
pub mod stats;
pub mod table;
pub mod window;

/// How long a process gets to start listening, or a herd to link up,
/// before the run gives up.
pub const START_TIMEOUT: Duration = Duration::from_secs(15);

/// A tag no other run shares (this process's id and the time), for the
/// link key and the Cacofonix id a run makes up.
pub fn run_tag() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{}-{nanos}", std::process::id())
}
