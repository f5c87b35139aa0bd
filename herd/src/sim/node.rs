//! One simulated server: the real peer side (`peer::run`: links,
//! spreading, anti-entropy) over the in-memory network, with a location
//! store, an Olympic journal in a directory of its own, and no client port.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::auth::CacofonixId;
use crate::coord::{CoordConfig, Coordination};
use crate::peer::transport::MemNet;
use crate::peer::{LinkKey, Neighbour};
use crate::shared::Shared;
use base::topology::Limits;
use olympic::Olympics;
use proto::location::Location;

/// Why a simulated server could not start.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// Its Olympic journal could not be opened.
    #[error("{name}: cannot open the journal: {source}")]
    Journal {
        /// The server.
        name: String,
        /// What went wrong.
        source: olympic::OlympicError,
    },
}

/// A running simulated server.
#[derive(Debug)]
pub struct SimNode {
    /// Its state, as the server's tasks see it.
    pub shared: Arc<Shared>,
    shutdown: CancellationToken,
    task: JoinHandle<()>,
}

impl SimNode {
    /// Starts server `name` listening at `addr` on `net`, linked to
    /// `neighbours`, its journal in `data`.
    pub async fn start(
        net: &MemNet,
        name: &str,
        addr: SocketAddr,
        neighbours: Vec<Neighbour>,
        key: LinkKey,
        data: &Path,
    ) -> Result<Self, SimError> {
        let olympics = Olympics::open(&Default::default(), name, data)
            .await
            .map_err(|source| SimError::Journal {
                name: name.to_owned(),
                source,
            })?;
        let shared = Arc::new(Shared::peer_side(
            name,
            &neighbours,
            Limits::default(),
            olympics,
            CacofonixId::new(b"simulated-cacofonix").expect("a usable id"),
            // The simulation measures spreading; no election runs in it.
            Coordination::new(name, &CoordConfig::of_names(&[name]), Default::default()),
            crate::order::Orderer::in_memory(name, &[name.to_owned()], &Default::default()),
        ));
        let shutdown = CancellationToken::new();
        let task = tokio::spawn(crate::peer::run(
            Arc::clone(&shared),
            Arc::new(net.transport(addr)),
            net.listen(addr),
            neighbours,
            key,
            shutdown.clone(),
        ));
        Ok(Self {
            shared,
            shutdown,
            task,
        })
    }

    /// What an IAMAT from `client` at client time `secs` does here: store,
    /// then spread.
    pub fn report(&self, client: &str, secs: u64) {
        let line = format!(
            "AT {} +0.000000001 {client} +34.068930-118.445127 {secs}",
            self.shared.name
        );
        let location = Location::from_at_line(line.as_bytes()).expect("a well-formed AT line");
        if let Some(stored) = self.shared.db.offer(location).taken() {
            self.shared.peers.flood(&stored, None);
        }
    }

    /// Whether this server holds `client`'s location from client time `secs`.
    pub fn holds(&self, client: &str, secs: u64) -> bool {
        let want = i128::from(secs) * 1_000_000_000;
        self.shared
            .db
            .get(client)
            .is_some_and(|l| l.client_time() >= want)
    }

    /// Whether every neighbour has a live link.
    pub fn fully_linked(&self) -> bool {
        self.shared.peers.live().len() == self.shared.peers.neighbours().len()
    }

    /// Locations sent whole on this server's live links so far.
    pub fn locations_sent(&self) -> u64 {
        let peers = &self.shared.peers;
        (peers.neighbours().iter())
            .filter_map(|n| peers.stats(n))
            .map(|s| s.at_sent)
            .sum()
    }

    /// Stops the server's tasks.
    pub async fn stop(self) {
        self.shutdown.cancel();
        let _ = self.task.await;
    }
}
