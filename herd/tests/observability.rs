//! A server that is cut off must be visible: `STATUS` on the client port
//! says which links are up, since when, why the last one failed and
//! whether the server is `degraded`; the opt-in metrics listener shows the
//! named Prometheus series, and their counts move with requests.

mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use common::in_process::{self, InProcessHerd};
use common::status::*;
use common::*;

/// The degraded threshold the tests configure, in seconds.
const THRESHOLD_SECS: u64 = 1;

#[test]
fn status_shows_a_synced_link_then_degraded_with_the_reason_after_a_wrong_key_restart() {
    let extra = format!("[limits]\ndegraded_after_secs = {THRESHOLD_SECS}\n");
    let mut herd = TestHerd::start(&["Goloman", "Hands"], &[("Goloman", "Hands")], &extra);
    let goloman = herd.client("Goloman");
    exchange_str(
        goloman,
        "IAMAT kiwi +34.068930-118.445127 1520023934.918963997\n",
    );

    let healthy = status_until(goloman, WAIT, "linked and synced", |s| {
        s.links.len() == 1 && s.links[0].up && s.links[0].last_sync.is_some()
    });
    assert_eq!(healthy.server, "Goloman");
    assert!(!healthy.degraded, "{healthy:#?}");
    assert!(healthy.reasons.is_empty());
    assert_eq!(healthy.links[0].peer, "Hands");
    assert_eq!(healthy.degraded_after_secs, THRESHOLD_SECS);
    assert!(healthy.journal.healthy);
    assert!(
        healthy.journal.origin.starts_with("Goloman/"),
        "the origin is the server and its journal's incarnation: {:?}",
        healthy.journal.origin
    );
    assert!(healthy.journal.path.ends_with("Goloman.journal"));
    assert_eq!(healthy.clients, 1);
    assert!(healthy.connections >= 1, "the asking connection is open");

    // Goloman dials Hands; restarted with another key, Hands rejects it.
    herd.kill9("Goloman");
    herd.set_env("HERD_KEY", "not-the-herd-key");
    herd.spawn("Goloman");
    herd.wait_ready("Goloman");
    let restarted = Instant::now();
    let cut_off = status_until(goloman, WAIT, "degraded", |s| s.degraded);
    assert!(
        restarted.elapsed() < Duration::from_secs(THRESHOLD_SECS) + WAIT,
        "degraded within the threshold (plus a loaded machine's margin)"
    );
    let link = &cut_off.links[0];
    assert!(!link.up, "{cut_off:#?}");
    assert_eq!(link.last_sync, None, "never synced since the restart");
    let error = link.last_error.as_deref().unwrap_or_default();
    assert!(
        error.contains("authentication failed") && error.contains("HERD_KEY"),
        "{cut_off:#?}"
    );
    assert!(
        cut_off.reasons[0].starts_with("link to Hands down for "),
        "{cut_off:#?}"
    );

    // The neighbour that rejected it is cut off too, and says why.
    let hands = status_until(
        herd.client("Hands"),
        WAIT,
        "degraded, blaming the key",
        |s| {
            s.degraded
                && s.links[0]
                    .last_error
                    .as_deref()
                    .is_some_and(|e| e.contains("HERD_KEY"))
        },
    );
    assert!(!hands.links[0].up, "{hands:#?}");
}

#[test]
fn status_takes_no_operands() {
    let herd = TestHerd::start(&["Goloman"], &[], "");
    let reply = exchange_str(herd.client("Goloman"), "STATUS now\n");
    assert_eq!(reply, "? STATUS now\n");
}

/// The value of the sample of `series` whose labels include every one of
/// `labels`, from Prometheus text.
fn sample(text: &str, series: &str, labels: &[(&str, &str)]) -> Option<f64> {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .filter(|line| line.starts_with(series) && line[series.len()..].starts_with(['{', ' ']))
        .find(|line| {
            labels
                .iter()
                .all(|(k, v)| line.contains(&format!("{k}=\"{v}\"")))
        })
        .and_then(|line| line.rsplit(' ').next()?.parse().ok())
}

async fn scrape(addr: SocketAddr) -> String {
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let reply = client
        .get(format!("http://{addr}/metrics"))
        .timeout(WAIT)
        .send()
        .await
        .expect("metrics answer");
    assert_eq!(reply.status(), 200);
    let kind = reply.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(kind.starts_with("text/plain"), "{kind}");
    reply.text().await.unwrap()
}

/// The series the metrics listener must show.
const NAMED_SERIES: [&str; 13] = [
    "herd_requests_total",
    "herd_reply_latency_seconds_bucket",
    "herd_connections_open",
    "herd_clients_stored",
    "herd_link_up",
    "herd_link_queue_depth",
    "herd_link_dropped_total",
    "herd_link_locations_sent_total",
    "herd_antientropy_repairs_total",
    "herd_journal_fsync_seconds_count",
    "herd_journal_healthy",
    "herd_degraded",
    "herd_uptime_seconds",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_listener_exposes_the_named_series_and_counts_move_after_requests() {
    let herd = InProcessHerd::start_with(
        &["Goloman", "Hands"],
        &[("Goloman", "Hands")],
        "[metrics]\nlisten = { Goloman = \"127.0.0.1:0\" }\n",
    )
    .await;
    let (g, h) = (herd.server("Goloman"), herd.server("Hands"));
    assert_eq!(h.metrics_addr, None, "servers not listed expose none");
    let metrics = g.metrics_addr.expect("Goloman serves metrics");

    let before = scrape(metrics).await;
    assert_named_series_before_any_request(&before);
    send_six_requests(g.client_addr).await;
    let after = scrape_once_kiwi_reached_hands(metrics).await;
    assert_counts_moved_by_the_requests(&before, &after);

    herd.stop().await;
}

/// Every named series is shown, and no `IAMAT` has been counted yet.
fn assert_named_series_before_any_request(before: &str) {
    for series in NAMED_SERIES {
        assert!(
            before.lines().any(|l| l.starts_with(series)),
            "{series} missing:\n{before}"
        );
    }
    let iamat_ok = [("verb", "IAMAT"), ("outcome", "ok"), ("server", "Goloman")];
    assert_eq!(sample(before, "herd_requests_total", &iamat_ok), Some(0.0));
}

/// Sends two good `IAMAT`s, a bad one, an unknown verb, a denied and an
/// accepted `MEDAL` to `addr`, and checks each got a reply.
async fn send_six_requests(addr: SocketAddr) {
    let input = format!(
        "IAMAT kiwi +34.068930-118.445127 1520023934.918963997\n\
         IAMAT kiwi +34.068930-118.445127 1520023935\n\
         IAMAT kiwi bogus 1\n\
         NONSENSE\n\
         MEDAL Gaul gold wrong-id\n\
         MEDAL Gaul gold {}\n",
        in_process::cacofonix_id()
    );
    let reply = tokio::task::spawn_blocking(move || exchange_str(addr, &input))
        .await
        .unwrap();
    assert_eq!(reply.lines().count(), 6, "{reply}");
}

/// Scrapes `metrics` until the link to Hands is up and has carried a
/// location, or [`WAIT`] has passed; returns the last scrape.
async fn scrape_once_kiwi_reached_hands(metrics: SocketAddr) -> String {
    let deadline = Instant::now() + WAIT;
    loop {
        let text = scrape(metrics).await;
        let linked = sample(&text, "herd_link_up", &[("peer", "Hands")]) == Some(1.0);
        // kiwi reaches Hands by the flood or, if the link came up later,
        // by anti-entropy: either way one location sent whole.
        let sent = sample(
            &text,
            "herd_link_locations_sent_total",
            &[("peer", "Hands")],
        );
        if (linked && sent >= Some(1.0)) || Instant::now() > deadline {
            break text;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The counts in `after` moved from `before` by exactly the six requests.
fn assert_counts_moved_by_the_requests(before: &str, after: &str) {
    let fsyncs = |text: &str| sample(text, "herd_journal_fsync_seconds_count", &[]).unwrap();
    let replies = |text: &str| sample(text, "herd_reply_latency_seconds_count", &[]).unwrap();
    let count = |verb: &str, outcome: &str| {
        sample(
            after,
            "herd_requests_total",
            &[("verb", verb), ("outcome", outcome)],
        )
    };
    assert_eq!(count("IAMAT", "ok"), Some(2.0), "{after}");
    assert_eq!(count("IAMAT", "invalid"), Some(1.0));
    assert_eq!(count("other", "invalid"), Some(1.0));
    assert_eq!(count("MEDAL", "denied"), Some(1.0));
    assert_eq!(count("MEDAL", "ok"), Some(1.0));
    assert_eq!(replies(after) - replies(before), 6.0);
    assert!(fsyncs(after) > fsyncs(before), "the MEDAL was fsynced");
    assert_eq!(sample(after, "herd_clients_stored", &[]), Some(1.0));
    let sent = sample(
        after,
        "herd_link_locations_sent_total",
        &[("peer", "Hands")],
    );
    assert!(sent >= Some(1.0), "kiwi was sent to Hands: {after}");
    assert_eq!(
        sample(after, "herd_link_up", &[("peer", "Hands")]),
        Some(1.0),
        "{after}"
    );
    assert_eq!(sample(after, "herd_degraded", &[]), Some(0.0));
}
