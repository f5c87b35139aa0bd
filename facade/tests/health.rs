//! `GET /health` and `GET /metrics` against herd servers running in this
//! process: 200 while every herd server answers and none is degraded, 503
//! with the reasons when one is cut off from a neighbour or unreachable;
//! metrics whose counts move with requests.

mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use base::topology::Topology;
use common::*;
use herd::server::{Options, RunningServer};
use reqwest::StatusCode;
use serde_json::Value;

/// A herd server named Goloman on free ports, in this process. With
/// `cut_off`, it has a neighbour, Hands, that never answers, and a degraded
/// threshold of one second.
async fn goloman(data: &std::path::Path, cut_off: bool) -> RunningServer {
    let mut text =
        String::from("[servers.Goloman]\naddr = \"127.0.0.1:0\"\npeer_addr = \"127.0.0.1:0\"\n");
    if cut_off {
        text = format!(
            "links = [[\"Goloman\", \"Hands\"]]\n{text}\
             [servers.Hands]\naddr = \"{}\"\npeer_addr = \"{}\"\n\
             [limits]\ndegraded_after_secs = 1\n",
            dead_addr(),
            dead_addr()
        );
    }
    let topology = Topology::parse(&text).unwrap();
    let options = Options {
        places_api_key: None,
        data_dir: data.to_owned(),
    };
    herd::server::start(&topology, "Goloman", options)
        .await
        .expect("herd server starts")
}

/// `GET /health` until `check` holds, or panics after [`WAIT`].
async fn health_until(
    facade: SocketAddr,
    what: &str,
    check: impl Fn(StatusCode, &Value) -> bool,
) -> Value {
    let deadline = Instant::now() + WAIT;
    loop {
        let (status, body) = get(facade, "/health").await;
        if check(status, &body) {
            return body;
        }
        assert!(Instant::now() < deadline, "never {what}: {status} {body:#}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_is_200_with_each_server_status_while_the_herd_is_whole() {
    let data = tempfile::tempdir().unwrap();
    let herd = goloman(data.path(), false).await;
    let addr = herd.client_addr.to_string();
    let facade = facade_with(test_config(vec![addr.clone()])).await;

    let (status, body) = get(facade.addr(), "/health").await;
    assert_eq!(status, StatusCode::OK, "{body:#}");
    assert_eq!(body["degraded"], false);
    assert_eq!(body["reasons"], serde_json::json!([]));
    assert_eq!(body["attached"], addr.as_str());
    let server = &body["servers"][0];
    assert_eq!(server["addr"], addr.as_str());
    assert_eq!(server["reachable"], true);
    assert_eq!(server["status"]["server"], "Goloman");
    assert_eq!(server["status"]["journal"]["healthy"], true);
    facade.stop().await;
    herd.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_is_503_naming_the_server_and_link_once_a_herd_server_is_cut_off() {
    let data = tempfile::tempdir().unwrap();
    let herd = goloman(data.path(), true).await;
    let facade = facade_with(test_config(vec![herd.client_addr.to_string()])).await;

    let body = health_until(facade.addr(), "503", |status, _| {
        status == StatusCode::SERVICE_UNAVAILABLE
    })
    .await;
    assert_eq!(body["degraded"], true, "{body:#}");
    let reason = body["reasons"][0].as_str().unwrap();
    assert!(
        reason.starts_with("Goloman (") && reason.contains("link to Hands down for"),
        "{reason}"
    );
    let status = &body["servers"][0]["status"];
    assert_eq!(status["degraded"], true);
    assert_eq!(status["links"][0]["up"], false);
    assert!(status["links"][0]["last_error"].is_string(), "{body:#}");
    facade.stop().await;
    herd.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_is_503_when_a_configured_herd_server_is_unreachable() {
    let data = tempfile::tempdir().unwrap();
    let herd = goloman(data.path(), false).await;
    let dead = dead_addr().to_string();
    let facade = facade_with(test_config(vec![
        herd.client_addr.to_string(),
        dead.clone(),
    ]))
    .await;

    let (status, body) = get(facade.addr(), "/health").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body:#}");
    assert_eq!(body["servers"][0]["reachable"], true);
    let gone = &body["servers"][1];
    assert_eq!(gone["addr"], dead.as_str());
    assert_eq!(gone["reachable"], false);
    assert!(
        gone["error"].as_str().unwrap().contains("connect"),
        "{body:#}"
    );
    assert_eq!(body["reasons"].as_array().unwrap().len(), 1, "{body:#}");
    facade.stop().await;
    herd.stop().await;
}

/// The value of the sample of `series` with exactly `labels`, from
/// Prometheus text.
fn sample(text: &str, series: &str, labels: &str) -> Option<f64> {
    let prefix = format!("{series}{labels} ");
    let line = text.lines().find(|l| l.starts_with(&prefix))?;
    line[prefix.len()..].parse().ok()
}

async fn scrape(facade: SocketAddr) -> String {
    let reply = client()
        .get(format!("http://{facade}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), StatusCode::OK);
    let kind = reply.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(kind.starts_with("text/plain; version=0.0.4"), "{kind}");
    reply.text().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_http_and_herd_requests_as_they_happen() {
    let data = tempfile::tempdir().unwrap();
    let herd = goloman(data.path(), false).await;
    let addr = herd.client_addr.to_string();
    let facade = facade_with(test_config(vec![addr.clone()])).await;

    let tallies = "{route=\"/getMedalTally/{team}\",method=\"GET\",status=\"200\"}";
    let tally_ok = "{verb=\"TALLY\",outcome=\"ok\"}";
    let before = scrape(facade.addr()).await;
    assert_eq!(sample(&before, "facade_http_requests_total", tallies), None);
    for _ in 0..2 {
        assert_eq!(
            get(facade.addr(), "/getMedalTally/Gaul").await.0,
            StatusCode::OK
        );
    }
    get(facade.addr(), "/no/such/thing").await;

    let after = scrape(facade.addr()).await;
    assert_eq!(
        sample(&after, "facade_http_requests_total", tallies),
        Some(2.0),
        "{after}"
    );
    let unmatched = "{route=\"unmatched\",method=\"GET\",status=\"404\"}";
    assert_eq!(
        sample(&after, "facade_http_requests_total", unmatched),
        Some(1.0)
    );
    // Reads are answered from the read view or the herd; the view's
    // refreshes are counted as `VERSION`.
    let from_herd = sample(&after, "facade_herd_requests_total", tally_ok).unwrap_or(0.0);
    assert!(from_herd <= 2.0, "{after}");
    let refreshes = "{verb=\"VERSION\",outcome=\"ok\"}";
    assert!(sample(&after, "facade_herd_requests_total", refreshes).unwrap() >= 1.0);
    assert!(sample(&after, "facade_http_request_seconds_count", "").unwrap() >= 3.0);
    // At least the view's refresh; the catalog may come through the pool
    // (TEAMS, EVENTS) or the subscription.
    assert!(sample(&after, "facade_herd_request_seconds_count", "").unwrap() >= 1.0);
    let attached = format!("{{server=\"{addr}\"}}");
    assert_eq!(sample(&after, "facade_herd_attached", &attached), Some(1.0));
    facade.stop().await;
    herd.stop().await;
}
