//! `MEDAL`: Cacofonix awards a medal.

use super::{Refused, failed};
use crate::batch::Batch;
use olympic::{Once, Update};
use proto::client::MedalWrite;
use proto::reply::{Reply, Target, View};

/// Checks the id, makes the increment durable, floods it, and answers
/// with the team's new tally; refused for an unknown team or an
/// idempotency key used for another write. A repeat of a keyed write is
/// answered with the tally and applies nothing.
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
        let written = match cmd.key {
            Some(key) => shared.olympics.increment_once(team, cmd.medal, key).await,
            None => shared
                .olympics
                .increment(team, cmd.medal)
                .await
                .map(Once::Applied),
        };
        match written {
            Ok(once) => {
                let Update::Tally(tally) = shared.applied(once) else {
                    return Err(Refused);
                };
                Reply::Ok(View::Tally(tally))
            }
            Err(olympic::OlympicError::KeyReused(_)) => return Err(Refused),
            Err(error) => failed(target, &error),
        }
    };
    batch.reply(&reply);
    Ok(())
}
