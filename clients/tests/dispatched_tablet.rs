//! `tablet --dispatcher URL` as Cargo builds it: it reads through the front
//! end the dispatcher gave it, and when that facade is killed it asks again,
//! moves to the other one and keeps reading (pull) or registers there
//! (push). The herd, both facades and the
//! dispatcher run in this process on ports the system picks.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::in_process::{InProcessHerd, cacofonix_id};
use common::{Client, start_facade};

/// Longest any single wait in this test may take.
const WAIT: Duration = Duration::from_secs(15);
/// The dispatcher's lease: a push tablet renews, and so learns it was
/// moved, every third of it.
const LEASE: Duration = Duration::from_secs(3);

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
            facades.push(start_facade(&herd.client("Goloman").to_string()).await);
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

    /// `tablet --dispatcher ... --name NAME` in `mode` (its subcommand and
    /// flags), logging beside the herd's files.
    fn tablet(&self, name: &str, mode: &[&str]) -> Client {
        let logs = self.herd.dir.path().join("tablet-logs");
        Client::spawn(
            "tablet",
            Command::new(env!("CARGO_BIN_EXE_tablet"))
                .args([
                    "--dispatcher",
                    &format!("http://{}", self.dispatcher.addr()),
                ])
                .args(["--name", name, "--log-dir", logs.to_str().unwrap()])
                .args(mode),
        )
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
    let mut tier = Tier::start().await;
    let mut tablet = tier.tablet("p", &["push", "--events", "curling"]);
    let (urls, facades) = (tier.urls.clone(), &mut tier.facades);
    let first = tablet.line_with("listening on", WAIT).await;
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
    tablet.line_with("Rome 1", WAIT).await;

    let survivor = facades.pop().unwrap();
    facades.pop().unwrap().stop().await;
    let moved = tablet.line_with("frontend ", WAIT).await;
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
    tablet.line_with("Rome 2", WAIT).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pull_tablet_moves_to_another_front_end_when_its_facade_dies() {
    let mut tier = Tier::start().await;
    let mut tablet = tier.tablet(
        "d",
        &[
            "pull", "--every", "0.2", "--teams", "Gaul", "--events", "curling",
        ],
    );
    let (urls, facades) = (tier.urls.clone(), &mut tier.facades);
    let first = tablet.line_with("pulling every", WAIT).await;
    assert!(first.ends_with(&format!("from {}", urls[0])), "{first}");
    tablet.line_with("medals  Gaul: gold 0", WAIT).await;

    let survivor = facades.pop().unwrap();
    facades.pop().unwrap().stop().await;
    let moved = tablet.line_with("frontend ", WAIT).await;
    assert!(moved.ends_with(&format!("frontend {}", urls[1])), "{moved}");
    let id = cacofonix_id();
    let write = reqwest::get(format!("{}/incrementMedalTally/Gaul/gold/{id}", urls[1]))
        .await
        .unwrap();
    assert_eq!(write.status().as_u16(), 200);
    tablet.line_with("medals  Gaul: gold 1", WAIT).await;
    drop(survivor);
}
