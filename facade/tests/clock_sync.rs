//! The facade over a herd whose clocks are skewed: a score set at the
//! skewed server shows an `updated_at` on the herd's common clock, and
//! `/health` names the leader and each server's clock offset.

mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use common::in_process::{InProcessHerd, cacofonix_id};
use common::*;
use proto::reply::{Reply, TimeReply};
use proto::timestamp::{now_nanos, parse_posix_nanos};
use reqwest::StatusCode;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// Hands's raw clock is 3 s behind Goloman's; rounds are quick.
const SKEWED: &str = "
[servers.Hands]
clock_skew_ms = -3000
[clock]
sync_interval_ms = 200
";

/// A server's `TIME`, and its clock minus this process's clock at the
/// middle of the round trip.
async fn time(addr: SocketAddr) -> (TimeReply, i128) {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let sent = now_nanos();
    stream.write_all(b"TIME\n").await.unwrap();
    let mut line = String::new();
    BufReader::new(stream).read_line(&mut line).await.unwrap();
    let middle = (sent + now_nanos()) / 2;
    match Reply::parse(line.trim_end().as_bytes()) {
        Some(Reply::Time(time)) => {
            let offset = time.clock_ns - middle;
            (time, offset)
        }
        _ => panic!("not a TIME reply: {line:?}"),
    }
}

/// Loose enough for a loaded machine; the clocks start 3 s apart.
const AGREE_NS: i128 = 200_000_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_score_set_at_a_skewed_server_is_stamped_on_the_herds_common_clock() {
    let herd =
        InProcessHerd::start_with(&["Goloman", "Hands"], &[("Goloman", "Hands")], SKEWED).await;
    let (goloman, hands) = (herd.client("Goloman"), herd.client("Hands"));
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let apart = time(goloman).await.1 - time(hands).await.1;
        if apart.abs() < AGREE_NS {
            break;
        }
        assert!(Instant::now() < deadline, "clocks still {apart} ns apart");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let facade = facade_with(test_config(vec![hands.to_string()])).await;
    let path = format!("/setScore/curling/4/2/{}", cacofonix_id());
    let (status, body) = get(facade.addr(), &path).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (goloman_now, _) = time(goloman).await;
    let stamp = body["updated_at"].as_str().expect("updated_at is set");
    let stamp = parse_posix_nanos(stamp.as_bytes()).expect("POSIX seconds");
    let apart = goloman_now.clock_ns - stamp;
    assert!(
        apart.abs() < AGREE_NS * 2,
        "set at Hands {stamp}, Goloman reads {} ({apart} ns later)",
        goloman_now.clock_ns
    );

    let (status, health) = get(facade.addr(), "/health").await;
    assert_eq!(status, StatusCode::OK, "{health}");
    assert_eq!(health["leader"], "Hands", "{health}");
    assert!(health["term"].as_u64().is_some(), "{health}");
    let offset = health["servers"][0]["status"]["offset_ns"].as_i64();
    assert!(
        offset.is_some_and(|o| o > 1_000_000_000),
        "Hands runs ahead of its raw clock: {health}"
    );
}
