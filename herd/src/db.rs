//! The locations this server knows, one per client; the newest wins (see
//! [`Location::supersedes`]).
//!
//! Shared by client connections and peer links. The store is split into the
//! [`LEAVES`] leaves of its [`DigestTree`], each a small hash table behind
//! its own `std::sync::Mutex` (held only for one table operation, never
//! across an `.await`): the tree's leaf of a client is its table, so
//! anti-entropy can list one leaf's clients without walking the store, and
//! concurrent writers rarely meet on a lock.
//!
//! # Memory budget
//!
//! A stored client costs one shared header (64 bytes with its reference
//! counts), its `AT` line (about 75 bytes plus the client ID, rounded up by
//! the allocator) and a slot in its leaf's table: about 180 bytes plus the
//! client ID in all, at every server (`herd-bench` measures it, row (e)). The number of clients is
//! capped ([`Limits::max_clients`](base::topology::Limits)): at the cap a
//! report for a client not yet stored is refused (an `IAMAT` is answered
//! `? `, a flood or repair is not taken) while known clients keep updating.
//! Refusing new clients rather than evicting old ones keeps replicas with
//! the same cap in agreement: every server refuses the same newcomers.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use hashbrown::HashTable;
use tokio::sync::Notify;

use proto::digest::{DigestTree, LEAVES, client_hash, leaf_of, line_hash};
use proto::location::Location;

/// Clients stored when no cap is given ([`Db::new`]).
pub const DEFAULT_MAX_CLIENTS: usize = 1_000_000;

/// The clients of one leaf, found by the hash of their ID.
type Table = HashTable<Arc<Location>>;

/// What [`Db::offer`] did with a location.
#[derive(Debug, Clone, PartialEq)]
pub enum Offer {
    /// Stored: it was new, or superseded what was held.
    Taken(Arc<Location>),
    /// What is held is as new or newer.
    NotNewer,
    /// A new client, and the store is at its cap.
    Full,
}

impl Offer {
    /// The stored location, when it was taken.
    pub fn taken(self) -> Option<Arc<Location>> {
        match self {
            Offer::Taken(location) => Some(location),
            Offer::NotNewer | Offer::Full => None,
        }
    }
}

/// The location store.
#[derive(Debug)]
pub struct Db {
    /// One table per digest leaf.
    leaves: Box<[Mutex<Table>]>,
    /// XOR summary of the stored lines, for anti-entropy.
    digest: DigestTree,
    /// Clients stored.
    len: AtomicUsize,
    /// Most clients stored; new ones past it are refused.
    max_clients: usize,
    /// Reports for new clients refused at the cap.
    refused: AtomicU64,
    /// Woken whenever a new client is stored, for [`Db::get_or_wait`].
    stored: Notify,
}

impl Default for Db {
    fn default() -> Self {
        Self::with_max_clients(DEFAULT_MAX_CLIENTS)
    }
}

impl Db {
    /// An empty store with the default cap.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty store that holds at most `max_clients` clients.
    pub fn with_max_clients(max_clients: usize) -> Self {
        Self {
            leaves: (0..LEAVES).map(|_| Mutex::new(Table::new())).collect(),
            digest: DigestTree::default(),
            len: AtomicUsize::new(0),
            max_clients,
            refused: AtomicU64::new(0),
            stored: Notify::new(),
        }
    }

    /// Stores `location` if it supersedes what is held for its client (or
    /// nothing is, and there is room). A location already shared (parsed
    /// off a link) is stored as it is, not copied.
    pub fn offer(&self, location: impl Into<Arc<Location>>) -> Offer {
        let location: Arc<Location> = location.into();
        let hash = location.client_hash();
        let leaf = leaf_of(hash);
        let mut table = self.lock(leaf);
        let same = |held: &Arc<Location>| held.same_client(&location);
        if let Some(held) = table.find_mut(hash, same) {
            if !location.supersedes(held) {
                return Offer::NotNewer;
            }
            let stored = location;
            let replaced = std::mem::replace(held, Arc::clone(&stored));
            drop(table);
            self.digest.toggle(
                leaf,
                line_hash(replaced.at_line()) ^ line_hash(stored.at_line()),
            );
            return Offer::Taken(stored);
        }
        let room = self
            .len
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                (n < self.max_clients).then_some(n + 1)
            });
        if room.is_err() {
            drop(table);
            self.refused.fetch_add(1, Ordering::Relaxed);
            return Offer::Full;
        }
        let stored = location;
        table.insert_unique(hash, Arc::clone(&stored), |held| held.client_hash());
        drop(table);
        self.digest.toggle(leaf, line_hash(stored.at_line()));
        // Only a client new to this server can have waiters.
        self.stored.notify_waiters();
        Offer::Taken(stored)
    }

    /// The newest location of `client`, if any.
    pub fn get(&self, client: &str) -> Option<Arc<Location>> {
        let client = client.as_bytes();
        let hash = client_hash(client);
        self.lock(leaf_of(hash))
            .find(hash, |held| held.client_bytes() == client)
            .cloned()
    }

    /// True if a report for `client` would be refused because the store is
    /// full and `client` is not in it.
    pub fn refuses(&self, client: &str) -> bool {
        self.len.load(Ordering::Relaxed) >= self.max_clients && self.get(client).is_none()
    }

    /// The newest location of `client`; if none is held yet, waits up to
    /// `wait` for one to be stored (a flood may still be on its way from the
    /// server that took the IAMAT).
    pub async fn get_or_wait(&self, client: &str, wait: Duration) -> Option<Arc<Location>> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let stored = self.stored.notified();
            tokio::pin!(stored);
            // Registered before the check, so a store between the check and
            // the wait still wakes it.
            stored.as_mut().enable();
            if let Some(location) = self.get(client) {
                return Some(location);
            }
            if tokio::time::timeout_at(deadline, stored).await.is_err() {
                return None;
            }
        }
    }

    /// Every stored location.
    pub fn snapshot(&self) -> Vec<Arc<Location>> {
        let mut all = Vec::with_capacity(self.len());
        for leaf in 0..LEAVES {
            all.extend(self.lock(leaf).iter().cloned());
        }
        all
    }

    /// The locations stored in digest leaf `leaf`, appended to `out`.
    pub fn leaf(&self, leaf: usize, out: &mut Vec<Arc<Location>>) {
        out.extend(self.lock(leaf % LEAVES).iter().cloned());
    }

    /// The summary anti-entropy compares.
    pub fn digest(&self) -> &DigestTree {
        &self.digest
    }

    /// How many clients are known.
    pub fn len(&self) -> usize {
        self.len.load(Ordering::Relaxed)
    }

    /// True when no client is known.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Reports for new clients refused because the store was full.
    pub fn refused(&self) -> u64 {
        self.refused.load(Ordering::Relaxed)
    }

    fn lock(&self, leaf: usize) -> MutexGuard<'_, Table> {
        self.leaves[leaf].lock().expect("location lock poisoned")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proto::digest::Node;

    fn at(client_time: u64) -> Location {
        located("c", "S", client_time)
    }

    fn located(client: &str, server: &str, client_time: u64) -> Location {
        let line = format!("AT {server} +0.000000000 {client} +1+2 {client_time}");
        Location::from_at_line(line.as_bytes()).unwrap()
    }

    #[tokio::test]
    async fn a_waiting_read_gets_a_location_stored_meanwhile_and_gives_up_after_the_wait() {
        let db = Arc::new(Db::new());
        let writer = Arc::clone(&db);
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            writer.offer(at(5));
        });
        let got = db.get_or_wait("c", Duration::from_secs(5)).await;
        assert_eq!(got.map(|l| l.client_time()), Some(5_000_000_000));
        let started = std::time::Instant::now();
        assert!(
            db.get_or_wait("absent", Duration::from_millis(30))
                .await
                .is_none()
        );
        assert!(started.elapsed() >= Duration::from_millis(30));
    }

    #[test]
    fn newer_replaces_older_and_equal_or_older_is_refused() {
        let db = Db::new();
        assert!(db.offer(at(5)).taken().is_some());
        assert_eq!(db.offer(at(5)), Offer::NotNewer);
        assert_eq!(db.offer(at(4)), Offer::NotNewer);
        assert_eq!(db.get("c").unwrap().client_time(), 5_000_000_000);
        assert!(db.offer(at(6)).taken().is_some());
        assert_eq!(db.get("c").unwrap().client_time(), 6_000_000_000);
        assert_eq!(db.len(), 1);
    }

    #[test]
    fn equal_times_keep_the_same_winner_in_either_order() {
        let (a, b) = (Db::new(), Db::new());
        let goloman = located("tie", "Goloman", 7);
        let welsh = located("tie", "Welsh", 7);
        a.offer(goloman.clone());
        a.offer(welsh.clone());
        b.offer(welsh);
        b.offer(goloman);
        assert_eq!(a.get("tie"), b.get("tie"));
        assert!(a.get("tie").unwrap().at_line().starts_with(b"AT Welsh"));
        assert_eq!(a.digest().hash(Node::ROOT), b.digest().hash(Node::ROOT));
    }

    #[test]
    fn at_the_cap_new_clients_are_refused_and_known_ones_still_update() {
        let db = Db::with_max_clients(2);
        db.offer(located("a", "S", 1));
        db.offer(located("b", "S", 1));
        assert!(db.refuses("c") && !db.refuses("a"));
        assert_eq!(db.offer(located("c", "S", 1)), Offer::Full);
        assert!(db.offer(located("a", "S", 2)).taken().is_some());
        assert_eq!((db.len(), db.refused()), (2, 1));
        assert!(db.get("c").is_none());
    }

    #[test]
    fn the_digest_follows_the_contents_not_the_history() {
        let (a, b) = (Db::new(), Db::new());
        for i in 0..50 {
            a.offer(located(&format!("c{i}"), "S", 1));
            a.offer(located(&format!("c{i}"), "S", 2));
        }
        for i in (0..50).rev() {
            b.offer(located(&format!("c{i}"), "S", 2));
        }
        assert_eq!(a.digest().hash(Node::ROOT), b.digest().hash(Node::ROOT));
        b.offer(located("c7", "S", 3));
        assert_ne!(a.digest().hash(Node::ROOT), b.digest().hash(Node::ROOT));
        let leaf = leaf_of(client_hash(b"c7"));
        let mut held = Vec::new();
        b.leaf(leaf, &mut held);
        assert!(held.iter().any(|l| l.client() == "c7"));
        assert_eq!(a.snapshot().len(), 50);
    }
}
