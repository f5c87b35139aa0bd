//! `tablet push --teams Gaul` against the facade and a real herd server (in
//! this process, loopback, free ports): the tablet registers for Gaul's
//! medals and prints each tally the facade pushes.

mod common;

use std::process::Command;
use std::time::Duration;

use common::in_process::{InProcessHerd, cacofonix_id};
use common::{Client, start_facade};

/// Longest any single wait in this test may take.
const WAIT: Duration = Duration::from_secs(10);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tablet_following_a_team_prints_each_medal_push() {
    let herd = InProcessHerd::start(&["Goloman"], &[]).await;
    let auth = cacofonix_id();
    let facade = start_facade(&herd.client("Goloman").to_string()).await;
    let url = format!("http://{}", facade.addr());
    let logs = herd.dir.path().join("tablet-logs");
    let mut tablet = Client::spawn(
        "tablet",
        Command::new(env!("CARGO_BIN_EXE_tablet"))
            .args(["--facade", &url, "--name", "m", "--log-dir"])
            .arg(&logs)
            .args(["push", "--teams", "Gaul"]),
    );
    let listening = tablet.line_with("listening on", WAIT).await;
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
    tablet
        .line_with("pushed  Gaul: 1 gold, 0 silver, 1 bronze", WAIT)
        .await;
    let latency = std::fs::read_to_string(logs.join("tablet-m-push.latency")).unwrap();
    assert!(latency.contains(" push medals/Gaul "), "{latency}");
    drop(tablet);
    facade.stop().await;
    herd.stop().await;
}
