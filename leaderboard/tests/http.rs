//! The HTTP routes, in-process over the embedded store on a free loopback
//! port: status codes, bodies, and JSON errors that change nothing; and
//! over Redis, what a post and `/health` answer once Redis is gone.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use leaderboard::Store;
use leaderboard::store::embedded::EmbeddedStore;
use leaderboard::store::redis::RedisStore;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// A leaderboard serving on `127.0.0.1:0` until the test ends.
struct Served {
    base: String,
    http: reqwest::Client,
    _dir: tempfile::TempDir,
}

impl Served {
    async fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = EmbeddedStore::open(dir.path()).unwrap();
        Self::start_with(store, dir).await
    }

    async fn start_with(store: impl Store, dir: tempfile::TempDir) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = leaderboard::api::router(Arc::new(store));
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self {
            base: format!("http://{addr}"),
            http: reqwest::Client::new(),
            _dir: dir,
        }
    }

    async fn post_raw(&self, body: impl Into<reqwest::Body>) -> (StatusCode, Value) {
        let reply = self
            .http
            .post(format!("{}/results", self.base))
            .body(body)
            .send()
            .await
            .unwrap();
        let status = reply.status();
        let is_json = reply
            .headers()
            .get("content-type")
            .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
        assert!(is_json, "{status} without a JSON content type");
        (status, reply.json().await.unwrap())
    }

    async fn post(&self, body: Value) -> (StatusCode, Value) {
        self.post_raw(body.to_string()).await
    }

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        let reply = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap();
        (reply.status(), reply.json().await.unwrap())
    }
}

fn result(id: &str, athlete: &str, team: &str, place: Option<u8>) -> Value {
    json!({ "id": id, "athlete": athlete, "team": team, "event": "curling", "place": place })
}

#[tokio::test]
async fn a_result_is_created_once_then_answered_200_with_the_same_body() {
    let lb = Served::start().await;
    let (status, first) = lb.post(result("r1", "Asterix", "Gaul", Some(2))).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(
        first,
        json!({"id": "r1", "athlete": "Asterix", "team": "Gaul", "event": "curling", "place": 2, "points": 5})
    );
    let (status, again) = lb.post(result("r1", "Asterix", "Gaul", Some(2))).await;
    assert_eq!((status, &again), (StatusCode::OK, &first));
    let (_, line) = lb.get("/athletes/Asterix").await;
    assert_eq!(line["results"], 1);
}

#[tokio::test]
async fn bad_json_unknown_fields_and_bad_places_get_400_with_a_json_error_and_count_nothing() {
    let lb = Served::start().await;
    let mut unknown = result("u", "Asterix", "Gaul", Some(1));
    unknown["wind"] = json!(2);
    let mut missing = result("m", "Asterix", "Gaul", Some(1));
    missing.as_object_mut().unwrap().remove("place");
    let bodies = [
        "not json".to_owned(),
        r#"{"id": "x", "athlete": "#.to_owned(),
        unknown.to_string(),
        missing.to_string(),
        result("p0", "Asterix", "Gaul", Some(0)).to_string(),
        result("p100", "Asterix", "Gaul", Some(100)).to_string(),
        json!({"id": "s", "athlete": "Asterix", "team": "Gaul", "event": "curling", "place": "1"})
            .to_string(),
        result("e", "", "Gaul", Some(1)).to_string(),
        json!([1, 2]).to_string(),
    ];
    for body in bodies {
        let (status, reply) = lb.post_raw(body.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert!(
            reply["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{body}: {reply}"
        );
    }
    let (_, reply) = lb.post(result("p100", "Asterix", "Gaul", Some(100))).await;
    assert!(
        reply["error"].as_str().unwrap().contains("place 100"),
        "{reply}"
    );
    assert_eq!(lb.get("/top10").await, (StatusCode::OK, json!([])));
    let (status, _) = lb.post(result("ok", "Asterix", "Gaul", Some(99))).await;
    assert_eq!(status, StatusCode::CREATED);
}

#[tokio::test]
async fn top10_and_athlete_lines_follow_the_board() {
    let lb = Served::start().await;
    for (id, athlete, team, place) in [
        ("1", "Asterix", "Gaul", Some(1)),
        ("2", "Asterix", "Gaul", Some(2)),
        ("3", "Caius Bonus", "Rome", Some(1)),
        ("4", "Obelix", "Gaul", None),
        ("5", "Brutus", "Rome", Some(2)),
        ("6", "Getafix", "Gaul", Some(3)),
        ("7", "Getafix", "Gaul", Some(1)),
    ] {
        let (status, _) = lb.post(result(id, athlete, team, place)).await;
        assert_eq!(status, StatusCode::CREATED);
    }
    let (status, board) = lb.get("/top10").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        board,
        json!([
            {"athlete": "Caius Bonus", "team": "Rome", "average": 6.0, "results": 1},
            {"athlete": "Asterix", "team": "Gaul", "average": 5.5, "results": 2},
            {"athlete": "Getafix", "team": "Gaul", "average": 5.0, "results": 2},
            {"athlete": "Brutus", "team": "Rome", "average": 5.0, "results": 1},
            {"athlete": "Obelix", "team": "Gaul", "average": 0.0, "results": 1},
        ])
    );
    let (status, line) = lb.get("/athletes/Caius%20Bonus").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        line,
        json!({"athlete": "Caius Bonus", "team": "Rome", "average": 6.0, "results": 1})
    );
    let (status, reply) = lb.get("/athletes/Nobody").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        reply["error"].as_str().unwrap().contains("Nobody"),
        "{reply}"
    );
}

#[tokio::test]
async fn health_unknown_routes_wrong_methods_and_huge_bodies_answer_json() {
    let lb = Served::start().await;
    assert_eq!(
        lb.get("/health").await,
        (
            StatusCode::OK,
            json!({"status": "ok", "storage": "embedded"})
        )
    );
    let (status, reply) = lb.get("/nowhere").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(reply["error"].is_string());
    let (status, reply) = lb.get("/results").await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(reply["error"].is_string());
    let huge = result(
        &"x".repeat(leaderboard::api::MAX_BODY),
        "A",
        "Gaul",
        Some(1),
    );
    let (status, reply) = lb.post(huge).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(reply["error"].is_string());
}

#[tokio::test]
async fn with_redis_gone_a_post_and_health_answer_503_in_json_and_do_not_hang() {
    /// Not a speed target, only that nothing hangs: long enough for the
    /// connection manager's reconnect attempts on a loaded machine.
    const WITHIN: Duration = Duration::from_secs(30);
    let Some(redis) = common::redis_or_skip("with_redis_gone_a_post_and_health_answer_503") else {
        return;
    };
    let store = RedisStore::connect(&redis.url(), "gone").await.unwrap();
    let lb = Served::start_with(store, tempfile::tempdir().unwrap()).await;
    assert_eq!(
        lb.get("/health").await,
        (StatusCode::OK, json!({"status": "ok", "storage": "redis"}))
    );
    let (status, _) = lb.post(result("r1", "Asterix", "Gaul", Some(1))).await;
    assert_eq!(status, StatusCode::CREATED);
    drop(redis);
    let started = Instant::now();
    let (status, reply) = lb.post(result("r2", "Asterix", "Gaul", Some(1))).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{reply}");
    assert!(
        reply["error"]
            .as_str()
            .unwrap()
            .contains("storage unavailable"),
        "{reply}"
    );
    let (status, _) = lb.get("/health").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(started.elapsed() < WITHIN, "took {:?}", started.elapsed());
}
