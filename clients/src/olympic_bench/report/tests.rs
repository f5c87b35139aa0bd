//! The report's numbers, verdicts and table shape, from a made-up run.

use std::time::Duration;

use super::*;
use crate::harness::window::Throughput;

fn load(completed: u64, latency: u64) -> HttpLoadResult {
    HttpLoadResult {
        throughput: Throughput {
            completed,
            measured: Duration::from_secs(2),
            latencies: vec![latency; 10],
        },
        accepted_total: completed + 5,
        ..HttpLoadResult::default()
    }
}

fn report() -> Report {
    let settings = Settings {
        connections: 32,
        warmup: Duration::from_secs(1),
        duration: Duration::from_secs(2),
        tablets: 3,
        rounds: 2,
        fds: FdLimit {
            before: 1024,
            soft: 4096,
            hard: 4096,
        },
        journal_fs: Some("ext4".into()),
    };
    let machine = Machine {
        cores: 2,
        debug_build: false,
        load_before: Some(1.5),
        load_after: None,
    };
    let mut r = Report::new(settings, machine);
    r.baseline_get = Some(load(40_000, 500_000));
    r.facade_get = Some(load(18_000, 2_000_000));
    r.increments = Some(load(2_000, 30_000_000));
    r.tally = Some(TallyCheck {
        before: 0,
        acked: 2_005,
        unknown: 0,
        facade_after: 2_005,
        servers: [("A".into(), 2_005), ("B".into(), 2_005)].into(),
    });
    r.registration = Some(Registration {
        registered: 3,
        refused: 0,
        first_refusal: None,
    });
    r.rounds = vec![
        RoundResult {
            latencies: vec![10_000_000, 20_000_000, 30_000_000],
            missed: 0,
            set_score: 5_000_000,
        },
        RoundResult {
            latencies: vec![40_000_000, 50_000_000],
            missed: 1,
            set_score: 6_000_000,
        },
    ];
    r
}

#[test]
fn ratio_and_verdicts_follow_the_numbers() {
    let r = report();
    assert_eq!(r.ratio(), Some(0.45));
    assert_eq!(r.push_missed(), (1, 6));
    let text = r.render();
    assert!(
        text.contains("| 20,000 ops/s | 9,000 ops/s | 0.45 | ≥ 0.8: missed |"),
        "{text}"
    );
    assert!(
        text.contains("| 2005, 2005, 2005 (herd, facade) vs 2005 |  | equal: met |"),
        "{text}"
    );
    // p99 of 50 ms is under target, but a missed push fails it.
    assert!(text.contains("| 1 / 6 |"), "{text}");
    assert!(text.contains("p99 < 100 ms, none missed: missed"), "{text}");
    assert!(text.contains("raised from 1024"), "{text}");
    assert!(text.contains("push at 3 registered tablets"), "{text}");
}

#[test]
fn a_clean_run_meets_its_targets_and_every_row_has_five_cells() {
    let mut r = report();
    r.rounds[1].missed = 0;
    r.facade_get = Some(load(34_000, 2_000_000));
    r.cold_round = Some(RoundResult {
        latencies: vec![200_000_000; 3],
        ..RoundResult::default()
    });
    let text = r.render();
    assert!(
        text.contains("| — | 40.00 ms / 200.00 ms |"),
        "the cold round joins the measured ones: {text}"
    );
    assert!(text.contains("≥ 0.8: met"), "{text}");
    assert!(text.contains("none missed: met"), "{text}");
    let table: Vec<&str> = text.lines().filter(|l| l.starts_with('|')).collect();
    assert_eq!(table.len(), 11);
    for line in table {
        assert_eq!(line.matches('|').count(), 6, "{line}");
    }
}

#[test]
fn the_caption_opens_the_summary_and_heads_the_table() {
    let text = report().render();
    let caption = "olympic-bench, release build, 2 cores, load average 1.50 before the run, ? after; \
                   everything on loopback";
    assert!(
        text.starts_with(&format!("{caption}\n    open files: soft 4096")),
        "{text}"
    );
    assert!(
        text.contains(&format!("\n\n_{caption}_\n\n| Measurement |")),
        "{text}"
    );
}

#[test]
fn nothing_pushed_and_nothing_missed_is_not_run() {
    let mut r = report();
    r.rounds.clear();
    assert!(r.render().contains("none missed: not run"));
    r.rounds.push(RoundResult {
        missed: 2,
        ..RoundResult::default()
    });
    assert!(r.render().contains("none missed: missed"));
}
