//! The `leaderboard` binary as a deployment runs it: results posted to one
//! process are still there, and still counted once, after it is killed and
//! started again, with the embedded store and with Redis; a client that
//! never sends a request is closed.

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use base::process::Supervised;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

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
        .env("RUST_LOG", "warn")
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

#[tokio::test]
async fn a_client_that_sends_no_request_head_is_closed_and_others_are_served() {
    /// The facade's header timeout (10 s) and a generous margin.
    const CLOSED_WITHIN: Duration = Duration::from_secs(40);
    let dir = tempfile::tempdir().unwrap();
    let (_process, url) = start(&[], dir.path()).await;
    let addr = url.trim_start_matches("http://");
    let mut silent = tokio::net::TcpStream::connect(addr).await.unwrap();
    silent.write_all(b"GET /top10 HTTP/1.1\r\n").await.unwrap();
    assert_eq!(top10(&url).await, json!([]));
    let mut rest = Vec::new();
    let closed = tokio::time::timeout(CLOSED_WITHIN, silent.read_to_end(&mut rest)).await;
    assert!(
        closed.is_ok(),
        "a silent connection was still open after {CLOSED_WITHIN:?}"
    );
}
