//! Failing over between herd servers: requests and the subscription move to
//! the next server when the current one dies, and come back when one returns.

mod common;

use std::time::Duration;

use common::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_fail_over_to_the_second_server_when_the_first_dies() {
    let state = FakeState::new();
    let first = FakeHerd::start_shared("Goloman", state.clone()).await;
    let second = FakeHerd::start_shared("Hands", state.clone()).await;
    let facade = facade(&[&first, &second]).await;
    let addr = facade.addr();
    let (status, set) = get(addr, &format!("/setScore/curling/1/0/{AUTH}")).await;
    assert_eq!(status, StatusCode::OK, "{set}");
    first.kill();
    // Reads are retried on the other server, so not even the first fails.
    let (status, score) = get(addr, "/getScore/curling").await;
    assert_eq!(status, StatusCode::OK, "{score}");
    assert_eq!(score["scores"]["Rome"], json!(1));
    // Writes never sent to the dead server move on to the live one.
    for rome in 2..5 {
        let (status, set) = get(addr, &format!("/setScore/curling/{rome}/0/{AUTH}")).await;
        assert_eq!(status, StatusCode::OK, "{set}");
        assert_eq!(set["updated_by"], json!("Hands"));
    }
    facade.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pushes_continue_after_the_subscription_fails_over() {
    let state = FakeState::new();
    let first = FakeHerd::start_shared("Goloman", state.clone()).await;
    let second = FakeHerd::start_shared("Hands", state.clone()).await;
    let facade = facade(&[&first, &second]).await;
    let addr = facade.addr();
    let tablet = Tablet::start(Duration::ZERO).await;
    get(addr, &format!("/registerClient/{}/curling", tablet.id())).await;
    eventually("the subscription on the first server", || {
        state.lock().unwrap().subscriber_count() == 1
    })
    .await;
    first.kill();
    eventually("the subscription to move to the second server", || {
        state.lock().unwrap().subscriber_count() == 1
            && second.connections.load(std::sync::atomic::Ordering::SeqCst) > 0
    })
    .await;
    let (status, _) = get(addr, &format!("/setScore/curling/5/6/{AUTH}")).await;
    assert_eq!(status, StatusCode::OK);
    eventually("the push through the second server", || {
        tablet.hit("/Gaul/6/Rome/5").is_some()
    })
    .await;
    facade.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_every_server_dead_requests_are_503_until_one_comes_back() {
    let state = FakeState::new();
    let first = FakeHerd::start_shared("Goloman", state.clone()).await;
    let second = FakeHerd::start_shared("Hands", state.clone()).await;
    let facade = facade(&[&first, &second]).await;
    let addr = facade.addr();
    assert_eq!(get(addr, "/getMedalTally/Gaul").await.0, StatusCode::OK);
    let second_addr = second.addr;
    first.kill();
    second.kill();
    // Writes, since reads may still be answered from the read view for a
    // moment.
    let write = format!("/setScore/curling/1/2/{AUTH}");
    assert_error(&get(addr, &write).await, StatusCode::SERVICE_UNAVAILABLE);
    // Once the view is too old to use, reads are 503 as well.
    tokio::time::sleep(facade::view::MAX_AGE + Duration::from_millis(100)).await;
    assert_error(
        &get(addr, "/getMedalTally/Gaul").await,
        StatusCode::SERVICE_UNAVAILABLE,
    );
    let _back = FakeHerd::start_at("Hands", state.clone(), second_addr).await;
    let mut status = StatusCode::SERVICE_UNAVAILABLE;
    for _ in 0..100 {
        status = get(addr, &write).await.0;
        if status == StatusCode::OK {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(status, StatusCode::OK);
    facade.stop().await;
}
