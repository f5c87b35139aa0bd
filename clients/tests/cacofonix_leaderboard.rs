//! `cacofonix --leaderboard URL` posts athletes' results to an in-process
//! leaderboard (embedded store) in both modes; without the flag it posts
//! none. The facade is a closed port: its updates fail, the results do not.

mod common;

use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use leaderboard::store::embedded::EmbeddedStore;
use serde_json::{Value, json};

/// How long one cacofonix run may take.
const RUN: Duration = Duration::from_secs(60);

/// A leaderboard on a free loopback port, until the test ends.
async fn serve(dir: &std::path::Path) -> String {
    let store = EmbeddedStore::open(dir).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = leaderboard::api::router(Arc::new(store));
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

/// A loopback URL where nothing listens.
fn closed_port() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    format!("http://{}", listener.local_addr().unwrap())
}

/// Runs cacofonix with `args` to its end and returns what it printed.
async fn cacofonix(args: &[&str], logs: &std::path::Path) -> String {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cacofonix"));
    command
        .args(["--facade", &closed_port(), "--rate", "0.01"])
        .arg("--log-dir")
        .arg(logs)
        .args(args)
        .env_remove("LEADERBOARD_URL");
    let output = common::output("cacofonix", command, RUN).await;
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stdout).unwrap()
}

async fn top10(url: &str) -> Value {
    reqwest::get(format!("{url}/top10"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn testing_mode_posts_asterix_first_and_brutus_second_every_round() {
    let (dir, logs) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let url = serve(dir.path()).await;
    let printed = cacofonix(
        &["--mode", "testing", "--count", "3", "--leaderboard", &url],
        logs.path(),
    )
    .await;
    assert_eq!(
        printed.matches("sent result curling").count(),
        6,
        "{printed}"
    );
    assert_eq!(
        top10(&url).await,
        json!([
            {"athlete": "Asterix", "team": "Gaul", "average": 6.0, "results": 3},
            {"athlete": "Brutus", "team": "Rome", "average": 5.0, "results": 3},
        ])
    );
    let log = std::fs::read_to_string(logs.path().join("cacofonix.log")).unwrap();
    assert_eq!(log.matches("sent result curling").count(), 6);
}

#[tokio::test]
async fn random_mode_posts_one_result_a_round_and_none_without_the_flag() {
    let (dir, logs) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let url = serve(dir.path()).await;
    cacofonix(
        &["--mode", "random", "--count", "20", "--seed", "5"],
        logs.path(),
    )
    .await;
    assert_eq!(top10(&url).await, json!([]));
    let printed = cacofonix(
        &[
            "--mode",
            "random",
            "--count",
            "20",
            "--seed",
            "5",
            "--leaderboard",
            &url,
        ],
        logs.path(),
    )
    .await;
    assert_eq!(printed.matches("sent result ").count(), 20, "{printed}");
    let board = top10(&url).await;
    let counted: u64 = board
        .as_array()
        .unwrap()
        .iter()
        .map(|line| line["results"].as_u64().unwrap())
        .sum();
    assert_eq!(counted, 20, "{board}");
}
