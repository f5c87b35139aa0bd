//! Supervision on real child processes (`sh` and `sleep`): they die with
//! their owner, early exits are named with their stderr, and no wait
//! outlasts its deadline.

use std::process::Command;
use std::time::Duration;

use nix::sys::signal::kill;
use nix::unistd::Pid;

use super::*;

/// Long enough for any step of these tests on a loaded machine.
const WAIT: Duration = Duration::from_secs(10);

/// Whether a process with `pid` exists (a reaped child's pid does not,
/// until the kernel hands it out again).
fn exists(pid: u32) -> bool {
    kill(Pid::from_raw(pid as i32), None).is_ok()
}

fn sleeper() -> Supervised {
    Supervised::spawn("sleeper", Command::new("sleep").arg("30")).unwrap()
}

fn sh(script: &str) -> Command {
    let mut command = Command::new("sh");
    command.arg("-c").arg(script);
    command
}

#[test]
fn dropping_a_process_kills_and_reaps_it() {
    let mut process = sleeper();
    let pid = process.pid();
    process.check_running().unwrap();
    assert!(exists(pid));
    drop(process);
    assert!(!exists(pid), "pid {pid} is still there");
}

#[test]
fn a_panic_kills_the_processes_of_the_unwound_frames() {
    let (tx, rx) = std::sync::mpsc::channel();
    let outcome = std::panic::catch_unwind(move || {
        let mut group = Processes::new();
        group.add(sleeper());
        tx.send(group.get("sleeper").unwrap().pid()).unwrap();
        panic!("test failed halfway");
    });
    assert!(outcome.is_err());
    let pid = rx.recv().unwrap();
    assert!(!exists(pid), "pid {pid} outlived the panic");
}

#[test]
fn an_early_exit_is_named_with_the_end_of_its_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let script = "for i in $(seq 1 30); do echo line $i >&2; done; exit 3";
    let mut process = Supervised::spawn_logged("server-x", &mut sh(script), dir.path()).unwrap();
    process.exit_within(WAIT).unwrap().expect("sh exits");
    let err = process.check_running().unwrap_err().to_string();
    assert!(
        err.starts_with("server-x exited with exit status: 3"),
        "{err}"
    );
    assert!(err.ends_with("line 30"), "{err}");
    assert!(
        err.contains(&format!("line {}\n", 31 - TAIL_LINES)),
        "{err}"
    );
    assert!(
        !err.contains(&format!("line {}\n", 30 - TAIL_LINES)),
        "{err}"
    );
}

#[test]
fn a_process_without_a_stderr_file_is_named_without_a_tail() {
    let mut process = Supervised::spawn("quiet", &mut sh("exit 0")).unwrap();
    process.exit_within(WAIT).unwrap().expect("sh exits");
    let err = process.check_running().unwrap_err().to_string();
    assert_eq!(err, "quiet exited with exit status: 0");
}

#[test]
fn a_missing_program_is_an_error_naming_it() {
    let err = Supervised::spawn("ghost", &mut Command::new("/nonexistent/herd"))
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("cannot start ghost"), "{err}");
    assert!(err.contains("/nonexistent/herd"), "{err}");
}

#[test]
fn stop_asks_with_sigterm_and_returns_how_it_ended() {
    let process = Supervised::spawn(
        "trapper",
        &mut sh("trap 'kill $!; exit 7' TERM; sleep 30 & wait"),
    )
    .unwrap();
    // Give sh a moment to set its trap; a SIGTERM before that ends it too.
    std::thread::sleep(Duration::from_millis(200));
    let status = process.stop(WAIT).unwrap();
    assert!(matches!(status.code(), Some(7) | None), "{status}");
}

#[test]
fn a_process_that_ignores_sigterm_is_killed_and_reported() {
    // The shell says when it ignores SIGTERM (a SIGTERM before that ends it),
    // and `sleep` inherits the ignored signal across `exec`.
    let dir = tempfile::tempdir().unwrap();
    let ready = dir.path().join("ready");
    let script = format!("trap '' TERM; : > '{}'; exec sleep 30", ready.display());
    let process = Supervised::spawn("stubborn", &mut sh(&script)).unwrap();
    let deadline = std::time::Instant::now() + WAIT;
    while !ready.exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "the shell never got ready"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let pid = process.pid();
    let err = process.stop(Duration::from_millis(300)).unwrap_err();
    assert!(matches!(err, ProcessError::StillRunning { .. }), "{err}");
    assert!(!exists(pid));
}

#[test]
fn output_within_returns_what_the_command_printed() {
    let out = output_within("echo", &mut sh("echo out; echo err >&2; exit 2"), WAIT).unwrap();
    assert_eq!(out.stdout, b"out\n");
    assert_eq!(out.stderr, b"err\n");
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn output_within_kills_a_command_that_does_not_end() {
    let started = std::time::Instant::now();
    let err = output_within(
        "sleep",
        Command::new("sleep").arg("30"),
        Duration::from_millis(200),
    )
    .unwrap_err();
    assert!(matches!(err, ProcessError::StillRunning { .. }), "{err}");
    assert!(started.elapsed() < WAIT);
}

#[test]
fn waiting_ends_with_the_probe_and_counts_its_misses() {
    let mut group = Processes::new();
    group.add(sleeper());
    let mut calls = 0;
    let value = wait_ready_blocking("never", WAIT, &mut group, || {
        calls += 1;
        (calls == 3).then_some("ready")
    })
    .unwrap();
    assert_eq!((value, calls), ("ready", 3));
}

#[test]
fn waiting_fails_early_when_a_process_exits() {
    let mut group = Processes::new();
    group.add(sleeper());
    group.add(Supervised::spawn("crasher", &mut sh("exit 1")).unwrap());
    let started = std::time::Instant::now();
    let err = wait_ready_blocking("nothing", WAIT, &mut group, || None::<()>).unwrap_err();
    assert!(err.to_string().starts_with("crasher exited"), "{err}");
    assert!(started.elapsed() < WAIT);
}

#[tokio::test]
async fn waiting_gives_up_at_the_deadline_saying_what_it_waited_for() {
    let mut process = sleeper();
    let within = Duration::from_millis(100);
    let err = wait_ready(
        "nothing listens on 127.0.0.1:9",
        within,
        &mut process,
        async || None::<()>,
    )
    .await
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "nothing listens on 127.0.0.1:9 after 100ms"
    );
}

#[test]
fn a_server_started_again_under_its_name_replaces_the_old_process() {
    let mut group = Processes::new();
    group.add(sleeper());
    let old = group.get("sleeper").unwrap().pid();
    group.add(sleeper());
    assert!(!exists(old));
    assert_eq!(group.iter().count(), 1);
    let new = group.remove("sleeper").unwrap();
    assert!(exists(new.pid()));
}

#[test]
fn a_child_has_usage_while_it_runs() {
    let process = sleeper();
    let usage = process.usage().unwrap();
    assert!(usage.rss > 0);
}

#[tokio::test]
async fn the_first_line_is_read_once_it_is_whole_and_an_exit_ends_the_wait() {
    let dir = tempfile::tempdir().unwrap();
    let script = "printf 'srv listening on'; sleep 0.3; echo ' 127.0.0.1:9'; sleep 30";
    let mut process = Supervised::spawn_logged("srv", &mut sh(script), dir.path()).unwrap();
    let line = process.first_line(WAIT).await.unwrap();
    assert_eq!(line, "srv listening on 127.0.0.1:9");

    let mut quiet = Supervised::spawn_logged("quiet", &mut sh("exit 4"), dir.path()).unwrap();
    let error = quiet.first_line(WAIT).await.unwrap_err();
    assert!(matches!(error, ProcessError::Exited { .. }), "{error}");
    let mut unlogged = sleeper();
    let error = unlogged.first_line(WAIT).await.unwrap_err();
    assert!(matches!(error, ProcessError::NotReady { .. }), "{error}");
}

#[test]
fn only_a_complete_first_line_counts() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.stdout");
    assert_eq!(first_line(&path), None);
    std::fs::write(&path, "baseline listening on 127.0").unwrap();
    assert_eq!(first_line(&path), None);
    std::fs::write(&path, "baseline listening on 127.0.0.1:9\nmore\n").unwrap();
    assert_eq!(
        first_line(&path).as_deref(),
        Some("baseline listening on 127.0.0.1:9")
    );
}
