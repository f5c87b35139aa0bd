//! Starting the facade: the herd link, the subscription, the push registry
//! and the HTTP server, all stopped by one cancellation token.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use crate::api::{self, AppState};
use crate::board::Topic;
use crate::catalog::Herd;
use crate::herd_link::REQUEST_TIMEOUT;
use crate::listener;
use crate::metrics::FacadeMetrics;
use crate::push::{PushConfig, Pusher};
use crate::registrations;
use crate::replicas::Replicas;
use crate::servers::Servers;
use crate::subscriber::{self, KEEPALIVE, Updates};
use crate::view::ReadView;

/// HTTP connections held at once; past it the longest-idle one is shed.
pub const MAX_CONNECTIONS: usize = 1024;
/// HTTP connections held at once from one client address; past it that
/// address's longest-idle one is shed.
pub const MAX_PER_SOURCE: usize = 256;
/// Longest wait for a complete request head, from the accept or from the
/// end of the previous response (so also the idle keep-alive timeout).
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// Server-sent-event streams open at once.
pub const MAX_SSE_STREAMS: usize = 256;
/// How long [`Running::stop`] waits for open requests to finish.
pub const STOP_TIMEOUT: Duration = Duration::from_secs(5);

/// Everything the facade needs to run.
#[derive(Debug, Clone)]
pub struct Config {
    /// Herd client addresses, `host:port`, in order of preference.
    pub herd: Vec<String>,
    /// Deadline of each herd request.
    pub request_timeout: Duration,
    /// Interval of the subscription's keepalive.
    pub keepalive: Duration,
    /// Push behaviour.
    pub push: PushConfig,
    /// HTTP connections held at once.
    pub max_connections: usize,
    /// HTTP connections held at once from one client address.
    pub max_per_source: usize,
    /// Longest wait for a request head; also the idle keep-alive timeout.
    pub header_timeout: Duration,
    /// SSE streams open at once.
    pub max_sse_streams: usize,
    /// The file push registrations are kept in across restarts; `None`
    /// keeps them in memory only.
    pub registrations: Option<PathBuf>,
    /// Whether reads may be answered from the read view ([`crate::view`]);
    /// without it every read goes to a herd server.
    pub read_view: bool,
}

impl Config {
    /// The defaults, attached to `herd`.
    pub fn new(herd: Vec<String>) -> Self {
        Self {
            herd,
            request_timeout: REQUEST_TIMEOUT,
            keepalive: KEEPALIVE,
            push: PushConfig::default(),
            max_connections: MAX_CONNECTIONS,
            max_per_source: MAX_PER_SOURCE,
            header_timeout: HEADER_TIMEOUT,
            max_sse_streams: MAX_SSE_STREAMS,
            registrations: None,
            read_view: true,
        }
    }
}

/// Errors starting the facade.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// No herd address was given.
    #[error("no herd server to attach to")]
    NoHerd,
    /// The HTTP client for pushes could not be built.
    #[error("cannot build the push client: {0}")]
    Http(#[from] reqwest::Error),
    /// The listener has no address.
    #[error("listener: {0}")]
    Listener(#[from] std::io::Error),
}

/// A running facade. Dropping it does not stop it; call [`Running::stop`].
pub struct Running {
    addr: SocketAddr,
    shutdown: CancellationToken,
    pusher: Arc<Pusher>,
    http: JoinHandle<()>,
    subscription: JoinHandle<()>,
    /// Keeps the registrations file current, when there is one.
    saver: Option<JoinHandle<()>>,
    /// Refreshes the read view.
    refresher: JoinHandle<()>,
}

/// Serves the REST API on `listener` until [`Running::stop`].
pub async fn start(listener: TcpListener, config: Config) -> Result<Running, StartError> {
    if config.herd.is_empty() {
        return Err(StartError::NoHerd);
    }
    let addr = listener.local_addr()?;
    let shutdown = CancellationToken::new();
    let servers = Arc::new(Servers::new(config.herd.clone()));
    let replicas = Replicas::new(&config.herd, config.request_timeout, &shutdown);
    let metrics = Arc::new(FacadeMetrics::new(servers.clone()));
    let herd = Arc::new(Herd::new(replicas, config.request_timeout, metrics.clone()));
    let pusher = Arc::new(Pusher::new(config.push.clone(), shutdown.clone())?);
    let saver = config
        .registrations
        .clone()
        .map(|path| tokio::spawn(registrations::keep(pusher.clone(), path, shutdown.clone())));
    let updates = Arc::new(Updates::new(pusher.clone()));
    let subscription = tokio::spawn(subscriber::run(
        servers.clone(),
        herd.clone(),
        updates.clone(),
        config.keepalive,
        shutdown.clone(),
    ));
    let view = Arc::new(ReadView::new());
    let refresher = if config.read_view {
        tokio::spawn(view.clone().run(herd.clone(), shutdown.clone()))
    } else {
        tokio::spawn(async {})
    };
    let raffle = Arc::new(crate::raffle::RaffleLink::new(servers.clone()));
    let counter = crate::raffle::Counter::start(raffle.clone(), shutdown.clone());
    let state = AppState {
        herd,
        pusher: pusher.clone(),
        updates,
        sse_streams: Arc::new(Semaphore::new(config.max_sse_streams)),
        shutdown: shutdown.clone(),
        servers,
        metrics,
        view,
        raffle,
        counter,
    };
    let app = api::router(state);
    let limits = listener::Limits {
        max_connections: config.max_connections,
        max_per_source: config.max_per_source,
        header_timeout: config.header_timeout,
        stop_timeout: STOP_TIMEOUT,
    };
    let http = tokio::spawn(listener::serve(listener, app, limits, shutdown.clone()));
    info!(listen = %addr, herd = %config.herd.join(","), "facade started");
    Ok(Running {
        addr,
        shutdown,
        pusher,
        http,
        subscription,
        saver,
        refresher,
    })
}

impl Running {
    /// Where the REST API listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The push addresses registered for `event` (canonical name).
    pub fn tablets(&self, event: &str) -> Vec<String> {
        self.pusher.tablets(&Topic::Event(event.to_owned()))
    }

    /// The push addresses registered for `team`'s medals (canonical name).
    pub fn medal_tablets(&self, team: &str) -> Vec<String> {
        self.pusher.tablets(&Topic::Team(team.to_owned()))
    }

    /// Stops accepting, ends SSE streams and pushes, and waits (up to
    /// [`STOP_TIMEOUT`]) for open requests.
    pub async fn stop(self) {
        self.shutdown.cancel();
        if !base::service::finish_within(self.http, STOP_TIMEOUT).await {
            warn!("open requests did not finish in time");
        }
        let _ = self.subscription.await;
        let _ = self.refresher.await;
        self.pusher.stopped().await;
        if let Some(saver) = self.saver {
            let _ = saver.await;
        }
        info!("facade stopped");
    }
}
