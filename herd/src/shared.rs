//! Everything one herd server's tasks share: its name, its locations, its
//! Places provider, its peer links, its Olympic state and its counters.

use crate::auth::CacofonixId;
use crate::coord::Coordination;
use crate::db::Db;
use crate::metrics::ServerMetrics;
use crate::peer::{Neighbour, Peers};
use crate::places::Places;
use base::topology::Limits;
use olympic::Olympics;
use proto::location::Location;
use std::sync::Arc;

/// State shared by every connection and link task of one server, behind an `Arc`.
#[derive(Debug)]
pub struct Shared {
    /// This server's name, as it appears in `AT` lines.
    pub name: String,
    /// Client locations, newest wins.
    pub db: Db,
    /// Answers WHATSAT.
    pub places: Places,
    /// Outgoing queues of the links to neighbours; flooding goes through here.
    pub peers: Peers,
    /// Limits applied to client connections.
    pub limits: Limits,
    /// Medal tallies and event scores, replicated and durable.
    pub olympics: Olympics,
    /// The id that authorises Olympic writes.
    pub cacofonix: CacofonixId,
    /// Requests, reply latency and open connections, for STATUS and metrics.
    pub metrics: ServerMetrics,
    /// Leader election and the synchronised clock every timestamp uses.
    pub coord: Coordination,
    /// The raffle's total order of the counted requests.
    pub order: crate::order::Orderer,
}

impl Shared {
    /// The state of a server that runs only its peer side (the peer tests
    /// and `herd-sim`): linked to `neighbours`, local places, fresh counters.
    pub fn peer_side(
        name: &str,
        neighbours: &[Neighbour],
        limits: Limits,
        olympics: Olympics,
        cacofonix: CacofonixId,
        coord: Coordination,
        order: crate::order::Orderer,
    ) -> Self {
        Self {
            name: name.to_owned(),
            db: Db::with_max_clients(limits.max_clients),
            places: Places::new(&Default::default(), None).expect("local places need no key"),
            peers: Peers::new(
                neighbours.iter().map(|n| n.name.clone()).collect(),
                limits.peer_queue,
            ),
            limits,
            olympics,
            cacofonix,
            metrics: Default::default(),
            coord,
            order,
        }
    }

    /// The synchronised clock now, as a wall-clock time.
    pub fn now(&self) -> std::time::SystemTime {
        let ns = self.coord.now_ns();
        let since = std::time::Duration::from_nanos(ns.clamp(0, i128::from(u64::MAX)) as u64);
        std::time::UNIX_EPOCH + since
    }

    /// Floods an Olympic change made here to every neighbour.
    pub fn flood_change(&self, change: &olympic::Change) {
        let update = proto::peer::Message::Change(std::sync::Arc::new(change.clone()));
        self.peers.flood_update(&update, None);
    }

    /// What a local write answers: a new change is flooded and its update
    /// returned; a repeat of a keyed write floods nothing.
    pub fn applied(&self, once: olympic::Once) -> olympic::Update {
        match once {
            olympic::Once::Applied(applied) => {
                self.flood_change(&applied.change);
                applied.update
            }
            olympic::Once::Repeated(update) => update,
        }
    }

    /// The replicated states the peer links carry beside the locations
    /// ([`Replica`](crate::peer::Replica)).
    pub fn replicas(&self) -> [&dyn crate::peer::Replica; 1] {
        [&self.olympics]
    }

    /// Offers `location` to the store and floods it to every neighbour but
    /// `from` if it was taken. Returns whether it was.
    pub fn store_and_flood(&self, location: impl Into<Arc<Location>>, from: Option<&str>) -> bool {
        match self.db.offer(location).taken() {
            Some(stored) => {
                self.peers.flood(&stored, from);
                true
            }
            None => false,
        }
    }
}
