//! A whole session as the README shows it: two linked herd servers and the
//! facade, run in this process on ports the system picks, and the clients
//! as the processes Cargo builds for this package's tests: N push tablets
//! and a pull tablet started by `tablets`, and Cacofonix in testing mode.
//! Every tablet must show every update, and each keeps its latency file.

mod common;

use std::process::Command;
use std::time::Duration;

use common::in_process::{InProcessHerd, cacofonix_id};
use common::{Client, output, start_facade};

/// Longest any single wait in this test may take.
const WAIT: Duration = Duration::from_secs(10);

/// Rounds Cacofonix plays in testing mode.
const ROUNDS: i64 = 3;
/// Push tablets started by `tablets -n`.
const PUSH_TABLETS: usize = 3;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cacofonix_updates_reach_every_push_and_pull_tablet() {
    let herd = InProcessHerd::start(&["Goloman", "Hands"], &[("Goloman", "Hands")]).await;
    let cacofonix_id = cacofonix_id();
    let logs = herd.dir.path().join("session-logs");
    let logs_arg = logs.to_str().unwrap().to_owned();
    // The facade talks to Hands; Cacofonix's writes go through it too, and the
    // herd floods them to Goloman.
    let facade = start_facade(&herd.client("Hands").to_string()).await;
    let url = format!("http://{}", facade.addr());

    let mut push = Client::spawn(
        "tablets",
        Command::new(env!("CARGO_BIN_EXE_tablets"))
            .args([
                "-n",
                &PUSH_TABLETS.to_string(),
                "--",
                "--facade",
                &url,
                "--log-dir",
                &logs_arg,
            ])
            .args(["push", "--events", "curling"]),
    );
    // Wait until every push tablet has registered.
    push.lines_with("listening on", PUSH_TABLETS, WAIT).await;
    let mut pull = Client::spawn(
        "tablet",
        Command::new(env!("CARGO_BIN_EXE_tablet"))
            .args(["--facade", &url, "--name", "p", "--log-dir", &logs_arg])
            .args([
                "pull", "--every", "0.2", "--teams", "Gaul", "--events", "curling",
            ]),
    );

    let sung = cacofonix(&url, &logs_arg, &cacofonix_id).await;
    assert_eq!(
        sung.matches("sent medal gold to Gaul").count(),
        ROUNDS as usize,
        "{sung}"
    );
    assert!(
        !sung.contains("FAILED") && !sung.contains(&cacofonix_id),
        "{sung}"
    );

    // Every push tablet shows every round's score: Gaul k, Rome k - 1.
    let want = PUSH_TABLETS * ROUNDS as usize;
    let pushed = push.lines_with("pushed", want, WAIT).await;
    for k in 1..=ROUNDS {
        let shown = format!("curling: Gaul {k}, Rome {}", k - 1);
        let count = pushed.iter().filter(|l| l.contains(&shown)).count();
        assert_eq!(count, PUSH_TABLETS, "{shown} in {pushed:#?}");
    }
    // The pull tablet sees the final state.
    let last = format!("medals  Gaul: gold {ROUNDS} silver 0 bronze 0");
    pull.line_with(&last, WAIT).await;
    // Latency files: one per tablet and mode, one line per pull or push.
    tokio::time::sleep(Duration::from_millis(200)).await;
    for i in 1..=PUSH_TABLETS {
        let text = std::fs::read_to_string(logs.join(format!("tablet-{i}-push.latency"))).unwrap();
        assert_eq!(text.lines().count(), ROUNDS as usize, "{text}");
    }
    let pulls = std::fs::read_to_string(logs.join("tablet-p-pull.latency")).unwrap();
    assert!(pulls.lines().count() >= 2, "{pulls}");
    let sent = std::fs::read_to_string(logs.join("cacofonix.log")).unwrap();
    assert_eq!(sent.lines().count(), 2 * ROUNDS as usize, "{sent}");
    // SIGTERM lets `tablets` stop its children; SIGKILL would orphan them.
    assert!(
        push.terminate(WAIT).await,
        "tablets did not stop on SIGTERM"
    );
    drop(pull);
    facade.stop().await;
    herd.stop().await;
}

/// Runs Cacofonix in testing mode for [`ROUNDS`] rounds through the facade
/// at `url`; returns what it printed.
async fn cacofonix(url: &str, logs: &str, id: &str) -> String {
    let mut cacofonix = Command::new(env!("CARGO_BIN_EXE_cacofonix"));
    cacofonix
        .args(["--facade", url, "--mode", "testing", "--rate", "0.5"])
        .args(["--count", &ROUNDS.to_string(), "--log-dir", logs])
        .env("CACOFONIX_ID", id);
    let sung = output("cacofonix", cacofonix, WAIT).await;
    String::from_utf8_lossy(&sung.stdout).into_owned()
}
