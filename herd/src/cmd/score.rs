//! `SCORE`: the latest score of every team in an event.

use super::Refused;
use crate::batch::Batch;
use proto::client::ScoreQuery;
use proto::reply::Reply;

/// The event's score; refused for an unknown event.
pub fn apply(query: ScoreQuery, batch: &mut Batch<'_>) -> Result<(), Refused> {
    let score = batch.stored().olympics.score(query.event.as_str());
    batch.reply(&Reply::Score(score.ok_or(Refused)?.shown()));
    Ok(())
}
