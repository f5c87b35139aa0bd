//! The idempotency keys a replica remembers: for each key, the change the
//! first write under it made. Part of the replicated state: a keyed change
//! brings its key to every replica that merges it, the journal replays it,
//! and snapshots (compaction, anti-entropy) carry every key still kept, so
//! a write repeated under the same key at any replica that holds the key is
//! answered without being applied again.
//!
//! Two servers can each apply a write under one key before either hears of
//! the other's (a retry sent to another server before the first write's
//! flood reached it). Every replica then keeps the same one: the change
//! with the smaller (key time, origin, sequence number), whichever arrived
//! first. [`Keys::record`] hands back the other, and the state voids it
//! (a `VOID` change, see `state.rs`), so the write counts once everywhere.
//!
//! The window is bounded both ways: a key is forgotten [`KEY_WINDOW_NS`]
//! after its write (measured against the newest key's time, so every
//! replica forgets the same keys), and past [`MAX_KEYS`] keys the oldest
//! are forgotten first.

use std::collections::{BTreeMap, BTreeSet};

use proto::change::Change;
use proto::idem::IdemKey;

/// How long a key is remembered after its write: 24 hours, in nanoseconds.
pub const KEY_WINDOW_NS: i128 = 24 * 60 * 60 * 1_000_000_000;

/// Most keys remembered at once; past it the oldest are forgotten. Bounds
/// the state and every snapshot (a keyed change is under 400 bytes, so the
/// keys add at most a few MiB to a snapshot, below its 16 MiB record limit).
pub const MAX_KEYS: usize = 10_000;

/// The order in which two changes under one key are kept: the smaller
/// (key time, origin, sequence number) first, the same at every replica.
fn rank(change: &Change) -> (i128, &str, u64) {
    let at_ns = change.key().map_or(i128::MAX, |k| k.at_ns);
    (at_ns, change.op().origin.as_str(), change.op().seq)
}

/// Keys and the changes made under them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Keys {
    /// Key to the change its first write made (the key included).
    by_key: BTreeMap<IdemKey, Change>,
    /// (time of the write, key), oldest first, to forget the oldest.
    by_time: BTreeSet<(i128, IdemKey)>,
}

impl Keys {
    /// The change made under `key`, if it is remembered.
    pub(crate) fn get(&self, key: &IdemKey) -> Option<&Change> {
        self.by_key.get(key)
    }

    /// True if `change` carries a key this table does not hold yet and
    /// would keep (it is not already past the window).
    pub(crate) fn would_record(&self, change: &Change) -> bool {
        change.key().is_some_and(|keyed| {
            !self.by_key.contains_key(&keyed.key) && !self.expired(keyed.at_ns)
        })
    }

    /// If another operation holds the key of `change` here: the one of the
    /// two that loses, whose effect must not count.
    pub(crate) fn loser<'a>(&'a self, change: &'a Change) -> Option<&'a Change> {
        let held = self.by_key.get(&change.key()?.key)?;
        if held.op() == change.op() {
            return None;
        }
        Some(if rank(held) < rank(change) {
            change
        } else {
            held
        })
    }

    /// Remembers the key of `change`, if it has one and it is new; forgets
    /// keys past the window or the count bound. If another operation holds
    /// the key, keeps the one that ranks first ([`rank`]) and returns the
    /// other: its effect must be undone.
    pub(crate) fn record(&mut self, change: &Change) -> Option<Change> {
        let keyed = change.key()?;
        if let Some(held) = self.by_key.get(&keyed.key) {
            if held.op() == change.op() || rank(held) < rank(change) {
                return self.loser(change).cloned();
            }
            let held_at = held.key().map_or(keyed.at_ns, |k| k.at_ns);
            self.by_time.remove(&(held_at, keyed.key.clone()));
            self.by_time.insert((keyed.at_ns, keyed.key.clone()));
            return self.by_key.insert(keyed.key.clone(), change.clone());
        }
        if !self.would_record(change) {
            return None;
        }
        self.by_key.insert(keyed.key.clone(), change.clone());
        self.by_time.insert((keyed.at_ns, keyed.key.clone()));
        while let Some((at_ns, _)) = self.by_time.first() {
            if self.by_time.len() <= MAX_KEYS && !self.expired(*at_ns) {
                break;
            }
            if let Some((_, key)) = self.by_time.pop_first() {
                self.by_key.remove(&key);
            }
        }
        None
    }

    /// True if a key used at `at_ns` is past the window, measured from the
    /// newest key held.
    fn expired(&self, at_ns: i128) -> bool {
        self.by_time
            .last()
            .is_some_and(|(newest, _)| at_ns < newest.saturating_sub(KEY_WINDOW_NS))
    }

    /// Every change a key is held for, oldest first.
    pub(crate) fn changes(&self) -> impl Iterator<Item = &Change> {
        self.by_time
            .iter()
            .filter_map(|(_, key)| self.by_key.get(key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proto::change::OpId;
    use proto::idem::Keyed;
    use proto::medal::Medal;

    fn keyed(key: &str, at_ns: i128) -> Change {
        keyed_at("A", key, at_ns)
    }

    fn keyed_at(origin: &str, key: &str, at_ns: i128) -> Change {
        Change::Medal {
            op: OpId {
                origin: origin.into(),
                seq: 1,
            },
            team: "Gaul".into(),
            medal: Medal::Gold,
            count: 1,
            key: Some(Keyed {
                key: IdemKey::new(key).unwrap(),
                at_ns,
                first: None,
            }),
        }
    }

    #[test]
    fn one_key_applied_by_two_origins_keeps_the_earlier_in_either_order() {
        let (a, b) = (keyed_at("A", "k", 5), keyed_at("B", "k", 5));
        let late = keyed_at("C", "k", 9);
        for order in [[&a, &b, &late], [&late, &b, &a], [&b, &late, &a]] {
            let mut keys = Keys::default();
            let voided: Vec<Change> = order.iter().filter_map(|c| keys.record(c)).collect();
            assert_eq!(keys.get(&IdemKey::new("k").unwrap()), Some(&a));
            assert_eq!(voided.len(), 2, "{order:?}");
            assert!(voided.contains(&b) && voided.contains(&late));
            assert_eq!(keys.changes().count(), 1);
            assert_eq!(keys.record(&a), None, "a duplicate voids nothing");
        }
    }

    #[test]
    fn keys_are_kept_once_and_forgotten_after_the_window() {
        let mut keys = Keys::default();
        keys.record(&keyed("a", 0));
        assert!(!keys.would_record(&keyed("a", 5)), "already held");
        assert_eq!(keys.get(&IdemKey::new("a").unwrap()), Some(&keyed("a", 0)));
        keys.record(&keyed("b", KEY_WINDOW_NS + 1));
        assert!(keys.get(&IdemKey::new("a").unwrap()).is_none(), "past 24 h");
        assert!(!keys.would_record(&keyed("c", 0)), "too old to keep");
        assert_eq!(keys.changes().count(), 1);
    }

    #[test]
    fn past_the_bound_the_oldest_keys_go_first() {
        let mut keys = Keys::default();
        for i in 0..=MAX_KEYS {
            keys.record(&keyed(&format!("k{i}"), i as i128));
        }
        assert_eq!(keys.changes().count(), MAX_KEYS);
        assert!(keys.get(&IdemKey::new("k0").unwrap()).is_none());
        assert!(keys.get(&IdemKey::new("k1").unwrap()).is_some());
    }
}
