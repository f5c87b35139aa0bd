//! Test harness: the facade in-process on a loopback port, fake herd
//! servers, real herd servers in-process ([`in_process`]), small tablet
//! servers that record pushes, and an HTTP helper that insists every body is
//! JSON. Every port is picked by the system; every wait is bounded.

#![allow(dead_code)]

pub mod fake_herd;
/// Real herd servers in this process, shared with the herd's tests.
#[path = "../../../herd/tests/common/in_process.rs"]
pub mod in_process;
pub mod process;
/// Raw loopback sockets, shared with the herd's tests.
#[path = "../../../herd/tests/common/sockets.rs"]
pub mod sockets;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::Uri;
use facade::server::{Config, Running};
use reqwest::StatusCode;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

#[allow(unused_imports)]
pub use fake_herd::{AUTH, FakeHerd, FakeState};

/// Longest any single wait in a test may take.
pub const WAIT: Duration = Duration::from_secs(10);

/// Test settings: short request timeout, fast keepalive.
pub fn test_config(herd: Vec<String>) -> Config {
    let mut config = Config::new(herd);
    config.request_timeout = Duration::from_secs(1);
    config.keepalive = Duration::from_secs(1);
    config
}

/// The facade attached to `herd`, on a free loopback port.
pub async fn facade(herd: &[&FakeHerd]) -> Running {
    facade_with(test_config(herd.iter().map(|h| h.address()).collect())).await
}

/// The facade with any configuration.
pub async fn facade_with(config: Config) -> Running {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    facade::server::start(listener, config).await.unwrap()
}

/// A loopback address nothing listens on, and nothing can: the port stays
/// bound (without listening) for the rest of the test process, so a
/// concurrent test cannot pick it up, and connections to it are refused.
pub fn dead_addr() -> SocketAddr {
    static HELD: std::sync::Mutex<Vec<tokio::net::TcpSocket>> = std::sync::Mutex::new(Vec::new());
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let addr = socket.local_addr().unwrap();
    HELD.lock().unwrap().push(socket);
    addr
}

/// An HTTP client that never uses a proxy. Built once: building one loads
/// the system's root certificates, which is slow enough to starve a test
/// runtime when done per request. It keeps no idle connections, because each
/// test has its own runtime and a pooled connection belongs to the runtime
/// that opened it.
pub fn client() -> reqwest::Client {
    static CLIENT: std::sync::LazyLock<reqwest::Client> = std::sync::LazyLock::new(|| {
        reqwest::Client::builder()
            .no_proxy()
            .timeout(WAIT)
            .pool_max_idle_per_host(0)
            .build()
            .unwrap()
    });
    CLIENT.clone()
}

/// Sends `method` to `http://{addr}{path}`; returns the status and the body,
/// which must be JSON (never empty).
pub async fn call(method: &str, addr: SocketAddr, path: &str) -> (StatusCode, Value) {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let response = client()
        .request(method, format!("http://{addr}{path}"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{path}: {e:?}"));
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned());
    let text = response.text().await.unwrap();
    let body: Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{path}: {status} body is not JSON ({e}): {text:?}"));
    assert_eq!(content_type.as_deref(), Some("application/json"), "{path}");
    (status, body)
}

/// `GET`.
pub async fn get(addr: SocketAddr, path: &str) -> (StatusCode, Value) {
    call("GET", addr, path).await
}

/// Asserts an error reply: `status` and a non-empty `error` string.
pub fn assert_error(reply: &(StatusCode, Value), status: StatusCode) {
    assert_eq!(reply.0, status, "{:?}", reply.1);
    let message = reply.1["error"].as_str().unwrap_or("");
    assert!(!message.is_empty(), "{:?}", reply.1);
}

/// Polls `check` every 10 ms until it is true or [`WAIT`] passes.
pub async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + WAIT;
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// A push that reached a tablet.
#[derive(Debug, Clone)]
pub struct Hit {
    pub path: String,
    pub at: Instant,
}

/// A small tablet server recording every request it gets.
pub struct Tablet {
    pub addr: SocketAddr,
    pub hits: Arc<Mutex<Vec<Hit>>>,
    stop: CancellationToken,
}

impl Tablet {
    /// A tablet that answers 200 after `delay`.
    pub async fn start(delay: Duration) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let hits = Arc::new(Mutex::new(Vec::new()));
        let stop = CancellationToken::new();
        let recorded = hits.clone();
        let app = Router::new().fallback(move |uri: Uri| {
            let recorded = recorded.clone();
            async move {
                recorded.lock().unwrap().push(Hit {
                    path: uri.path().to_owned(),
                    at: Instant::now(),
                });
                tokio::time::sleep(delay).await;
                "ok"
            }
        });
        let shutdown = stop.clone().cancelled_owned();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(shutdown)
                .await;
        });
        Self { addr, hits, stop }
    }

    /// Its clientID, `host:port`.
    pub fn id(&self) -> String {
        self.addr.to_string()
    }

    /// The paths pushed so far.
    pub fn paths(&self) -> Vec<String> {
        self.hits
            .lock()
            .unwrap()
            .iter()
            .map(|h| h.path.clone())
            .collect()
    }

    /// The first push whose path contains `needle`.
    pub fn hit(&self, needle: &str) -> Option<Hit> {
        self.hits
            .lock()
            .unwrap()
            .iter()
            .find(|h| h.path.contains(needle))
            .cloned()
    }
}

impl Drop for Tablet {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

/// Reads an SSE response until its next `data:` line arrives; returns that
/// line and drops it, and every line before it, from `buffer`.
pub async fn sse_next(response: &mut reqwest::Response, buffer: &mut String) -> String {
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(line) = take_data_line(buffer) {
            return line;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        let chunk = tokio::time::timeout(left, response.chunk())
            .await
            .unwrap_or_else(|_| panic!("no SSE data within {WAIT:?}; got {buffer:?}"))
            .unwrap()
            .unwrap_or_else(|| panic!("SSE stream ended; got {buffer:?}"));
        buffer.push_str(std::str::from_utf8(&chunk).unwrap());
    }
}

/// The first complete `data:` line of `buffer`, removed with every line
/// before it; `None` (and `buffer` untouched) while there is none.
fn take_data_line(buffer: &mut String) -> Option<String> {
    let mut start = 0;
    while let Some(end) = buffer[start..].find('\n') {
        let line = buffer[start..start + end].trim_end_matches('\r').to_owned();
        start += end + 1;
        if line.starts_with("data:") {
            buffer.drain(..start);
            return Some(line);
        }
    }
    None
}

/// The JSON of the next SSE `data:` line ([`sse_next`]).
pub async fn sse_next_json(response: &mut reqwest::Response, buffer: &mut String) -> Value {
    let line = sse_next(response, buffer).await;
    serde_json::from_str(line.trim_start_matches("data:").trim())
        .unwrap_or_else(|e| panic!("SSE data is not JSON ({e}): {line:?}"))
}

/// Reads an SSE response until a `data:` line containing `needle` arrives,
/// skipping the others; returns that line.
pub async fn sse_until(
    response: &mut reqwest::Response,
    buffer: &mut String,
    needle: &str,
) -> String {
    let deadline = Instant::now() + WAIT;
    loop {
        let line = sse_next(response, buffer).await;
        if line.contains(needle) {
            return line;
        }
        assert!(
            Instant::now() < deadline,
            "no SSE data with {needle:?} within {WAIT:?}"
        );
    }
}
