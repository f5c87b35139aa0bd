//! The markdown table of a `herd-bench` run, one row per measurement, to
//! paste into the README.

use super::{
    Agreement, CPU_TARGET, LoadRun, MEMORY_TARGET, Report, cpu_text, latencies, log_text,
    memory_text, memory_verdict, ops, payloads_text,
};
use crate::harness::cells::{DASH, Verdict, p50_90_99, p50_99, ratio};
use crate::harness::table::Table;
use crate::herd_bench::memory::ID_LEN;
use crate::herd_bench::probe::{WHATSAT_BOUND, WHATSAT_RADIUS};

use super::P99_TARGET;

impl Report {
    /// Rows (a1) to (e).
    pub(super) fn table(&self) -> Table<5> {
        let mut table = Table::new([
            "Measurement",
            "Baseline",
            "Herd",
            "Herd / baseline",
            "Target",
        ]);
        self.load_rows(&mut table);
        self.probe_rows(&mut table);
        table.row([
            format!(
                "(e) memory per stored client, {ID_LEN}-byte IDs, every server, heap / resident"
            ),
            DASH.into(),
            self.memory.as_ref().map_or(DASH.into(), memory_text),
            String::new(),
            format!(
                "< {MEMORY_TARGET} B: {}",
                memory_verdict(self.memory.as_ref())
            ),
        ]);
        table
    }

    /// (a1) and (a2): throughput, latency under load, what each report
    /// cost, agreement afterwards.
    fn load_rows(&self, table: &mut Table<5>) {
        for run in &self.loads {
            self.load_run_rows(run, table);
        }
    }

    fn load_run_rows(&self, run: &LoadRun, table: &mut Table<5>) {
        let tag = run.shape.tag;
        let (baseline, herd) = (run.baseline.as_ref(), run.herd.as_ref());
        table.row([
            format!(
                "({tag}) IAMAT throughput, {}",
                run.shape.describe(self.settings.window)
            ),
            ops(baseline),
            ops(herd),
            ratio(run.ratio()),
            format!("≥ {}: {}", run.shape.target, run.ratio_verdict()),
        ]);
        table.row([
            format!("({tag}) latency under that load, p50 / p90 / p99"),
            p50_90_99(latencies(baseline)),
            p50_90_99(latencies(herd)),
            String::new(),
            String::new(),
        ]);
        let (base_cost, herd_cost) = (run.baseline_cost.as_ref(), run.herd_cost.as_ref());
        table.row([
            format!("({tag}) CPU per report, every process of the side"),
            cpu_text(base_cost),
            cpu_text(herd_cost),
            ratio(run.cpu_ratio()),
            format!(
                "≤ {CPU_TARGET}: {}",
                Verdict::at_most(run.cpu_ratio(), CPU_TARGET)
            ),
        ]);
        let most = self.payloads_target();
        table.row([
            format!("({tag}) location messages on links per report"),
            DASH.into(),
            payloads_text(run, self.settings.servers),
            String::new(),
            format!("≤ {most}: {}", Verdict::at_most(run.payloads(), most)),
        ]);
        table.row([
            format!("({tag}) log bytes per report, every server"),
            DASH.into(),
            log_text(herd_cost),
            String::new(),
            String::new(),
        ]);
        let agreement = run.agreement.as_ref();
        table.row([
            format!("({tag}) after it, other servers holding sampled clients' newest location"),
            DASH.into(),
            agreement.map_or(DASH.into(), Agreement::fraction),
            String::new(),
            format!(
                "all: {}",
                agreement.map_or(Verdict::NotRun, Agreement::verdict)
            ),
        ]);
    }

    /// (b) to (d): the one-at-a-time latencies.
    fn probe_rows(&self, table: &mut Table<5>) {
        table.row([
            "(b) grader-style IAMAT (connect … EOF), p50 / p90 / p99".into(),
            p50_90_99(self.baseline_grader.as_deref()),
            p50_90_99(self.herd_grader.as_deref()),
            String::new(),
            String::new(),
        ]);
        let flood = self.flood.as_ref().map(|f| f.latencies.as_slice());
        table.row([
            "(c) flood Hands → Welsh, 3 hops, incl. one WHATSAT round trip, p50 / p99".into(),
            DASH.into(),
            p50_99(flood),
            String::new(),
            format!("p99 < 1 ms: {}", Verdict::p99_under(flood, P99_TARGET)),
        ]);
        let whatsat = self.whatsat.as_ref().map(|w| w.latencies.as_slice());
        table.row([
            format!("(d) WHATSAT r = {WHATSAT_RADIUS} km, bound {WHATSAT_BOUND}, local places, p50 / p99"),
            DASH.into(),
            p50_99(whatsat),
            String::new(),
            format!("p99 < 1 ms: {}", Verdict::p99_under(whatsat, P99_TARGET)),
        ]);
    }
}
