//! `SCORE <event>`: the latest score of every team in an event.

use bytes::Bytes;

use super::olympic_reply::score_line;
use crate::shared::Shared;

/// A parsed SCORE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScoreQuery {
    /// The event as the client spelled it.
    event: String,
}

impl ScoreQuery {
    /// One operand, the event.
    pub fn parse<'a>(mut it: impl Iterator<Item = &'a [u8]>) -> Option<Self> {
        let event = std::str::from_utf8(it.next()?).ok()?.to_owned();
        it.next().is_none().then_some(Self { event })
    }

    /// The score line, or `None` for an unknown event.
    pub fn apply(self, shared: &Shared) -> Option<Bytes> {
        let score = shared.olympics.score(&self.event)?;
        Some(Bytes::from(format!("{}\n", score_line(&score))))
    }
}
