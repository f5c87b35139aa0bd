//! The replicated state itself, with no I/O: medal G-counters, score LWW
//! registers, and the highest operation number seen from each server.
//!
//! * A medal cell (team, medal) holds one count per origin server; the tally
//!   is their sum. Merging keeps the larger count per origin, so applying
//!   changes in any order, any number of times, gives the same cell.
//! * A score register holds the score with the greatest [`Stamp`] (time, then
//!   origin name); merging keeps the greater one.
//! * When two servers each applied a medal write under one idempotency key,
//!   the one that does not rank first (see `keys.rs`) is *voided*: it stays
//!   in its origin's count, and the tally subtracts it once the count holds
//!   it. Voids are a grow-only set of operation ids, carried by `VOID`
//!   changes, so every replica ends with the same tally in any order.
//!
//! Changes given to [`State::apply`] must already be in canonical spelling
//! (see `Names::canonicalize`), so that one team is one key.

use std::collections::{BTreeMap, BTreeSet};

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
    /// (team, medal) to the keyed increments of that cell that do not
    /// count: another write under the same key counts instead.
    voided: BTreeMap<(String, Medal), BTreeSet<OpId>>,
}

/// Most voided increments a replica keeps. A void is made only when two
/// servers each applied one authenticated write under one key before
/// hearing of the other's, so this is far above any real count; it bounds
/// the state and every snapshot (a `VOID` line is under 200 bytes). Past
/// it, a new void is refused with a warning and that write counts twice.
pub const MAX_VOIDS: usize = 10_000;

/// The `VOID` change that undoes `change`, if it is a medal increment.
fn void_of(change: &Change) -> Option<Change> {
    match change {
        Change::Medal {
            op, team, medal, ..
        } => Some(Change::Void {
            op: op.clone(),
            team: team.clone(),
            medal: *medal,
        }),
        _ => None,
    }
}

impl State {
    /// True if applying `change` would alter the state: a larger count, a
    /// newer score, or a sequence number above what was seen from its origin.
    /// A key not held yet counts too: it changes how a repeat is answered.
    /// A void not held yet counts, and so does a keyed change that would
    /// void a change under its key (or be voided itself, if it is not yet).
    pub(crate) fn would_change(&self, change: &Change) -> bool {
        if matches!(change, Change::Void { .. }) {
            return self.would_void(change);
        }
        self.seen(&change.op().origin) < change.op().seq
            || self.would_advance(change)
            || self.keys.would_record(change)
            || self.keys.loser(change).is_some_and(|loser| {
                !std::ptr::eq(loser, change) || void_of(loser).is_some_and(|v| self.would_void(&v))
            })
    }

    /// True if `void` names an increment not voided yet, and there is room.
    fn would_void(&self, void: &Change) -> bool {
        let Change::Void { op, team, medal } = void else {
            return false;
        };
        let held = self
            .voided
            .get(&(team.clone(), *medal))
            .is_some_and(|ops| ops.contains(op));
        !held && self.voided.values().map(BTreeSet::len).sum::<usize>() < MAX_VOIDS
    }

    /// Records `void`; returns the tally of its team if it was new.
    fn void(&mut self, void: &Change) -> Option<Update> {
        let Change::Void { op, team, medal } = void else {
            return None;
        };
        if !self.would_void(void) {
            if self.voided.values().map(BTreeSet::len).sum::<usize>() >= MAX_VOIDS {
                tracing::warn!(change = %void.encode(), "too many voided increments: this one counts");
            }
            return None;
        }
        self.voided
            .entry((team.clone(), *medal))
            .or_default()
            .insert(op.clone());
        Some(Update::Tally(self.tally(team)))
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
            Change::Void { .. } => false,
        }
    }

    /// Merges `change`. Returns what readers now see differently, or `None`
    /// if it was a duplicate or superseded.
    pub(crate) fn apply(&mut self, change: &Change) -> Option<Update> {
        if matches!(change, Change::Void { .. }) {
            return self.void(change);
        }
        let op = change.op();
        let seen = self.seen.entry(op.origin.clone()).or_default();
        *seen = (*seen).max(op.seq);
        let voided = self
            .keys
            .record(change)
            .and_then(|loser| void_of(&loser))
            .and_then(|void| self.void(&void));
        if !self.would_advance(change) {
            return voided;
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
            Change::Void { .. } => None,
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

    /// The medal tally of `team` (canonical name): every origin's count,
    /// less the voided increments those counts hold.
    pub(crate) fn tally(&self, team: &str) -> Tally {
        let total = |medal| {
            let key = (team.to_owned(), medal);
            let Some(cell) = self.medals.get(&key) else {
                return 0;
            };
            let counted: u64 = cell.values().map(|e| e.count).sum();
            let voided = self.voided.get(&key).map_or(0, |ops| {
                ops.iter()
                    .filter(|op| cell.get(&op.origin).is_some_and(|e| e.seq >= op.seq))
                    .count()
            });
            counted.saturating_sub(voided as u64)
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
    /// per event that was set (under the origin of its winning stamp), one
    /// `VOID` per voided increment (under that increment's origin).
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
        for ((team, medal), ops) in &self.voided {
            for op in ops {
                out.entry(&op.origin).or_default().push(Change::Void {
                    op: op.clone(),
                    team: team.clone(),
                    medal: *medal,
                });
            }
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
#[path = "state_tests.rs"]
mod tests;
