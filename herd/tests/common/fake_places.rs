//! A fake Places upstream on loopback for the provider tests: it answers
//! every request with one canned [`Answer`] and records what it was sent,
//! so a test can check both what a provider asks and what it makes of the
//! reply.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context as _;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use base::topology::{PlacesConfig, ProviderKind};
use herd::places::Places;
use proto::coords::Coords;
use serde_json::Value;

/// A key distinctive enough that finding it anywhere in a reply is a leak.
pub const KEY: &str = "KEY-s3cr3t-0123456789";

/// Where the provider tests ask from.
pub const UCLA: Coords = Coords {
    lat: 34.068931,
    lng: -118.445127,
};

/// One request as the fake upstream saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: Method,
    pub uri: Uri,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// What the fake upstream answers.
#[derive(Clone)]
pub struct Answer {
    pub status: StatusCode,
    pub body: String,
    pub delay: Duration,
    pub location: Option<&'static str>,
}

impl Answer {
    pub fn json(status: StatusCode, body: impl Into<String>) -> Self {
        Self {
            status,
            body: body.into(),
            delay: Duration::ZERO,
            location: None,
        }
    }
}

#[derive(Clone)]
struct Fake {
    answer: Answer,
    seen: Arc<Mutex<Vec<Seen>>>,
}

/// Starts a fake upstream answering every request with `answer`.
pub async fn fake_upstream(answer: Answer) -> anyhow::Result<(SocketAddr, Arc<Mutex<Vec<Seen>>>)> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .context("bind fake upstream")?;
    let addr = listener.local_addr()?;
    let seen = Arc::new(Mutex::new(Vec::new()));
    let state = Fake {
        answer,
        seen: seen.clone(),
    };
    let app = Router::new().fallback(handle).with_state(state);
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok((addr, seen))
}

async fn handle(
    State(fake): State<Fake>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, HeaderMap, String) {
    // Lock held only to push, never across an await.
    if let Ok(mut seen) = fake.seen.lock() {
        seen.push(Seen {
            method,
            uri,
            headers,
            body,
        });
    }
    tokio::time::sleep(fake.answer.delay).await;
    let mut out = HeaderMap::new();
    out.insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json; charset=UTF-8"),
    );
    if let Some(location) = fake.answer.location {
        out.insert(header::LOCATION, header::HeaderValue::from_static(location));
    }
    (fake.answer.status, out, fake.answer.body.clone())
}

pub fn places(provider: ProviderKind, addr: SocketAddr, timeout_ms: u64) -> anyhow::Result<Places> {
    let config = PlacesConfig {
        provider,
        base_url: Some(format!("http://{addr}")),
        timeout_ms,
    };
    Places::new(&config, Some(KEY.to_owned())).context("build provider")
}

pub fn status_of(reply: &str) -> anyhow::Result<String> {
    let value: Value = serde_json::from_str(reply).context("reply is JSON")?;
    Ok(value["status"].as_str().context("status")?.to_owned())
}

pub fn seen_one(seen: &Arc<Mutex<Vec<Seen>>>) -> Seen {
    let seen = seen.lock().expect("fake upstream lock");
    assert_eq!(seen.len(), 1, "{seen:?}");
    seen[0].clone()
}

pub fn query_pairs(uri: &Uri) -> Vec<(String, String)> {
    let query = uri.query().unwrap_or("");
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.replace("%2C", ",")))
        .collect()
}
