//! Reads spread over every `--herd` server with failover: a server that
//! stalls or dies under read load costs no failed read.

mod common;

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use common::in_process::InProcessHerd;
use common::*;
use reqwest::StatusCode;

/// Concurrent readers of the load.
const READERS: usize = 8;

/// Runs [`READERS`] readers of `/getMedalTally/Gaul` on `addr` until
/// `until`; each returns its reads answered 200 and its failures.
fn read_load(
    addr: std::net::SocketAddr,
    until: Instant,
) -> Vec<tokio::task::JoinHandle<(usize, Vec<String>)>> {
    (0..READERS)
        .map(|_| {
            tokio::spawn(async move {
                let (mut ok, mut failed) = (0, Vec::new());
                while Instant::now() < until {
                    let reply = client()
                        .get(format!("http://{addr}/getMedalTally/Gaul"))
                        .send()
                        .await;
                    match reply {
                        Ok(r) if r.status() == StatusCode::OK => ok += 1,
                        Ok(r) => failed.push(format!(
                            "{}: {}",
                            r.status(),
                            r.text().await.unwrap_or_default()
                        )),
                        Err(e) => failed.push(e.to_string()),
                    }
                }
                (ok, failed)
            })
        })
        .collect()
}

/// Waits for the readers and asserts that none of their reads failed and
/// that they made some progress.
async fn assert_no_failed_read(readers: Vec<tokio::task::JoinHandle<(usize, Vec<String>)>>) {
    let (mut ok, mut failed) = (0, Vec::new());
    for reader in readers {
        let (o, f) = reader.await.unwrap();
        ok += o;
        failed.extend(f);
    }
    assert!(
        failed.is_empty(),
        "{} reads failed: {:?}",
        failed.len(),
        &failed[..failed.len().min(5)]
    );
    assert!(ok > READERS * 10, "only {ok} reads answered");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_from_the_herd_spread_over_every_server_and_a_stalled_and_a_killed_one_fail_none() {
    stall_and_kill_under_read_load(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_with_the_read_view_survive_a_stalled_and_a_killed_server() {
    stall_and_kill_under_read_load(true).await;
}

/// Three servers, one stalled then one killed under read load: no read
/// fails, with or without the read view.
async fn stall_and_kill_under_read_load(read_view: bool) {
    let state = FakeState::new();
    let first = FakeHerd::start_shared("Goloman", state.clone()).await;
    let second = FakeHerd::start_shared("Hands", state.clone()).await;
    let third = FakeHerd::start_shared("Welsh", state.clone()).await;
    let mut config = test_config([&first, &second, &third].map(|f| f.address()).to_vec());
    config.read_view = read_view;
    let facade = facade_with(config).await;
    let addr = facade.addr();
    let started = Instant::now();
    let readers = read_load(addr, started + Duration::from_secs(4));
    tokio::time::sleep(Duration::from_millis(700)).await;
    for fake in [&first, &second, &third] {
        assert!(
            fake.connections.load(Ordering::SeqCst) > 0,
            "{} got no reads: reads are not spread",
            fake.name
        );
    }
    // The first stops answering (reads sent to it must move on), then the
    // second dies outright.
    first.hang.store(true, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(700)).await;
    second.kill();
    assert_no_failed_read(readers).await;
    facade.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_herd_server_killed_under_read_load_costs_no_failed_read() {
    let mut herd = InProcessHerd::start(&["Goloman", "Hands"], &[("Goloman", "Hands")]).await;
    let servers = vec![
        herd.client("Goloman").to_string(),
        herd.client("Hands").to_string(),
    ];
    let mut config = test_config(servers);
    // Every read goes to the herd, so reads in flight meet the dying server.
    config.read_view = false;
    let facade = facade_with(config).await;
    let addr = facade.addr();
    let readers = read_load(addr, Instant::now() + Duration::from_secs(3));
    tokio::time::sleep(Duration::from_millis(800)).await;
    herd.stop_server("Goloman").await;
    assert_no_failed_read(readers).await;
    facade.stop().await;
    herd.stop().await;
}
