//! The benchmark behind `herd-bench`: [`cluster`] starts the server
//! processes and [`children`] makes sure they stop, [`load`] drives
//! pipelined IAMAT load, [`probe`] takes one-at-a-time latency samples,
//! [`memory`] measures memory per stored client, and [`report`] prints the
//! results.
//!
//! This is tool code whose every failure ends the run with a message, so it
//! uses `anyhow` rather than typed errors.

pub mod children;
pub mod cluster;
pub mod load;
pub mod memory;
pub mod probe;
pub mod report;

/// Where every benchmark IAMAT says the client is (the spec's example).
pub const COORDS: &str = "+34.068930-118.445127";
