//! One idempotency key sent at the same moment through two facades to two
//! herd servers: each server may apply the write before the other's flood
//! reaches it, and yet, once they have exchanged their changes, every
//! replica counts it once, and a repeat of the key through either facade
//! answers the first outcome, not the tally of the moment.

mod common;

use std::time::{Duration, Instant};

use common::in_process::{InProcessHerd, cacofonix_id};
use common::*;
use reqwest::StatusCode;
use serde_json::Value;

/// Keys raced, one increment each.
const ROUNDS: u64 = 40;

/// How long the replicas may take to agree after the last round.
const CONVERGE: Duration = Duration::from_secs(30);

/// The test settings, with the default write deadline: a loaded machine's
/// fsyncs can take longer than the test settings' 1 s.
fn config(server: String) -> facade::server::Config {
    let mut config = test_config(vec![server]);
    config.request_timeout = facade::herd_link::REQUEST_TIMEOUT;
    config
}

/// `GET url` with `key` as its `Idempotency-Key`: status and JSON body.
async fn keyed(url: &str, key: &str) -> (StatusCode, Value) {
    let response = client()
        .get(url)
        .header("Idempotency-Key", key)
        .send()
        .await
        .unwrap();
    (response.status(), response.json().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_key_raced_to_two_servers_counts_once_everywhere_and_repeats_the_first_answer() {
    let herd = InProcessHerd::start(&["Goloman", "Welsh"], &[("Goloman", "Welsh")]).await;
    let fronts = [
        facade_with(config(herd.client("Goloman").to_string())).await,
        facade_with(config(herd.client("Welsh").to_string())).await,
    ];
    let path = format!("/incrementMedalTally/Gaul/gold/{}", cacofonix_id());
    let urls: Vec<String> = fronts
        .iter()
        .map(|f| format!("http://{}{path}", f.addr()))
        .collect();
    let mut first_answers = Vec::new();
    for round in 0..ROUNDS {
        let key = format!("race-{round}");
        let (a, b) = tokio::join!(keyed(&urls[0], &key), keyed(&urls[1], &key));
        assert_eq!(a.0, StatusCode::OK, "{}", a.1);
        assert_eq!(b.0, StatusCode::OK, "{}", b.1);
        if round == 0 {
            first_answers = vec![a.1["medals"].clone(), b.1["medals"].clone()];
        }
    }
    let deadline = Instant::now() + CONVERGE;
    let golds = loop {
        let mut golds = Vec::new();
        for front in &fronts {
            let (_, body) = get(front.addr(), "/getMedalTally/Gaul").await;
            golds.push(body["medals"]["gold"].as_u64().unwrap());
        }
        if golds.iter().all(|&g| g == ROUNDS) || Instant::now() > deadline {
            break golds;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(
        golds,
        [ROUNDS, ROUNDS],
        "{ROUNDS} keys raced to two servers"
    );
    let mut repeats = Vec::new();
    for url in &urls {
        let (status, body) = keyed(url, "race-0").await;
        assert_eq!(status, StatusCode::OK, "{body}");
        repeats.push(body["medals"].clone());
    }
    assert_eq!(repeats[0], repeats[1], "both replicas repeat one answer");
    assert!(
        first_answers.contains(&repeats[0]),
        "the repeat answered {}, not a first answer of {first_answers:?}",
        repeats[0]
    );
    for front in fronts {
        front.stop().await;
    }
    herd.stop().await;
}
