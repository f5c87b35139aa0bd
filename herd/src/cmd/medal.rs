//! `MEDAL`: Cacofonix awards a medal.

use super::{Refused, failed};
use crate::batch::Batch;
use olympic::Update;
use proto::client::MedalWrite;
use proto::reply::{Reply, Target, View};

/// Checks the id, makes the increment durable, floods it, and answers
/// with the team's new tally; refused for an unknown team.
pub async fn apply(cmd: MedalWrite, batch: &mut Batch<'_>) -> Result<(), Refused> {
    let shared = batch.stored();
    let team = shared.olympics.team(cmd.team.as_str()).ok_or(Refused)?;
    let target = Target::Medal {
        team: team.to_owned(),
        medal: cmd.medal,
    };
    let reply = if !shared.cacofonix.matches(cmd.auth.expose()) {
        Reply::Denied(target)
    } else {
        match shared.olympics.increment(team, cmd.medal).await {
            Ok(applied) => {
                shared.flood_change(&applied.change);
                let Update::Tally(tally) = applied.update else {
                    return Err(Refused);
                };
                Reply::Ok(View::Tally(tally))
            }
            Err(error) => failed(target, &error),
        }
    };
    batch.reply(&reply);
    Ok(())
}
