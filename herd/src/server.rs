//! Starting one herd server: bind its ports, accept clients under a
//! connection limit, run its peer links, and stop cleanly on request.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{error, info};

use crate::auth::CacofonixId;
use crate::connection;
use crate::db::Db;
use crate::olympic::Olympics;
use crate::peer::{self, KeyError, LinkKey, Neighbour, Peers};
use crate::places::{Places, PlacesError};
use crate::shared::Shared;
use crate::topology::{Topology, TopologyError};

/// Pause after a failed `accept` (for example, out of file descriptors), so
/// the loop does not spin.
const ACCEPT_RETRY_DELAY: Duration = Duration::from_millis(100);

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
    Olympics(#[from] crate::olympic::OlympicError),
    /// The Cacofonix id could not be loaded.
    #[error(transparent)]
    Auth(#[from] crate::auth::AuthError),
    /// The herd link key could not be loaded.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// A listening socket could not be bound.
    #[error("cannot listen on {addr} ({what})")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// `client` or `peer`.
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
    let bind = |addr, what| async move {
        TcpListener::bind(addr)
            .await
            .map_err(|source| StartError::Bind { addr, what, source })
    };
    let client_listener = bind(spec.addr, "client").await?;
    let peer_listener = bind(spec.peer_addr, "peer").await?;
    let olympics = Olympics::open(&topology.olympics, name, &options.data_dir).await?;
    let client_addr = local_addr(&client_listener, spec.addr);
    let peer_addr = local_addr(&peer_listener, spec.peer_addr);
    let shared = Arc::new(Shared {
        name: name.to_owned(),
        db: Db::new(),
        places,
        peers: Peers::new(topology.neighbours(name), topology.limits.peer_queue),
        limits: topology.limits.clone(),
        olympics,
        cacofonix,
    });
    let shutdown = CancellationToken::new();
    let tasks = TaskTracker::new();
    info!(event = "server_started", server = name, clients = %client_addr, peers = %peer_addr, places = ?topology.places.provider);
    tasks.spawn(accept_clients(
        Arc::clone(&shared),
        client_listener,
        shutdown.clone(),
        tasks.clone(),
    ));
    tasks.spawn(peer::run(
        Arc::clone(&shared),
        peer_listener,
        Neighbour::all_of(topology, name),
        key,
        shutdown.clone(),
    ));
    Ok(RunningServer {
        shared,
        client_addr,
        peer_addr,
        shutdown,
        tasks,
    })
}

fn local_addr(listener: &TcpListener, asked: SocketAddr) -> SocketAddr {
    listener.local_addr().unwrap_or(asked)
}

/// Accepts clients until shutdown, at most `max_connections` at once; the
/// rest wait in the kernel's backlog.
async fn accept_clients(
    shared: Arc<Shared>,
    listener: TcpListener,
    shutdown: CancellationToken,
    tasks: TaskTracker,
) {
    let permits = Arc::new(Semaphore::new(shared.limits.max_connections));
    let next_id = AtomicU64::new(1);
    loop {
        let permit = tokio::select! {
            permit = Arc::clone(&permits).acquire_owned() => permit.expect("semaphore never closed"),
            () = shutdown.cancelled() => return,
        };
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = shutdown.cancelled() => return,
        };
        let (stream, peer) = match accepted {
            Ok(pair) => pair,
            Err(e) => {
                error!(event = "accept_failed", error = %e);
                tokio::time::sleep(ACCEPT_RETRY_DELAY).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let id = next_id.fetch_add(1, Ordering::Relaxed);
        let shared = Arc::clone(&shared);
        let shutdown = shutdown.clone();
        tasks.spawn(async move {
            connection::serve(&shared, stream, peer, id, shutdown).await;
            drop(permit);
        });
    }
}
