//! What readers see: a team's medal tally, an event's score, and the update
//! published whenever either changes. A tally is shown exactly as the wire
//! carries it ([`Tally`] is the reply type); a score keeps its whole stamp
//! here and is shown with the server's name alone ([`EventScore::shown`]).

use proto::change::{Change, Stamp};
use proto::reply::{Score, SetBy, View};

pub use proto::reply::Tally;

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

impl EventScore {
    /// The score as clients are shown it: when it was set, and by which
    /// server (without its incarnation).
    pub fn shown(&self) -> Score {
        Score {
            event: self.event.clone(),
            scores: self.scores.clone(),
            set: self.stamp.as_ref().map(|stamp| SetBy {
                time_ns: stamp.time_ns,
                server: stamp.server().to_owned(),
            }),
        }
    }
}

/// A visible change of state, published to subscribers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Update {
    /// A team's tally changed; this is the new tally.
    Tally(Tally),
    /// An event's score changed; this is the new score.
    Score(EventScore),
}

impl Update {
    /// The new tally or score as clients are shown it.
    pub fn shown(&self) -> View {
        match self {
            Update::Tally(tally) => View::Tally(tally.clone()),
            Update::Score(score) => View::Score(score.shown()),
        }
    }
}

/// The result of a change that advanced the state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// The change in canonical spelling, to flood to peers.
    pub change: Change,
    /// What it changed, as subscribers see it.
    pub update: Update,
}
