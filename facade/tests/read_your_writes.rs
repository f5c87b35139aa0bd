//! Read-your-writes across front ends (`Olympic-Version`), and retry-safe
//! writes (`Idempotency-Key`, `?idem=`), against real herd servers in this
//! process: a facade attached to Goloman takes the writes, one attached to
//! Welsh the reads.

mod common;

use std::time::Duration;

use common::in_process::{InProcessHerd, cacofonix_id};
use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Rounds of write-then-read with the token.
const ROUNDS: usize = 300;

/// Goloman and Welsh, linked, and a facade on each alone.
async fn two_fronts() -> (
    InProcessHerd,
    facade::server::Running,
    facade::server::Running,
) {
    let herd = InProcessHerd::start(&["Goloman", "Welsh"], &[("Goloman", "Welsh")]).await;
    let writer = facade_with(config(herd.client("Goloman").to_string())).await;
    let reader = facade_with(config(herd.client("Welsh").to_string())).await;
    (herd, writer, reader)
}

/// The test settings, with the default write deadline: a loaded machine's
/// fsyncs can take longer than the test settings' 1 s.
fn config(server: String) -> facade::server::Config {
    let mut config = test_config(vec![server]);
    config.request_timeout = facade::herd_link::REQUEST_TIMEOUT;
    config
}

/// Sends `GET url` with `headers`; returns status, the `Olympic-Version`
/// header, the `Set-Cookie` header and the JSON body.
async fn fetch(
    url: &str,
    headers: &[(&str, &str)],
) -> (StatusCode, Option<String>, Option<String>, Value) {
    let mut request = client().get(url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    };
    let (version, cookie) = (header("Olympic-Version"), header("Set-Cookie"));
    let status = response.status();
    let body = response.json().await.unwrap();
    (status, version, cookie, body)
}

fn gold(body: &Value) -> u64 {
    body["medals"]["gold"].as_u64().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_through_one_facade_is_read_through_another_with_its_token_every_time() {
    let (herd, writer, reader) = two_fronts().await;
    let id = cacofonix_id();
    let write_url = format!(
        "http://{}/incrementMedalTally/Gaul/gold/{id}",
        writer.addr()
    );
    let read_url = format!("http://{}/getMedalTally/Gaul", reader.addr());
    // Until the peer link is up, writes cannot reach Welsh at all.
    let (_, token, _, _) = fetch(&write_url, &[]).await;
    let token = token.expect("a write answers its Olympic-Version");
    let (status, _, _, body) = fetch(&read_url, &[("Olympic-Version", &token)]).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let mut stale_without_token = 0;
    for round in 0..ROUNDS {
        let (status, token, cookie, written) = fetch(&write_url, &[]).await;
        assert_eq!(status, StatusCode::OK, "{written}");
        let token = token.expect("a write answers its Olympic-Version");
        let cookie = cookie.expect("a write sets the olympic_version cookie");
        assert!(
            cookie.starts_with(&format!("olympic_version={token}")),
            "{cookie}"
        );
        let expected = gold(&written);
        if round % 2 == 0 {
            // Without the token first: it may well be stale.
            let (status, _, _, body) = fetch(&read_url, &[]).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            if gold(&body) < expected {
                stale_without_token += 1;
            }
        }
        let with_token: &[(&str, &str)] = if round % 3 == 0 {
            &[("Cookie", &format!("olympic_version={token}"))]
        } else {
            &[("Olympic-Version", &token)]
        };
        let (status, read_token, _, body) = fetch(&read_url, with_token).await;
        assert_eq!(status, StatusCode::OK, "round {round}: {body}");
        assert!(
            gold(&body) >= expected,
            "round {round}: read {body} after a write that made {expected}"
        );
        assert!(read_token.is_some(), "a read answers its Olympic-Version");
    }
    println!(
        "reads without the token that missed the write just made: {stale_without_token} of {}",
        ROUNDS / 2
    );
    assert!(
        stale_without_token > 0,
        "no read without the token was ever stale: this test could not tell the token works"
    );
    writer.stop().await;
    reader.stop().await;
    herd.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_whose_token_no_server_covers_is_a_503_within_about_a_second() {
    let (herd, writer, reader) = two_fronts().await;
    // A token naming an operation no server has made.
    let (_, token, _, _) = fetch(&format!("http://{}/getScore/curling", reader.addr()), &[]).await;
    assert!(token.is_some());
    let forged =
        facade::version::Vector::from_pairs(vec![("Nobody/0123456789abcdef".into(), 5)]).encode();
    let started = std::time::Instant::now();
    let (status, _, _, body) = fetch(
        &format!("http://{}/getScore/curling", reader.addr()),
        &[("Olympic-Version", &forged)],
    )
    .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("Olympic-Version"),
        "{body}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    let (status, _, _, body) = fetch(
        &format!("http://{}/getScore/curling", reader.addr()),
        &[("Olympic-Version", "not a token!")],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    writer.stop().await;
    reader.stop().await;
    herd.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_idempotency_key_through_two_facades_at_two_servers_applies_once() {
    let (herd, writer, reader) = two_fronts().await;
    let id = cacofonix_id();
    let path = format!("/incrementMedalTally/Rome/silver/{id}");
    let key = [("Idempotency-Key", "\"retry-me-0001\"")];
    let (status, token, _, first) = fetch(&format!("http://{}{path}", writer.addr()), &key).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(first["medals"]["silver"], json!(1));
    // The same key again at once, through the same facade and server.
    let (status, _, _, again) = fetch(&format!("http://{}{path}", writer.addr()), &key).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["medals"], first["medals"]);
    // Once Welsh holds the write, the key through the other facade and
    // server: the `idem` parameter this time.
    let token = token.unwrap();
    let read = format!("http://{}/getMedalTally/Rome", reader.addr());
    assert_eq!(
        fetch(&read, &[("Olympic-Version", &token)]).await.0,
        StatusCode::OK
    );
    let (status, _, _, retried) = fetch(
        &format!("http://{}{path}?idem=retry-me-0001", reader.addr()),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{retried}");
    assert_eq!(retried["medals"], first["medals"]);
    for facade in [&writer, &reader] {
        let (_, _, _, tally) = fetch(
            &format!("http://{}/getMedalTally/Rome", facade.addr()),
            &[("Olympic-Version", &token)],
        )
        .await;
        assert_eq!(tally["medals"]["silver"], json!(1), "{tally}");
    }
    // The key cannot be used for another write.
    let (status, _, _, body) = fetch(
        &format!(
            "http://{}/incrementMedalTally/Gaul/gold/{id}",
            reader.addr()
        ),
        &key,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, _, _, body) = fetch(
        &format!("http://{}{path}", writer.addr()),
        &[("Idempotency-Key", "two words")],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    writer.stop().await;
    reader.stop().await;
    herd.stop().await;
}
