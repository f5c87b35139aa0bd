//! Writes under an idempotency key: whether a keyed write is new, a repeat
//! (answered with what the first write made, nothing applied), or a misuse
//! of a key, decided under the state lock in the same critical section that
//! issues the write, so two requests with one key at one server never both
//! apply.

use super::error::OlympicError;
use super::olympics::{Core, Live};
use super::view::{Applied, EventScore, Update};
use proto::change::{Change, Stamp};
use proto::idem::{IdemKey, Keyed};
use proto::medal::Medal;

/// What a keyed write did.
#[derive(Debug, Clone)]
pub enum Once {
    /// The write was new and is now durable; flood the change.
    Applied(Applied),
    /// The key was already held: nothing was applied. For a medal, the
    /// team's tally now (which holds the first write); for a score, the
    /// score the first write set.
    Repeated(Update),
}

/// The write a key is offered with, in canonical names.
pub(crate) enum Issue<'a> {
    /// One medal for a team.
    Medal {
        /// The team.
        team: &'a str,
        /// The medal.
        medal: Medal,
    },
    /// The score of an event.
    Score {
        /// The event.
        event: &'a str,
        /// Every team's score, in configured order.
        scores: &'a [(String, i64)],
    },
}

/// Whether a write goes ahead.
pub(crate) enum Check {
    /// No key, or a key never seen here: apply it.
    Fresh,
    /// The key's write is held: answer this, apply nothing.
    Repeat(Update),
}

/// Decides what `key` means for `wanted` given what `live` holds. A key
/// held for another write is [`OlympicError::KeyReused`]; one whose first
/// write is still being made durable here, [`OlympicError::KeyInFlight`].
pub(crate) fn check(
    live: &Live,
    key: Option<&IdemKey>,
    wanted: &Issue<'_>,
) -> Result<Check, OlympicError> {
    let Some(key) = key else {
        return Ok(Check::Fresh);
    };
    if live.pending_keys.contains(key) {
        return Err(OlympicError::KeyInFlight(key.to_string()));
    }
    let Some(first) = live.state.keyed(key) else {
        return Ok(Check::Fresh);
    };
    match (first, wanted) {
        (
            Change::Medal { team, medal, .. },
            Issue::Medal {
                team: want_team,
                medal: want_medal,
            },
        ) if team == want_team && medal == want_medal => {
            Ok(Check::Repeat(Update::Tally(live.state.tally(team))))
        }
        (
            Change::Score {
                op,
                event,
                stamp_ns,
                scores,
                ..
            },
            Issue::Score {
                event: want_event,
                scores: want_scores,
            },
        ) if event == want_event && scores == want_scores => {
            Ok(Check::Repeat(Update::Score(EventScore {
                event: event.clone(),
                scores: scores.clone(),
                stamp: Some(Stamp {
                    time_ns: *stamp_ns,
                    origin: op.origin.clone(),
                }),
            })))
        }
        _ => Err(OlympicError::KeyReused(key.to_string())),
    }
}

/// Keeps a key in [`Live::pending_keys`] while its write is on its way to
/// the journal, and takes it out when dropped (the write done, failed or
/// abandoned).
pub(crate) struct PendingKey<'a> {
    /// Whose pending set holds the key.
    core: &'a Core,
    /// The key, if the write had one.
    key: Option<IdemKey>,
}

impl<'a> PendingKey<'a> {
    /// A guard for the key of `keyed`, already inserted by the caller.
    pub(crate) fn new(core: &'a Core, keyed: Option<&Keyed>) -> Self {
        Self {
            core,
            key: keyed.map(|k| k.key.clone()),
        }
    }
}

impl Drop for PendingKey<'_> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            self.core.lock().pending_keys.remove(&key);
        }
    }
}
