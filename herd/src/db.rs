//! The locations this server knows, one per client, newest client time wins.
//!
//! Shared by client connections and peer links. The lock is a
//! `std::sync::Mutex` because it is only ever held for a map operation and
//! never across an `.await`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;

use crate::location::Location;

/// The location store.
#[derive(Debug, Default)]
pub struct Db {
    /// Client ID to its newest location.
    locations: Mutex<HashMap<String, Arc<Location>>>,
    /// Woken whenever a location is stored, for [`Db::get_or_wait`].
    stored: Notify,
}

impl Db {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Stores `location` if its client time is strictly newer than what is
    /// held for that client. Returns the stored entry when it was taken,
    /// `None` when it was stale or a duplicate.
    pub fn offer(&self, location: Location) -> Option<Arc<Location>> {
        let stored = Arc::new(location);
        let mut map = self.locations.lock().expect("location lock poisoned");
        // Replacing in place spares a key allocation per update; whatever is
        // replaced is dropped after the lock is released.
        let _replaced = match map.get_mut(stored.client.as_str()) {
            Some(held) if held.client_time >= stored.client_time => return None,
            Some(held) => std::mem::replace(held, Arc::clone(&stored)),
            None => {
                map.insert(stored.client.clone(), Arc::clone(&stored));
                drop(map);
                // Only a client new to this server can have waiters.
                self.stored.notify_waiters();
                return Some(stored);
            }
        };
        drop(map);
        Some(stored)
    }

    /// The newest location of `client`, if any.
    pub fn get(&self, client: &str) -> Option<Arc<Location>> {
        self.locations
            .lock()
            .expect("location lock poisoned")
            .get(client)
            .cloned()
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

    /// Every stored location, for syncing a link that just came up.
    pub fn snapshot(&self) -> Vec<Arc<Location>> {
        self.locations
            .lock()
            .expect("location lock poisoned")
            .values()
            .cloned()
            .collect()
    }

    /// How many clients are known.
    pub fn len(&self) -> usize {
        self.locations.lock().expect("location lock poisoned").len()
    }

    /// True when no client is known.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_waiting_read_gets_a_location_stored_meanwhile_and_gives_up_after_the_wait() {
        let db = Arc::new(Db::new());
        let writer = Arc::clone(&db);
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            writer.offer(at(5));
        });
        let got = db.get_or_wait("c", Duration::from_secs(5)).await;
        assert_eq!(got.map(|l| l.client_time), Some(5_000_000_000));
        let started = std::time::Instant::now();
        assert!(
            db.get_or_wait("absent", Duration::from_millis(30))
                .await
                .is_none()
        );
        assert!(started.elapsed() >= Duration::from_millis(30));
    }

    fn at(client_time: u64) -> Location {
        let line = format!("AT S +0.000000000 c +1+2 {client_time}");
        Location::from_at_line(line.as_bytes()).unwrap()
    }

    #[test]
    fn newer_replaces_older_and_equal_or_older_is_refused() {
        let db = Db::new();
        assert!(db.offer(at(5)).is_some());
        assert!(db.offer(at(5)).is_none());
        assert!(db.offer(at(4)).is_none());
        assert_eq!(db.get("c").unwrap().client_time, 5_000_000_000);
        assert!(db.offer(at(6)).is_some());
        assert_eq!(db.get("c").unwrap().client_time, 6_000_000_000);
        assert_eq!(db.len(), 1);
    }
}
