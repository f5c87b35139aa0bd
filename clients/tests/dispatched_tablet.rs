//! `tablet --dispatcher URL` as Cargo builds it: it reads through the front
//! end the dispatcher gave it, and when that facade is killed it asks again,
//! moves to the other one and keeps reading. The herd, both facades and the
//! dispatcher run in this process on ports the system picks.

/// Real herd servers in this process, shared with the herd's tests.
#[path = "../../herd/tests/common/in_process.rs"]
mod in_process;

use std::process::Stdio;
use std::time::{Duration, Instant};

use in_process::{InProcessHerd, cacofonix_id};
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{ChildStdout, Command};

/// Longest any single wait in this test may take.
const WAIT: Duration = Duration::from_secs(15);

/// Reads `lines` until one contains `needle`; answers it.
async fn line_with(lines: &mut Lines<BufReader<ChildStdout>>, needle: &str) -> String {
    let deadline = Instant::now() + WAIT;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = tokio::time::timeout(left, lines.next_line())
            .await
            .unwrap_or_else(|_| panic!("no line with {needle:?} within {WAIT:?}"))
            .unwrap()
            .expect("the tablet exited");
        if line.contains(needle) {
            return line;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pull_tablet_moves_to_another_front_end_when_its_facade_dies() {
    let herd = InProcessHerd::start(&["Goloman"], &[]).await;
    let mut facades = Vec::new();
    for _ in 0..2 {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let config = facade::server::Config::new(vec![herd.client("Goloman").to_string()]);
        facades.push(facade::server::start(listener, config).await.unwrap());
    }
    let urls: Vec<String> = facades
        .iter()
        .map(|f| format!("http://{}", f.addr()))
        .collect();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mut config = dispatcher::server::Config::new(urls.clone());
    config.check_every = Duration::from_millis(200);
    let dispatcher = dispatcher::server::start(listener, config).await.unwrap();
    let logs = herd.dir.path().join("tablet-logs");

    let mut tablet = Command::new(env!("CARGO_BIN_EXE_tablet"))
        .args(["--dispatcher", &format!("http://{}", dispatcher.addr())])
        .args(["--name", "d", "--log-dir", logs.to_str().unwrap()])
        .args([
            "pull", "--every", "0.2", "--teams", "Gaul", "--events", "curling",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start the tablet");
    let mut lines = BufReader::new(tablet.stdout.take().unwrap()).lines();
    let first = line_with(&mut lines, "pulling every").await;
    assert!(first.ends_with(&format!("from {}", urls[0])), "{first}");
    line_with(&mut lines, "medals  Gaul: gold 0").await;

    let survivor = facades.pop().unwrap();
    facades.pop().unwrap().stop().await;
    let moved = line_with(&mut lines, "frontend ").await;
    assert!(moved.ends_with(&format!("frontend {}", urls[1])), "{moved}");
    let id = cacofonix_id();
    let write = reqwest::get(format!("{}/incrementMedalTally/Gaul/gold/{id}", urls[1]))
        .await
        .unwrap();
    assert_eq!(write.status().as_u16(), 200);
    line_with(&mut lines, "medals  Gaul: gold 1").await;
    drop(survivor);
}
