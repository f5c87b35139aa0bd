//! What each client command does to the server: one file per command, each
//! holding only its `apply`. How a command is read and how its reply is
//! written is the protocol crate's business ([`proto::client`],
//! [`proto::reply`]); here a command meets the server's state.
//!
//! Every `apply` answers into the connection's [`Batch`], which reaches the
//! state only with the batch's IAMAT reports stored. One that finds the
//! command unanswerable (an unknown client, team or event) returns
//! [`Refused`], and the line is echoed with `? `, as an invalid one is.

mod coord;
mod iamat;
mod medal;
mod names;
pub mod raffle;
mod score;
mod set_score;
mod status;
pub mod subscribe;
mod tally;
mod version;
mod whatsat;

pub use subscribe::{Feed, Topics};

use std::time::SystemTime;

use bytes::Bytes;

use crate::batch::Batch;
use olympic::OlympicError;
use proto::client::{Command, Invalid, RaffleCommand};
use proto::reply::{Failed, Reply, Target};

/// A well-formed command that names something the server does not know:
/// answered like an invalid line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refused;

/// Applies `command`, read from `line` at `received`, for a connection
/// whose replies gather in `batch` and whose subscription is `feed`.
pub async fn apply(
    command: Command,
    line: &Bytes,
    received: SystemTime,
    batch: &mut Batch<'_>,
    feed: &mut Feed,
) {
    let applied = match command {
        Command::IAmAt(cmd) => iamat::apply(cmd, received, batch),
        Command::WhatsAt(cmd) => whatsat::apply(cmd, batch).await,
        Command::Names(cmd) => names::apply(cmd, batch),
        Command::Tally(cmd) => tally::apply(cmd, batch),
        Command::Score(cmd) => score::apply(cmd, batch),
        Command::Medal(cmd) => medal::apply(cmd, batch).await,
        Command::SetScore(cmd) => set_score::apply(cmd, batch).await,
        Command::Subscribe(cmd) => subscribe::apply(cmd, batch, feed),
        Command::Status(_) => status::apply(batch),
        Command::Coord(query) => coord::apply(query, batch),
        Command::Raffle(cmd) => raffle::apply(cmd, batch).await,
        Command::Version(_) => version::apply(batch),
        Command::KeepAlive(cmd) => {
            batch.push(cmd.reply());
            Ok(())
        }
        Command::Invalid(_) => Err(Refused),
    };
    if applied == Err(Refused) {
        batch.reply(&Reply::Invalid(Invalid::new(line.clone())));
    }
}

/// True when applying may wait on something slow (an upstream request,
/// an fsync), so replies already gathered should be written first.
pub fn may_wait(command: &Command) -> bool {
    matches!(
        command,
        Command::WhatsAt(_)
            | Command::Medal(_)
            | Command::SetScore(_)
            | Command::Raffle(RaffleCommand::Count(_) | RaffleCommand::Draw { .. })
    )
}

/// `FAILED <target> <reason>`: a write that could not be made durable, and
/// was not applied; logged, since the client may not say.
fn failed(target: Target, error: &OlympicError) -> Reply {
    tracing::error!(event = "olympic_write_failed", write = %target, error = %error);
    Reply::Failed(Failed::new(target, &error.to_string()))
}
