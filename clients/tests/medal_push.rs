//! `tablet push --teams Gaul` against the facade and a real herd server (in
//! this process, loopback, free ports): the tablet registers for Gaul's
//! medals and prints each tally the facade pushes.

/// Real herd servers in this process, shared with the herd's tests.
#[path = "../../herd/tests/common/in_process.rs"]
mod in_process;

use std::process::Stdio;
use std::time::{Duration, Instant};

use in_process::{InProcessHerd, cacofonix_id};
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{ChildStdout, Command};

/// Longest any single wait in this test may take.
const WAIT: Duration = Duration::from_secs(10);

/// Reads lines until one contains `needle`; returns it.
async fn line_with(lines: &mut Lines<BufReader<ChildStdout>>, needle: &str) -> String {
    let deadline = Instant::now() + WAIT;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = tokio::time::timeout(left, lines.next_line())
            .await
            .unwrap_or_else(|_| panic!("no line with {needle:?} in time"))
            .unwrap()
            .expect("the tablet exited");
        if line.contains(needle) {
            return line;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tablet_following_a_team_prints_each_medal_push() {
    let herd = InProcessHerd::start(&["Goloman"], &[]).await;
    let auth = cacofonix_id();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let config = facade::server::Config::new(vec![herd.client("Goloman").to_string()]);
    let facade = facade::server::start(listener, config).await.unwrap();
    let url = format!("http://{}", facade.addr());
    let logs = herd.dir.path().join("tablet-logs");
    let mut tablet = Command::new(env!("CARGO_BIN_EXE_tablet"))
        .args(["--facade", &url, "--name", "m", "--log-dir"])
        .arg(&logs)
        .args(["push", "--teams", "Gaul"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start the tablet");
    let mut lines = BufReader::new(tablet.stdout.take().unwrap()).lines();
    let listening = line_with(&mut lines, "listening on").await;
    assert!(
        listening.ends_with("for pushes of medals of Gaul"),
        "{listening}"
    );
    assert_eq!(facade.medal_tablets("Gaul").len(), 1);
    assert!(
        facade.tablets("curling").is_empty(),
        "--teams alone follows no event"
    );

    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    for medal in ["gold", "bronze"] {
        let reply = http
            .get(format!("{url}/incrementMedalTally/Gaul/{medal}/{auth}"))
            .send()
            .await
            .unwrap();
        assert!(reply.status().is_success());
    }
    line_with(&mut lines, "pushed  Gaul: 1 gold, 0 silver, 1 bronze").await;
    let latency = std::fs::read_to_string(logs.join("tablet-m-push.latency")).unwrap();
    assert!(latency.contains(" push medals/Gaul "), "{latency}");
    let _ = tablet.kill().await;
    facade.stop().await;
    herd.stop().await;
}
