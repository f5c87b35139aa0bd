//! The raffle's verbs (`RAFFLE`, `COUNT`, `RELAY`, `DRAW`), and which
//! client commands count in the raffle's total order ([`counted`]).

use super::Refused;
use crate::batch::Batch;
use crate::order::{Counted, DRAW_REQUEST};
use proto::client::{Command, RaffleCommand, RaffleReply};

/// Answers a raffle command. `RELAY` is also noted by the connection.
pub async fn apply(cmd: RaffleCommand, batch: &mut Batch<'_>) -> Result<(), Refused> {
    let shared = batch.stored();
    let reply = match cmd {
        RaffleCommand::Show => RaffleReply::Raffle(shared.order.raffle_json()),
        RaffleCommand::Relay => RaffleReply::Relay,
        RaffleCommand::Count(pairs) => {
            let n = pairs.len() as u64;
            for (tablet, request) in pairs {
                count(shared, Counted::new(&tablet, &request)).await;
            }
            RaffleReply::Counted(n)
        }
        RaffleCommand::Draw { auth, tablet } => {
            if shared.cacofonix.matches(auth.expose()) {
                count(shared, Counted::new(&tablet, DRAW_REQUEST)).await;
                RaffleReply::DrawQueued
            } else {
                RaffleReply::DrawDenied
            }
        }
    };
    batch.push(&reply.to_vec());
    Ok(())
}

/// Hands `counted` to the orderer, waiting for room if its queue is full.
async fn count(shared: &crate::shared::Shared, counted: Counted) {
    if let Some(counted) = shared.order.offer(counted) {
        shared.order.submit(counted).await;
    }
}

/// The request `command` counts as, made by `requester`: the Olympic
/// line verbs, named as the REST operations they match.
pub fn counted(command: &Command, requester: &str) -> Option<Counted> {
    let request = match command {
        Command::Tally(q) => format!("getMedalTally/{}", q.team.as_str()),
        Command::Score(q) => format!("getScore/{}", q.event.as_str()),
        Command::Medal(w) => format!("incrementMedalTally/{}", w.team.as_str()),
        Command::SetScore(w) => format!("setScore/{}", w.event().as_str()),
        _ => return None,
    };
    Some(Counted::new(requester, &request))
}
