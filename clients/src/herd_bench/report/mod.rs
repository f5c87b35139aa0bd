//! The results of a `herd-bench` run: [`Report`] holds every measurement;
//! `summary` writes the readable summary and `table` the markdown table
//! for the README, both with the targets and whether they were met.

mod summary;
mod table;
#[cfg(test)]
mod tests;

use std::time::Duration;

use crate::harness::cells::{DASH, Verdict, per_second, thousands};
use crate::harness::herd_log::LogStats;
use crate::harness::machine::Machine;
use crate::herd_bench::cost::Cost;
use crate::herd_bench::load::LoadResult;
use crate::herd_bench::memory::{ID_LEN, MemoryResult};
use crate::herd_bench::probe::{FloodResult, WhatsatResult};

/// Herd throughput with many clients must be at least this fraction of
/// the baseline's.
pub const MANY_CLIENTS_TARGET: f64 = 0.25;

/// Herd throughput with one client per connection must be at least this
/// fraction of the baseline's.
pub const ONE_CLIENT_TARGET: f64 = 0.5;

/// The herd's CPU time per report, summed over every server, must be at
/// most this many times the baseline's per request.
pub const CPU_TARGET: f64 = 8.0;

/// Flood and WHATSAT p99 must be below this.
pub const P99_TARGET: Duration = Duration::from_millis(1);

/// Most bytes of memory per stored client: 200 plus the ID.
pub const MEMORY_TARGET: usize = 200 + ID_LEN;

/// How the run was set up, printed with the results.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Pipelined connections of the many-client load.
    pub connections: usize,
    /// Distinct clients each of them reports for, in turn.
    pub clients_per_connection: usize,
    /// Pipelined connections of the one-client-per-connection load.
    pub single_connections: usize,
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
    /// Servers in the herd.
    pub servers: usize,
}

impl Settings {
    /// The load shapes, the headline first.
    pub fn shapes(&self) -> [LoadShape; 2] {
        [
            LoadShape {
                tag: "a1",
                connections: self.connections,
                clients_per_connection: self.clients_per_connection,
                target: MANY_CLIENTS_TARGET,
            },
            LoadShape {
                tag: "a2",
                connections: self.single_connections,
                clients_per_connection: 1,
                target: ONE_CLIENT_TARGET,
            },
        ]
    }
}

/// The shape of one pipelined load.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadShape {
    /// How the report names it.
    pub tag: &'static str,
    /// Pipelined connections.
    pub connections: usize,
    /// Distinct clients each connection reports for.
    pub clients_per_connection: usize,
    /// The herd's throughput target, as a fraction of the baseline's.
    pub target: f64,
}

impl LoadShape {
    /// What the load is, for a row or a line.
    fn describe(&self, window: usize) -> String {
        let clients = if self.clients_per_connection == 1 {
            "one client each".to_owned()
        } else {
            format!(
                "{} clients each",
                thousands(&self.clients_per_connection.to_string())
            )
        };
        format!("{} conns × {clients}, {window} in flight", self.connections)
    }
}

/// Whether the herd converged after a load run.
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

/// One load shape against the baseline and the herd.
#[derive(Debug, Clone)]
pub struct LoadRun {
    /// The load.
    pub shape: LoadShape,
    /// Against the baseline.
    pub baseline: Option<LoadResult>,
    /// Against the herd's target server.
    pub herd: Option<LoadResult>,
    /// What it cost the baseline.
    pub baseline_cost: Option<Cost>,
    /// What it cost the whole herd.
    pub herd_cost: Option<Cost>,
    /// Whether the other servers hold the target's newest location for a
    /// sample of the load's clients afterwards.
    pub agreement: Option<Agreement>,
}

impl LoadRun {
    /// Nothing measured yet.
    pub fn new(shape: LoadShape) -> Self {
        Self {
            shape,
            baseline: None,
            herd: None,
            baseline_cost: None,
            herd_cost: None,
            agreement: None,
        }
    }

    /// Herd throughput over baseline throughput, when both ran.
    pub fn ratio(&self) -> Option<f64> {
        let base = self.baseline.as_ref()?.ops_per_sec();
        let herd = self.herd.as_ref()?.ops_per_sec();
        (base > 0.0).then(|| herd / base)
    }

    /// Whether the herd reached the shape's throughput target.
    fn ratio_verdict(&self) -> Verdict {
        Verdict::at_least(self.ratio(), self.shape.target)
    }

    /// Herd CPU per report over baseline CPU per request.
    pub fn cpu_ratio(&self) -> Option<f64> {
        let base = self.baseline_cost.as_ref()?.cpu_per_report()?;
        let herd = self.herd_cost.as_ref()?.cpu_per_report()?;
        (base > 0.0).then(|| herd / base)
    }

    /// Location messages on links per report.
    pub fn payloads(&self) -> Option<f64> {
        self.herd_cost.as_ref()?.payloads_per_report()
    }
}

/// CPU time per report, or a dash.
fn cpu_text(cost: Option<&Cost>) -> String {
    cost.and_then(Cost::cpu_per_report)
        .map_or(DASH.into(), |ns| format!("{:.1} µs", ns / 1e3))
}

/// Location messages per report and the relative redundancy
/// `payloads / (servers − 1) − 1`, or a dash.
fn payloads_text(run: &LoadRun, servers: usize) -> String {
    let receivers = servers.saturating_sub(1).max(1) as f64;
    run.payloads().map_or(DASH.into(), |p| {
        format!("{p:.2} (redundancy {:+.2})", p / receivers - 1.0)
    })
}

/// Log bytes per report, or a dash.
fn log_text(cost: Option<&Cost>) -> String {
    cost.and_then(Cost::log_bytes_per_report)
        .map_or(DASH.into(), |b| format!("{b:.0} B"))
}

/// Everything measured; `None` for what was not run.
#[derive(Debug, Clone)]
pub struct Report {
    /// The run's settings.
    pub settings: Settings,
    /// The machine it ran on.
    pub machine: Machine,
    /// (a1) and (a2).
    pub loads: Vec<LoadRun>,
    /// (b) against the baseline, ns.
    pub baseline_grader: Option<Vec<u64>>,
    /// (b) against the herd target, ns.
    pub herd_grader: Option<Vec<u64>>,
    /// (c) Hands to Welsh.
    pub flood: Option<FloodResult>,
    /// (d) at the herd target.
    pub whatsat: Option<WhatsatResult>,
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
        let loads = settings.shapes().into_iter().map(LoadRun::new).collect();
        Self {
            settings,
            machine,
            loads,
            baseline_grader: None,
            herd_grader: None,
            flood: None,
            whatsat: None,
            herd_logs: None,
            memory: None,
            problems: Vec::new(),
        }
    }

    /// Location messages per report may be at most one per other server.
    fn payloads_target(&self) -> f64 {
        self.settings.servers.saturating_sub(1) as f64
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
