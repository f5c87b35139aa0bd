//! The registry of live links, and flooding through it.
//!
//! Every authenticated link registers an [`Outbox`] here under its
//! neighbour's name; [`Peers::flood`] puts the location in each outbox
//! without waiting, so a client or link that floods never waits on a slow
//! neighbour. An outbox keeps only the newest pending location per client;
//! when it is full, a location for another client is dropped and counted:
//! the neighbour will get the newest state by sync when its link comes back,
//! or by the next update for that client.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio_util::sync::CancellationToken;

use super::DROP_LOG_EVERY;
use super::link_state::LinkStates;
use super::outbox::{Outbox, Pushed};
use super::spread::Flow;
use super::throttle::Throttle;
use proto::location::Location;
use proto::peer::Message;

/// Counters of one link, readable while it runs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LinkStats {
    /// Lines written to the neighbour.
    pub sent: u64,
    /// `AT` lines among them: locations sent whole (floods, grafts and
    /// repairs), the payloads a report costs.
    pub at_sent: u64,
    /// Lines read from the neighbour after the handshake.
    pub received: u64,
    /// `AT` lines among them.
    pub at_received: u64,
    /// `AT` lines that were newer than what this server held, so were
    /// stored and forwarded.
    pub at_taken: u64,
    /// Messages dropped because the link's outbox was full.
    pub dropped: u64,
    /// Locations that took the place of an older pending one for the same
    /// client (or were not newer than it), so were never sent on their own.
    pub coalesced: u64,
    /// Anti-entropy comparisons that found something to repair (a
    /// differing leaf or Olympic state).
    pub repairs: u64,
    /// Locations sent because the neighbour asked for their leaf.
    pub repaired: u64,
}

/// The live counters behind [`LinkStats`], shared by a link and the registry.
#[derive(Debug)]
pub(crate) struct Counters {
    pub(crate) sent: AtomicU64,
    pub(crate) at_sent: AtomicU64,
    pub(crate) received: AtomicU64,
    pub(crate) at_received: AtomicU64,
    pub(crate) at_taken: AtomicU64,
    /// `IHAVE` lines sent and received: a lazy link's share of the flood,
    /// so anti-entropy sees the link busy while it carries only those.
    pub(crate) announces: AtomicU64,
    dropped: AtomicU64,
    coalesced: AtomicU64,
    repairs: AtomicU64,
    pub(crate) repaired: AtomicU64,
    /// Keeps drop warnings to one per [`DROP_LOG_EVERY`].
    drop_log: Mutex<Throttle>,
}

impl Counters {
    fn new() -> Self {
        Self {
            sent: AtomicU64::new(0),
            at_sent: AtomicU64::new(0),
            received: AtomicU64::new(0),
            at_received: AtomicU64::new(0),
            at_taken: AtomicU64::new(0),
            announces: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
            coalesced: AtomicU64::new(0),
            repairs: AtomicU64::new(0),
            repaired: AtomicU64::new(0),
            drop_log: Mutex::new(Throttle::new(DROP_LOG_EVERY)),
        }
    }

    /// A copy of the counters.
    pub(crate) fn stats(&self) -> LinkStats {
        LinkStats {
            sent: self.sent.load(Ordering::Relaxed),
            at_sent: self.at_sent.load(Ordering::Relaxed),
            received: self.received.load(Ordering::Relaxed),
            at_received: self.at_received.load(Ordering::Relaxed),
            at_taken: self.at_taken.load(Ordering::Relaxed),
            dropped: self.dropped.load(Ordering::Relaxed),
            coalesced: self.coalesced.load(Ordering::Relaxed),
            repairs: self.repairs.load(Ordering::Relaxed),
            repaired: self.repaired.load(Ordering::Relaxed),
        }
    }

    /// Counts an anti-entropy comparison that found `leaves` differing
    /// leaves (0 for the Olympic state).
    pub(crate) fn note_repair(&self, leaves: usize) {
        self.repairs.fetch_add(1, Ordering::Relaxed);
        tracing::debug!(leaves, "anti-entropy found a difference");
    }

    /// Counts what a push did; for a drop, warns (at most once per
    /// [`DROP_LOG_EVERY`]). Call with no lock held: the warning is logged.
    pub(crate) fn note(&self, peer: &str, pushed: Pushed) {
        match pushed {
            Pushed::Queued => {}
            Pushed::Coalesced => {
                self.coalesced.fetch_add(1, Ordering::Relaxed);
            }
            Pushed::Dropped => {
                let total = self.dropped.fetch_add(1, Ordering::Relaxed) + 1;
                let report = self
                    .drop_log
                    .lock()
                    .expect("drop log lock poisoned")
                    .event(Instant::now());
                if let Some(suppressed) = report {
                    tracing::warn!(
                        event = "peer_queue_full",
                        peer = %peer,
                        dropped_total = total,
                        unreported = suppressed,
                        "link queue full: dropping"
                    );
                }
            }
        }
    }
}

/// What a link gets when it registers.
#[derive(Debug)]
pub(crate) struct Registration {
    /// Tells this registration from a later one for the same neighbour.
    pub(crate) id: u64,
    /// What the link writes out; the link also queues its own `PONG`s here.
    pub(crate) outbox: Arc<Outbox>,
    pub(crate) counters: Arc<Counters>,
    /// Cancelled at shutdown, or when a newer link to the same neighbour
    /// replaces this one.
    pub(crate) cancel: CancellationToken,
}

/// One registered link.
#[derive(Debug, Clone)]
struct Slot {
    /// The neighbour's name.
    name: String,
    id: u64,
    outbox: Arc<Outbox>,
    counters: Arc<Counters>,
    cancel: CancellationToken,
}

/// The live links, replaced whole when one comes or goes (rarely), so a
/// flood only clones an `Arc` to walk them.
type Links = Arc<Vec<Slot>>;

/// The outgoing side of every link of one server. Lives in
/// [`Shared`](crate::shared::Shared).
#[derive(Debug)]
pub struct Peers {
    /// The neighbours named by the topology, in name order.
    neighbours: Vec<String>,
    /// Capacity of each link's outbox.
    queue: usize,
    /// Live links, in name order. A `std` mutex: it is held to clone or
    /// replace the `Arc`, never across an `.await`.
    links: Mutex<Links>,
    /// Source of [`Registration::id`].
    next_id: AtomicU64,
    /// Up/down, last sync and last failure of every configured neighbour.
    states: LinkStates,
    /// When a location last arrived whole over any link (see `spread.rs`).
    flow: Flow,
}

impl Peers {
    /// A registry for `neighbours`, with `queue` messages of room per link
    /// (at least one).
    pub fn new(neighbours: Vec<String>, queue: usize) -> Self {
        Self {
            queue: queue.max(1),
            links: Mutex::new(Arc::new(Vec::new())),
            next_id: AtomicU64::new(1),
            states: LinkStates::new(&neighbours),
            neighbours,
            flow: Flow::default(),
        }
    }

    /// When a location last arrived whole over any link.
    pub(crate) fn flow(&self) -> &Flow {
        &self.flow
    }

    /// Makes `location` the pending one for its client on every live link
    /// except the neighbour named `from` (where it came from). Never blocks
    /// or awaits; a full outbox drops it and counts.
    pub fn flood(&self, location: &Arc<Location>, from: Option<&str>) {
        let links = self.links();
        for slot in links.iter().filter(|s| Some(s.name.as_str()) != from) {
            let pushed = slot.outbox.push_location(location);
            slot.counters.note(&slot.name, pushed);
        }
    }

    /// Queues an update of a replica ([`Replica`](super::Replica)) to
    /// every live link except `from`, like [`Peers::flood`] but in order.
    pub fn flood_update(&self, update: &Message, from: Option<&str>) {
        let links = self.links();
        for slot in links.iter().filter(|s| Some(s.name.as_str()) != from) {
            let pushed = slot.outbox.push(update.clone());
            slot.counters.note(&slot.name, pushed);
        }
    }

    /// The neighbours named by the topology.
    pub fn neighbours(&self) -> &[String] {
        &self.neighbours
    }

    /// True while an authenticated link to `name` is registered.
    pub fn is_up(&self, name: &str) -> bool {
        self.links().iter().any(|s| s.name == name)
    }

    /// Names of the neighbours with a live link, in name order.
    pub fn live(&self) -> Vec<String> {
        self.links().iter().map(|s| s.name.clone()).collect()
    }

    /// The link state of every configured neighbour; also where anti-entropy
    /// reports syncs ([`LinkStates::note_synced`]) and repairs
    /// ([`LinkStates::note_repaired`]).
    pub fn states(&self) -> &LinkStates {
        &self.states
    }

    /// Messages waiting in the outbox of the live link to `name`.
    pub fn queue_depth(&self, name: &str) -> Option<usize> {
        self.links()
            .iter()
            .find(|s| s.name == name)
            .map(|s| s.outbox.len())
    }

    /// Counters of the live link to `name`.
    pub fn stats(&self, name: &str) -> Option<LinkStats> {
        self.links()
            .iter()
            .find(|s| s.name == name)
            .map(|s| s.counters.stats())
    }

    /// Registers a new link to `name`. A link already registered for `name`
    /// is cancelled and replaced: the newest authenticated link wins.
    pub(crate) fn register(&self, name: &str, shutdown: &CancellationToken) -> Registration {
        let reg = Registration {
            id: self.next_id.fetch_add(1, Ordering::Relaxed),
            outbox: Arc::new(Outbox::new(self.queue)),
            counters: Arc::new(Counters::new()),
            cancel: shutdown.child_token(),
        };
        let slot = Slot {
            name: name.to_owned(),
            id: reg.id,
            outbox: Arc::clone(&reg.outbox),
            counters: Arc::clone(&reg.counters),
            cancel: reg.cancel.clone(),
        };
        self.update(|links| {
            if let Some(at) = links.iter().position(|s| s.name == name) {
                links.remove(at).cancel.cancel();
            }
            let at = links.partition_point(|s| s.name.as_str() < name);
            links.insert(at, slot);
        });
        reg
    }

    /// Removes registration `id` of `name`, unless a newer one replaced it.
    pub(crate) fn unregister(&self, name: &str, id: u64) {
        self.update(|links| links.retain(|s| !(s.name == name && s.id == id)));
    }

    /// The live links as they are now.
    fn links(&self) -> Links {
        Arc::clone(&self.links.lock().expect("peer registry lock poisoned"))
    }

    /// Replaces the live links with `change` applied to a copy of them.
    fn update(&self, change: impl FnOnce(&mut Vec<Slot>)) {
        let mut links = self.links.lock().expect("peer registry lock poisoned");
        let mut copy: Vec<Slot> = links.iter().map(Slot::clone).collect();
        change(&mut copy);
        *links = Arc::new(copy);
    }
}

#[cfg(test)]
mod tests;
