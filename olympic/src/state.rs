//! The replicated state itself, with no I/O: medal G-counters, score LWW
//! registers, and the highest operation number seen from each server.
//!
//! * A medal cell (team, medal) holds one count per origin server; the tally
//!   is their sum. Merging keeps the larger count per origin, so applying
//!   changes in any order, any number of times, gives the same cell.
//! * A score register holds the score with the greatest [`Stamp`] (time, then
//!   origin name); merging keeps the greater one.
//!
//! Changes given to [`State::apply`] must already be in canonical spelling
//! (see `Names::canonicalize`), so that one team is one key.

use std::collections::BTreeMap;

use super::keys::Keys;
use super::view::{EventScore, Tally, Update};
use proto::change::{Change, OpId, Stamp};
use proto::medal::Medal;

/// One origin's entry in a medal cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    /// The origin's own running count.
    count: u64,
    /// The operation that produced this count.
    seq: u64,
}

/// The newest score of one event.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Register {
    /// Version; the greatest wins.
    stamp: Stamp,
    /// The operation that set it (its origin is `stamp.origin`).
    seq: u64,
    /// Score of every team, in configured order.
    scores: Vec<(String, i64)>,
}

/// Medal counts, scores and per-origin sequence numbers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct State {
    /// (team, medal) to origin to that origin's count.
    medals: BTreeMap<(String, Medal), BTreeMap<String, Entry>>,
    /// Event to its newest score.
    scores: BTreeMap<String, Register>,
    /// Origin to the highest operation number seen from it, including
    /// operations whose effect was since superseded. For this server's own
    /// name this is the last number handed out, so none is ever reused.
    seen: BTreeMap<String, u64>,
    /// Idempotency keys of recent keyed writes, and what each one made.
    keys: Keys,
}

impl State {
    /// True if applying `change` would alter the state: a larger count, a
    /// newer score, or a sequence number above what was seen from its origin.
    /// A key not held yet counts too: it changes how a repeat is answered.
    pub(crate) fn would_change(&self, change: &Change) -> bool {
        self.seen(&change.op().origin) < change.op().seq
            || self.would_advance(change)
            || self.keys.would_record(change)
    }

    /// The change made under idempotency key `key`, if it is held.
    pub(crate) fn keyed(&self, key: &proto::idem::IdemKey) -> Option<&Change> {
        self.keys.get(key)
    }

    /// True if applying `change` would alter what readers see.
    fn would_advance(&self, change: &Change) -> bool {
        match change {
            Change::Medal {
                op,
                team,
                medal,
                count,
                ..
            } => *count > self.count(&op.origin, team, *medal),
            Change::Score {
                op,
                event,
                stamp_ns,
                ..
            } => self.scores.get(event).is_none_or(|held| {
                (*stamp_ns, op.origin.as_str()) > (held.stamp.time_ns, held.stamp.origin.as_str())
            }),
        }
    }

    /// Merges `change`. Returns what readers now see differently, or `None`
    /// if it was a duplicate or superseded.
    pub(crate) fn apply(&mut self, change: &Change) -> Option<Update> {
        let op = change.op();
        let seen = self.seen.entry(op.origin.clone()).or_default();
        *seen = (*seen).max(op.seq);
        self.keys.record(change);
        if !self.would_advance(change) {
            return None;
        }
        match change {
            Change::Medal {
                op,
                team,
                medal,
                count,
                ..
            } => {
                let entry = Entry {
                    count: *count,
                    seq: op.seq,
                };
                self.medals
                    .entry((team.clone(), *medal))
                    .or_default()
                    .insert(op.origin.clone(), entry);
                Some(Update::Tally(self.tally(team)))
            }
            Change::Score {
                op,
                event,
                stamp_ns,
                scores,
                ..
            } => {
                let register = Register {
                    stamp: Stamp {
                        time_ns: *stamp_ns,
                        origin: op.origin.clone(),
                    },
                    seq: op.seq,
                    scores: scores.clone(),
                };
                self.scores.insert(event.clone(), register);
                Some(Update::Score(self.score(event, &[])))
            }
        }
    }

    /// The count `origin` holds in the (team, medal) cell.
    pub(crate) fn count(&self, origin: &str, team: &str, medal: Medal) -> u64 {
        self.medals
            .get(&(team.to_owned(), medal))
            .and_then(|cell| cell.get(origin))
            .map_or(0, |e| e.count)
    }

    /// The highest operation number seen from `origin` (0 if none).
    pub(crate) fn seen(&self, origin: &str) -> u64 {
        self.seen.get(origin).copied().unwrap_or(0)
    }

    /// Raises the highest operation number seen from `origin` to `seq`.
    pub(crate) fn see(&mut self, origin: &str, seq: u64) {
        let seen = self.seen.entry(origin.to_owned()).or_default();
        *seen = (*seen).max(seq);
    }

    /// Origin to highest operation number seen.
    pub(crate) fn seen_all(&self) -> &BTreeMap<String, u64> {
        &self.seen
    }

    /// The stamp time of the newest score of `event`, if it was ever set.
    pub(crate) fn stamp_time(&self, event: &str) -> Option<i128> {
        self.scores.get(event).map(|r| r.stamp.time_ns)
    }

    /// The medal tally of `team` (canonical name).
    pub(crate) fn tally(&self, team: &str) -> Tally {
        let total = |medal| {
            self.medals
                .get(&(team.to_owned(), medal))
                .map_or(0, |cell| cell.values().map(|e| e.count).sum())
        };
        Tally {
            team: team.to_owned(),
            gold: total(Medal::Gold),
            silver: total(Medal::Silver),
            bronze: total(Medal::Bronze),
        }
    }

    /// The score of `event` (canonical name); every team of `teams` at zero
    /// with no stamp if it was never set.
    pub(crate) fn score(&self, event: &str, teams: &[String]) -> EventScore {
        match self.scores.get(event) {
            Some(r) => EventScore {
                event: event.to_owned(),
                scores: r.scores.clone(),
                stamp: Some(r.stamp.clone()),
            },
            None => EventScore {
                event: event.to_owned(),
                scores: teams.iter().map(|t| (t.clone(), 0)).collect(),
                stamp: None,
            },
        }
    }

    /// The whole state as changes, grouped by the origin that made them, in
    /// a deterministic order: one `MEDAL` per origin and cell, one `SCORE`
    /// per event that was set (under the origin of its winning stamp).
    pub(crate) fn changes_by_origin(&self) -> BTreeMap<&str, Vec<Change>> {
        let mut out: BTreeMap<&str, Vec<Change>> = BTreeMap::new();
        for ((team, medal), cell) in &self.medals {
            for (origin, e) in cell {
                out.entry(origin).or_default().push(Change::Medal {
                    op: OpId {
                        origin: origin.clone(),
                        seq: e.seq,
                    },
                    team: team.clone(),
                    medal: *medal,
                    count: e.count,
                    key: None,
                });
            }
        }
        for (event, r) in &self.scores {
            out.entry(&r.stamp.origin).or_default().push(Change::Score {
                op: OpId {
                    origin: r.stamp.origin.clone(),
                    seq: r.seq,
                },
                event: event.clone(),
                stamp_ns: r.stamp.time_ns,
                scores: r.scores.clone(),
                key: None,
            });
        }
        out
    }

    /// The whole state as changes: applied to an empty state they rebuild
    /// this one (except for `seen` numbers of superseded operations). The
    /// changes that idempotency keys are held for follow, oldest first.
    pub(crate) fn changes(&self) -> Vec<Change> {
        let state = self.changes_by_origin().into_values().flatten();
        state.chain(self.keys.changes().cloned()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn medal(origin: &str, seq: u64, team: &str, count: u64) -> Change {
        Change::Medal {
            op: OpId {
                origin: origin.into(),
                seq,
            },
            team: team.into(),
            medal: Medal::Gold,
            count,
            key: None,
        }
    }

    fn score(origin: &str, seq: u64, stamp_ns: i128, gaul: i64) -> Change {
        Change::Score {
            op: OpId {
                origin: origin.into(),
                seq,
            },
            event: "curling".into(),
            stamp_ns,
            scores: vec![("Gaul".into(), gaul), ("Rome".into(), 0)],
            key: None,
        }
    }

    #[test]
    fn counts_sum_over_origins_and_keep_the_largest_per_origin() {
        let mut s = State::default();
        assert!(s.apply(&medal("A", 1, "Gaul", 1)).is_some());
        assert!(s.apply(&medal("A", 3, "Gaul", 3)).is_some());
        assert!(s.apply(&medal("A", 2, "Gaul", 2)).is_none(), "older count");
        assert!(s.apply(&medal("A", 3, "Gaul", 3)).is_none(), "duplicate");
        assert!(s.apply(&medal("B", 1, "Gaul", 1)).is_some());
        assert_eq!(s.tally("Gaul").gold, 4);
        assert_eq!(s.tally("Rome").gold, 0);
        assert_eq!(s.seen("A"), 3);
    }

    #[test]
    fn equal_times_are_won_by_the_greater_server_name() {
        let mut s = State::default();
        s.apply(&score("Bravo", 1, 100, 1));
        assert!(
            s.apply(&score("Alpha", 1, 100, 2)).is_none(),
            "Alpha < Bravo"
        );
        assert!(s.apply(&score("Charlie", 1, 100, 3)).is_some());
        assert!(s.apply(&score("Zulu", 2, 99, 4)).is_none(), "older time");
        let got = s.score("curling", &[]);
        assert_eq!(got.scores[0], ("Gaul".into(), 3));
        assert_eq!(got.stamp.unwrap().origin, "Charlie");
    }

    #[test]
    fn superseded_changes_still_raise_the_seen_number() {
        let mut s = State::default();
        s.apply(&score("B", 1, 100, 1));
        let late = score("A", 9, 50, 2);
        assert!(s.would_change(&late));
        assert!(s.apply(&late).is_none());
        assert_eq!(s.seen("A"), 9);
        assert!(!s.would_change(&late));
    }

    #[test]
    fn changes_rebuild_the_state() {
        let mut s = State::default();
        s.apply(&medal("A", 1, "Gaul", 1));
        s.apply(&medal("B", 4, "Rome", 2));
        s.apply(&score("B", 5, 10, 7));
        let mut t = State::default();
        for c in s.changes() {
            t.apply(&c);
        }
        assert_eq!(s, t);
        assert_eq!(s.changes_by_origin()["B"].len(), 2);
    }
}
