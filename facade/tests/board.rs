//! The scoreboard's server side against a fake herd: the embedded pages,
//! server-sent events of every score and tally with ids a reconnecting
//! client resumes from, per-team medal pushes, and push registrations that
//! survive a facade restart.

mod common;

use std::time::Duration;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// One SSE message: its `event`, `id` and parsed `data`.
#[derive(Debug)]
struct Message {
    kind: String,
    id: String,
    data: Value,
}

/// Reads the next message that carries data (skipping `retry:`-only ones
/// and comments), within `wait`; `None` if none came.
async fn next_message(
    response: &mut reqwest::Response,
    buffer: &mut String,
    wait: Duration,
) -> Option<Message> {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        while let Some(end) = buffer.find("\n\n") {
            let block: String = buffer.drain(..end + 2).collect();
            let field = |name: &str| {
                block
                    .lines()
                    .find_map(|l| l.strip_prefix(name))
                    .map(|v| v.trim_start().to_owned())
            };
            if let Some(data) = field("data:") {
                return Some(Message {
                    kind: field("event:").unwrap_or_default(),
                    id: field("id:").expect("every data message has an id"),
                    data: serde_json::from_str(&data).unwrap(),
                });
            }
        }
        let chunk = tokio::time::timeout_at(deadline, response.chunk()).await;
        let Ok(chunk) = chunk else { return None };
        let chunk = chunk.unwrap().expect("the stream ended");
        buffer.push_str(std::str::from_utf8(&chunk).unwrap());
    }
}

async fn must_next(response: &mut reqwest::Response, buffer: &mut String) -> Message {
    next_message(response, buffer, WAIT)
        .await
        .expect("an SSE message in time")
}

async fn open(addr: std::net::SocketAddr, path: &str, last_id: Option<&str>) -> reqwest::Response {
    let mut request = client().get(format!("http://{addr}{path}"));
    if let Some(id) = last_id {
        request = request.header("Last-Event-ID", id);
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    response
}

/// The first `count` messages of a fresh stream.
async fn first(
    response: &mut reqwest::Response,
    buffer: &mut String,
    count: usize,
) -> Vec<Message> {
    let mut all = Vec::new();
    for _ in 0..count {
        all.push(must_next(response, buffer).await);
    }
    all
}

/// Every event and team of the fake herd: curling, skating, skiing, Gaul, Rome.
const TOPICS: usize = 5;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_scoreboard_and_herd_pages_are_served_from_the_binary() {
    let herd = FakeHerd::start("Goloman").await;
    let facade = facade(&[&herd]).await;
    let addr = facade.addr();
    for (path, kind, needle) in [
        ("/", "text/html", "/board.js"),
        ("/board.js", "text/javascript", "new EventSource"),
        ("/board.css", "text/css", "@media"),
        ("/herd", "text/html", "/herd.js"),
        ("/herd.js", "text/javascript", "/health"),
    ] {
        let response = client()
            .get(format!("http://{addr}{path}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let content_type = response.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(content_type.starts_with(kind), "{path}: {content_type}");
        let body = response.text().await.unwrap();
        assert!(body.contains(needle), "{path} lacks {needle:?}");
        assert!(
            !body.contains("http://") && !body.contains("https://"),
            "{path} loads nothing from elsewhere"
        );
    }
    facade.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_everything_stream_sends_every_score_and_tally_then_each_change() {
    let herd = FakeHerd::start("Goloman").await;
    let facade = facade(&[&herd]).await;
    let addr = facade.addr();
    get(addr, &format!("/setScore/curling/1/2/{AUTH}")).await;
    let mut response = open(addr, "/events", None).await;
    let mut buffer = String::new();
    let start = first(&mut response, &mut buffer, TOPICS).await;
    let mut kinds: Vec<&str> = start.iter().map(|m| m.kind.as_str()).collect();
    kinds.sort();
    assert_eq!(kinds, ["score", "score", "score", "tally", "tally"]);
    let curling = start
        .iter()
        .find(|m| m.data["event"] == json!("curling"))
        .unwrap();
    assert_eq!(curling.data["scores"], json!({"Gaul": 2, "Rome": 1}));
    assert!(curling.data["changed_at"].is_string());
    get(addr, &format!("/incrementMedalTally/Gaul/gold/{AUTH}")).await;
    let tally = must_next(&mut response, &mut buffer).await;
    assert_eq!(tally.kind, "tally");
    assert_eq!(
        tally.data["medals"],
        json!({"gold": 1, "silver": 0, "bronze": 0})
    );
    assert!(start.iter().all(|m| m.id != tally.id), "ids are unique");
    facade.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_reconnecting_with_last_event_id_gets_exactly_what_changed_since() {
    let herd = FakeHerd::start("Goloman").await;
    let facade = facade(&[&herd]).await;
    let addr = facade.addr();
    let mut response = open(addr, "/events", None).await;
    let mut buffer = String::new();
    let start = first(&mut response, &mut buffer, TOPICS).await;
    let last = start.last().unwrap().id.clone();
    drop(response);
    // Changed while the client was away.
    get(addr, &format!("/setScore/skiing/3/4/{AUTH}")).await;
    get(addr, &format!("/incrementMedalTally/Rome/silver/{AUTH}")).await;
    get(addr, &format!("/incrementMedalTally/Rome/silver/{AUTH}")).await;
    for query in [false, true] {
        let (path, header) = if query {
            (format!("/events?lastEventId={last}"), None)
        } else {
            ("/events".to_owned(), Some(last.as_str()))
        };
        let mut response = open(addr, &path, header).await;
        let mut buffer = String::new();
        let skiing = must_next(&mut response, &mut buffer).await;
        assert_eq!(
            skiing.data["scores"],
            json!({"Gaul": 4, "Rome": 3}),
            "{path}"
        );
        let rome = must_next(&mut response, &mut buffer).await;
        assert_eq!(rome.data["team"], json!("Rome"));
        assert_eq!(
            rome.data["medals"]["silver"],
            json!(2),
            "the current tally only"
        );
        let more = next_message(&mut response, &mut buffer, Duration::from_millis(300)).await;
        assert!(more.is_none(), "nothing else changed: {more:?}");
    }
    // An id this facade never gave means: send everything.
    let mut response = open(addr, "/events", Some("0-1")).await;
    let mut buffer = String::new();
    first(&mut response, &mut buffer, TOPICS).await;
    facade.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_team_stream_follows_that_team_only() {
    let herd = FakeHerd::start("Goloman").await;
    let facade = facade(&[&herd]).await;
    let addr = facade.addr();
    let mut response = open(addr, "/events/medals/gaul", None).await;
    let mut buffer = String::new();
    let now = must_next(&mut response, &mut buffer).await;
    assert_eq!(
        (now.kind.as_str(), &now.data["team"]),
        ("tally", &json!("Gaul"))
    );
    get(addr, &format!("/incrementMedalTally/Rome/gold/{AUTH}")).await;
    get(addr, &format!("/setScore/curling/1/1/{AUTH}")).await;
    get(addr, &format!("/incrementMedalTally/Gaul/bronze/{AUTH}")).await;
    let next = must_next(&mut response, &mut buffer).await;
    assert_eq!(next.data["team"], json!("Gaul"), "{next:?}");
    assert_eq!(next.data["medals"]["bronze"], json!(1));
    let (status, _) = get(addr, "/events/medals/Atlantis").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    facade.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tablet_registered_for_a_team_gets_each_tally_at_the_documented_url() {
    let herd = FakeHerd::start("Goloman").await;
    let facade = facade(&[&herd]).await;
    let addr = facade.addr();
    let tablet = Tablet::start(Duration::ZERO).await;
    let (status, body) = get(
        addr,
        &format!("/registerClient/{}/medals/gaul", tablet.id()),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["team"], json!("Gaul"));
    assert_eq!(facade.medal_tablets("Gaul"), [tablet.id()]);
    let (status, _) = get(
        addr,
        &format!("/registerClient/{}/medals/Atlantis", tablet.id()),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    get(addr, &format!("/incrementMedalTally/Rome/gold/{AUTH}")).await;
    get(addr, &format!("/incrementMedalTally/Gaul/silver/{AUTH}")).await;
    eventually("Gaul's new tally pushed", || {
        tablet.hit("/pushUpdate/medals/Gaul/0/1/0/").is_some()
    })
    .await;
    let pushed = tablet.hit("/pushUpdate/medals/Gaul/0/1/0/").unwrap().path;
    let stamp: f64 = pushed.rsplit('/').next().unwrap().parse().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    assert!(
        (now - stamp).abs() < 60.0,
        "stamp {stamp} is a time near now"
    );
    assert!(
        tablet
            .paths()
            .iter()
            .all(|p| p.starts_with("/pushUpdate/medals/Gaul/")),
        "Rome's tally never reaches a Gaul tablet: {:?}",
        tablet.paths()
    );
    facade.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registrations_survive_a_facade_restart() {
    let herd = FakeHerd::start("Goloman").await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("facade-1.clients.json");
    let config = || {
        let mut config = test_config(vec![herd.address()]);
        config.registrations = Some(file.clone());
        config
    };
    let tablet = Tablet::start(Duration::ZERO).await;
    let first = facade_with(config()).await;
    let addr = first.addr();
    get(addr, &format!("/registerClient/{}/curling", tablet.id())).await;
    get(
        addr,
        &format!("/registerClient/{}/medals/Rome", tablet.id()),
    )
    .await;
    first.stop().await;
    let saved = std::fs::read_to_string(&file).unwrap();
    assert!(
        saved.contains("curling") && saved.contains("Rome"),
        "{saved}"
    );

    let second = facade_with(config()).await;
    eventually("the registrations restored", || {
        second.tablets("curling") == [tablet.id()] && second.medal_tablets("Rome") == [tablet.id()]
    })
    .await;
    get(second.addr(), &format!("/setScore/curling/5/6/{AUTH}")).await;
    eventually("a push from the restarted facade", || {
        tablet.hit("/pushUpdate/curling/").is_some()
    })
    .await;
    second.stop().await;
}
