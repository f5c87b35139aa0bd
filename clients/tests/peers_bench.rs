//! `herd-bench --peers` in a tiny quick run: our herd and every reference
//! herd whose runtime is present are measured side by side, the others
//! are reported as skipped with why, and the table, the JSON and the
//! charts are all written.
//!
//! Our herd is the `herd` binary beside `herd-bench` (Cargo builds it for
//! `cargo test --workspace`). Where it is missing the test says so and
//! passes, except under `CI=true`, where it fails, as it does if the
//! reference herds that CI installs (Python asyncio, Node.js) are skipped.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use base::process::output_within;

/// Longest the whole quick run may take: four herds started, probed,
/// loaded and measured, the Java one compiled first, on a loaded machine.
const RUN_LIMIT: Duration = Duration::from_secs(600);

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

#[test]
fn peers_run_measures_our_herd_and_the_reference_herds_side_by_side() {
    let bench = PathBuf::from(env!("CARGO_BIN_EXE_herd-bench"));
    let Some(herd) = herd_beside(&bench) else {
        return;
    };
    let out_dir = tempfile::tempdir().unwrap();
    let json = out_dir.path().join("peers.json");
    let charts = out_dir.path().join("charts");
    let stdout = run_quick_peers(&bench, &herd, &json, &charts);
    let measured = check_stacks(&json, &stdout);
    check_reference_herds_measured(&measured, &stdout);
    check_charts(&charts);
}

/// The `herd` binary beside `herd-bench`, or `None` (with a note) when it
/// is missing; under `CI=true` a missing one fails.
fn herd_beside(bench: &Path) -> Option<PathBuf> {
    let herd = bench.with_file_name("herd");
    if !herd.is_file() {
        assert!(!in_ci(), "no herd binary at {}", herd.display());
        eprintln!(
            "skipped: no herd binary at {} (cargo build -p herd)",
            herd.display()
        );
        return None;
    }
    Some(herd)
}

/// Runs `herd-bench --peers --quick` against `herd`, writing the JSON to
/// `json` and the charts under `charts`; checks it succeeded and printed
/// the table, and returns its standard output.
fn run_quick_peers(bench: &Path, herd: &Path, json: &Path, charts: &Path) -> String {
    let mut command = Command::new(bench);
    command
        .args([
            "--peers",
            "--quick",
            "--connections",
            "2",
            "--clients",
            "10",
        ])
        .args(["--duration", "0.3", "--warmup", "0.1", "--samples", "5"])
        .args(["--memory-clients", "200"])
        .arg("--herd-bin")
        .arg(herd)
        .arg("--json")
        .arg(json)
        .arg("--chart")
        .arg(charts);
    let out = output_within("herd-bench", &mut command, RUN_LIMIT).unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("| Stack | Runtime | Reports/s |"),
        "{stdout}"
    );
    stdout
}

/// Checks the JSON report lists every stack in order, each either measured
/// with every figure or skipped with a reason the output repeats; returns
/// the names of the measured ones, in order.
fn check_stacks(json: &Path, stdout: &str) -> Vec<String> {
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(json).unwrap()).unwrap();
    let stacks = report["stacks"].as_array().unwrap();
    let names: Vec<&str> = stacks
        .iter()
        .map(|s| s["stack"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["herd", "asyncio", "node", "java"]);
    let mut measured = Vec::new();
    for stack in stacks {
        let name = stack["stack"].as_str().unwrap();
        match stack["status"].as_str().unwrap() {
            "measured" => {
                measured.push(name.to_owned());
                check_measured_stack(stack);
            }
            "skipped" => {
                let why = stack["reason"].as_str().unwrap();
                assert!(!why.is_empty(), "{stack}");
                assert!(stdout.contains(&format!("{name}: {why}")), "{stdout}");
            }
            other => panic!("{name} is {other}: {stack}"),
        }
    }
    measured
}

/// Checks a measured stack carries every figure, and no bad reply.
fn check_measured_stack(stack: &serde_json::Value) {
    assert!(stack["throughput"].as_f64().unwrap() > 0.0, "{stack}");
    assert!(
        stack["round_trip"]["p99_ms"].as_f64().unwrap() > 0.0,
        "{stack}"
    );
    assert!(stack["flood"]["p50_ms"].as_f64().unwrap() > 0.0, "{stack}");
    assert!(stack["cpu_us_per_report"].as_f64().is_some(), "{stack}");
    assert!(stack["resident_per_client"].as_f64().is_some(), "{stack}");
    assert!(stack["loc"].as_u64().unwrap() > 100, "{stack}");
    assert_eq!(stack["bad_replies"], 0, "{stack}");
}

/// Checks our herd was measured first and, under `CI=true`, the reference
/// herds CI installs (Python asyncio, Node.js) were measured too.
fn check_reference_herds_measured(measured: &[String], stdout: &str) {
    assert_eq!(
        measured.first().map(String::as_str),
        Some("herd"),
        "{stdout}"
    );
    let was_measured = |name: &str| measured.iter().any(|m| m == name);
    if in_ci() {
        assert!(was_measured("asyncio") && was_measured("node"), "{stdout}");
    } else if measured.len() < 2 {
        eprintln!("only our herd was measured: no reference runtime here\n{stdout}");
    }
}

/// Checks every chart was written as a PNG under `charts`.
fn check_charts(charts: &Path) {
    for chart in [
        "throughput",
        "cpu",
        "memory",
        "load-latency",
        "round-trip",
        "flood",
    ] {
        let png = std::fs::read(charts.join(format!("peers-{chart}.png"))).unwrap();
        assert!(png.starts_with(b"\x89PNG"), "{chart} is not a PNG");
    }
}
