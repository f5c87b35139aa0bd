//! No client can lock others out of the facade: thousands of half-sent
//! requests never keep a new GET from being answered within a second, a
//! request head must arrive within the header timeout (which also closes
//! idle kept-alive connections), one address only ever sheds its own
//! connections, and a streaming response is not idle.

mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use common::sockets::{closed_within, connect_from, enough_descriptors};
use common::*;
use reqwest::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

/// The deadline for a new client's answer.
const ANSWERED_WITHIN: Duration = Duration::from_secs(1);

/// Half-sent requests held against the facade in the lockout test.
const HELD: usize = 2000;

/// Descriptors this process needs: both ends of [`HELD`] connections, and
/// the rest.
const FDS_NEEDED: u64 = 2 * HELD as u64 + 256;

/// A request head without the blank line that ends it.
const HALF_REQUEST: &[u8] = b"GET /getMedalTally/Gaul HTTP/1.1\r\nHost: facade\r\n";

/// Sends a whole GET of `path` on `stream` and reads until the response
/// contains `until`; panics after `limit`.
async fn raw_get(stream: &mut TcpStream, path: &str, until: &str, limit: Duration) -> String {
    let request = format!("GET {path} HTTP/1.1\r\nHost: facade\r\n\r\n");
    let exchange = async {
        stream.write_all(request.as_bytes()).await?;
        let mut seen = Vec::new();
        let mut buf = [0u8; 4096];
        while !String::from_utf8_lossy(&seen).contains(until) {
            let n = stream.read(&mut buf).await?;
            if n == 0 {
                break;
            }
            seen.extend_from_slice(&buf[..n]);
        }
        Ok::<_, std::io::Error>(String::from_utf8_lossy(&seen).into_owned())
    };
    match timeout(limit, exchange).await {
        Ok(Ok(response)) => response,
        Ok(Err(e)) => panic!("GET {path} failed: {e}"),
        Err(_) => panic!("GET {path} was not answered within {limit:?}"),
    }
}

/// A new client's GET must be answered 200 within the deadline.
async fn new_get_is_answered(addr: SocketAddr) {
    let started = Instant::now();
    let request = client()
        .get(format!("http://{addr}/getMedalTally/Gaul"))
        .send();
    let response = timeout(ANSWERED_WITHIN, request)
        .await
        .expect("answered within the deadline")
        .expect("a response");
    assert_eq!(response.status(), StatusCode::OK);
    assert!(started.elapsed() <= ANSWERED_WITHIN);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_get_is_answered_within_a_second_while_2000_half_sent_requests_are_held() {
    if !enough_descriptors(FDS_NEEDED) {
        return;
    }
    let herd = FakeHerd::start("Goloman").await;
    let facade = facade(&[&herd]).await;
    let addr = facade.addr();
    // The catalog is loaded before the flood, as in a facade that has run a while.
    assert_eq!(get(addr, "/getMedalTally/Gaul").await.0, StatusCode::OK);
    let mut held = Vec::with_capacity(HELD);
    for i in 0..HELD {
        // Eight sources of 250, under the per-source limit: the whole
        // listener fills, not one source's share.
        let mut stream = connect_from(2 + (i % 8) as u8, addr).await;
        let _ = stream.write_all(HALF_REQUEST).await;
        held.push(stream);
    }
    for _ in 0..3 {
        new_get_is_answered(addr).await;
    }
    drop(held);
    facade.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_sent_requests_and_idle_kept_alive_connections_close_after_the_header_timeout() {
    let herd = FakeHerd::start("Goloman").await;
    let mut config = test_config(vec![herd.address()]);
    config.header_timeout = Duration::from_secs(1);
    let facade = facade_with(config).await;
    let addr = facade.addr();
    let started = Instant::now();
    let mut half = connect_from(1, addr).await;
    half.write_all(HALF_REQUEST).await.unwrap();
    let mut kept_alive = connect_from(1, addr).await;
    let response = raw_get(&mut kept_alive, "/nowhere", "\r\n\r\n", WAIT).await;
    assert!(response.starts_with("HTTP/1.1 404"), "{response}");
    assert!(closed_within(&mut half, WAIT).await, "half request held");
    assert!(started.elapsed() >= Duration::from_millis(800));
    assert!(
        closed_within(&mut kept_alive, WAIT).await,
        "idle keep-alive held"
    );
    facade.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_address_at_its_limit_sheds_only_its_own_connections() {
    let herd = FakeHerd::start("Goloman").await;
    let mut config = test_config(vec![herd.address()]);
    config.max_connections = 100;
    config.max_per_source = 20;
    let facade = facade_with(config).await;
    let addr = facade.addr();
    // Someone else's kept-alive connections, idle and older than the flood.
    let mut others = Vec::new();
    for _ in 0..10 {
        let mut other = connect_from(2, addr).await;
        raw_get(&mut other, "/getMedalTally/Gaul", "}", WAIT).await;
        others.push(other);
    }
    let mut flood = Vec::new();
    for _ in 0..200 {
        let mut conn = connect_from(3, addr).await;
        let _ = conn.write_all(HALF_REQUEST).await;
        flood.push(conn);
    }
    new_get_is_answered(addr).await;
    for other in &mut others {
        let response = raw_get(other, "/getMedalTally/Gaul", "}", WAIT).await;
        assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    }
    assert!(
        closed_within(&mut flood[0], WAIT).await,
        "the flood was held"
    );
    facade.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_max_connections_a_streaming_response_is_not_shed_as_idle() {
    let herd = FakeHerd::start("Goloman").await;
    let mut config = test_config(vec![herd.address()]);
    config.max_connections = 20;
    let facade = facade_with(config).await;
    let addr = facade.addr();
    // The oldest connection, streaming server-sent events.
    let mut stream = connect_from(2, addr).await;
    raw_get(&mut stream, "/events/curling", "event: score", WAIT).await;
    let mut flood = Vec::new();
    for _ in 0..60 {
        let mut conn = connect_from(3, addr).await;
        let _ = conn.write_all(HALF_REQUEST).await;
        flood.push(conn);
    }
    new_get_is_answered(addr).await;
    assert!(
        closed_within(&mut flood[0], WAIT).await,
        "the flood was held"
    );
    assert!(
        !closed_within(&mut stream, Duration::from_millis(300)).await,
        "the event stream was shed"
    );
    facade.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_subscription_answers_a_herd_ping_with_pong() {
    let herd = FakeHerd::start("Goloman").await;
    let facade = facade(&[&herd]).await;
    let state = herd.state.clone();
    eventually("the facade subscribes", || {
        state.lock().unwrap().subscriber_count() == 1
    })
    .await;
    state.lock().unwrap().ping_subscribers();
    eventually("a PONG", || state.lock().unwrap().pongs == 1).await;
    facade.stop().await;
}
