//! `TEAMS` and `EVENTS`: the configured names, in configured order.

use super::Refused;
use crate::batch::Batch;
use proto::client::Names;
use proto::reply::Reply;

/// Lists the teams or the events.
pub fn apply(names: Names, batch: &mut Batch<'_>) -> Result<(), Refused> {
    let olympics = &batch.stored().olympics;
    let reply = match names {
        Names::Teams => Reply::Teams(olympics.teams().to_vec()),
        Names::Events => Reply::Events(olympics.events().to_vec()),
    };
    batch.reply(&reply);
    Ok(())
}
