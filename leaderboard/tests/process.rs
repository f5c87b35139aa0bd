//! The `leaderboard` binary as a deployment runs it: results posted to one
//! process are still there, and still counted once, after it is killed and
//! started again, with the embedded store and with Redis.

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use base::process::Supervised;
use serde_json::{Value, json};

/// How long the binary may take to print where it listens.
const STARTUP: Duration = Duration::from_secs(20);

/// Starts `leaderboard --listen 127.0.0.1:0 ARGS` and returns it with its
/// base URL, read from the line it prints once it listens.
async fn start(args: &[&str], dir: &Path) -> (Supervised, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_leaderboard"));
    command
        .args(["--listen", "127.0.0.1:0"])
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    let mut process = Supervised::spawn("leaderboard", &mut command).unwrap();
    let stdout = process.child_mut().stdout.take().unwrap();
    let line = tokio::time::timeout(
        STARTUP,
        tokio::task::spawn_blocking(move || {
            let mut line = String::new();
            BufReader::new(stdout).read_line(&mut line).map(|_| line)
        }),
    )
    .await
    .expect("the leaderboard printed where it listens in time")
    .unwrap()
    .unwrap();
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no URL in {line:?}"))
        .to_owned();
    (process, url)
}

async fn post(url: &str, id: &str, athlete: &str, place: Option<u8>) -> u16 {
    let body =
        json!({"id": id, "athlete": athlete, "team": "Gaul", "event": "skiing", "place": place});
    let reply = reqwest::Client::new()
        .post(format!("{url}/results"))
        .json(&body)
        .send()
        .await
        .unwrap();
    reply.status().as_u16()
}

async fn top10(url: &str) -> Value {
    reqwest::get(format!("{url}/top10"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Posts, kills the process, starts it again with the same arguments, and
/// checks the board and that a repeated id still counts once.
async fn results_survive_a_restart(args: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let (process, url) = start(args, dir.path()).await;
    assert_eq!(post(&url, "a", "Asterix", Some(1)).await, 201);
    assert_eq!(post(&url, "b", "Asterix", Some(3)).await, 201);
    assert_eq!(post(&url, "c", "Obelix", None).await, 201);
    let before = top10(&url).await;
    assert_eq!(
        before,
        json!([
            {"athlete": "Asterix", "team": "Gaul", "average": 5.0, "results": 2},
            {"athlete": "Obelix", "team": "Gaul", "average": 0.0, "results": 1},
        ])
    );
    drop(process); // SIGKILL: nothing is flushed on the way out.
    let (_process, url) = start(args, dir.path()).await;
    assert_eq!(top10(&url).await, before);
    assert_eq!(post(&url, "b", "Asterix", Some(3)).await, 200);
    assert_eq!(post(&url, "d", "Asterix", Some(2)).await, 201);
    assert_eq!(top10(&url).await[0]["results"], 3);
}

#[tokio::test]
async fn the_embedded_leaderboard_keeps_results_across_a_restart() {
    // The default data directory, relative to the working directory.
    results_survive_a_restart(&[]).await;
    results_survive_a_restart(&["--data-dir", "elsewhere"]).await;
}

#[tokio::test]
async fn the_redis_leaderboard_keeps_results_across_a_restart() {
    let Some(redis) = common::redis_or_skip("the_redis_leaderboard_keeps_results_across_a_restart")
    else {
        return;
    };
    results_survive_a_restart(&["--redis", &redis.url()]).await;
}

#[tokio::test]
async fn redis_and_a_data_dir_together_are_refused() {
    let output = Command::new(env!("CARGO_BIN_EXE_leaderboard"))
        .args(["--redis", "redis://127.0.0.1:1", "--data-dir", "x"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("cannot be used with"));
}
