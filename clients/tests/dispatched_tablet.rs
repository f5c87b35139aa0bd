//! `tablet --dispatcher URL` as Cargo builds it: it reads through the front
//! end the dispatcher gave it, and when that facade is killed it asks again,
//! moves to the other one and keeps reading (pull) or registers there
//! (push). The herd, both facades and the
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
/// The dispatcher's lease: a push tablet renews, and so learns it was
/// moved, every third of it.
const LEASE: Duration = Duration::from_secs(3);

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

/// A herd server, two facades on it and a dispatcher over them, in this
/// process.
struct Tier {
    herd: InProcessHerd,
    facades: Vec<facade::server::Running>,
    urls: Vec<String>,
    dispatcher: dispatcher::server::Running,
}

impl Tier {
    async fn start() -> Self {
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
        config.lease = LEASE;
        let dispatcher = dispatcher::server::start(listener, config).await.unwrap();
        Self {
            herd,
            facades,
            urls,
            dispatcher,
        }
    }
}

/// `setScore` through the facade at `url`; Rome gets `rome`.
async fn set_score(url: &str, rome: i64) {
    let id = cacofonix_id();
    let reply = reqwest::get(format!("{url}/setScore/curling/{rome}/0/{id}"))
        .await
        .unwrap();
    assert_eq!(reply.status().as_u16(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_tablet_registers_again_at_another_front_end_when_its_facade_dies() {
    let Tier {
        herd,
        mut facades,
        urls,
        dispatcher,
    } = Tier::start().await;
    let logs = herd.dir.path().join("tablet-logs");
    let mut tablet = Command::new(env!("CARGO_BIN_EXE_tablet"))
        .args(["--dispatcher", &format!("http://{}", dispatcher.addr())])
        .args(["--name", "p", "--log-dir", logs.to_str().unwrap()])
        .args(["push", "--events", "curling"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start the tablet");
    let mut lines = BufReader::new(tablet.stdout.take().unwrap()).lines();
    let first = line_with(&mut lines, "listening on").await;
    assert!(
        first.ends_with(&format!("front end {}", urls[0])),
        "{first}"
    );
    let deadline = Instant::now() + WAIT;
    while facades[0].tablets("curling").is_empty() {
        assert!(Instant::now() < deadline, "the tablet never registered");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    set_score(&urls[0], 1).await;
    line_with(&mut lines, "Rome 1").await;

    let survivor = facades.pop().unwrap();
    facades.pop().unwrap().stop().await;
    let moved = line_with(&mut lines, "frontend ").await;
    assert!(moved.ends_with(&format!("frontend {}", urls[1])), "{moved}");
    let deadline = Instant::now() + WAIT;
    while survivor.tablets("curling").is_empty() {
        assert!(
            Instant::now() < deadline,
            "the tablet never registered again"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    set_score(&urls[1], 2).await;
    line_with(&mut lines, "Rome 2").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pull_tablet_moves_to_another_front_end_when_its_facade_dies() {
    let Tier {
        herd,
        mut facades,
        urls,
        dispatcher,
    } = Tier::start().await;
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
