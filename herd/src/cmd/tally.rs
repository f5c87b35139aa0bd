//! `TALLY`: a team's medal counts, summed over the herd.

use super::Refused;
use crate::batch::Batch;
use proto::client::TallyQuery;
use proto::reply::Reply;

/// The team's tally; refused for an unknown team.
pub fn apply(query: TallyQuery, batch: &mut Batch<'_>) -> Result<(), Refused> {
    let tally = batch.stored().olympics.tally(query.team.as_str());
    batch.reply(&Reply::Tally(tally.ok_or(Refused)?));
    Ok(())
}
