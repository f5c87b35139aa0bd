//! What readers see: a team's medal tally, an event's score, and the update
//! published whenever either changes.

use proto::change::{Change, Stamp};
use proto::medal::Medal;

/// A team's medal totals, summed over every server's count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tally {
    /// Canonical team name.
    pub team: String,
    /// Gold medals.
    pub gold: u64,
    /// Silver medals.
    pub silver: u64,
    /// Bronze medals.
    pub bronze: u64,
}

impl Tally {
    /// The total for one medal kind.
    pub fn get(&self, medal: Medal) -> u64 {
        match medal {
            Medal::Gold => self.gold,
            Medal::Silver => self.silver,
            Medal::Bronze => self.bronze,
        }
    }
}

/// The current score of an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventScore {
    /// Canonical event name.
    pub event: String,
    /// Score of every configured team, in configured order (all zero until
    /// the score is first set).
    pub scores: Vec<(String, i64)>,
    /// Version of the score; `None` if it was never set.
    pub stamp: Option<Stamp>,
}

/// A visible change of state, published to subscribers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Update {
    /// A team's tally changed; this is the new tally.
    Tally(Tally),
    /// An event's score changed; this is the new score.
    Score(EventScore),
}

/// The result of a change that advanced the state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// The change in canonical spelling, to flood to peers.
    pub change: Change,
    /// What it changed, as subscribers see it.
    pub update: Update,
}
