//! Health checks of the front ends: `GET {url}/health` on each, all at once,
//! every [`crate::server::Config::check_every`], each within
//! [`PROBE_TIMEOUT`]. The same tick lets lapsed leases go.
//!
//! The facade answers `/health` 200 when healthy and 503 when a herd server
//! it uses is degraded or unreachable ([`Health::Degraded`]: it still
//! serves); a front end that does not answer at all is [`Health::Down`].

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use crate::assignments::{Assignments, Health};

/// Longest a front end may take to answer one health check.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// Asks front ends `GET /health`.
#[derive(Debug, Clone)]
pub struct Prober {
    /// One client for every probe (connections are reused).
    http: reqwest::Client,
}

impl Prober {
    /// A prober whose every check gives up after `timeout`.
    pub fn new(timeout: Duration) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder().timeout(timeout).build()?;
        Ok(Self { http })
    }

    /// Checks one front end; answers its health and, unless up, why.
    pub async fn probe(&self, url: &str) -> (Health, Option<String>) {
        match self.http.get(format!("{url}/health")).send().await {
            Ok(reply) if reply.status().is_success() => (Health::Up, None),
            Ok(reply) => (
                Health::Degraded,
                Some(format!("/health answered {}", reply.status())),
            ),
            Err(e) => (Health::Down, Some(chain(&e.without_url()))),
        }
    }

    /// Checks `urls` at once and records each result in `table`, logging
    /// every change of health.
    pub async fn check_all(&self, urls: &[String], table: &Mutex<Assignments>) {
        let results = futures::future::join_all(urls.iter().map(|u| self.probe(u))).await;
        // The lock is never held across an await.
        let mut table = table.lock().expect("assignment table lock");
        for (url, (health, error)) in urls.iter().zip(results) {
            record(&mut table, url, health, error);
        }
    }

    /// Checks one front end now (a client said it failed) and records it.
    pub async fn check_one(&self, url: &str, table: &Mutex<Assignments>) {
        let (health, error) = self.probe(url).await;
        let mut table = table.lock().expect("assignment table lock");
        record(&mut table, url, health, error);
    }
}

/// An error with its causes, `outer: inner: ...`.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}

/// Records one result, logging a change of health.
fn record(table: &mut Assignments, url: &str, health: Health, error: Option<String>) {
    let before = table.frontends().iter().find(|f| f.url == url);
    if let Some(before) = before.filter(|f| f.health != health) {
        match health {
            Health::Up => info!(frontend = %url, was = ?before.health, "front end up"),
            _ => warn!(frontend = %url, health = ?health, error = ?error, "front end not up"),
        }
    }
    table.set_health(url, health, error);
}

/// Checks every front end each `every` and lets lapsed leases go, until
/// `shutdown`.
pub async fn run(
    prober: Prober,
    table: Arc<Mutex<Assignments>>,
    every: Duration,
    shutdown: CancellationToken,
) {
    let urls: Vec<String> = {
        let table = table.lock().expect("assignment table lock");
        table.frontends().iter().map(|f| f.url.clone()).collect()
    };
    let mut ticker = tokio::time::interval(every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            _ = ticker.tick() => {}
        }
        prober.check_all(&urls, &table).await;
        let lapsed = table
            .lock()
            .expect("assignment table lock")
            .expire(Instant::now());
        if lapsed > 0 {
            info!(lapsed, "leases lapsed");
        }
    }
}
