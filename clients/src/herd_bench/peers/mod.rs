//! `herd-bench --peers`: the same herd in four stacks, measured in one run
//! with one workload. [`stack`] starts each five-server herd (ours and the
//! reference herds under `bench/peers/`), [`run`] takes every measurement
//! of each in turn ([`measure`] holds those the ordinary run lacks),
//! [`loc`] counts their lines of code, [`report`] prints the table and the
//! JSON, and [`chart`] draws the charts.

pub mod chart;
pub mod loc;
pub mod measure;
pub mod report;
pub mod run;
pub mod stack;

use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;

use stack::Runner;

/// The shape of a `--peers` run.
#[derive(Debug, Clone, Serialize)]
pub struct PeersSettings {
    /// Pipelined connections of the many-client load.
    pub connections: usize,
    /// Distinct clients each of them reports for, in turn.
    pub clients_per_connection: usize,
    /// Commands in flight per connection.
    pub window: usize,
    /// Warm-up before the measured interval of the load.
    #[serde(serialize_with = "seconds")]
    pub warmup: Duration,
    /// Measured interval of the load.
    #[serde(serialize_with = "seconds")]
    pub duration: Duration,
    /// Samples of the round-trip and flood measurements.
    pub samples: usize,
    /// New clients reported to measure memory per stored client.
    pub memory_clients: usize,
    /// Pause before each memory reading, so allocators give back what a
    /// burst left (jemalloc does within ten seconds).
    #[serde(serialize_with = "seconds")]
    pub settle: Duration,
    /// The server that takes the load and the round trips' IAMAT.
    pub entry: String,
    /// Our herd's binary, or why there is none.
    #[serde(skip)]
    pub herd_bin: Runner,
    /// The repository: `bench/peers/` and `scripts/loc.py` are found in it.
    #[serde(skip)]
    pub repo: PathBuf,
    /// Keep the run's directory (topologies, logs, output).
    #[serde(skip)]
    pub keep_dir: bool,
}

/// A duration as seconds, in the JSON.
fn seconds<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64())
}

/// The repository this binary was built from, where a fresh clone's
/// `cargo build` leaves it.
pub fn built_from() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}
