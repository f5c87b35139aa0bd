//! The scoreboard: the newest score of every event and tally of every team
//! the facade has seen, each with the sequence number of its last change and
//! when the facade saw it change.
//!
//! It is a cache of what the herd says, nothing more: it feeds server-sent
//! events (so a reconnecting browser is sent only what changed since the
//! `Last-Event-ID` it saw) and decides what is new enough to push. A score is
//! newer by the herd's own last-writer-wins order (time, then server name); a
//! tally is a set of counters that only grow, so the board keeps each medal's
//! largest count and a tally changes when any of them grows.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use proto::timestamp::{format_posix, now_nanos};

use crate::protocol::{Score, Tally};

/// What a change is about: an event's score or a team's tally.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Topic {
    /// An event, canonical name.
    Event(String),
    /// A team's medals, canonical name.
    Team(String),
}

/// A value on the board.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// An event's score.
    Score(Score),
    /// A team's medal tally.
    Tally(Tally),
}

impl Item {
    /// What it is about.
    pub fn topic(&self) -> Topic {
        match self {
            Item::Score(score) => Topic::Event(score.event.clone()),
            Item::Tally(tally) => Topic::Team(tally.team.clone()),
        }
    }
}

/// The current value of one topic and when it last changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// Position among every change this facade has seen, from 1.
    pub seq: u64,
    /// When the facade saw it change: POSIX seconds, nine fraction digits.
    pub changed_at: String,
    /// The value.
    pub item: Item,
}

impl Change {
    /// Whether tablets want it: a score that was set, or any tally.
    pub fn pushable(&self) -> bool {
        match &self.item {
            Item::Score(score) => score.set.is_some(),
            Item::Tally(_) => true,
        }
    }
}

/// The board. Its lock is a std mutex, never held across `.await`.
pub struct Board {
    /// Names this facade process, so an id from an earlier one is not
    /// mistaken for one of ours.
    epoch: String,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// The last sequence number given.
    last: u64,
    current: HashMap<Topic, Arc<Change>>,
}

impl Default for Board {
    fn default() -> Self {
        Self::new()
    }
}

impl Board {
    /// An empty board with a fresh epoch.
    pub fn new() -> Self {
        let nanos = now_nanos().max(0);
        Self {
            epoch: format!("{nanos:x}"),
            state: Mutex::new(State::default()),
        }
    }

    /// Records `item`; returns the change if it is new or newer than what
    /// the board holds for its topic.
    pub fn observe(&self, item: Item) -> Option<Arc<Change>> {
        let topic = item.topic();
        let mut state = self.state.lock().unwrap();
        let item = match (state.current.get(&topic).map(|c| &c.item), item) {
            (None, item) => item,
            (Some(Item::Score(old)), Item::Score(new)) => {
                if !newer(&new, old) {
                    return None;
                }
                Item::Score(new)
            }
            (Some(Item::Tally(old)), Item::Tally(new)) => {
                let merged = Tally {
                    team: new.team,
                    gold: old.gold.max(new.gold),
                    silver: old.silver.max(new.silver),
                    bronze: old.bronze.max(new.bronze),
                };
                if merged == *old {
                    return None;
                }
                Item::Tally(merged)
            }
            _ => return None,
        };
        state.last += 1;
        let change = Arc::new(Change {
            seq: state.last,
            changed_at: now_stamp(),
            item,
        });
        state.current.insert(topic, change.clone());
        Some(change)
    }

    /// The current value of every topic `wanted` accepts that changed after
    /// `after`, oldest change first, and the last sequence number given.
    pub fn since(&self, after: u64, wanted: impl Fn(&Topic) -> bool) -> (Vec<Arc<Change>>, u64) {
        let state = self.state.lock().unwrap();
        let mut changes: Vec<Arc<Change>> = state
            .current
            .iter()
            .filter(|(topic, change)| change.seq > after && wanted(topic))
            .map(|(_, change)| change.clone())
            .collect();
        changes.sort_by_key(|c| c.seq);
        (changes, state.last)
    }

    /// The SSE id of change `seq`: `<epoch>-<seq>`.
    pub fn event_id(&self, seq: u64) -> String {
        format!("{}-{seq}", self.epoch)
    }

    /// The sequence number a client that last saw `id` has seen up to: 0
    /// (send everything) for no id, a malformed one, or one of another
    /// facade process.
    pub fn resume_after(&self, id: Option<&str>) -> u64 {
        id.and_then(|id| id.split_once('-'))
            .filter(|(epoch, _)| *epoch == self.epoch)
            .and_then(|(_, seq)| seq.parse().ok())
            .map_or(0, |seq: u64| seq.min(self.state.lock().unwrap().last))
    }
}

/// Whether `score` comes after `old` in the herd's order of writes (a
/// score never set comes before every score that was).
fn newer(score: &Score, old: &Score) -> bool {
    score.set > old.set
}

/// Now, as POSIX seconds with nine fraction digits (as the herd writes a
/// time).
pub fn now_stamp() -> String {
    format_posix(now_nanos())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::SetBy;

    fn score(time_ns: Option<i128>, by: &str, gaul: i64) -> Item {
        Item::Score(Score {
            event: "curling".into(),
            scores: vec![("Gaul".into(), gaul)],
            set: time_ns.map(|time_ns| SetBy {
                time_ns,
                server: by.into(),
            }),
        })
    }

    fn tally(gold: u64, silver: u64) -> Item {
        Item::Tally(Tally {
            team: "Gaul".into(),
            gold,
            silver,
            bronze: 0,
        })
    }

    #[test]
    fn only_newer_scores_change_the_board() {
        let board = Board::new();
        assert!(board.observe(score(None, "-", 0)).is_some(), "first seen");
        assert!(board.observe(score(None, "-", 0)).is_none(), "still unset");
        assert!(board.observe(score(Some(10_000_000_001), "A", 1)).is_some());
        assert!(board.observe(score(Some(10_000_000_001), "A", 1)).is_none());
        assert!(board.observe(score(Some(9_999_999_999), "Z", 2)).is_none());
        assert!(
            board.observe(score(Some(10_000_000_001), "B", 3)).is_some(),
            "same time, greater server"
        );
        assert!(board.observe(score(None, "-", 5)).is_none(), "unset again");
    }

    #[test]
    fn tallies_only_grow_medal_by_medal() {
        let board = Board::new();
        assert_eq!(board.observe(tally(1, 0)).unwrap().seq, 1);
        assert!(board.observe(tally(1, 0)).is_none());
        assert!(board.observe(tally(0, 0)).is_none(), "a server behind");
        let change = board.observe(tally(0, 2)).unwrap();
        assert_eq!(change.item, tally(1, 2), "the largest count of each medal");
        assert_eq!(change.seq, 2);
    }

    #[test]
    fn a_client_resumes_after_its_last_id_of_this_process_only() {
        let board = Board::new();
        board.observe(tally(1, 0));
        let first = board.observe(score(None, "-", 0)).unwrap();
        board.observe(tally(2, 0));
        let id = board.event_id(first.seq);
        let after = board.resume_after(Some(&id));
        let (changes, last) = board.since(after, |_| true);
        assert_eq!(last, 3);
        assert_eq!(changes.len(), 1, "only the tally changed since");
        assert_eq!(changes[0].item, tally(2, 0));
        assert_eq!(board.resume_after(Some("0-2")), 0, "another process");
        assert_eq!(board.resume_after(Some("junk")), 0);
        assert_eq!(board.resume_after(None), 0);
        let (all, _) = board.since(0, |t| matches!(t, Topic::Event(_)));
        assert_eq!(all.len(), 1);
    }
}
