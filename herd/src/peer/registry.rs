//! The registry of live links, and flooding through it.
//!
//! Every authenticated link registers a bounded queue here under its
//! neighbour's name; [`Peers::flood`] puts the message on each queue with
//! `try_send`, so a client or link that floods never waits on a slow
//! neighbour. A full queue drops the line and counts it: the neighbour will
//! get the newest state by sync when its link comes back, or by the next
//! update for that client.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio::sync::mpsc::{self, error::TrySendError};
use tokio_util::sync::CancellationToken;

use super::DROP_LOG_EVERY;
use super::message::Message;
use super::throttle::Throttle;
use crate::location::Location;
use crate::olympic::Change;

/// Counters of one link, readable while it runs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LinkStats {
    /// Lines written to the neighbour.
    pub sent: u64,
    /// Lines read from the neighbour after the handshake.
    pub received: u64,
    /// `AT` lines among them.
    pub at_received: u64,
    /// `AT` lines that were newer than what this server held, so were
    /// stored and forwarded.
    pub at_taken: u64,
    /// Lines dropped because the link's queue was full.
    pub dropped: u64,
}

/// The live counters behind [`LinkStats`], shared by a link and the registry.
#[derive(Debug)]
pub(crate) struct Counters {
    pub(crate) sent: AtomicU64,
    pub(crate) received: AtomicU64,
    pub(crate) at_received: AtomicU64,
    pub(crate) at_taken: AtomicU64,
    dropped: AtomicU64,
    /// Keeps drop warnings to one per [`DROP_LOG_EVERY`].
    drop_log: Mutex<Throttle>,
}

impl Counters {
    fn new() -> Self {
        Self {
            sent: AtomicU64::new(0),
            received: AtomicU64::new(0),
            at_received: AtomicU64::new(0),
            at_taken: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
            drop_log: Mutex::new(Throttle::new(DROP_LOG_EVERY)),
        }
    }

    /// A copy of the counters.
    pub(crate) fn stats(&self) -> LinkStats {
        LinkStats {
            sent: self.sent.load(Ordering::Relaxed),
            received: self.received.load(Ordering::Relaxed),
            at_received: self.at_received.load(Ordering::Relaxed),
            at_taken: self.at_taken.load(Ordering::Relaxed),
            dropped: self.dropped.load(Ordering::Relaxed),
        }
    }
}

/// What a link gets when it registers.
#[derive(Debug)]
pub(crate) struct Registration {
    /// Tells this registration from a later one for the same neighbour.
    pub(crate) id: u64,
    /// The link's own handle on its queue, for answering `PING`.
    pub(crate) tx: mpsc::Sender<Message>,
    /// What the link writes out.
    pub(crate) rx: mpsc::Receiver<Message>,
    pub(crate) counters: Arc<Counters>,
    /// Cancelled at shutdown, or when a newer link to the same neighbour
    /// replaces this one.
    pub(crate) cancel: CancellationToken,
}

/// One registered link.
#[derive(Debug)]
struct Slot {
    id: u64,
    tx: mpsc::Sender<Message>,
    counters: Arc<Counters>,
    cancel: CancellationToken,
}

/// The outgoing side of every link of one server. Lives in
/// [`Shared`](crate::shared::Shared).
#[derive(Debug)]
pub struct Peers {
    /// The neighbours named by the topology, in name order.
    neighbours: Vec<String>,
    /// Capacity of each link's queue.
    queue: usize,
    /// Live links by neighbour name. A `std` mutex: it is held to copy or
    /// change the map, never across an `.await`.
    links: Mutex<HashMap<String, Slot>>,
    /// Source of [`Registration::id`].
    next_id: AtomicU64,
}

impl Peers {
    /// A registry for `neighbours`, with `queue` lines of room per link (at
    /// least one).
    pub fn new(neighbours: Vec<String>, queue: usize) -> Self {
        Self {
            neighbours,
            queue: queue.max(1),
            links: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(1),
        }
    }

    /// Queues `location.at_line` to every live link except the neighbour named
    /// `from` (where it came from). Never blocks or awaits; a full queue drops
    /// the line and counts it.
    pub fn flood(&self, location: &Arc<Location>, from: Option<&str>) {
        self.send_all(from, || Message::At(Arc::clone(location)));
    }

    /// Queues an Olympic change to every live link except `from`, like
    /// [`Peers::flood`].
    pub fn flood_change(&self, change: &Change, from: Option<&str>) {
        let change = Arc::new(change.clone());
        self.send_all(from, || Message::Change(Arc::clone(&change)));
    }

    /// Queues `message()` on every live link except the one to `from`.
    fn send_all(&self, from: Option<&str>, message: impl Fn() -> Message) {
        let targets: Vec<(String, mpsc::Sender<Message>, Arc<Counters>)> = self
            .lock()
            .iter()
            .filter(|(name, _)| Some(name.as_str()) != from)
            .map(|(name, slot)| (name.clone(), slot.tx.clone(), Arc::clone(&slot.counters)))
            .collect();
        for (name, tx, counters) in targets {
            enqueue(&name, &tx, &counters, message());
        }
    }

    /// The neighbours named by the topology.
    pub fn neighbours(&self) -> &[String] {
        &self.neighbours
    }

    /// True while an authenticated link to `name` is registered.
    pub fn is_up(&self, name: &str) -> bool {
        self.lock().contains_key(name)
    }

    /// Names of the neighbours with a live link, in name order.
    pub fn live(&self) -> Vec<String> {
        let mut names: Vec<String> = self.lock().keys().cloned().collect();
        names.sort();
        names
    }

    /// Counters of the live link to `name`.
    pub fn stats(&self, name: &str) -> Option<LinkStats> {
        self.lock().get(name).map(|slot| slot.counters.stats())
    }

    /// Registers a new link to `name`. A link already registered for `name`
    /// is cancelled and replaced: the newest authenticated link wins.
    pub(crate) fn register(&self, name: &str, shutdown: &CancellationToken) -> Registration {
        let (tx, rx) = mpsc::channel(self.queue);
        let reg = Registration {
            id: self.next_id.fetch_add(1, Ordering::Relaxed),
            tx,
            rx,
            counters: Arc::new(Counters::new()),
            cancel: shutdown.child_token(),
        };
        let slot = Slot {
            id: reg.id,
            tx: reg.tx.clone(),
            counters: Arc::clone(&reg.counters),
            cancel: reg.cancel.clone(),
        };
        if let Some(old) = self.lock().insert(name.to_owned(), slot) {
            old.cancel.cancel();
        }
        reg
    }

    /// Removes registration `id` of `name`, unless a newer one replaced it.
    pub(crate) fn unregister(&self, name: &str, id: u64) {
        let mut links = self.lock();
        if links.get(name).is_some_and(|slot| slot.id == id) {
            links.remove(name);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Slot>> {
        self.links.lock().expect("peer registry lock poisoned")
    }
}

/// Puts one message on a link's queue without waiting; if the queue is full,
/// counts the drop and warns (at most once per [`DROP_LOG_EVERY`]). Returns
/// whether the message was queued.
pub(crate) fn enqueue(
    peer: &str,
    tx: &mpsc::Sender<Message>,
    counters: &Counters,
    msg: Message,
) -> bool {
    match tx.try_send(msg) {
        Ok(()) => true,
        Err(TrySendError::Closed(_)) => false,
        Err(TrySendError::Full(_)) => {
            let total = counters.dropped.fetch_add(1, Ordering::Relaxed) + 1;
            let report = counters
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
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn location(client: &str, time: u32) -> Arc<Location> {
        let line = format!("AT S +0.000000000 {client} +1+2 {time}");
        Arc::new(Location::from_at_line(line.as_bytes()).unwrap())
    }

    #[test]
    fn full_queue_drops_and_counts_instead_of_blocking() {
        let peers = Peers::new(vec!["A".into()], 2);
        let shutdown = CancellationToken::new();
        let mut reg = peers.register("A", &shutdown);
        for t in 0..5 {
            peers.flood(&location("c", t), None);
        }
        let stats = peers.stats("A").unwrap();
        assert_eq!(stats.dropped, 3);
        for t in 0..2 {
            let queued = reg.rx.try_recv().unwrap().to_bytes();
            assert_eq!(queued, format!("AT S +0.000000000 c +1+2 {t}\n"));
        }
        assert!(reg.rx.try_recv().is_err());
    }

    #[test]
    fn flood_skips_the_link_it_came_from() {
        let peers = Peers::new(vec!["A".into(), "B".into()], 8);
        let shutdown = CancellationToken::new();
        let mut a = peers.register("A", &shutdown);
        let mut b = peers.register("B", &shutdown);
        peers.flood(&location("c", 1), Some("A"));
        assert!(a.rx.try_recv().is_err());
        assert!(b.rx.try_recv().is_ok());
        assert_eq!(peers.live(), ["A", "B"]);
    }

    #[test]
    fn newer_registration_replaces_and_cancels_older() {
        let peers = Peers::new(vec!["A".into()], 8);
        let shutdown = CancellationToken::new();
        let old = peers.register("A", &shutdown);
        let new = peers.register("A", &shutdown);
        assert!(old.cancel.is_cancelled());
        assert!(!new.cancel.is_cancelled());
        peers.unregister("A", old.id);
        assert!(
            peers.is_up("A"),
            "a stale unregister must not remove the newer link"
        );
        peers.unregister("A", new.id);
        assert!(!peers.is_up("A"));
    }

    #[test]
    fn shutdown_cancels_registered_links() {
        let peers = Peers::new(vec!["A".into()], 8);
        let shutdown = CancellationToken::new();
        let reg = peers.register("A", &shutdown);
        shutdown.cancel();
        assert!(reg.cancel.is_cancelled());
    }
}
