//! What the facade refuses at its edge, and how: HEAD never applies a
//! write, scores outside the herd's range and over-long ids get messages
//! that say so, and every error, hyper's own included, has a JSON body.

mod common;

use std::net::SocketAddr;

use common::*;
use reqwest::StatusCode;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Sends raw bytes, half-closes, and reads the whole reply: status and body.
async fn raw(addr: SocketAddr, request: &[u8]) -> (u16, String, String) {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    // The server may answer and close before it has read everything.
    let _ = stream.write_all(request).await;
    let _ = stream.shutdown().await;
    let mut reply = Vec::new();
    tokio::time::timeout(WAIT, stream.read_to_end(&mut reply))
        .await
        .expect("reply in time")
        .expect("read reply");
    let reply = String::from_utf8(reply).unwrap();
    let (head, body) = reply
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("no whole head in {reply:?}"));
    let status = head[9..12].parse().unwrap();
    (status, head.to_ascii_lowercase(), body.to_owned())
}

/// Asserts a raw reply is a JSON error with `status`.
fn assert_json_error((status, head, body): &(u16, String, String), want: u16) {
    assert_eq!(*status, want, "{head}\n{body}");
    assert!(head.contains("content-type: application/json"), "{head}");
    let json: Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body:?}"));
    assert!(!json["error"].as_str().unwrap_or("").is_empty(), "{json}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn head_on_a_write_endpoint_is_refused_and_applies_nothing() {
    let herd = FakeHerd::start("Goloman").await;
    let facade = facade(&[&herd]).await;
    let addr = facade.addr();
    let increment = format!("/incrementMedalTally/Gaul/gold/{AUTH}");
    let set = format!("/setScore/curling/7/8/{AUTH}");
    for path in [
        &increment,
        &set,
        &"/registerClient/127.0.0.1:9/curling".to_owned(),
    ] {
        let response = client()
            .head(format!("http://{addr}{path}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED, "{path}");
        assert_eq!(response.headers()["allow"], "GET,POST,PUT", "{path}");
    }
    let (_, tally) = get(addr, "/getMedalTally/Gaul").await;
    assert_eq!(tally["medals"]["gold"], 0, "HEAD added a medal");
    let (_, score) = get(addr, "/getScore/curling").await;
    assert_eq!(score["updated_at"], Value::Null, "HEAD set a score");
    assert!(
        facade.tablets("curling").is_empty(),
        "HEAD registered a tablet"
    );
    // Reads still answer HEAD, and the write itself still works.
    let head = client()
        .head(format!("http://{addr}/getMedalTally/Gaul"))
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), StatusCode::OK);
    assert_eq!(get(addr, &increment).await.0, StatusCode::OK);
    let (_, tally) = get(addr, "/getMedalTally/Gaul").await;
    assert_eq!(tally["medals"]["gold"], 1);
    facade.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scores_outside_the_herds_range_are_refused_with_the_range_named() {
    let herd = FakeHerd::start("Goloman").await;
    let facade = facade(&[&herd]).await;
    let addr = facade.addr();
    let max = "999999999999999999";
    let (status, body) = get(addr, &format!("/setScore/curling/{max}/-{max}/{AUTH}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    for bad in [
        "1000000000000000000",
        "-1000000000000000000",
        "9223372036854775807",
    ] {
        let reply = get(addr, &format!("/setScore/curling/{bad}/0/{AUTH}")).await;
        assert_error(&reply, StatusCode::BAD_REQUEST);
        let message = reply.1["error"].as_str().unwrap();
        assert!(
            message.contains("rome_score") && message.contains(&format!("-{max} to {max}")),
            "{message}"
        );
    }
    facade.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_over_long_auth_id_is_called_too_long() {
    let herd = FakeHerd::start("Goloman").await;
    let facade = facade(&[&herd]).await;
    let long = "k".repeat(257);
    for path in [
        format!("/incrementMedalTally/Gaul/gold/{long}"),
        format!("/setScore/curling/1/2/{long}"),
    ] {
        let reply = get(facade.addr(), &path).await;
        assert_error(&reply, StatusCode::BAD_REQUEST);
        let message = reply.1["error"].as_str().unwrap();
        assert!(message.contains("too long"), "{message}");
        assert!(!message.contains(&long), "{message}");
    }
    facade.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_error_has_a_json_body_hypers_own_replies_included() {
    let herd = FakeHerd::start("Goloman").await;
    let facade = facade(&[&herd]).await;
    let addr = facade.addr();
    // axum's and the handlers' errors.
    assert_error(
        &call("POST", addr, "/getScore/curling").await,
        StatusCode::METHOD_NOT_ALLOWED,
    );
    assert_error(
        &call("DELETE", addr, "/setScore/a/1/2/x").await,
        StatusCode::METHOD_NOT_ALLOWED,
    );
    assert_error(&get(addr, "/no/such/endpoint").await, StatusCode::NOT_FOUND);
    assert_error(
        &get(addr, "/setScore/curling/x/2/id").await,
        StatusCode::BAD_REQUEST,
    );
    // hyper's: a URI over 64 KiB, a malformed header, too many headers.
    let long = format!("GET /{} HTTP/1.1\r\nHost: x\r\n\r\n", "u".repeat(70_000));
    assert_json_error(&raw(addr, long.as_bytes()).await, 414);
    let bad = b"GET /getScore/curling HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n";
    assert_json_error(&raw(addr, bad).await, 400);
    let many: String = (0..150).map(|i| format!("X-H{i}: v\r\n")).collect();
    let many = format!("GET / HTTP/1.1\r\nHost: x\r\n{many}\r\n");
    assert_json_error(&raw(addr, many.as_bytes()).await, 431);
    // The connection still serves well-formed requests after all that.
    assert_eq!(get(addr, "/getScore/curling").await.0, StatusCode::OK);
    facade.stop().await;
}
