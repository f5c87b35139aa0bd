//! Starting the dispatcher: one health round, then the health loop and the
//! HTTP server, both stopped by one cancellation token.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::info;

use crate::api::{self, AppState};
use crate::assignments::Assignments;
use crate::health::{self, PROBE_TIMEOUT, Prober};

/// Default lease: an assignment lapses unless its client asks again within it.
pub const LEASE: Duration = Duration::from_secs(30);
/// Default interval between health checks of every front end.
pub const CHECK_EVERY: Duration = Duration::from_secs(1);
/// How long [`Running::stop`] waits for open requests.
pub const STOP_TIMEOUT: Duration = Duration::from_secs(5);
/// Most clients assigned at once; past it new clients get 503.
pub const MAX_CLIENTS: usize = 100_000;

/// Everything the dispatcher needs to run.
#[derive(Debug, Clone)]
pub struct Config {
    /// Front end base URLs (`http://host:port`), in tie-break order.
    pub frontends: Vec<String>,
    /// How long an assignment lasts without the client asking again.
    pub lease: Duration,
    /// Interval between health checks.
    pub check_every: Duration,
    /// Deadline of one health check.
    pub probe_timeout: Duration,
    /// Most clients held at once.
    pub max_clients: usize,
}

impl Config {
    /// The defaults over `frontends`.
    pub fn new(frontends: Vec<String>) -> Self {
        Self {
            frontends,
            lease: LEASE,
            check_every: CHECK_EVERY,
            probe_timeout: PROBE_TIMEOUT,
            max_clients: MAX_CLIENTS,
        }
    }
}

/// Errors starting the dispatcher.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// No front end was given.
    #[error("no front end to dispatch to")]
    NoFrontends,
    /// The HTTP client for health checks could not be built.
    #[error("cannot build the health-check client: {0}")]
    Http(#[from] reqwest::Error),
    /// The listener has no address.
    #[error("listener: {0}")]
    Listener(#[from] std::io::Error),
}

/// A running dispatcher. Dropping it does not stop it; call [`Running::stop`].
pub struct Running {
    /// Where it serves HTTP.
    addr: SocketAddr,
    /// Stops the health loop and the server.
    shutdown: CancellationToken,
    /// The HTTP server task.
    http: JoinHandle<()>,
    /// The health loop task.
    checks: JoinHandle<()>,
}

/// Checks every front end once, then serves on `listener` until [`Running::stop`].
pub async fn start(listener: TcpListener, config: Config) -> Result<Running, StartError> {
    if config.frontends.is_empty() {
        return Err(StartError::NoFrontends);
    }
    let addr = listener.local_addr()?;
    let shutdown = CancellationToken::new();
    let table = Arc::new(Mutex::new(Assignments::new(
        config.frontends.clone(),
        config.lease,
        config.max_clients,
    )));
    let prober = Prober::new(config.probe_timeout)?;
    prober.check_all(&config.frontends, &table).await;
    let checks = tokio::spawn(health::run(
        prober.clone(),
        table.clone(),
        config.check_every,
        shutdown.clone(),
    ));
    let app = api::router(AppState { table, prober });
    let stop = shutdown.clone();
    let http = tokio::spawn(async move {
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(stop.cancelled_owned())
            .await;
        if let Err(e) = served {
            tracing::error!(error = %e, "HTTP server failed");
        }
    });
    info!(listen = %addr, frontends = %config.frontends.join(","), "dispatcher started");
    Ok(Running {
        addr,
        shutdown,
        http,
        checks,
    })
}

impl Running {
    /// Where the dispatcher serves HTTP.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops the health loop and the server; waits for both.
    pub async fn stop(self) {
        self.shutdown.cancel();
        let _ = self.checks.await;
        base::service::finish_within(self.http, STOP_TIMEOUT).await;
        info!("dispatcher stopped");
    }
}
