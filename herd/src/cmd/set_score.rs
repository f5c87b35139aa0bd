//! `SETSCORE`: Cacofonix sets an event's score.

use super::{Refused, failed};
use crate::batch::Batch;
use olympic::{Olympics, Once, Update};
use proto::client::SetScoreWrite;
use proto::reply::{Reply, Target, View};

/// Checks the names and the id, makes the score durable, floods it, and
/// answers with the event's new score; refused for an unknown event, a
/// set of teams that is not every team once, or an idempotency key used for
/// another write. A repeat of a keyed write answers the score it set.
pub async fn apply(cmd: SetScoreWrite, batch: &mut Batch<'_>) -> Result<(), Refused> {
    let shared = batch.stored();
    let olympics = &shared.olympics;
    let event = olympics.event(cmd.event().as_str()).ok_or(Refused)?;
    let scores = every_team_once(olympics, &cmd)?;
    let target = Target::SetScore {
        event: event.to_owned(),
    };
    let reply = if !shared.cacofonix.matches(cmd.auth().expose()) {
        Reply::Denied(target)
    } else {
        let written = match cmd.key() {
            Some(key) => olympics.set_score_once(event, &scores, key.clone()).await,
            None => olympics.set_score(event, &scores).await.map(Once::Applied),
        };
        match written {
            Ok(once) => {
                let Update::Score(score) = shared.applied(once) else {
                    return Err(Refused);
                };
                Reply::Ok(View::Score(score.shown()))
            }
            Err(olympic::OlympicError::KeyReused(_)) => return Err(Refused),
            Err(error) => failed(target, &error),
        }
    };
    batch.reply(&reply);
    Ok(())
}

/// The scores in configured spelling, if they name every team exactly once.
fn every_team_once(
    olympics: &Olympics,
    cmd: &SetScoreWrite,
) -> Result<Vec<(String, i64)>, Refused> {
    let mut scores: Vec<(String, i64)> = Vec::with_capacity(cmd.scores().len());
    for (team, score) in cmd.scores() {
        match olympics.team(team.as_str()) {
            Some(team) if !scores.iter().any(|(t, _)| t == team) => {
                scores.push((team.to_owned(), *score));
            }
            _ => return Err(Refused),
        }
    }
    if scores.len() != olympics.teams().len() {
        return Err(Refused);
    }
    Ok(scores)
}
