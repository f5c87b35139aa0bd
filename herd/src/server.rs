//! Starting one herd server: bind its ports, accept clients under a
//! connection limit, run its peer links, and stop cleanly on request.
//!
//! The accept loop never stops accepting: at `max_connections` (or a
//! source's `max_per_source`) the new client is served and the connection
//! idle the longest is shed instead ([`base::admission`]).

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::info;

use crate::auth::CacofonixId;
use crate::connection;
use crate::coord::{self, CoordConfig, Coordination};
use crate::db::Db;
use crate::metrics::{self, ServerMetrics};
use crate::peer::{self, KeyError, LinkKey, Neighbour, Peers};
use crate::places::{Places, PlacesError};
use crate::shared::Shared;
use base::admission::Registry;
use base::topology::{ServerSpec, Topology, TopologyError};
use olympic::{Olympics, SystemClock};

/// Errors starting a server.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The name or topology is unusable.
    #[error(transparent)]
    Topology(#[from] TopologyError),
    /// The Places provider could not be built.
    #[error(transparent)]
    Places(#[from] PlacesError),
    /// The Olympic journal could not be opened, or the teams and events are unusable.
    #[error("olympic state: {0}")]
    Olympics(#[from] olympic::OlympicError),
    /// The Cacofonix id could not be loaded.
    #[error(transparent)]
    Auth(#[from] crate::auth::AuthError),
    /// The raffle's journal could not be opened.
    #[error(transparent)]
    Raffle(#[from] crate::order::journal::JournalError),
    /// The herd link key could not be loaded.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// A listening socket could not be bound.
    #[error("cannot listen on {addr} ({what})")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// `client`, `peer` or `metrics`.
        what: &'static str,
        /// What the operating system said.
        source: std::io::Error,
    },
}

/// What a server needs besides the topology.
#[derive(Debug, Clone)]
pub struct Options {
    /// Google Places key, for the google providers.
    pub places_api_key: Option<String>,
    /// Directory for the Olympic journal, `<data_dir>/<NAME>.journal`.
    pub data_dir: std::path::PathBuf,
}

/// A running server. Dropping it does not stop it; call [`RunningServer::stop`].
#[derive(Debug)]
pub struct RunningServer {
    /// The shared state, for in-process tests and tools.
    pub shared: Arc<Shared>,
    /// Where clients connect (the real port if the topology said 0).
    pub client_addr: SocketAddr,
    /// Where peers connect.
    pub peer_addr: SocketAddr,
    /// Where `GET /metrics` is served, if the topology's `[metrics] listen`
    /// names this server.
    pub metrics_addr: Option<SocketAddr>,
    shutdown: CancellationToken,
    tasks: TaskTracker,
}

impl RunningServer {
    /// Signals every task to stop and waits for them.
    pub async fn stop(self) {
        self.shutdown.cancel();
        self.tasks.close();
        self.tasks.wait().await;
    }

    /// Waits until the server is stopped by its token.
    pub async fn stopped(&self) {
        self.shutdown.cancelled().await;
    }

    /// A token that stops the server when cancelled.
    pub fn shutdown_token(&self) -> CancellationToken {
        self.shutdown.clone()
    }
}

/// Binds server `name` of `topology` and starts serving in the background.
pub async fn start(
    topology: &Topology,
    name: &str,
    options: Options,
) -> Result<RunningServer, StartError> {
    let spec = topology.server(name)?.clone();
    let places = Places::new(&topology.places, options.places_api_key)?;
    let key = LinkKey::load(&topology.security)?;
    let cacofonix = CacofonixId::load(&topology.security)?;
    // The journal first: its lock says at once, before any port, that
    // another process already runs this server on this data directory.
    // One synchronised clock stamps everything this server makes.
    let skew_ns = spec.clock_skew_ms.unwrap_or(0).saturating_mul(1_000_000);
    let clock = Arc::new(SystemClock::with_skew_ns(skew_ns));
    let olympics = Olympics::open_with_clock(
        &topology.olympics,
        name,
        &options.data_dir,
        Arc::clone(&clock) as Arc<dyn olympic::Clock>,
    )
    .await?;
    let servers: Vec<String> = topology.servers.keys().cloned().collect();
    let order = crate::order::Orderer::open(name, &servers, &topology.raffle, &options.data_dir)?;
    let metrics = ServerMetrics::new();
    olympics.observe_fsyncs(metrics.journal_fsync.clone());
    let listeners = Listeners::bind(topology, name, &spec).await?;
    let client_addr = local_addr(&listeners.client, spec.addr);
    let peer_addr = local_addr(&listeners.peer, spec.peer_addr);
    let shared = Arc::new(Shared {
        name: name.to_owned(),
        db: Db::with_max_clients(topology.limits.max_clients),
        places,
        peers: Peers::new(topology.neighbours(name), topology.limits.peer_queue),
        limits: topology.limits.clone(),
        olympics,
        cacofonix,
        metrics,
        coord: Coordination::new(name, &CoordConfig::of(topology), clock),
        order,
    });
    let shutdown = CancellationToken::new();
    let tasks = TaskTracker::new();
    let metrics_addr = (listeners.metrics.as_ref()).and_then(|listener| listener.local_addr().ok());
    let metrics_shown = metrics_addr.map_or_else(|| "none".to_owned(), |addr| addr.to_string());
    info!(event = "server_started", server = name, origin = shared.olympics.origin(), clients = %client_addr, peers = %peer_addr, metrics = %metrics_shown, places = ?topology.places.provider);
    let neighbours = Neighbour::all_of(topology, name);
    spawn_tasks(&shared, listeners, neighbours, key, &shutdown, &tasks);
    Ok(RunningServer {
        shared,
        client_addr,
        peer_addr,
        metrics_addr,
        shutdown,
        tasks,
    })
}

/// The listening sockets of one server.
struct Listeners {
    /// Where clients connect.
    client: TcpListener,
    /// Where peers connect.
    peer: TcpListener,
    /// Where `GET /metrics` is served, if the topology names this server.
    metrics: Option<TcpListener>,
}

impl Listeners {
    /// Binds the client, peer and (if configured) metrics ports of server
    /// `name`, in that order.
    async fn bind(topology: &Topology, name: &str, spec: &ServerSpec) -> Result<Self, StartError> {
        let client = bind(spec.addr, "client").await?;
        let peer = bind(spec.peer_addr, "peer").await?;
        let metrics = match topology.metrics.listen_of(name) {
            Some(addr) => Some(bind(addr, "metrics").await?),
            None => None,
        };
        Ok(Self {
            client,
            peer,
            metrics,
        })
    }
}

/// Binds one listening socket; `what` names it in the error.
async fn bind(addr: SocketAddr, what: &'static str) -> Result<TcpListener, StartError> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| StartError::Bind { addr, what, source })
}

/// Spawns the server's tasks on `tasks`: the client accept loop, the peer
/// links, coordination, the raffle's orderer and, if bound, the metrics
/// listener.
fn spawn_tasks(
    shared: &Arc<Shared>,
    listeners: Listeners,
    neighbours: Vec<Neighbour>,
    key: LinkKey,
    shutdown: &CancellationToken,
    tasks: &TaskTracker,
) {
    tasks.spawn(accept_clients(
        Arc::clone(shared),
        listeners.client,
        shutdown.clone(),
        tasks.clone(),
    ));
    tasks.spawn(peer::run(
        Arc::clone(shared),
        Arc::new(peer::Tcp),
        listeners.peer,
        neighbours,
        key,
        shutdown.clone(),
    ));
    tasks.spawn(coord::run(Arc::clone(shared), shutdown.clone()));
    tasks.spawn(crate::order::run(Arc::clone(shared), shutdown.clone()));
    if let Some(listener) = listeners.metrics {
        tasks.spawn(metrics::listener::run(
            listener,
            Arc::clone(shared),
            shutdown.clone(),
            tasks.clone(),
        ));
    }
}

fn local_addr(listener: &TcpListener, asked: SocketAddr) -> SocketAddr {
    listener.local_addr().unwrap_or(asked)
}

/// Accepts clients until shutdown, always: past a connection limit, the
/// connection idle the longest makes room.
async fn accept_clients(
    shared: Arc<Shared>,
    listener: TcpListener,
    shutdown: CancellationToken,
    tasks: TaskTracker,
) {
    let limits = &shared.limits;
    let registry = Registry::within_fd_limit(limits.max_connections, limits.max_per_source);
    loop {
        let (stream, peer, admitted) = tokio::select! {
            accepted = registry.accept(&listener) => accepted,
            () = shutdown.cancelled() => return,
        };
        let shared = Arc::clone(&shared);
        let shutdown = shutdown.clone();
        tasks.spawn(async move {
            connection::serve(&shared, stream, peer, admitted, shutdown).await;
        });
    }
}
