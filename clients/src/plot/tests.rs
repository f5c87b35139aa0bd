//! The charts from a small fixture of latency files, and the errors bad
//! files give.

use std::path::Path;
use std::time::Duration;

use super::chart::{HEIGHT, WIDTH};
use super::*;
use crate::olympic::latency::LatencyLog;

/// Writes `lines` to `<input>/<dir>/<file>`.
fn fixture(input: &Path, dir: &str, file: &str, lines: &[&str]) {
    let dir = input.join(dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(file), lines.join("\n") + "\n").unwrap();
}

/// Two counts of tablets with pull and push samples, as tablets write them.
fn good_fixture(input: &Path) {
    fixture(
        input,
        "1",
        "tablet-1-pull.latency",
        &[
            "1732250000.000001 pull tally/Gaul 0.800",
            "1732250001.000001 pull score/curling 1.200",
        ],
    );
    // One tablet's push file as the tablet itself writes it.
    let mut log = LatencyLog::open(&input.join("1").join("tablet-1-push.latency")).unwrap();
    log.record("push", "curling", Duration::from_micros(2500))
        .unwrap();
    fixture(
        input,
        "10",
        "tablet-3-pull.latency",
        &[
            "1732250000.1 pull tally/Rome 1.000",
            "1732250000.2 pull tally/Rome 9.000",
        ],
    );
    fixture(
        input,
        "10",
        "tablets-push.latency",
        &[
            "1732250000.3 push curling 4.000",
            "1732250000.4 push curling 0.000",
        ],
    );
    fixture(
        input,
        "10",
        "notes.txt",
        &["not a latency file, left alone"],
    );
}

#[test]
fn a_small_fixture_gives_three_charts_of_the_chart_size() {
    let dir = tempfile::tempdir().unwrap();
    let (input, out) = (dir.path().join("in"), dir.path().join("charts"));
    good_fixture(&input);
    let charts = write_charts(&input, &out, "fixture, 2 counts").unwrap();
    let names: Vec<_> = charts
        .files
        .iter()
        .map(|f| f.file_name().unwrap())
        .collect();
    assert_eq!(names, [PULL_CHART, PUSH_CHART, COMPARISON_CHART]);
    for file in &charts.files {
        let size = image::image_dimensions(file).unwrap();
        assert_eq!(size, (WIDTH, HEIGHT), "{}", file.display());
    }
    let at = |points: &[samples::Point]| -> Vec<(usize, usize, u64)> {
        points
            .iter()
            .map(|p| (p.tablets, p.summary.count, p.summary.p99))
            .collect()
    };
    assert_eq!(at(&charts.pull), [(1, 2, 1_200_000), (10, 2, 9_000_000)]);
    assert_eq!(at(&charts.push), [(1, 1, 2_500_000), (10, 2, 4_000_000)]);
    let table = charts.table();
    assert!(
        table.contains("| 10 | 2 | 1.00 ms / 9.00 ms | 2 | 0 µs / 4.00 ms |"),
        "{table}"
    );
}

#[test]
fn a_bad_line_is_an_error_naming_its_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    good_fixture(&input);
    fixture(
        &input,
        "50",
        "tablet-7-pull.latency",
        &[
            "1732250000.1 pull tally/Gaul 1.000",
            "1732250000.2 pull tally/Gaul soon",
        ],
    );
    let err = write_charts(&input, &dir.path().join("out"), "").unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, PlotError::BadLine { line: 2, .. }), "{text}");
    assert!(text.contains("50/tablet-7-pull.latency:2"), "{text}");
    assert!(
        text.contains("\"soon\" is not a number of milliseconds"),
        "{text}"
    );
    assert!(
        !dir.path().join("out").exists(),
        "nothing is drawn from bad input"
    );
}

#[test]
fn a_directory_not_named_by_a_count_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    good_fixture(&input);
    fixture(
        &input,
        "many",
        "tablet-1-pull.latency",
        &["1.0 pull tally/Gaul 1.0"],
    );
    let err = write_charts(&input, &dir.path().join("out"), "").unwrap_err();
    assert!(matches!(err, PlotError::BadDirectory { .. }), "{err}");
    assert!(
        err.to_string().contains("named by its number of tablets"),
        "{err}"
    );
}

#[test]
fn missing_input_or_a_missing_mode_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    let err = write_charts(&input, &dir.path().join("out"), "").unwrap_err();
    assert!(matches!(err, PlotError::Io { .. }), "{err}");
    fixture(
        &input,
        "1",
        "tablet-1-pull.latency",
        &["1.0 pull tally/Gaul 1.0"],
    );
    let err = write_charts(&input, &dir.path().join("out"), "").unwrap_err();
    assert!(
        matches!(
            err,
            PlotError::NoSamples {
                mode: Mode::Push,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("no push samples"), "{err}");
}
