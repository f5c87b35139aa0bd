//! The report's numbers, verdicts and table shape, from a made-up run.

use std::time::Duration;

use super::*;
use crate::harness::window::Throughput;
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

fn report() -> Report {
    let settings = Settings {
        connections: 8,
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
    r.baseline_load = Some(load(200_000));
    r.herd_load = Some(load(90_000));
    r.baseline_grader = Some(vec![50_000; 10]);
    r.flood = Some(FloodResult {
        latencies: vec![400_000, 2_000_000],
        polls: vec![3, 9],
        miss_rtts: vec![40_000, 60_000],
        missed: 0,
    });
    r.agreement = Some(Agreement {
        pairs: 32,
        differ: vec!["c-1 at Welsh".into()],
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
fn the_summary_starts_with_the_machine_and_the_target() {
    let text = report().render();
    assert!(
        text.starts_with(
            "herd-bench, release build, 2 cores, load average 0.50 before the run, 0.75 after; \
             everything on loopback; herd target Goloman\n(a) pipelined IAMAT: 8 connections x 32"
        ),
        "{text}"
    );
}

#[test]
fn what_was_not_run_is_a_dash_and_says_not_run() {
    let mut r = report();
    r.memory = None;
    r.agreement = None;
    r.herd_load = None;
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
    assert_eq!(table.len(), 9);
    for line in table {
        assert_eq!(line.matches('|').count(), 6, "{line}");
    }
}
