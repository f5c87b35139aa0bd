//! Writes under an idempotency key: whether a keyed write is new, a repeat
//! (answered with what the first write made, nothing applied), or a misuse
//! of a key, decided under the state lock in the same critical section that
//! issues the write, so two requests with one key at one server never both
//! apply.

use super::error::OlympicError;
use super::olympics::{Core, Live, Olympics};
use super::view::{Applied, EventScore, Update};
use proto::change::{Change, Stamp};
use proto::idem::{IdemKey, Keyed};
use proto::medal::Medal;

impl Olympics {
    pub(crate) async fn increment_keyed(
        &self,
        team: &str,
        medal: Medal,
        key: Option<IdemKey>,
    ) -> Result<Once, OlympicError> {
        let team = self
            .names
            .team(team)
            .ok_or_else(|| OlympicError::UnknownTeam(team.to_owned()))?;
        let slot = self.journal.reserve().await?;
        let (change, pending, _key_guard) = {
            let mut live = self.core.lock();
            let wanted = Issue::Medal { team, medal };
            let key = match check(&live, key.as_ref(), &wanted)? {
                Check::Repeat(repeated) => return Ok(Once::Repeated(repeated)),
                Check::Fresh => self.keyed(&mut live, key),
            };
            let op = self.issue_op(&mut live);
            let cell = (team.to_owned(), medal);
            let held = live.state.count(&self.origin, team, medal);
            let issued = live.issued_counts.entry(cell).or_default();
            *issued = (*issued).max(held) + 1;
            let count = *issued;
            let key = key.map(|key| Keyed {
                first: Some(self.tally_issued(&live, team)),
                ..key
            });
            let change = Change::Medal {
                op,
                team: team.to_owned(),
                medal,
                count,
                key,
            };
            let guard = PendingKey::new(&self.core, change.key());
            let pending = slot.send(change.clone());
            (change, pending, guard)
        };
        let update = pending.wait().await?;
        let first = change
            .key()
            .and_then(|k| k.first)
            .map(|first| tally_of(team, first));
        let update = first
            .or(update)
            .unwrap_or_else(|| Update::Tally(self.core.lock().state.tally(team)));
        Ok(Once::Applied(Applied { change, update }))
    }

    /// The tally of `team` as this server answers a write it issues now:
    /// what it holds, with every increment it issued counted, durable yet
    /// or not. Stored with a keyed write's key as its first answer.
    fn tally_issued(&self, live: &Live, team: &str) -> [u64; 3] {
        let tally = live.state.tally(team);
        let counts = [tally.gold, tally.silver, tally.bronze];
        let mut out = [0; 3];
        for ((slot, held), medal) in out.iter_mut().zip(counts).zip(Medal::ALL) {
            let own = live.state.count(&self.origin, team, medal);
            let issued = live
                .issued_counts
                .get(&(team.to_owned(), medal))
                .copied()
                .unwrap_or_default();
            *slot = held + issued.saturating_sub(own);
        }
        out
    }

    /// `key` stamped with the time of the write, registered as pending.
    fn keyed(&self, live: &mut Live, key: Option<IdemKey>) -> Option<Keyed> {
        let key = key?;
        live.pending_keys.insert(key.clone());
        Some(Keyed {
            key,
            at_ns: self.clock.now_ns(),
            first: None,
        })
    }

    /// Sets the score of `event`, under `key` if given.
    pub(crate) async fn set_score_keyed(
        &self,
        event: &str,
        scores: &[(String, i64)],
        key: Option<IdemKey>,
    ) -> Result<Once, OlympicError> {
        let event = self
            .names
            .event(event)
            .ok_or_else(|| OlympicError::UnknownEvent(event.to_owned()))?;
        let scores = self.names.scores(event, scores)?;
        let slot = self.journal.reserve().await?;
        let (change, pending, _key_guard) = {
            let mut live = self.core.lock();
            let wanted = Issue::Score {
                event,
                scores: &scores,
            };
            let key = match check(&live, key.as_ref(), &wanted)? {
                Check::Repeat(repeated) => return Ok(Once::Repeated(repeated)),
                Check::Fresh => self.keyed(&mut live, key),
            };
            let op = self.issue_op(&mut live);
            let now = self.clock.now_ns();
            let seen = live.state.stamp_time(event);
            let issued = live.issued_stamps.get(event).copied();
            let floor = seen.max(issued).map_or(i128::MIN, |t| t.saturating_add(1));
            let stamp_ns = now.max(floor);
            live.issued_stamps.insert(event.to_owned(), stamp_ns);
            let change = Change::Score {
                op,
                event: event.to_owned(),
                stamp_ns,
                scores,
                key,
            };
            let guard = PendingKey::new(&self.core, change.key());
            let pending = slot.send(change.clone());
            (change, pending, guard)
        };
        let update = pending.wait().await?;
        let update = update.unwrap_or_else(|| {
            Update::Score(self.core.lock().state.score(event, self.names.teams()))
        });
        Ok(Once::Applied(Applied { change, update }))
    }
}

/// The update that shows `team` with gold, silver and bronze `counts`.
fn tally_of(team: &str, [gold, silver, bronze]: [u64; 3]) -> Update {
    Update::Tally(proto::reply::Tally {
        team: team.to_owned(),
        gold,
        silver,
        bronze,
    })
}

/// What a keyed write did.
#[derive(Debug, Clone)]
pub enum Once {
    /// The write was new and is now durable; flood the change.
    Applied(Applied),
    /// The key was already held: nothing was applied. For a medal, the
    /// tally the first write answered (the team's tally now, for a key
    /// merged from a line written without it); for a score, the score the
    /// first write set.
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
            Change::Medal {
                team, medal, key, ..
            },
            Issue::Medal {
                team: want_team,
                medal: want_medal,
            },
        ) if team == want_team && medal == want_medal => {
            let first = key.as_ref().and_then(|k| k.first);
            Ok(Check::Repeat(first.map_or_else(
                || Update::Tally(live.state.tally(team)),
                |first| tally_of(team, first),
            )))
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
