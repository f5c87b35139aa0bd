//! The locations this server knows, one per client, newest client time wins.
//!
//! Shared by client connections and peer links. The lock is a
//! `std::sync::Mutex` because it is only ever held for a map operation and
//! never across an `.await`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::location::Location;

/// The location store.
#[derive(Debug, Default)]
pub struct Db {
    /// Client ID to its newest location.
    locations: Mutex<HashMap<String, Arc<Location>>>,
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
