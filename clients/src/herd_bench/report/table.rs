//! The markdown table of a `herd-bench` run, one row per measurement, to
//! paste into the README.

use super::{
    Agreement, MEMORY_TARGET, Report, THROUGHPUT_TARGET, latencies, memory_text, memory_verdict,
    ops,
};
use crate::harness::cells::{DASH, Verdict, p50_90_99, p50_99, ratio};
use crate::harness::table::Table;
use crate::herd_bench::memory::ID_LEN;
use crate::herd_bench::probe::{WHATSAT_BOUND, WHATSAT_RADIUS};

use super::P99_TARGET;

impl Report {
    /// Rows (a) to (e).
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

    /// (a): throughput, latency under load, agreement afterwards.
    fn load_rows(&self, table: &mut Table<5>) {
        let s = &self.settings;
        let (baseline, herd) = (self.baseline_load.as_ref(), self.herd_load.as_ref());
        table.row([
            format!(
                "(a) IAMAT throughput, {} conns × {} in flight",
                s.connections, s.window
            ),
            ops(baseline),
            ops(herd),
            ratio(self.ratio()),
            format!("≥ {THROUGHPUT_TARGET}: {}", self.ratio_verdict()),
        ]);
        table.row([
            "(a) IAMAT latency under that load, p50 / p90 / p99".into(),
            p50_90_99(latencies(baseline)),
            p50_90_99(latencies(herd)),
            String::new(),
            String::new(),
        ]);
        let agreement = self.agreement.as_ref();
        table.row([
            "(a) after it, other servers holding each load client's newest location".into(),
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
