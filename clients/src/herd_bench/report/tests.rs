//! The report's numbers, verdicts and table shape, from a made-up run.

use std::time::Duration;

use super::*;
use crate::harness::window::Throughput;
use crate::herd_bench::cost::Snapshot;
use crate::herd_bench::memory::PerClient;

fn load(completed: u64) -> LoadResult {
    LoadResult {
        throughput: Throughput {
            completed,
            measured: Duration::from_secs(2),
            latencies: vec![1_000; 10],
        },
        ..LoadResult::default()
    }
}

fn memory() -> MemoryResult {
    let per = |heap, resident| PerClient { heap, resident };
    MemoryResult {
        clients: 1000,
        per_client: [
            ("Goloman".to_owned(), per(170.0, 180.0)),
            ("Hands".to_owned(), per(190.0, 250.0)),
        ]
        .into(),
    }
}

fn cost(reports: u64, cpu_ms: u64, payloads: Option<u64>) -> Cost {
    let used = Snapshot {
        cpu: Duration::from_millis(cpu_ms),
        payloads,
        log_bytes: payloads.map(|p| p * 100),
    };
    let before = Snapshot {
        payloads: payloads.map(|_| 0),
        log_bytes: payloads.map(|_| 0),
        ..Snapshot::default()
    };
    Cost::between(before, used, reports)
}

fn report() -> Report {
    let settings = Settings {
        connections: 32,
        clients_per_connection: 1000,
        single_connections: 8,
        servers: 5,
        window: 32,
        warmup: Duration::from_secs(1),
        duration: Duration::from_secs(2),
        samples: 10,
        memory_clients: 10,
        target: "Goloman".into(),
    };
    let machine = Machine {
        cores: 2,
        debug_build: false,
        load_before: Some(0.5),
        load_after: Some(0.75),
    };
    let mut r = Report::new(settings, machine);
    let many = &mut r.loads[0];
    many.baseline = Some(load(200_000));
    many.herd = Some(load(60_000));
    many.baseline_cost = Some(cost(1_000, 2, None));
    many.herd_cost = Some(cost(1_000, 10, Some(4_500)));
    many.agreement = Some(Agreement {
        pairs: 32,
        differ: vec!["c-1 at Welsh".into()],
    });
    let one = &mut r.loads[1];
    one.baseline = Some(load(200_000));
    one.herd = Some(load(90_000));
    r.baseline_grader = Some(vec![50_000; 10]);
    r.flood = Some(FloodResult {
        latencies: vec![400_000, 2_000_000],
        polls: vec![3, 9],
        miss_rtts: vec![40_000, 60_000],
        missed: 0,
    });
    r.herd_logs = Some(LogStats {
        files: 5,
        bytes: 2_500_000,
        matching_lines: 3,
    });
    r.memory = Some(memory());
    r.problems = vec!["links down".into()];
    r
}

#[test]
fn ratio_and_verdicts_follow_the_numbers() {
    let r = report();
    assert_eq!(r.loads[0].ratio(), Some(0.3));
    assert_eq!(r.loads[1].ratio(), Some(0.45));
    assert_eq!(r.loads[0].cpu_ratio(), Some(5.0));
    let text = r.render();
    assert!(
        text.contains(
            "| (a1) IAMAT throughput, 32 conns × 1,000 clients each, 32 in flight | \
             100,000 ops/s | 30,000 ops/s | 0.30 | ≥ 0.25: met |"
        ),
        "{text}"
    );
    assert!(
        text.contains("| 100,000 ops/s | 45,000 ops/s | 0.45 | ≥ 0.5: missed |"),
        "{text}"
    );
    assert!(
        text.contains("| 2.0 µs | 10.0 µs | 5.00 | ≤ 8: met |"),
        "{text}"
    );
    assert!(
        text.contains("| — | 4.50 (redundancy +0.12) |  | ≤ 4: missed |"),
        "{text}"
    );
    assert!(text.contains("| — | 450 B |  |  |"), "{text}");
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
fn the_summary_starts_with_the_machine_and_the_target() {
    let text = report().render();
    assert!(
        text.starts_with(
            "herd-bench, release build, 2 cores, load average 0.50 before the run, 0.75 after; \
             everything on loopback; herd target Goloman\n(a) pipelined IAMAT, every report"
        ),
        "{text}"
    );
}

#[test]
fn what_was_not_run_is_a_dash_and_says_not_run() {
    let mut r = report();
    r.memory = None;
    r.loads[0].agreement = None;
    r.loads[1].herd = None;
    let text = r.render();
    assert!(text.contains("| — |  | < 224 B: not run |"), "{text}");
    assert!(text.contains("| — | — |  | all: not run |"), "{text}");
    assert!(
        text.contains("| 100,000 ops/s | — | — | ≥ 0.5: not run |"),
        "{text}"
    );
}

#[test]
fn markdown_rows_all_have_five_cells() {
    let text = report().render();
    let table: Vec<&str> = text.lines().filter(|l| l.starts_with('|')).collect();
    assert_eq!(table.len(), 2 + 2 * 6 + 4);
    for line in table {
        assert_eq!(line.matches('|').count(), 6, "{line}");
    }
}
