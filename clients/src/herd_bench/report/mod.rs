//! The results of a `herd-bench` run: [`Report`] holds every measurement;
//! `summary` writes the readable summary and `table` the markdown table
//! for the README, both with the targets and whether they were met.

mod summary;
mod table;
#[cfg(test)]
mod tests;

use std::time::Duration;

use crate::harness::cells::{DASH, Verdict, per_second};
use crate::harness::herd_log::LogStats;
use crate::harness::machine::Machine;
use crate::herd_bench::load::LoadResult;
use crate::herd_bench::memory::{ID_LEN, MemoryResult};
use crate::herd_bench::probe::{FloodResult, WhatsatResult};

/// Herd throughput must be at least this fraction of the baseline's.
pub const THROUGHPUT_TARGET: f64 = 0.5;

/// Flood and WHATSAT p99 must be below this.
pub const P99_TARGET: Duration = Duration::from_millis(1);

/// Most bytes of memory per stored client: 200 plus the ID.
pub const MEMORY_TARGET: usize = 200 + ID_LEN;

/// How the run was set up, printed with the results.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Pipelined connections.
    pub connections: usize,
    /// Commands in flight per connection.
    pub window: usize,
    /// Warm-up before each throughput measurement.
    pub warmup: Duration,
    /// Measured interval of each throughput run.
    pub duration: Duration,
    /// Samples of each one-at-a-time measurement.
    pub samples: usize,
    /// New clients reported to measure memory per stored client.
    pub memory_clients: usize,
    /// The herd server that takes the throughput, grader and WHATSAT load.
    pub target: String,
}

/// Whether the herd converged after the load run.
#[derive(Debug, Clone, Default)]
pub struct Agreement {
    /// (client, server) pairs checked.
    pub pairs: usize,
    /// The pairs that still held another location at the deadline, as
    /// `client at server`.
    pub differ: Vec<String>,
}

impl Agreement {
    /// `agreeing / pairs`.
    fn fraction(&self) -> String {
        format!("{} / {}", self.pairs - self.differ.len(), self.pairs)
    }

    /// Whether every pair agreed.
    fn verdict(&self) -> Verdict {
        Verdict::of(Some(self.differ.is_empty()))
    }
}

/// Everything measured; `None` for what was not run.
#[derive(Debug, Clone)]
pub struct Report {
    /// The run's settings.
    pub settings: Settings,
    /// The machine it ran on.
    pub machine: Machine,
    /// (a) against the baseline.
    pub baseline_load: Option<LoadResult>,
    /// (a) against the herd target.
    pub herd_load: Option<LoadResult>,
    /// (b) against the baseline, ns.
    pub baseline_grader: Option<Vec<u64>>,
    /// (b) against the herd target, ns.
    pub herd_grader: Option<Vec<u64>>,
    /// (c) Hands to Welsh.
    pub flood: Option<FloodResult>,
    /// (d) at the herd target.
    pub whatsat: Option<WhatsatResult>,
    /// After (a) against the herd: whether the other servers hold the
    /// target's newest location for every load client.
    pub agreement: Option<Agreement>,
    /// The herd's logs after the run, with `peer_queue_full` warnings counted.
    pub herd_logs: Option<LogStats>,
    /// (e) memory per stored client at every server.
    pub memory: Option<MemoryResult>,
    /// What could not be measured, and why; a run with any is a failed run.
    pub problems: Vec<String>,
}

impl Report {
    /// A report of nothing measured yet.
    pub fn new(settings: Settings, machine: Machine) -> Self {
        Self {
            settings,
            machine,
            baseline_load: None,
            herd_load: None,
            baseline_grader: None,
            herd_grader: None,
            flood: None,
            whatsat: None,
            agreement: None,
            herd_logs: None,
            memory: None,
            problems: Vec::new(),
        }
    }

    /// Herd throughput over baseline throughput, when both ran.
    pub fn ratio(&self) -> Option<f64> {
        let base = self.baseline_load.as_ref()?.ops_per_sec();
        let herd = self.herd_load.as_ref()?.ops_per_sec();
        (base > 0.0).then(|| herd / base)
    }

    /// Whether the herd reached [`THROUGHPUT_TARGET`].
    fn ratio_verdict(&self) -> Verdict {
        Verdict::at_least(self.ratio(), THROUGHPUT_TARGET)
    }

    /// The readable summary followed by the markdown table.
    pub fn render(&self) -> String {
        format!("{}\n{}", self.summary(), self.table())
    }
}

/// The latency samples of a load run, if it ran.
fn latencies(load: Option<&LoadResult>) -> Option<&[u64]> {
    load.map(|l| l.throughput.latencies.as_slice())
}

/// Each server's bytes per stored client, by name: heap, then resident.
fn memory_text(m: &MemoryResult) -> String {
    let parts: Vec<String> = m
        .per_client
        .iter()
        .map(|(name, p)| format!("{name} {:.0} / {:.0} B", p.heap, p.resident))
        .collect();
    parts.join(", ")
}

/// Whether every server stays under [`MEMORY_TARGET`], heap and resident.
fn memory_verdict(m: Option<&MemoryResult>) -> Verdict {
    let under = |b: f64| b < MEMORY_TARGET as f64;
    Verdict::of(m.map(|m| {
        m.per_client
            .values()
            .all(|p| under(p.heap) && under(p.resident))
    }))
}

/// Operations per second of a load run, or a dash.
fn ops(load: Option<&LoadResult>) -> String {
    load.map_or(DASH.into(), |l| per_second(l.ops_per_sec()))
}
