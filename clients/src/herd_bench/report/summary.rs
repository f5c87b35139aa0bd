//! The readable summary of a `herd-bench` run: what each measurement did,
//! its numbers, and the targets.

use std::fmt::Write as _;

use super::{
    CPU_TARGET, LoadRun, MEMORY_TARGET, P99_TARGET, Report, cpu_text, latencies, log_text,
    memory_text, memory_verdict, ops, payloads_text,
};
use crate::harness::cells::{DASH, Verdict, p50_90_99, p50_99, ratio};
use crate::harness::stats::Summary;
use crate::herd_bench::memory::ID_LEN;
use crate::herd_bench::probe::{AGREEMENT_WAIT, WHATSAT_BOUND, WHATSAT_COORDS, WHATSAT_RADIUS};

// Writing to a String cannot fail, so the results of `writeln!` are ignored.

impl Report {
    /// Every section in order, then the problems.
    pub(super) fn summary(&self) -> String {
        let mut out = format!(
            "{}; herd target {}\n",
            self.machine.caption("herd-bench"),
            self.settings.target
        );
        self.write_load(&mut out);
        self.write_grader(&mut out);
        self.write_flood(&mut out);
        self.write_whatsat(&mut out);
        self.write_memory(&mut out);
        for problem in &self.problems {
            let _ = writeln!(out, "PROBLEM: {problem}");
        }
        out
    }

    /// (a1) and (a2): each load against both, the ratios, the costs,
    /// agreement afterwards; then the logs.
    fn write_load(&self, out: &mut String) {
        let s = &self.settings;
        let _ = writeln!(
            out,
            "(a) pipelined IAMAT, every report the newest for its client: {:?} measured after {:?} warm-up",
            s.duration, s.warmup
        );
        for run in &self.loads {
            self.write_load_run(run, out);
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
    }

    fn write_load_run(&self, run: &LoadRun, out: &mut String) {
        let shape = &run.shape;
        let _ = writeln!(
            out,
            "  ({}) {}",
            shape.tag,
            shape.describe(self.settings.window)
        );
        for (who, load, cost) in [
            ("baseline", &run.baseline, &run.baseline_cost),
            ("herd", &run.herd, &run.herd_cost),
        ] {
            let Some(load) = load else { continue };
            let _ = writeln!(
                out,
                "    {who:<8} {:>16}  latency p50/p90/p99 {}  ({} replies, {} not AT); CPU per report {}",
                ops(Some(load)),
                p50_90_99(latencies(Some(load))),
                load.throughput.completed,
                load.bad_replies,
                cpu_text(cost.as_ref()),
            );
            if let Some(bad) = &load.first_bad {
                let _ = writeln!(out, "             first bad reply: {bad:?}");
            }
        }
        let _ = writeln!(
            out,
            "    herd / baseline = {} (target >= {}: {}); CPU per report herd / baseline = {} \
             (target <= {CPU_TARGET}: {})",
            ratio(run.ratio()),
            run.shape.target,
            run.ratio_verdict(),
            ratio(run.cpu_ratio()),
            Verdict::at_most(run.cpu_ratio(), CPU_TARGET),
        );
        let _ = writeln!(
            out,
            "    per report: location messages on links {} (target <= {}: {}), log bytes {}",
            payloads_text(run, self.settings.servers),
            self.payloads_target(),
            Verdict::at_most(run.payloads(), self.payloads_target()),
            log_text(run.herd_cost.as_ref()),
        );
        if let Some(a) = &run.agreement {
            let differ = if a.differ.is_empty() {
                String::new()
            } else {
                format!(
                    "; after {AGREEMENT_WAIT:?} these still differ: {}",
                    a.differ.join(", ")
                )
            };
            let _ = writeln!(
                out,
                "    after the load, {} (sampled client, server) pairs hold the target's newest location{differ}",
                a.fraction()
            );
        }
    }

    /// (b): grader-style rounds against both.
    fn write_grader(&self, out: &mut String) {
        let _ = writeln!(
            out,
            "(b) grader-style IAMAT (connect, write, half-close, read to EOF), {} samples each",
            self.settings.samples
        );
        let _ = writeln!(
            out,
            "    baseline p50/p90/p99 {}\n    herd     p50/p90/p99 {}",
            p50_90_99(self.baseline_grader.as_deref()),
            p50_90_99(self.herd_grader.as_deref())
        );
    }

    /// (c): flood latency, how it was polled, and what it includes.
    fn write_flood(&self, out: &mut String) {
        let flood = self.flood.as_ref().map(|f| f.latencies.as_slice());
        let _ = writeln!(
            out,
            "(c) flood Hands -> Welsh (3 hops), {} samples at idle: p50/p99 {} (target p99 < 1 ms: {})",
            self.settings.samples,
            p50_99(flood),
            Verdict::p99_under(flood, P99_TARGET)
        );
        if let Some(f) = &self.flood {
            let polls = Summary::of(f.polls.clone());
            let _ = writeln!(
                out,
                "    polls per sample p50/max {}; a poll answered `?` takes p50/p99 {}; missed (> 2 s) {}",
                polls.map_or(DASH.into(), |p| format!("{}/{}", p.p50, p.max)),
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
    }

    /// (d): WHATSAT round trips at the target.
    fn write_whatsat(&self, out: &mut String) {
        let whatsat = self.whatsat.as_ref();
        let samples = whatsat.map(|w| w.latencies.as_slice());
        let reply = whatsat.map_or(String::new(), |w| {
            format!("; reply {} bytes, {} places", w.reply_bytes, w.results)
        });
        let _ = writeln!(
            out,
            "(d) WHATSAT at {} for a client at {WHATSAT_COORDS}, radius {WHATSAT_RADIUS} km, bound {WHATSAT_BOUND}, local provider:\n    \
             p50/p99 {} (target p99 < 1 ms: {}){reply}",
            self.settings.target,
            p50_99(samples),
            Verdict::p99_under(samples, P99_TARGET),
        );
    }

    /// (e): memory per stored client at every server.
    fn write_memory(&self, out: &mut String) {
        let Some(m) = &self.memory else { return };
        let _ = writeln!(
            out,
            "(e) memory per stored client, {} new clients with {ID_LEN}-byte IDs reported at {}, \
             heap / resident: {} (target < {MEMORY_TARGET} B, 200 B plus the ID: {})",
            m.clients,
            self.settings.target,
            memory_text(m),
            memory_verdict(Some(m))
        );
    }
}
