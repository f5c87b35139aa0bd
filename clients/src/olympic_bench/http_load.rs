//! HTTP load: `connections` keep-alive HTTP/1.1 connections, each a task
//! sending one GET after another (no pipelining: HTTP clients do not), for
//! a warm-up and then a measured interval. The same generator drives the
//! baseline and the facade, so their numbers differ only by the server.
//!
//! It is hyper's connection-level client with nothing on top (no pool, no
//! redirects, no proxy lookup), so the generator takes as little of the
//! shared cores as an HTTP client can. Every reply is checked: status and
//! body must be what [`Expect`] says. A request is timed from just before
//! it is written to the end of its reply body; only replies completed inside
//! the measured interval count for throughput and latency, but every
//! accepted reply counts in [`HttpLoadResult::accepted_total`], which is
//! what the increment check needs.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use http_body_util::{BodyExt, Empty, Limited};
use hyper::body::Bytes;
use hyper::client::conn::http1::{self, SendRequest};
use hyper::{Request, StatusCode, header};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::time::{Instant, timeout};

use crate::harness::window::{Throughput, Window};
use crate::olympic::facade::Tally;

/// Longest one request may take, connect included: the facade's own herd
/// deadline (5 s) plus a margin, so a facade 504 arrives before it.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(6);

/// Largest reply body read; a tally is under 100 bytes.
pub const MAX_BODY: usize = 64 * 1024;

/// What a good reply looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// 200 and a tally of the team (`getMedalTally`).
    Tally,
    /// 200 and a tally with `"ok": true` (`incrementMedalTally`): the
    /// increment is durable.
    AckedIncrement,
}

impl Expect {
    /// Whether a reply with `status` and `body` is a good one.
    pub fn accepts(self, status: StatusCode, body: &[u8]) -> bool {
        if status != StatusCode::OK {
            return false;
        }
        let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) else {
            return false;
        };
        let tally_ok = serde_json::from_value::<Tally>(value.clone())
            .is_ok_and(|t| t.team == super::TEAM && t.medals.len() == 3);
        match self {
            Self::Tally => tally_ok,
            Self::AckedIncrement => tally_ok && value["ok"] == serde_json::Value::Bool(true),
        }
    }
}

/// The shape of a load run.
#[derive(Debug, Clone)]
pub struct HttpLoadConfig {
    /// Keep-alive connections, each driven by its own task.
    pub connections: usize,
    /// Run before measuring, so connections and caches are warm.
    pub warmup: Duration,
    /// The measured interval.
    pub duration: Duration,
    /// Path of every request, e.g. `/getMedalTally/Gaul`.
    pub path: String,
    /// What every reply should be.
    pub expect: Expect,
}

/// What a load run measured.
#[derive(Debug, Clone, Default)]
pub struct HttpLoadResult {
    /// Good replies completed inside the measured interval, and their
    /// latencies.
    pub throughput: Throughput,
    /// Good replies over the whole run, warm-up included.
    pub accepted_total: u64,
    /// Replies that were not good (another status, another body).
    pub refused: u64,
    /// The first of them, as `status body`, for the report.
    pub first_refused: Option<String>,
    /// Requests that got no reply: the connection failed or timed out.
    pub lost: u64,
    /// The first such failure, for the report.
    pub first_lost: Option<String>,
}

impl HttpLoadResult {
    /// Good replies per second of the measured interval.
    pub fn ops_per_sec(&self) -> f64 {
        self.throughput.ops_per_sec()
    }

    fn merge(&mut self, other: HttpLoadResult) {
        self.throughput.merge(other.throughput);
        self.accepted_total += other.accepted_total;
        self.refused += other.refused;
        self.lost += other.lost;
        if self.first_refused.is_none() {
            self.first_refused = other.first_refused;
        }
        if self.first_lost.is_none() {
            self.first_lost = other.first_lost;
        }
    }
}

/// Runs the load against the HTTP server at `addr` and adds up every
/// connection's result. Fails only if a connection cannot be opened.
pub async fn run(addr: SocketAddr, config: &HttpLoadConfig) -> anyhow::Result<HttpLoadResult> {
    let mut senders = Vec::with_capacity(config.connections);
    for _ in 0..config.connections {
        senders.push(connect(addr).await?);
    }
    let config = Arc::new(config.clone());
    let span = Window::starting_now(config.warmup, config.duration);
    let tasks: Vec<_> = senders
        .into_iter()
        .map(|sender| tokio::spawn(drive(addr, sender, config.clone(), span)))
        .collect();
    let mut total = HttpLoadResult {
        throughput: Throughput::over(&span),
        ..HttpLoadResult::default()
    };
    for task in tasks {
        total.merge(task.await.context("a load task panicked")??);
    }
    Ok(total)
}

/// Opens one HTTP/1.1 connection with Nagle off; its connection task ends
/// when the returned sender is dropped.
async fn connect(addr: SocketAddr) -> anyhow::Result<SendRequest<Empty<Bytes>>> {
    let stream = timeout(REQUEST_TIMEOUT, TcpStream::connect(addr))
        .await
        .with_context(|| format!("connecting to {addr} timed out"))?
        .with_context(|| format!("cannot connect to {addr}"))?;
    stream.set_nodelay(true)?;
    let (sender, conn) = http1::handshake(TokioIo::new(stream))
        .await
        .context("HTTP handshake")?;
    tokio::spawn(conn);
    Ok(sender)
}

/// One request on `sender`: its status and body.
async fn request(
    sender: &mut SendRequest<Empty<Bytes>>,
    host: &str,
    path: &str,
) -> anyhow::Result<(StatusCode, Bytes)> {
    sender.ready().await?;
    let request = Request::get(path)
        .header(header::HOST, host)
        .body(Empty::new())?;
    let response = sender.send_request(request).await?;
    let status = response.status();
    let body = Limited::new(response.into_body(), MAX_BODY)
        .collect()
        .await
        .map_err(|e| anyhow::anyhow!("reading the body: {e}"))?
        .to_bytes();
    Ok((status, body))
}

/// One connection's loop: request after request until `span` closes. A
/// request that gets no reply is counted and the connection replaced.
async fn drive(
    addr: SocketAddr,
    mut sender: SendRequest<Empty<Bytes>>,
    config: Arc<HttpLoadConfig>,
    span: Window,
) -> anyhow::Result<HttpLoadResult> {
    let host = addr.to_string();
    let mut result = HttpLoadResult::default();
    while span.is_open(Instant::now()) {
        let sent = Instant::now();
        let outcome = timeout(REQUEST_TIMEOUT, request(&mut sender, &host, &config.path)).await;
        let now = Instant::now();
        match outcome {
            Ok(Ok((status, body))) if config.expect.accepts(status, &body) => {
                result.accepted_total += 1;
                result.throughput.record(&span, sent, now);
            }
            Ok(Ok((status, body))) => {
                result.refused += 1;
                result
                    .first_refused
                    .get_or_insert_with(|| format!("{status} {}", String::from_utf8_lossy(&body)));
            }
            Ok(Err(e)) => {
                result.lost += 1;
                result.first_lost.get_or_insert_with(|| format!("{e:#}"));
                sender = connect(addr).await?;
            }
            Err(_) => {
                result.lost += 1;
                result
                    .first_lost
                    .get_or_insert_with(|| format!("no reply within {REQUEST_TIMEOUT:?}"));
                sender = connect(addr).await?;
            }
        }
    }
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_are_judged_by_status_and_body() {
        let tally = br#"{"medals":{"bronze":0,"gold":2,"silver":5},"team":"Gaul"}"#;
        let acked =
            br#"{"medals":{"bronze":0,"gold":3,"silver":5},"team":"Gaul","ok":true,"message":"x"}"#;
        assert!(Expect::Tally.accepts(StatusCode::OK, tally));
        assert!(Expect::Tally.accepts(StatusCode::OK, acked));
        assert!(!Expect::AckedIncrement.accepts(StatusCode::OK, tally));
        assert!(Expect::AckedIncrement.accepts(StatusCode::OK, acked));
        assert!(!Expect::AckedIncrement.accepts(StatusCode::SERVICE_UNAVAILABLE, acked));
        assert!(!Expect::Tally.accepts(StatusCode::OK, br#"{"error":"no"}"#));
        let rome = br#"{"medals":{"bronze":0,"gold":2,"silver":5},"team":"Rome"}"#;
        assert!(!Expect::Tally.accepts(StatusCode::OK, rome));
        assert!(!Expect::Tally.accepts(StatusCode::OK, b"not json"));
    }

    #[tokio::test]
    async fn load_against_the_baseline_counts_good_replies_in_the_window() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(super::super::baseline::serve(listener));
        let mut config = HttpLoadConfig {
            connections: 2,
            warmup: Duration::from_millis(50),
            duration: Duration::from_millis(200),
            path: "/getMedalTally/Gaul".into(),
            expect: Expect::Tally,
        };
        let good = run(addr, &config).await.unwrap();
        assert_eq!((good.refused, good.lost), (0, 0), "{good:?}");
        let measured = &good.throughput;
        assert!(measured.completed > 10, "{good:?}");
        assert!(good.accepted_total > measured.completed, "{good:?}");
        assert_eq!(measured.latencies.len() as u64, measured.completed);

        // The baseline has no such route: every reply is a 404, refused.
        config.path = "/incrementMedalTally/Gaul/gold/x".into();
        config.expect = Expect::AckedIncrement;
        let bad = run(addr, &config).await.unwrap();
        server.abort();
        let completed = bad.throughput.completed;
        assert_eq!((completed, bad.accepted_total), (0, 0), "{bad:?}");
        assert!(bad.refused > 10, "{bad:?}");
        assert!(bad.first_refused.unwrap().starts_with("404"));
    }
}
