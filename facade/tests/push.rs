//! Server push to registered tablets, and server-sent events, driven by the
//! herd's UPDATE lines (a fake herd here).

mod common;

use std::time::{Duration, Instant};

use common::*;
use reqwest::StatusCode;
use serde_json::json;

async fn register(addr: std::net::SocketAddr, tablet: &str, event: &str) {
    let (status, body) = get(addr, &format!("/registerClient/{tablet}/{event}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_registered_tablet_gets_the_update_at_the_documented_url() {
    let herd = FakeHerd::start("Goloman").await;
    let facade = facade(&[&herd]).await;
    let addr = facade.addr();
    let mut tablets = Vec::new();
    for _ in 0..5 {
        let tablet = Tablet::start(Duration::ZERO).await;
        register(addr, &tablet.id(), "curling").await;
        tablets.push(tablet);
    }
    let skating = Tablet::start(Duration::ZERO).await;
    register(addr, &skating.id(), "Skating").await;
    let (status, set) = get(addr, &format!("/setScore/curling/7/3/{AUTH}")).await;
    assert_eq!(status, StatusCode::OK);
    let stamp = set["updated_at"].as_str().unwrap().to_owned();
    let expected = format!("/pushUpdate/curling/{stamp}/Gaul/3/Rome/7");
    for tablet in &tablets {
        eventually("a push to every curling tablet", || {
            tablet.hit("/pushUpdate/").is_some()
        })
        .await;
        assert_eq!(tablet.paths(), [expected.as_str()]);
    }
    // The skating tablet hears about skating only.
    get(addr, &format!("/setScore/skating/1/2/{AUTH}")).await;
    eventually("a push to the skating tablet", || {
        skating.hit("/skating/").is_some()
    })
    .await;
    assert!(skating.hit("/curling/").is_none(), "{:?}", skating.paths());
    assert_eq!(tablets[0].paths().len(), 1);
    facade.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_or_dead_tablet_delays_neither_the_write_nor_the_other_tablets() {
    let herd = FakeHerd::start("Goloman").await;
    let facade = facade(&[&herd]).await;
    let addr = facade.addr();
    let slow = Tablet::start(Duration::from_secs(5)).await;
    register(addr, &slow.id(), "curling").await;
    register(addr, &dead_addr().to_string(), "curling").await;
    let mut healthy = Vec::new();
    for _ in 0..4 {
        let tablet = Tablet::start(Duration::ZERO).await;
        register(addr, &tablet.id(), "curling").await;
        healthy.push(tablet);
    }
    for round in 1..=2 {
        let sent = Instant::now();
        let (status, _) = get(addr, &format!("/setScore/curling/{round}/0/{AUTH}")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            sent.elapsed() < Duration::from_millis(500),
            "setScore waited for pushes: {:?}",
            sent.elapsed()
        );
        let needle = format!("/Rome/{round}");
        for tablet in &healthy {
            eventually("the healthy tablets' push", || {
                tablet.hit(&needle).is_some()
            })
            .await;
            let took = tablet.hit(&needle).unwrap().at - sent;
            assert!(took < Duration::from_secs(1), "round {round}: {took:?}");
        }
    }
    // The slow tablet did get the first update; it is still sleeping on it.
    assert!(slow.hit("/Rome/1").is_some(), "{:?}", slow.paths());
    facade.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_tablet_is_dropped_after_three_failed_updates_and_a_live_one_is_kept() {
    let herd = FakeHerd::start("Goloman").await;
    let facade = facade(&[&herd]).await;
    let addr = facade.addr();
    let dead = dead_addr().to_string();
    let live = Tablet::start(Duration::ZERO).await;
    register(addr, &dead, "curling").await;
    register(addr, &live.id(), "curling").await;
    assert_eq!(facade.tablets("curling"), [dead.clone(), live.id()]);
    for round in 1..=2 {
        get(addr, &format!("/setScore/curling/{round}/0/{AUTH}")).await;
    }
    eventually("two pushes to the live tablet", || live.paths().len() == 2).await;
    // Two failures are not enough; give the retries time to run out.
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(facade.tablets("curling").contains(&dead));
    get(addr, &format!("/setScore/curling/3/0/{AUTH}")).await;
    eventually("the dead tablet to be dropped", || {
        facade.tablets("curling") == [live.id()]
    })
    .await;
    assert_eq!(live.paths().len(), 3);
    facade.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registering_twice_is_one_registration() {
    let herd = FakeHerd::start("Goloman").await;
    let facade = facade(&[&herd]).await;
    let addr = facade.addr();
    let tablet = Tablet::start(Duration::ZERO).await;
    let (_, first) = get(addr, &format!("/registerClient/{}/curling", tablet.id())).await;
    let (status, again) = get(addr, &format!("/registerClient/{}/CURLING", tablet.id())).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(first["message"], json!("registered"));
    assert_eq!(again["message"], json!("already registered"));
    assert_eq!(again["event"], json!("curling"));
    get(addr, &format!("/setScore/curling/1/1/{AUTH}")).await;
    eventually("the push", || !tablet.paths().is_empty()).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(tablet.paths().len(), 1);
    facade.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sse_stream_sends_the_current_score_then_each_update() {
    let herd = FakeHerd::start("Goloman").await;
    let facade = facade(&[&herd]).await;
    let addr = facade.addr();
    get(addr, &format!("/setScore/curling/1/2/{AUTH}")).await;
    let mut response = client()
        .get(format!("http://{addr}/events/Curling"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"].to_str().unwrap(),
        "text/event-stream"
    );
    let mut buffer = String::new();
    let first = sse_next_json(&mut response, &mut buffer).await;
    assert_eq!(first["event"], json!("curling"));
    assert_eq!(first["scores"], json!({"Gaul": 2, "Rome": 1}));
    get(addr, &format!("/setScore/skating/5/5/{AUTH}")).await;
    get(addr, &format!("/setScore/curling/9/8/{AUTH}")).await;
    // The very next event is curling's update: skating's, written first,
    // never reaches a curling stream.
    let update = sse_next_json(&mut response, &mut buffer).await;
    assert_eq!(update["event"], json!("curling"), "{update}");
    assert_eq!(update["scores"], json!({"Gaul": 8, "Rome": 9}));
    assert_eq!(update["updated_by"], json!("Goloman"));
    facade.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_lagged_the_scores_are_read_again_and_pushed() {
    let herd = FakeHerd::start("Goloman").await;
    let facade = facade(&[&herd]).await;
    let addr = facade.addr();
    let tablet = Tablet::start(Duration::ZERO).await;
    register(addr, &tablet.id(), "skiing").await;
    eventually("the facade's subscription", || {
        herd.state.lock().unwrap().subscriber_count() == 1
    })
    .await;
    herd.state
        .lock()
        .unwrap()
        .set_silently_then_lag("skiing", &[4, 6], "Hands");
    eventually("the re-read score pushed", || {
        tablet.hit("/pushUpdate/skiing/").is_some()
    })
    .await;
    assert!(
        tablet.paths()[0].ends_with("/Gaul/4/Rome/6"),
        "{:?}",
        tablet.paths()
    );
    facade.stop().await;
}
