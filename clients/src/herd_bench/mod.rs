//! The benchmark behind `herd-bench`, on the shared [`crate::harness`]:
//! [`run`] starts the baseline and the five herd servers and takes every
//! measurement, [`linked`] checks that floods cross the herd first,
//! [`load`] drives pipelined IAMAT load and [`cost`] what it cost the
//! servers, [`probe`] takes one-at-a-time
//! latency samples, [`memory`] measures memory per stored client, and
//! [`report`] prints the results. [`peers`] measures the same workload
//! against the reference herds in other stacks (`herd-bench --peers`).

pub mod cost;
pub mod linked;
pub mod load;
pub mod memory;
pub mod peers;
pub mod probe;
pub mod report;
pub mod run;

/// Where every benchmark IAMAT says the client is (the spec's example).
pub const COORDS: &str = "+34.068930-118.445127";
