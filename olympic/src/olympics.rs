//! The handle every task of a server shares: reads, local updates, merges of
//! peers' changes, and notifications.
//!
//! Every write follows one path: issue the change (sequence number, count
//! or stamp) under the lock, queue it to the journal in the same critical
//! section, wait until the journal has made it durable and applied it, and
//! only then answer. So a crashed server never reuses a number it handed
//! out, and never shows a change it could lose.
//!
//! A server writes under its *origin*, its name plus the incarnation of its
//! journal (see `origin.rs`): numbers, counts and the `seen` entry it keys
//! its own changes on all belong to that origin, so a server that lost its
//! journal starts a new origin instead of reusing numbers and counts the
//! herd already holds.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::broadcast;

use super::clock::{Clock, SystemClock};
use super::config::{Names, OlympicsConfig, check_server_name};
use super::error::OlympicError;
use super::journal::{FsyncObserver, Journal, JournalStats, Sink};
use super::payload::Snapshot;
use super::state::State;
use super::storage;
use super::view::{Applied, EventScore, Tally, Update};
pub use super::write_once::Once;
use proto::change::{Change, OpId};
use proto::idem::IdemKey;
use proto::medal::Medal;

/// Updates buffered per subscriber; one that falls further behind gets
/// `RecvError::Lagged` and should re-read the state.
pub const UPDATE_CAPACITY: usize = 1024;

/// Most origins whose changes one replica keeps track of. Each incarnation
/// of a server is one origin: a server that loses its journal (or finds it
/// damaged) comes back as a new one, and origins are never forgotten. The
/// herd has a handful of servers; the bound keeps the state, and so every
/// snapshot, small whatever peers send. Checked before a merge is queued, so
/// concurrent merges from new origins may pass it by a few.
pub const MAX_ORIGINS: usize = 256;

/// The in-memory state and the numbers handed out but maybe not yet applied.
#[derive(Debug, Default)]
pub(crate) struct Live {
    /// Everything durable, applied in journal order.
    pub(crate) state: State,
    /// Last operation number handed out by this server.
    issued_seq: u64,
    /// Last own count handed out per (team, medal).
    pub(crate) issued_counts: BTreeMap<(String, Medal), u64>,
    /// Last own stamp time handed out per event.
    pub(crate) issued_stamps: BTreeMap<String, i128>,
    /// Idempotency keys of this server's writes issued but not yet
    /// applied: a repeat meanwhile is refused rather than applied twice.
    pub(crate) pending_keys: BTreeSet<IdemKey>,
}

/// What the journal's writer shares with the handle.
#[derive(Debug)]
pub(crate) struct Core {
    /// Held only for short, synchronous sections, never across an `.await`,
    /// so a `std::sync::Mutex` is the right lock.
    live: Mutex<Live>,
    /// Every visible change, for subscribers.
    updates: broadcast::Sender<Update>,
}

impl Core {
    pub(crate) fn lock(&self) -> MutexGuard<'_, Live> {
        self.live.lock().expect("olympics lock poisoned")
    }
}

impl Sink for Core {
    fn apply(&self, change: &Change) -> Option<Update> {
        let update = self.lock().state.apply(change);
        if let Some(update) = &update {
            // No subscriber is not an error.
            let _ = self.updates.send(update.clone());
        }
        update
    }

    fn snapshot(&self) -> Snapshot {
        storage::snapshot_of(&self.lock().state)
    }
}

/// One server's replica of the Olympic state, durable in its journal.
/// Cheap to share in an `Arc`.
#[derive(Debug)]
pub struct Olympics {
    /// This server's name, as in the topology.
    server: String,
    /// The origin of this server's changes: `server` plus the incarnation of
    /// its journal (or the bare name, for a version-1 journal).
    pub(crate) origin: String,
    /// Configured teams and events.
    pub(crate) names: Names,
    /// Time source for score stamps.
    pub(crate) clock: Arc<dyn Clock>,
    /// State shared with the journal's writer.
    pub(crate) core: Arc<Core>,
    /// Makes changes durable.
    pub(crate) journal: Journal,
    /// `<data_dir>/<server>.journal`.
    path: PathBuf,
}

impl Olympics {
    /// Opens the replica of `server`, replaying `<data_dir>/<server>.journal`
    /// (created if missing, repaired if damaged), with the system clock for
    /// stamps. Holds `<data_dir>/<server>.lock` until the journal's writer
    /// stops ([`Olympics::close`] waits for that; a dropped handle's writer
    /// stops soon after): meanwhile another open of the same journal, in this
    /// process or another, fails with [`OlympicError::Locked`].
    pub async fn open(
        config: &OlympicsConfig,
        server: &str,
        data_dir: &Path,
    ) -> Result<Self, OlympicError> {
        Self::open_with_clock(config, server, data_dir, Arc::new(SystemClock::new())).await
    }

    /// Like [`Olympics::open`], with `clock` for stamps (for example a
    /// [`SystemClock`] whose offset clock synchronisation adjusts).
    pub async fn open_with_clock(
        config: &OlympicsConfig,
        server: &str,
        data_dir: &Path,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, OlympicError> {
        check_server_name(server)?;
        let names = Names::new(config)?;
        let path = storage::journal_path(data_dir, server);
        let opened = {
            let (dir, server, names) = (data_dir.to_owned(), server.to_owned(), names.clone());
            let compact_after = config.compact_after;
            tokio::task::spawn_blocking(move || storage::open(&dir, &server, &names, compact_after))
                .await
                .map_err(|_| OlympicError::Closed)??
        };
        let origins = opened.state.seen_all();
        if !origins.contains_key(&opened.origin) && origins.len() >= MAX_ORIGINS {
            tracing::warn!(
                origin = %opened.origin,
                origins = origins.len(),
                "this replica already tracks the most origins allowed: peers will refuse this origin's changes"
            );
        }
        let live = Live {
            issued_seq: opened.state.seen(&opened.origin),
            state: opened.state,
            ..Live::default()
        };
        let core = Arc::new(Core {
            live: Mutex::new(live),
            updates: broadcast::channel(UPDATE_CAPACITY).0,
        });
        let sink: Arc<dyn Sink> = core.clone();
        let journal = Journal::start(
            path.clone(),
            opened.file,
            opened.lock,
            opened.origin.clone(),
            opened.records,
            config.compact_after,
            sink,
        )?;
        Ok(Self {
            server: server.to_owned(),
            origin: opened.origin,
            names,
            clock,
            core,
            journal,
            path,
        })
    }

    /// This server's name.
    pub fn server(&self) -> &str {
        &self.server
    }

    /// The origin this server's changes carry: its name and the
    /// incarnation of its journal, `NAME/INC`.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The journal file.
    pub fn journal_path(&self) -> &Path {
        &self.path
    }

    /// Work done by the journal since open.
    pub fn journal_stats(&self) -> JournalStats {
        self.journal.stats()
    }

    /// From now on, tells `observer` how long each journal batch took to
    /// write and fsync. Only the first observer is kept.
    pub fn observe_fsyncs(&self, observer: Arc<dyn FsyncObserver>) {
        self.journal.observe_fsyncs(observer);
    }

    /// Why the journal refuses writes, if it has failed (a failed write,
    /// fsync or compaction; only a restart, which replays the file, clears it).
    pub fn journal_failure(&self) -> Option<&str> {
        self.journal.failure()
    }

    /// Every configured team, in configured spelling and order.
    pub fn teams(&self) -> &[String] {
        self.names.teams()
    }

    /// Every configured event, in configured spelling and order.
    pub fn events(&self) -> &[String] {
        self.names.events()
    }

    /// The configured spelling of team `name` (any case).
    pub fn team(&self, name: &str) -> Option<&str> {
        self.names.team(name)
    }

    /// The configured spelling of event `name` (any case).
    pub fn event(&self, name: &str) -> Option<&str> {
        self.names.event(name)
    }

    /// The medal named `name` (any case).
    pub fn medal(name: &str) -> Option<Medal> {
        Medal::parse(name)
    }

    /// The medal tally of team `name` (any case), or `None` if unknown.
    pub fn tally(&self, name: &str) -> Option<Tally> {
        let team = self.names.team(name)?;
        Some(self.core.lock().state.tally(team))
    }

    /// The score of event `name` (any case), or `None` if unknown.
    pub fn score(&self, name: &str) -> Option<EventScore> {
        let event = self.names.event(name)?;
        Some(self.core.lock().state.score(event, self.names.teams()))
    }

    /// Adds one `medal` to `team`'s tally. Returns once the change is durable
    /// and visible; the change in the result is for flooding to peers.
    pub async fn increment(&self, team: &str, medal: Medal) -> Result<Applied, OlympicError> {
        match self.increment_keyed(team, medal, None).await? {
            Once::Applied(applied) => Ok(applied),
            Once::Repeated(_) => unreachable!("a write without a key is never a repeat"),
        }
    }

    /// Like [`Olympics::increment`], under idempotency key `key`: if this
    /// replica holds the key (the write was made here or merged from a
    /// peer), nothing is applied and the answer is
    /// [`Once::Repeated`] with the team's tally. A key used for another
    /// write is [`OlympicError::KeyReused`]; one whose first write is still
    /// on its way to the journal here, [`OlympicError::KeyInFlight`].
    pub async fn increment_once(
        &self,
        team: &str,
        medal: Medal,
        key: IdemKey,
    ) -> Result<Once, OlympicError> {
        self.increment_keyed(team, medal, Some(key)).await
    }

    /// Sets the score of `event`: `scores` must give every configured team
    /// exactly once (names in any case). The stamp is the clock's time, or
    /// one nanosecond above the newest stamp this server has seen or issued
    /// for the event if the clock is behind it, so this server's own scores
    /// always move forward and win over every score it knew of.
    pub async fn set_score(
        &self,
        event: &str,
        scores: &[(String, i64)],
    ) -> Result<Applied, OlympicError> {
        match self.set_score_keyed(event, scores, None).await? {
            Once::Applied(applied) => Ok(applied),
            Once::Repeated(_) => unreachable!("a write without a key is never a repeat"),
        }
    }

    /// Like [`Olympics::set_score`], under idempotency key `key` (see
    /// [`Olympics::increment_once`]); a repeat answers the score the first
    /// write set.
    pub async fn set_score_once(
        &self,
        event: &str,
        scores: &[(String, i64)],
        key: IdemKey,
    ) -> Result<Once, OlympicError> {
        self.set_score_keyed(event, scores, Some(key)).await
    }

    /// Merges a change from a peer. Returns `Some` if it changed what
    /// readers see (the caller should forward it), `None` for a duplicate or
    /// a superseded change. Unknown teams or events are an error.
    pub async fn merge(&self, change: Change) -> Result<Option<Applied>, OlympicError> {
        let change = self.names.canonicalize(&change)?;
        {
            let live = self.core.lock();
            let seen = live.state.seen_all();
            if !live.state.would_change(&change) {
                return Ok(None);
            }
            let origin = &change.op().origin;
            if !seen.contains_key(origin) && seen.len() >= MAX_ORIGINS {
                return Err(OlympicError::TooManyOrigins(origin.clone()));
            }
            if *origin == self.origin && change.op().seq > live.issued_seq {
                // Only a journal replaced by an older copy of itself can get
                // here: numbers continue above this one from now on.
                tracing::warn!(
                    %origin,
                    seq = change.op().seq,
                    issued = live.issued_seq,
                    "a peer holds an operation of this server's origin that this server never issued"
                );
            }
        }
        let pending = self.journal.reserve().await?.send(change.clone());
        Ok(pending
            .wait()
            .await?
            .map(|update| Applied { change, update }))
    }

    /// The whole state as changes, for a link that just came up. Merging
    /// them into any replica brings it up to date with this one.
    pub fn snapshot(&self) -> Vec<Change> {
        self.core.lock().state.changes()
    }

    /// The highest operation number seen from each server.
    pub fn version_vector(&self) -> BTreeMap<String, u64> {
        self.core.lock().state.seen_all().clone()
    }

    /// Every visible change from now on, local or merged, in the order it
    /// was applied.
    pub fn subscribe(&self) -> broadcast::Receiver<Update> {
        self.core.updates.subscribe()
    }

    /// Stops the journal's writer once everything queued is durable, and
    /// waits for it. Dropping the handle does the same without waiting.
    pub async fn close(self) {
        self.journal.close().await;
    }

    /// The next operation number of this server.
    pub(crate) fn issue_op(&self, live: &mut Live) -> OpId {
        live.issued_seq = live.issued_seq.max(live.state.seen(&self.origin)) + 1;
        OpId {
            origin: self.origin.clone(),
            seq: live.issued_seq,
        }
    }
}
