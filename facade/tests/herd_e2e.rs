//! End to end against real herd servers, run in this process on ports the
//! system picks (`common::in_process`): every endpoint, pushes and SSE fed by
//! updates made on another server of the herd, and the facade binary
//! failing over when its server stops.

mod common;

use std::time::Duration;

use common::in_process::{InProcessHerd, cacofonix_id};
use common::process::Process;
use common::*;
use reqwest::StatusCode;
use serde_json::json;

/// Two linked servers.
async fn pair() -> InProcessHerd {
    InProcessHerd::start(&["Goloman", "Hands"], &[("Goloman", "Hands")]).await
}

/// Sets a score through `facade` until `check` sees it elsewhere, since the
/// peer link may still be coming up right after start.
async fn until_replicated(mut check: impl AsyncFnMut() -> bool) {
    let deadline = std::time::Instant::now() + WAIT;
    while !check().await {
        assert!(
            std::time::Instant::now() < deadline,
            "the write never replicated"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_endpoint_works_against_a_real_herd_server() {
    let herd = InProcessHerd::start(&["Goloman"], &[]).await;
    let cacofonix = cacofonix_id();
    let facade = facade_with(test_config(vec![herd.client("Goloman").to_string()])).await;
    let addr = facade.addr();

    let (status, body) = get(addr, "/getMedalTally/Gaul").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body,
        json!({"medals": {"bronze": 0, "gold": 0, "silver": 0}, "team": "Gaul"})
    );
    let (status, body) = get(addr, &format!("/incrementMedalTally/gaul/GOLD/{cacofonix}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["medals"], json!({"bronze": 0, "gold": 1, "silver": 0}));
    let (status, body) = call(
        "POST",
        addr,
        &format!("/incrementMedalTally/Rome/bronze/{cacofonix}"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["team"], json!("Rome"));
    assert_error(
        &get(addr, "/incrementMedalTally/Gaul/gold/not-cacofonix").await,
        StatusCode::FORBIDDEN,
    );
    assert_error(
        &get(addr, "/setScore/curling/1/1/not-cacofonix").await,
        StatusCode::FORBIDDEN,
    );
    let (_, body) = get(addr, "/getMedalTally/GAUL").await;
    assert_eq!(body["medals"]["gold"], json!(1));

    let (status, never) = get(addr, "/getScore/skiing").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(never["updated_at"], json!(null));
    assert_eq!(never["scores"], json!({"Gaul": 0, "Rome": 0}));
    let (status, set) = get(addr, &format!("/setScore/Curling/4/2/{cacofonix}")).await;
    assert_eq!(status, StatusCode::OK, "{set}");
    let (_, score) = get(addr, "/getScore/curling").await;
    assert_eq!(score["scores"], json!({"Gaul": 2, "Rome": 4}));
    assert_eq!(score["updated_by"], json!("Goloman"));
    assert_eq!(score["updated_at"], set["updated_at"]);

    for path in [
        "/getMedalTally/Egypt",
        "/getScore/chariots",
        "/incrementMedalTally/Gaul/tin/x",
    ] {
        assert_error(&get(addr, path).await, StatusCode::NOT_FOUND);
    }
    assert_error(
        &get(addr, &format!("/setScore/curling/x/1/{cacofonix}")).await,
        StatusCode::BAD_REQUEST,
    );
    facade.stop().await;
    herd.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_on_one_server_is_pushed_and_streamed_by_a_facade_on_another() {
    let herd = pair().await;
    let cacofonix = cacofonix_id();
    let writer = facade_with(test_config(vec![herd.client("Goloman").to_string()])).await;
    let reader = facade_with(test_config(vec![herd.client("Hands").to_string()])).await;
    let tablets = [
        Tablet::start(Duration::ZERO).await,
        Tablet::start(Duration::ZERO).await,
        Tablet::start(Duration::ZERO).await,
    ];
    for tablet in &tablets {
        let (status, _) = get(
            reader.addr(),
            &format!("/registerClient/{}/curling", tablet.id()),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
    }
    let mut sse = client()
        .get(format!("http://{}/events/curling", reader.addr()))
        .send()
        .await
        .unwrap();
    let mut buffer = String::new();
    sse_until(&mut sse, &mut buffer, "\"curling\"").await;

    let mut round = 0;
    until_replicated(async || {
        round += 1;
        get(
            writer.addr(),
            &format!("/setScore/curling/{round}/9/{cacofonix}"),
        )
        .await;
        let (_, score) = get(reader.addr(), "/getScore/curling").await;
        score["scores"]["Rome"] == json!(round)
    })
    .await;
    let needle = format!("/Gaul/9/Rome/{round}");
    for tablet in &tablets {
        eventually("the push through the other server", || {
            tablet.hit(&needle).is_some()
        })
        .await;
        let path = tablet.hit(&needle).unwrap().path;
        assert!(path.starts_with("/pushUpdate/curling/"), "{path}");
    }
    let line = sse_until(&mut sse, &mut buffer, &format!("\"Rome\":{round}")).await;
    assert!(line.contains("\"updated_by\":\"Goloman\""), "{line}");
    writer.stop().await;
    reader.stop().await;
    herd.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_facade_binary_fails_over_when_its_herd_server_stops() {
    let mut herd = pair().await;
    let cacofonix = cacofonix_id();
    let logs = herd.dir.path().join("facade-logs");
    let topology = herd.write_topology();
    let topology = topology.to_str().unwrap();
    let facade = Process::start(&[
        "--listen",
        "127.0.0.1:0",
        "--herd",
        "Goloman,Hands",
        "--topology",
        topology,
        "--log-dir",
        logs.to_str().unwrap(),
    ])
    .await;
    let addr = facade.addr;
    let tablet = Tablet::start(Duration::ZERO).await;
    let (status, _) = get(addr, &format!("/registerClient/{}/skating", tablet.id())).await;
    assert_eq!(status, StatusCode::OK);
    // Writes go to either server (the herd is multi-writer).
    let (status, set) = get(addr, &format!("/setScore/skating/1/2/{cacofonix}")).await;
    assert_eq!(status, StatusCode::OK, "{set}");
    eventually("the first push", || tablet.hit("/Gaul/2/Rome/1").is_some()).await;
    // Let the write reach Hands before Goloman dies.
    let hands = facade_with(test_config(vec![herd.client("Hands").to_string()])).await;
    until_replicated(async || {
        let (_, score) = get(hands.addr(), "/getScore/skating").await;
        score["scores"]["Rome"] == json!(1)
    })
    .await;
    hands.stop().await;

    herd.stop_server("Goloman").await;
    let (status, body) = get(addr, "/getScore/skating").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["scores"], json!({"Gaul": 2, "Rome": 1}));
    let (status, set) = get(addr, &format!("/setScore/skating/3/4/{cacofonix}")).await;
    assert_eq!(status, StatusCode::OK, "{set}");
    assert_eq!(set["updated_by"], json!("Hands"));
    eventually("the push after failover", || {
        tablet.hit("/Gaul/4/Rome/3").is_some()
    })
    .await;
    let port = addr.port();
    facade.stop().await;
    let log = std::fs::read_to_string(logs.join(format!("facade-{port}.log"))).unwrap();
    assert!(
        !log.contains(&cacofonix),
        "the Cacofonix id is in the log:\n{log}"
    );
    herd.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_increments_through_two_facades_give_exact_tallies_on_every_replica() {
    const TOTAL: usize = 1000;
    const TASKS: usize = 20;
    let herd = InProcessHerd::start(
        &["Goloman", "Hands", "Holiday"],
        &[("Goloman", "Hands"), ("Hands", "Holiday")],
    )
    .await;
    let cacofonix = cacofonix_id();
    // A generous write deadline: on a loaded machine (fsyncs of 50 ms and
    // more) 20 writers' queues can take longer than the test settings' 1 s.
    let config = |name: &str| {
        let mut config = test_config(vec![herd.client(name).to_string()]);
        config.request_timeout = Duration::from_secs(30);
        config
    };
    let facades = [
        facade_with(config("Goloman")).await,
        facade_with(config("Holiday")).await,
    ];
    // Wait for the links: a medal given at Goloman shows at Holiday (floods
    // or the sync when the links come up carry it).
    let path = format!("/incrementMedalTally/Rome/silver/{cacofonix}");
    assert_eq!(get(facades[0].addr(), &path).await.0, StatusCode::OK);
    until_replicated(async || {
        let (_, tally) = get(facades[1].addr(), "/getMedalTally/Rome").await;
        tally["medals"]["silver"] == json!(1)
    })
    .await;
    let tasks: Vec<_> = (0..TASKS)
        .map(|i| {
            let addr = facades[i % 2].addr();
            let path = format!("/incrementMedalTally/Gaul/bronze/{cacofonix}");
            tokio::spawn(async move {
                for _ in 0..TOTAL / TASKS {
                    let (status, body) = get(addr, &path).await;
                    assert_eq!(status, StatusCode::OK, "{body}");
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    // Every replica, read straight from the herd, ends with the exact count.
    for name in ["Goloman", "Hands", "Holiday"] {
        let addr = herd.client(name);
        until_replicated(async || {
            tally_line(addr).await == format!("TALLY Gaul gold 0 silver 0 bronze {TOTAL}\n")
        })
        .await;
    }
    for facade in facades {
        facade.stop().await;
    }
    herd.stop().await;
}

/// `TALLY Gaul` asked of a herd server directly, within [`WAIT`].
async fn tally_line(addr: std::net::SocketAddr) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let exchange = async {
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        stream.write_all(b"TALLY Gaul\n").await.unwrap();
        stream.shutdown().await.unwrap();
        let mut reply = String::new();
        stream.read_to_string(&mut reply).await.unwrap();
        reply
    };
    tokio::time::timeout(WAIT, exchange)
        .await
        .expect("the herd answers TALLY in time")
}
