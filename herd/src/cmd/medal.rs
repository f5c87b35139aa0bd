//! `MEDAL <team> <medal> <auth>`: Cacofonix awards a medal.

use bytes::Bytes;

use super::olympic_reply::tally_line;
use super::write_outcome::WriteOutcome;
use crate::shared::Shared;
use olympic::{Medal, Olympics, Update};

/// A parsed MEDAL.
#[derive(Clone, PartialEq, Eq)]
pub struct MedalWrite {
    /// The team as the client spelled it.
    team: String,
    /// Which medal.
    medal: Medal,
    /// The id offered; checked against the Cacofonix id, never printed.
    auth: Bytes,
}

impl std::fmt::Debug for MedalWrite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MedalWrite")
            .field("team", &self.team)
            .field("medal", &self.medal)
            .field("auth", &"<redacted>")
            .finish()
    }
}

impl MedalWrite {
    /// Three operands: team, medal (gold, silver or bronze, any case), auth.
    pub fn parse<'a>(mut it: impl Iterator<Item = &'a [u8]>) -> Option<Self> {
        let team = std::str::from_utf8(it.next()?).ok()?.to_owned();
        let medal = Olympics::medal(std::str::from_utf8(it.next()?).ok()?)?;
        let auth = Bytes::copy_from_slice(it.next()?);
        it.next().is_none().then_some(Self { team, medal, auth })
    }

    /// Checks the id, makes the increment durable, floods it, and answers
    /// with the team's new tally.
    pub async fn apply(self, shared: &Shared) -> WriteOutcome {
        let Some(team) = shared.olympics.team(&self.team).map(str::to_owned) else {
            return WriteOutcome::Invalid;
        };
        if !shared.cacofonix.matches(&self.auth) {
            return WriteOutcome::reply(format!("DENIED MEDAL {team} {}\n", self.medal));
        }
        match shared.olympics.increment(&team, self.medal).await {
            Ok(applied) => {
                shared.flood_change(&applied.change);
                match &applied.update {
                    Update::Tally(tally) => {
                        WriteOutcome::reply(format!("OK {}\n", tally_line(tally)))
                    }
                    Update::Score(_) => WriteOutcome::Invalid,
                }
            }
            Err(error) => WriteOutcome::failed(format!("MEDAL {team} {}", self.medal), &error),
        }
    }
}
