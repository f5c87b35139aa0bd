//! The results of a `--peers` run: one [`StackResult`] per stack, printed
//! as a markdown table under a caption naming the machine and its load,
//! and written whole as JSON.

use std::collections::BTreeMap;

use serde::{Serialize, Serializer};

use super::PeersSettings;
use super::stack::Stack;
use crate::harness::cells::DASH;
use crate::harness::machine::Machine;
use crate::harness::stats::Summary;
use crate::harness::table::Table;

/// What became of a stack in the run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", content = "reason", rename_all = "lowercase")]
pub enum Outcome {
    /// Every measurement was taken.
    Measured,
    /// Its runtime is missing here; why.
    Skipped(String),
    /// A measurement failed; the error.
    Failed(String),
}

/// One stack's measurements; a measurement not taken is `None`.
#[derive(Debug, Clone, Serialize)]
pub struct StackResult {
    /// `herd`, `asyncio`, `node` or `java`.
    pub stack: &'static str,
    /// Language and runtime.
    pub runtime: &'static str,
    /// Measured, skipped or failed.
    #[serde(flatten)]
    pub outcome: Outcome,
    /// Pipelined IAMAT replies per second at the entry server.
    pub throughput: Option<f64>,
    /// Latency of those replies, from the write of each command.
    #[serde(serialize_with = "ms")]
    pub load: Option<Summary>,
    /// Load replies that were not AT lines.
    pub bad_replies: Option<u64>,
    /// Whether the servers went quiet after the load within the wait (if
    /// not, the CPU figure leaves out what they did afterwards).
    pub quiet_after_load: Option<bool>,
    /// CPU time per report, summed over the five processes, µs.
    pub cpu_us_per_report: Option<f64>,
    /// Grader-style IAMAT then WHATSAT at the farthest server.
    #[serde(serialize_with = "ms")]
    pub round_trip: Option<Summary>,
    /// Resident set growth per stored client per server, bytes.
    pub resident_per_client: Option<f64>,
    /// A new location's flood over three hops.
    #[serde(serialize_with = "ms")]
    pub flood: Option<Summary>,
    /// Flood samples that did not arrive within the deadline.
    pub flood_missed: Option<usize>,
    /// Code lines of the implementation.
    pub loc: Option<u64>,
}

/// Percentiles in milliseconds, in the JSON.
fn ms<S: Serializer>(summary: &Option<Summary>, s: S) -> Result<S::Ok, S::Error> {
    let ms = |n: u64| n as f64 / 1e6;
    let map = summary.map(|x| {
        BTreeMap::from([
            ("count", x.count as f64),
            ("p50_ms", ms(x.p50)),
            ("p90_ms", ms(x.p90)),
            ("p99_ms", ms(x.p99)),
            ("max_ms", ms(x.max)),
        ])
    });
    map.serialize(s)
}

impl StackResult {
    /// Nothing measured yet for `stack`; its lines of code from `lines`.
    pub fn new(stack: Stack, lines: Option<&BTreeMap<String, u64>>) -> Self {
        Self {
            stack: stack.key(),
            runtime: stack.label(),
            outcome: Outcome::Measured,
            throughput: None,
            load: None,
            bad_replies: None,
            quiet_after_load: None,
            cpu_us_per_report: None,
            round_trip: None,
            resident_per_client: None,
            flood: None,
            flood_missed: None,
            loc: lines.and_then(|l| l.get(stack.key()).copied()),
        }
    }

    /// Problems that make the run fail: a failed stack, bad replies or
    /// missed floods.
    fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if let Outcome::Failed(why) = &self.outcome {
            problems.push(format!("{} failed: {why}", self.stack));
        }
        if let Some(bad) = self.bad_replies.filter(|&b| b > 0) {
            problems.push(format!(
                "{}: {bad} load replies were not AT lines",
                self.stack
            ));
        }
        if let Some(missed) = self.flood_missed.filter(|&m| m > 0) {
            problems.push(format!("{}: {missed} floods did not arrive", self.stack));
        }
        problems
    }
}

/// A whole `--peers` run.
#[derive(Debug, Clone, Serialize)]
pub struct PeersReport {
    /// Build, cores and load average around the run.
    pub machine: String,
    /// One-minute load average before and after the run.
    pub load_average: [Option<f64>; 2],
    /// The run's shape.
    pub settings: PeersSettings,
    /// Each stack, in the order measured.
    pub stacks: Vec<StackResult>,
    /// Why lines of code are missing, if they are.
    pub loc_note: Option<String>,
    /// What makes the run fail.
    pub problems: Vec<String>,
}

impl PeersReport {
    /// The report of a finished run.
    pub fn new(
        settings: PeersSettings,
        machine: Machine,
        stacks: Vec<StackResult>,
        loc_note: Option<String>,
    ) -> Self {
        let problems = stacks.iter().flat_map(StackResult::problems).collect();
        Self {
            machine: machine.caption("herd-bench --peers"),
            load_average: [machine.load_before, machine.load_after],
            settings,
            stacks,
            loc_note,
            problems,
        }
    }

    /// The caption, the workload and the table.
    pub fn render(&self) -> String {
        let s = &self.settings;
        let mut table = Table::new([
            "Stack",
            "Runtime",
            "Reports/s",
            "Load p50",
            "Load p99",
            "Round trip p50",
            "Round trip p99",
            "CPU/report",
            "RSS/client",
            "Flood p50",
            "Flood p99",
            "LOC",
        ]);
        for r in &self.stacks {
            table.row(row(r));
        }
        let mut text = format!(
            "{}.\nLoad: {} connections × {} clients, window {}, {:.1} s measured after \
             {:.1} s warm-up, at {}. Round trip: new connections, IAMAT at {} then WHATSAT \
             at the farthest server until it knows the client ({} samples). Flood: \
             Hands → Welsh, three hops. RSS/client: resident growth over five servers per \
             stored client per server, {} clients.\n\n{table}",
            self.machine,
            s.connections,
            s.clients_per_connection,
            s.window,
            s.duration.as_secs_f64(),
            s.warmup.as_secs_f64(),
            s.entry,
            s.entry,
            s.samples,
            s.memory_clients,
        );
        for r in &self.stacks {
            if let Outcome::Skipped(why) | Outcome::Failed(why) = &r.outcome {
                text.push_str(&format!("\n{}: {why}", r.stack));
            }
        }
        if let Some(note) = &self.loc_note {
            text.push_str(&format!("\n{note}"));
        }
        text
    }
}

/// One stack's cells.
fn row(r: &StackResult) -> [String; 12] {
    let opt = |v: Option<String>| v.unwrap_or_else(|| DASH.to_owned());
    let ms = |s: Option<Summary>, f: fn(&Summary) -> u64| {
        opt(s.map(|s| format!("{:.2} ms", f(&s) as f64 / 1e6)))
    };
    let status = match &r.outcome {
        Outcome::Measured => None,
        Outcome::Skipped(_) => Some("skipped".to_owned()),
        Outcome::Failed(_) => Some("FAILED".to_owned()),
    };
    let quiet = if r.quiet_after_load == Some(false) {
        " (not quiet)"
    } else {
        ""
    };
    [
        r.stack.to_owned(),
        r.runtime.to_owned(),
        opt(status.or(r.throughput.map(|t| format!("{t:.0}")))),
        ms(r.load, |s| s.p50),
        ms(r.load, |s| s.p99),
        ms(r.round_trip, |s| s.p50),
        ms(r.round_trip, |s| s.p99),
        opt(r.cpu_us_per_report.map(|c| format!("{c:.1} µs{quiet}"))),
        opt(r.resident_per_client.map(|b| format!("{b:.0} B"))),
        ms(r.flood, |s| s.p50),
        ms(r.flood, |s| s.p99),
        opt(r.loc.map(|l| l.to_string())),
    ]
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn settings() -> PeersSettings {
        PeersSettings {
            connections: 2,
            clients_per_connection: 10,
            window: 4,
            warmup: Duration::from_millis(100),
            duration: Duration::from_millis(300),
            samples: 5,
            memory_clients: 200,
            settle: Duration::ZERO,
            entry: "Goloman".into(),
            herd_bin: Err("no herd".into()),
            repo: ".".into(),
            keep_dir: false,
        }
    }

    #[test]
    fn a_skipped_stack_is_a_row_of_dashes_with_its_reason_below_and_no_problem() {
        let mut ours = StackResult::new(Stack::Ours, None);
        ours.throughput = Some(1234.4);
        ours.cpu_us_per_report = Some(3.21);
        ours.quiet_after_load = Some(false);
        ours.round_trip = Summary::of(vec![1_000_000, 3_000_000]);
        let mut java = StackResult::new(Stack::Java, None);
        java.outcome = Outcome::Skipped("javac is not on PATH".into());
        let machine = Machine::now();
        let report = PeersReport::new(settings(), machine, vec![ours, java], None);
        assert!(report.problems.is_empty(), "{:?}", report.problems);
        let text = report.render();
        assert!(
            text.contains(
                "| herd | Rust / tokio | 1234 | — | — | 1.00 ms | 3.00 ms | 3.2 µs (not quiet) |"
            ),
            "{text}"
        );
        assert!(text.contains("| java | Java 17 | skipped | — |"), "{text}");
        assert!(text.ends_with("\njava: javac is not on PATH"), "{text}");
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["stacks"][1]["status"], "skipped");
        assert_eq!(json["stacks"][1]["reason"], "javac is not on PATH");
        assert_eq!(json["stacks"][0]["round_trip"]["p99_ms"], 3.0);
        assert_eq!(json["settings"]["duration"], 0.3);
    }

    #[test]
    fn a_failed_stack_and_bad_replies_are_problems() {
        let mut node = StackResult::new(Stack::Node, None);
        node.outcome = Outcome::Failed("node exited".into());
        let mut asyncio = StackResult::new(Stack::Asyncio, None);
        asyncio.bad_replies = Some(2);
        asyncio.flood_missed = Some(1);
        let report = PeersReport::new(settings(), Machine::now(), vec![node, asyncio], None);
        assert_eq!(
            report.problems,
            [
                "node failed: node exited",
                "asyncio: 2 load replies were not AT lines",
                "asyncio: 1 floods did not arrive"
            ]
        );
        assert!(
            report
                .render()
                .contains("| node | JavaScript / Node.js | FAILED |")
        );
    }
}
