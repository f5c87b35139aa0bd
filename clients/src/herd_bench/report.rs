//! The results of a run: a readable summary and a markdown table that can
//! be pasted into the README, both with the targets and whether they were met.

use std::fmt::Write as _;
use std::time::Duration;

use crate::harness::stats::{Nanos, Summary};
use crate::herd_bench::cluster::LogStats;
use crate::herd_bench::load::LoadResult;
use crate::herd_bench::memory::{ID_LEN, MemoryResult};
use crate::herd_bench::probe::{
    AGREEMENT_WAIT, FloodResult, WHATSAT_BOUND, WHATSAT_COORDS, WHATSAT_RADIUS, WhatsatResult,
};

/// Herd throughput must be at least this fraction of the baseline's.
pub const THROUGHPUT_TARGET: f64 = 0.5;

/// Flood and WHATSAT p99 must be below this.
pub const P99_TARGET: Duration = Duration::from_millis(1);

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
    /// The machine's one-minute load average before the run: other work
    /// on the same cores makes every number noisier.
    pub load_before: Option<f64>,
}

/// The one-minute load average, where the system shows it.
pub fn load_average() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
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
    fn verdict(&self) -> &'static str {
        if self.differ.is_empty() {
            "met"
        } else {
            "missed"
        }
    }
}

/// Everything measured; `None` for what was not run.
#[derive(Debug, Clone)]
pub struct Report {
    /// The run's settings.
    pub settings: Settings,
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

/// Most bytes of memory per stored client: 200 plus the ID.
pub const MEMORY_TARGET: usize = 200 + ID_LEN;

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
fn memory_verdict(m: &MemoryResult) -> &'static str {
    let under = |b: f64| b < MEMORY_TARGET as f64;
    if m.per_client
        .values()
        .all(|p| under(p.heap) && under(p.resident))
    {
        "met"
    } else {
        "missed"
    }
}

/// `p50 / p90 / p99` of `samples`, or a dash.
pub fn p50_90_99(samples: Option<&Vec<u64>>) -> String {
    match samples.cloned().and_then(Summary::of) {
        Some(s) => format!("{} / {} / {}", Nanos(s.p50), Nanos(s.p90), Nanos(s.p99)),
        None => "—".into(),
    }
}

/// `p50 / p99` of `samples`, or a dash.
pub fn p50_99(samples: Option<&Vec<u64>>) -> String {
    match samples.cloned().and_then(Summary::of) {
        Some(s) => format!("{} / {}", Nanos(s.p50), Nanos(s.p99)),
        None => "—".into(),
    }
}

/// Whether the p99 of `samples` is under [`P99_TARGET`].
fn p99_verdict(samples: Option<&Vec<u64>>) -> &'static str {
    match samples.cloned().and_then(Summary::of) {
        Some(s) if Duration::from_nanos(s.p99) < P99_TARGET => "met",
        Some(_) => "missed",
        None => "not run",
    }
}

/// Operations per second with thousands separators, or a dash.
fn ops(load: Option<&LoadResult>) -> String {
    load.map_or("—".into(), |l| per_second(l.ops_per_sec()))
}

/// `12,345 ops/s`: a rate rounded to a whole number, with thousands separators.
pub fn per_second(rate: f64) -> String {
    let digits = format!("{rate:.0}");
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out + " ops/s"
}

impl Report {
    /// Herd throughput over baseline throughput, when both ran.
    pub fn ratio(&self) -> Option<f64> {
        let base = self.baseline_load.as_ref()?.ops_per_sec();
        let herd = self.herd_load.as_ref()?.ops_per_sec();
        (base > 0.0).then(|| herd / base)
    }

    /// The readable summary followed by the markdown table.
    pub fn render(&self) -> String {
        let s = &self.settings;
        let mut out = String::new();
        let ratio = self.ratio();
        let ratio_text = ratio.map_or("—".into(), |r| format!("{r:.2}"));
        let ratio_verdict = match ratio {
            Some(r) if r >= THROUGHPUT_TARGET => "met",
            Some(_) => "missed",
            None => "not run",
        };
        let flood = self.flood.as_ref();
        let whatsat = self.whatsat.as_ref();
        let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
        let load = s.load_before.map_or(String::new(), |l| {
            format!(", load average {l:.2} before the run")
        });
        let _ = writeln!(
            out,
            "herd-bench on {cores} cores{load}, everything on loopback; herd target {}",
            s.target
        );
        let _ = writeln!(
            out,
            "(a) pipelined IAMAT: {} connections x {} in flight, {:?} measured after {:?} warm-up",
            s.connections, s.window, s.duration, s.warmup
        );
        for (who, load) in [("baseline", &self.baseline_load), ("herd", &self.herd_load)] {
            if let Some(load) = load {
                let _ = writeln!(
                    out,
                    "    {who:<8} {:>16}  latency p50/p90/p99 {}  ({} replies, {} not AT)",
                    ops(Some(load)),
                    p50_90_99(Some(&load.latencies)),
                    load.completed,
                    load.bad_replies
                );
                if let Some(bad) = &load.first_bad {
                    let _ = writeln!(out, "             first bad reply: {bad:?}");
                }
            }
        }
        let _ = writeln!(
            out,
            "    herd / baseline = {ratio_text} (target >= {THROUGHPUT_TARGET}: {ratio_verdict})"
        );
        if let Some(a) = &self.agreement {
            let _ = writeln!(
                out,
                "    after the load, {} (client, server) pairs hold the target's newest location{}",
                a.fraction(),
                if a.differ.is_empty() {
                    String::new()
                } else {
                    format!(
                        "; after {AGREEMENT_WAIT:?} these still differ: {}",
                        a.differ.join(", ")
                    )
                }
            );
        }
        if let Some(logs) = &self.herd_logs {
            let _ = writeln!(
                out,
                "    herd logs after the whole run: {:.1} MB in {} files; {} link-queue-full warnings \
                 (rate-limited, so a lower bound; each means floods were dropped)",
                logs.bytes as f64 / 1e6,
                logs.files,
                logs.matching_lines
            );
        }
        let _ = writeln!(
            out,
            "(b) grader-style IAMAT (connect, write, half-close, read to EOF), {} samples each",
            s.samples
        );
        let _ = writeln!(
            out,
            "    baseline p50/p90/p99 {}\n    herd     p50/p90/p99 {}",
            p50_90_99(self.baseline_grader.as_ref()),
            p50_90_99(self.herd_grader.as_ref())
        );
        let _ = writeln!(
            out,
            "(c) flood Hands -> Welsh (3 hops), {} samples at idle: p50/p99 {} (target p99 < 1 ms: {})",
            s.samples,
            p50_99(flood.map(|f| &f.latencies)),
            p99_verdict(flood.map(|f| &f.latencies))
        );
        if let Some(f) = flood {
            let polls = Summary::of(f.polls.clone());
            let _ = writeln!(
                out,
                "    polls per sample p50/max {}; a poll answered `?` takes p50/p99 {}; missed (> 2 s) {}",
                polls.map_or("—".into(), |p| format!("{}/{}", p.p50, p.max)),
                p50_99(Some(&f.miss_rtts)),
                f.missed
            );
        }
        let _ = writeln!(
            out,
            "    measures: from writing IAMAT at Hands until a WHATSAT at Welsh, polled back to back\n    \
             on one connection, first returns the AT line. It includes that last WHATSAT's round\n    \
             trip (Places lookup included) and up to one more of polling granularity, so it is an\n    \
             upper bound on the flood's own latency."
        );
        let _ = writeln!(
            out,
            "(d) WHATSAT at {} for a client at {WHATSAT_COORDS}, radius {WHATSAT_RADIUS} km, bound {WHATSAT_BOUND}, local provider:\n    \
             p50/p99 {} (target p99 < 1 ms: {}){}",
            s.target,
            p50_99(whatsat.map(|w| &w.latencies)),
            p99_verdict(whatsat.map(|w| &w.latencies)),
            whatsat.map_or(String::new(), |w| format!(
                "; reply {} bytes, {} places",
                w.reply_bytes, w.results
            ))
        );
        if let Some(m) = &self.memory {
            let _ = writeln!(
                out,
                "(e) memory per stored client, {} new clients with {ID_LEN}-byte IDs reported at {}, \
                 heap / resident: {} (target < {} B, 200 B plus the ID: {})",
                m.clients,
                s.target,
                memory_text(m),
                MEMORY_TARGET,
                memory_verdict(m)
            );
        }
        for problem in &self.problems {
            let _ = writeln!(out, "PROBLEM: {problem}");
        }
        out.push('\n');
        out.push_str(&self.markdown(&ratio_text, ratio_verdict));
        out
    }

    /// The markdown table.
    fn markdown(&self, ratio_text: &str, ratio_verdict: &str) -> String {
        let s = &self.settings;
        let flood = self.flood.as_ref().map(|f| &f.latencies);
        let whatsat = self.whatsat.as_ref().map(|w| &w.latencies);
        let rows = [
            [
                format!(
                    "(a) IAMAT throughput, {} conns × {} in flight",
                    s.connections, s.window
                ),
                ops(self.baseline_load.as_ref()),
                ops(self.herd_load.as_ref()),
                ratio_text.to_owned(),
                format!("≥ {THROUGHPUT_TARGET}: {ratio_verdict}"),
            ],
            [
                "(a) IAMAT latency under that load, p50 / p90 / p99".into(),
                p50_90_99(self.baseline_load.as_ref().map(|l| &l.latencies)),
                p50_90_99(self.herd_load.as_ref().map(|l| &l.latencies)),
                String::new(),
                String::new(),
            ],
            [
                "(a) after it, other servers holding each load client's newest location".into(),
                "—".into(),
                self.agreement
                    .as_ref()
                    .map_or("—".into(), Agreement::fraction),
                String::new(),
                format!(
                    "all: {}",
                    self.agreement
                        .as_ref()
                        .map_or("not run", Agreement::verdict)
                ),
            ],
            [
                "(b) grader-style IAMAT (connect … EOF), p50 / p90 / p99".into(),
                p50_90_99(self.baseline_grader.as_ref()),
                p50_90_99(self.herd_grader.as_ref()),
                String::new(),
                String::new(),
            ],
            [
                "(c) flood Hands → Welsh, 3 hops, incl. one WHATSAT round trip, p50 / p99".into(),
                "—".into(),
                p50_99(flood),
                String::new(),
                format!("p99 < 1 ms: {}", p99_verdict(flood)),
            ],
            [
                format!(
                    "(d) WHATSAT r = {WHATSAT_RADIUS} km, bound {WHATSAT_BOUND}, local places, p50 / p99"
                ),
                "—".into(),
                p50_99(whatsat),
                String::new(),
                format!("p99 < 1 ms: {}", p99_verdict(whatsat)),
            ],
            [
                format!(
                    "(e) memory per stored client, {ID_LEN}-byte IDs, every server, heap / resident"
                ),
                "—".into(),
                self.memory.as_ref().map_or("—".into(), memory_text),
                String::new(),
                format!(
                    "< {MEMORY_TARGET} B: {}",
                    self.memory.as_ref().map_or("not run", memory_verdict)
                ),
            ],
        ];
        let mut out = String::from(
            "| Measurement | Baseline | Herd | Herd / baseline | Target |\n|---|---|---|---|---|\n",
        );
        for row in rows {
            let _ = writeln!(out, "| {} |", row.join(" | "));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::herd_bench::memory::PerClient;

    fn load(completed: u64) -> LoadResult {
        LoadResult {
            completed,
            measured: Duration::from_secs(2),
            latencies: vec![1_000; 10],
            ..LoadResult::default()
        }
    }

    fn report() -> Report {
        Report {
            settings: Settings {
                connections: 8,
                window: 32,
                warmup: Duration::from_secs(1),
                duration: Duration::from_secs(2),
                samples: 10,
                memory_clients: 10,
                target: "Goloman".into(),
                load_before: Some(0.5),
            },
            baseline_load: Some(load(200_000)),
            herd_load: Some(load(90_000)),
            baseline_grader: Some(vec![50_000; 10]),
            herd_grader: None,
            flood: Some(FloodResult {
                latencies: vec![400_000, 2_000_000],
                polls: vec![3, 9],
                miss_rtts: vec![40_000, 60_000],
                missed: 0,
            }),
            whatsat: None,
            agreement: Some(Agreement {
                pairs: 32,
                differ: vec!["c-1 at Welsh".into()],
            }),
            herd_logs: Some(LogStats {
                files: 5,
                bytes: 2_500_000,
                matching_lines: 3,
            }),
            memory: Some(MemoryResult {
                clients: 1000,
                per_client: [
                    (
                        "Goloman".to_owned(),
                        PerClient {
                            heap: 170.0,
                            resident: 180.0,
                        },
                    ),
                    (
                        "Hands".to_owned(),
                        PerClient {
                            heap: 190.0,
                            resident: 250.0,
                        },
                    ),
                ]
                .into(),
            }),
            problems: vec!["links down".into()],
        }
    }

    #[test]
    fn ratio_and_verdicts_follow_the_numbers() {
        let r = report();
        assert_eq!(r.ratio(), Some(0.45));
        let text = r.render();
        assert!(
            text.contains("| 100,000 ops/s | 45,000 ops/s | 0.45 | ≥ 0.5: missed |"),
            "{text}"
        );
        assert!(text.contains("p99 < 1 ms: missed"), "{text}");
        assert!(text.contains("PROBLEM: links down"), "{text}");
        assert!(text.contains("| 31 / 32 |  | all: missed |"), "{text}");
        assert!(text.contains("these still differ: c-1 at Welsh"), "{text}");
        assert!(
            text.contains("2.5 MB in 5 files; 3 link-queue-full"),
            "{text}"
        );
        assert!(
            text.contains("| 50 µs / 50 µs / 50 µs | — |  |  |"),
            "{text}"
        );
        assert!(
            text.contains("| Goloman 170 / 180 B, Hands 190 / 250 B |  | < 224 B: missed |"),
            "{text}"
        );
    }

    #[test]
    fn markdown_rows_all_have_five_cells() {
        let text = report().render();
        let table: Vec<&str> = text.lines().filter(|l| l.starts_with('|')).collect();
        assert_eq!(table.len(), 9);
        for line in table {
            assert_eq!(line.matches('|').count(), 6, "{line}");
        }
    }
}
