//! The raffle through two facades on a real three-server herd (in this
//! process): every REST request counts once, as its tablet, whether the
//! facade answered it from its read view or forwarded it; `GET /raffle`
//! shows the same entries at both; only Cacofonix draws, and both name
//! the same winner.

mod common;

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use common::in_process::{InProcessHerd, cacofonix_id};
use common::*;
use reqwest::StatusCode;
use serde_json::Value;

/// Room for the herd to order what the facades reported.
const ORDERED_WITHIN: Duration = Duration::from_secs(30);

/// Sends one REST request as tablet `tablet` (by header or query).
async fn as_tablet(addr: SocketAddr, path: &str, tablet: &str, by_header: bool) -> StatusCode {
    let url = if by_header {
        format!("http://{addr}{path}")
    } else {
        format!("http://{addr}{path}?tablet={tablet}")
    };
    let mut request = client().get(url);
    if by_header {
        request = request.header("Tablet-Id", tablet);
    }
    request.send().await.expect("facade answers").status()
}

/// `GET /raffle` at `addr` until it has ordered `n`; returns it.
async fn ordered(addr: SocketAddr, n: u64) -> Value {
    let deadline = Instant::now() + ORDERED_WITHIN;
    loop {
        let (status, body) = get(addr, "/raffle").await;
        assert_eq!(status, StatusCode::OK, "{body}");
        if body["ordered"].as_u64() == Some(n) {
            return body;
        }
        assert!(body["ordered"].as_u64() < Some(n), "counted twice: {body}");
        assert!(Instant::now() < deadline, "never ordered {n}: {body}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// `RAFFLE` on a herd server's client port.
async fn raffle_line(addr: SocketAddr) -> Value {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    stream.write_all(b"RAFFLE\n").await.unwrap();
    let mut line = String::new();
    BufReader::new(stream).read_line(&mut line).await.unwrap();
    let json = line
        .trim_end()
        .strip_prefix("RAFFLE ")
        .expect("a RAFFLE reply");
    serde_json::from_str(json).expect("JSON")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rest_requests_count_once_as_their_tablet_and_both_facades_show_one_raffle() {
    let herd = InProcessHerd::start_with(
        &["Goloman", "Hands", "Wilkes"],
        &[
            ("Goloman", "Hands"),
            ("Hands", "Wilkes"),
            ("Goloman", "Wilkes"),
        ],
        "[raffle]\nevery = 10\n",
    )
    .await;
    let cacofonix = cacofonix_id();
    let one = facade_with(test_config(vec![herd.client("Goloman").to_string()])).await;
    let two = facade_with(test_config(vec![herd.client("Wilkes").to_string()])).await;
    let mut sent = 0u64;
    for round in 0..10 {
        for t in 0..20 {
            let facade = if t % 2 == 0 { one.addr() } else { two.addr() };
            let path = match round % 3 {
                0 => "/getMedalTally/Gaul".to_owned(),
                1 => "/getScore/curling".to_owned(),
                _ => format!("/incrementMedalTally/Rome/gold/{cacofonix}"),
            };
            let status = as_tablet(facade, &path, &format!("tablet-{t}"), t % 4 < 2).await;
            assert_eq!(status, StatusCode::OK, "{path}");
            sent += 1;
        }
    }
    let at_one = ordered(one.addr(), sent).await;
    let at_two = ordered(two.addr(), sent).await;
    assert_eq!(at_one["entries"], at_two["entries"]);
    let entries = at_one["entries"].as_array().expect("entries");
    assert_eq!(entries.len(), 20);
    let tablets: BTreeSet<&str> = entries
        .iter()
        .filter_map(|e| e["tablet"].as_str())
        .collect();
    assert!(
        tablets.iter().all(|t| t.starts_with("tablet-")),
        "requesters are the tablets, not the facades: {tablets:?}"
    );
    assert!(
        !entries
            .iter()
            .any(|e| e["request"].to_string().contains(&cacofonix)),
        "the Cacofonix id stays out of the raffle"
    );
    let at_hands = raffle_line(herd.client("Hands")).await;
    assert_eq!(
        at_hands["entries"], at_one["entries"],
        "the herd's RAFFLE verb agrees"
    );

    assert_error(
        &call("POST", one.addr(), "/raffle/draw/not-cacofonix").await,
        StatusCode::FORBIDDEN,
    );
    let (status, body) = call("POST", two.addr(), &format!("/raffle/draw/{cacofonix}")).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let drawn_one = ordered(one.addr(), sent + 1).await;
    let drawn_two = ordered(two.addr(), sent + 1).await;
    assert!(drawn_one["winner"].is_object(), "{drawn_one}");
    assert_eq!(drawn_one["winner"], drawn_two["winner"]);
    assert!(entries.contains(&drawn_one["winner"]));
}
