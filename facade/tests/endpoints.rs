//! Every REST endpoint and every error status, against a fake herd server.

mod common;

use std::sync::atomic::Ordering;

use common::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn medal_tally_is_exactly_the_seed_medals_object_plus_team() {
    let herd = FakeHerd::start("Goloman").await;
    let facade = facade(&[&herd]).await;
    let (status, body) = get(facade.addr(), "/getMedalTally/Gaul").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body,
        json!({"medals": {"bronze": 0, "gold": 0, "silver": 0}, "team": "Gaul"})
    );
    facade.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn increment_adds_one_medal_and_returns_the_new_tally() {
    let herd = FakeHerd::start("Goloman").await;
    let facade = facade(&[&herd]).await;
    let addr = facade.addr();
    for _ in 0..2 {
        let (status, _) = get(addr, &format!("/incrementMedalTally/Gaul/gold/{AUTH}")).await;
        assert_eq!(status, StatusCode::OK);
    }
    let (status, body) = get(addr, &format!("/incrementMedalTally/Gaul/silver/{AUTH}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["ok"], json!(true));
    assert!(
        body["message"].as_str().unwrap().contains("silver"),
        "{body}"
    );
    assert_eq!(body["medals"], json!({"bronze": 0, "gold": 2, "silver": 1}));
    let (_, tally) = get(addr, "/getMedalTally/Gaul").await;
    assert_eq!(
        tally["medals"],
        json!({"bronze": 0, "gold": 2, "silver": 1})
    );
    let (_, rome) = get(addr, "/getMedalTally/Rome").await;
    assert_eq!(rome["medals"], json!({"bronze": 0, "gold": 0, "silver": 0}));
    facade.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn set_score_sends_rome_then_gaul_and_get_score_shows_time_and_server() {
    let herd = FakeHerd::start("Goloman").await;
    let facade = facade(&[&herd]).await;
    let addr = facade.addr();
    let (status, never) = get(addr, "/getScore/skiing").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        never,
        json!({"event": "skiing", "scores": {"Gaul": 0, "Rome": 0}, "updated_at": null, "updated_by": null})
    );
    let (status, set) = get(addr, &format!("/setScore/curling/7/3/{AUTH}")).await;
    assert_eq!(status, StatusCode::OK, "{set}");
    assert_eq!(set["ok"], json!(true));
    assert_eq!(set["scores"], json!({"Gaul": 3, "Rome": 7}));
    let (_, score) = get(addr, "/getScore/curling").await;
    assert_eq!(score["event"], json!("curling"));
    assert_eq!(score["scores"], json!({"Gaul": 3, "Rome": 7}));
    assert_eq!(score["updated_by"], json!("Goloman"));
    let at = score["updated_at"].as_str().unwrap();
    let (secs, frac) = at.split_once('.').unwrap();
    assert!(secs.parse::<u64>().is_ok() && frac.len() == 9, "{at}");
    assert_eq!(score["updated_at"], set["updated_at"]);
    facade.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_match_in_any_case_and_replies_use_the_herd_spelling() {
    let herd = FakeHerd::start("Goloman").await;
    let facade = facade(&[&herd]).await;
    let addr = facade.addr();
    let (status, body) = get(addr, &format!("/incrementMedalTally/gAUL/BrOnZe/{AUTH}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["team"], json!("Gaul"));
    let (_, body) = get(addr, "/getMedalTally/GAUL").await;
    assert_eq!(body["team"], json!("Gaul"));
    assert_eq!(body["medals"]["bronze"], json!(1));
    get(addr, &format!("/setScore/CURLING/1/2/{AUTH}")).await;
    let (_, body) = get(addr, "/getScore/Curling").await;
    assert_eq!(body["event"], json!("curling"));
    assert_eq!(body["scores"], json!({"Gaul": 2, "Rome": 1}));
    facade.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_accept_get_post_and_put_and_reads_refuse_post_with_json() {
    let herd = FakeHerd::start("Goloman").await;
    let facade = facade(&[&herd]).await;
    let addr = facade.addr();
    let (status, _) = call(
        "POST",
        addr,
        &format!("/incrementMedalTally/Rome/gold/{AUTH}"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = call(
        "PUT",
        addr,
        &format!("/incrementMedalTally/Rome/gold/{AUTH}"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = call("POST", addr, &format!("/setScore/skating/4/5/{AUTH}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["scores"], json!({"Gaul": 5, "Rome": 4}));
    let tablet = dead_addr();
    let (status, _) = call("POST", addr, &format!("/registerClient/{tablet}/curling")).await;
    assert_eq!(status, StatusCode::OK);
    let (_, body) = get(addr, "/getMedalTally/Rome").await;
    assert_eq!(body["medals"]["gold"], json!(2));
    assert_error(
        &call("POST", addr, "/getScore/curling").await,
        StatusCode::METHOD_NOT_ALLOWED,
    );
    assert_error(
        &call("DELETE", addr, "/getMedalTally/Gaul").await,
        StatusCode::METHOD_NOT_ALLOWED,
    );
    facade.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_cacofonix_id_is_403_and_changes_nothing() {
    let herd = FakeHerd::start("Goloman").await;
    let facade = facade(&[&herd]).await;
    let addr = facade.addr();
    let reply = get(addr, "/incrementMedalTally/Gaul/gold/not-the-id").await;
    assert_error(&reply, StatusCode::FORBIDDEN);
    assert!(!reply.1.to_string().contains("not-the-id"), "{}", reply.1);
    assert_error(
        &get(addr, "/setScore/curling/1/1/not-the-id").await,
        StatusCode::FORBIDDEN,
    );
    assert_error(
        &call("POST", addr, "/setScore/curling/1/1/x").await,
        StatusCode::FORBIDDEN,
    );
    let (_, tally) = get(addr, "/getMedalTally/Gaul").await;
    assert_eq!(tally["medals"]["gold"], json!(0));
    let (_, score) = get(addr, "/getScore/curling").await;
    assert_eq!(score["updated_at"], json!(null));
    facade.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_team_event_medal_or_endpoint_is_404() {
    let herd = FakeHerd::start("Goloman").await;
    let facade = facade(&[&herd]).await;
    let addr = facade.addr();
    for path in [
        "/getMedalTally/Egypt".to_owned(),
        format!("/incrementMedalTally/Egypt/gold/{AUTH}"),
        format!("/incrementMedalTally/Gaul/tin/{AUTH}"),
        "/getScore/chariots".to_owned(),
        format!("/setScore/chariots/1/2/{AUTH}"),
        "/registerClient/127.0.0.1:9/chariots".to_owned(),
        "/events/chariots".to_owned(),
        "/nothing/here".to_owned(),
        "/getMedalTally".to_owned(),
        "/getMedalTally/Gaul/extra".to_owned(),
        "/index.html".to_owned(),
        "/events/medals/Egypt".to_owned(),
        "/registerClient/127.0.0.1:9/medals/Egypt".to_owned(),
    ] {
        assert_error(&get(addr, &path).await, StatusCode::NOT_FOUND);
    }
    let (_, body) = get(addr, "/getMedalTally/Egypt").await;
    assert!(
        body["error"].as_str().unwrap().contains("Gaul, Rome"),
        "{body}"
    );
    facade.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_requests_are_400() {
    let herd = FakeHerd::start("Goloman").await;
    let facade = facade(&[&herd]).await;
    let addr = facade.addr();
    for path in [
        format!("/setScore/curling/seven/3/{AUTH}"),
        format!("/setScore/curling/7/3.5/{AUTH}"),
        format!("/setScore/curling/7/99999999999999999999/{AUTH}"),
        "/setScore/curling/7/3/two%20fields".to_owned(),
        "/incrementMedalTally/Gaul/gold/line%0Abreak".to_owned(),
        "/registerClient/not-an-address/curling".to_owned(),
        "/registerClient/127.0.0.1:0/curling".to_owned(),
        "/registerClient/user@127.0.0.1:80/curling".to_owned(),
        "/getMedalTally/%FF".to_owned(),
    ] {
        assert_error(&get(addr, &path).await, StatusCode::BAD_REQUEST);
    }
    // Nothing reached the herd as a write.
    let (_, score) = get(addr, "/getScore/curling").await;
    assert_eq!(score["updated_at"], json!(null));
    facade.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn set_score_is_409_when_the_herd_teams_are_not_rome_and_gaul() {
    let state = FakeState::with(&["Gaul", "Rome", "Egypt"], &["curling"]);
    let herd = FakeHerd::start_shared("Goloman", state).await;
    let facade = facade(&[&herd]).await;
    assert_error(
        &get(facade.addr(), &format!("/setScore/curling/1/2/{AUTH}")).await,
        StatusCode::CONFLICT,
    );
    facade.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_reachable_herd_is_503_with_json() {
    let facade = facade_with(test_config(vec![
        dead_addr().to_string(),
        dead_addr().to_string(),
    ]))
    .await;
    let addr = facade.addr();
    for path in [
        "/getMedalTally/Gaul".to_owned(),
        format!("/setScore/curling/1/2/{AUTH}"),
        "/getScore/curling".to_owned(),
        "/registerClient/127.0.0.1:9/curling".to_owned(),
        "/events/curling".to_owned(),
    ] {
        assert_error(&get(addr, &path).await, StatusCode::SERVICE_UNAVAILABLE);
    }
    facade.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_herd_that_stops_answering_is_504_with_json() {
    let herd = FakeHerd::start("Goloman").await;
    let facade = facade(&[&herd]).await;
    let addr = facade.addr();
    let (status, _) = get(addr, "/getMedalTally/Gaul").await;
    assert_eq!(status, StatusCode::OK);
    herd.hang.store(true, Ordering::SeqCst);
    let started = std::time::Instant::now();
    // A write: reads may still be answered from the facade's read view.
    assert_error(
        &get(addr, &format!("/incrementMedalTally/Gaul/gold/{AUTH}")).await,
        StatusCode::GATEWAY_TIMEOUT,
    );
    assert!(started.elapsed() < WAIT / 2);
    herd.hang.store(false, Ordering::SeqCst);
    facade.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_requests_are_pipelined_and_each_gets_its_own_reply() {
    let herd = FakeHerd::start("Goloman").await;
    let facade = facade(&[&herd]).await;
    let addr = facade.addr();
    for _ in 0..3 {
        get(addr, &format!("/incrementMedalTally/Rome/gold/{AUTH}")).await;
    }
    let mut tasks = Vec::new();
    for i in 0..200 {
        tasks.push(tokio::spawn(async move {
            let team = if i % 2 == 0 { "Gaul" } else { "Rome" };
            let (status, body) = get(addr, &format!("/getMedalTally/{team}")).await;
            (team, status, body)
        }));
    }
    for task in tasks {
        let (team, status, body) = task.await.unwrap();
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["team"], json!(team));
        let gold = if team == "Rome" { 3 } else { 0 };
        assert_eq!(body["medals"]["gold"], json!(gold), "{body}");
    }
    // The pools (reads, writes) plus the subscription, however many HTTP
    // requests came in.
    let connections = herd.connections.load(Ordering::SeqCst);
    assert!(
        connections <= 2 * facade::herd_link::POOL_SIZE + 1,
        "{connections} connections"
    );
    facade.stop().await;
}
