//! The Olympic state every herd server replicates: medal tallies and event
//! scores, durable in a journal file of each server's own.
//!
//! # Model
//!
//! Tallies and scores are CRDTs, so replicas that receive the same changes in
//! any order, with any delays or duplicates, end up equal:
//!
//! * A server writes under an *origin*: its name plus the incarnation of
//!   its journal, `NAME/INC` ([`origin`]). A server whose journal cannot
//!   prove its history (missing or damaged) starts a new incarnation.
//! * A medal tally cell (team, medal) is a G-counter: one count per origin,
//!   the tally being their sum. An increment at server `S` raises the count
//!   of `S`'s origin by one and produces [`Change::Medal`] carrying the new
//!   count; merging keeps the larger count per origin, so an increment is
//!   never lost (later counts carry it) and never counted twice.
//! * An event's score is a last-writer-wins register stamped with
//!   (time in ns, origin); the greater stamp wins, equal times being decided
//!   by the origin string. A server's own stamps are above every stamp it has
//!   seen for the event, whatever its [`Clock`] says.
//! * Every change has an [`OpId`]: its origin and that origin's operation
//!   number, never reused, even across restarts.
//!
//! The herd's peer links send [`Olympics::snapshot`] (the whole state, a few
//! dozen lines) when a link comes up and whenever anti-entropy finds that
//! two replicas differ. Names are configured ([`OlympicsConfig`]), matched
//! ignoring case, and always written in configured spelling.
//!
//! # Durability
//!
//! Each server appends every change, its own and merged ones, to
//! `<data_dir>/<server>.journal` and syncs it before the change is applied or
//! acknowledged; concurrent writes share one fsync (group commit, see
//! [`journal`]). One process at a time holds a journal (`lock.rs`). At open
//! the file is replayed; damaged records are skipped and a torn end is cut
//! off, with warnings. Past `compact_after` records the file is atomically
//! replaced by a snapshot. Formats: [`record`] (bytes), `payload.rs` (record
//! contents), the change lines of [`proto::change`]; the whole story, with
//! the crash cases, is in `docs/STORAGE.md`.
//!
//! No networking here: the herd's line protocol and peer links call into
//! [`Olympics`].

pub mod clock;
pub mod config;
pub mod error;
pub mod journal;
mod keys;
mod lock;
mod olympics;
pub mod origin;
mod payload;
pub mod record;
mod replay;
mod state;
mod storage;
pub mod view;
mod write_once;

#[cfg(test)]
mod convergence_tests;
#[cfg(test)]
mod record_props;

pub use clock::{Clock, ManualClock, SystemClock};
pub use config::{DEFAULT_COMPACT_AFTER, MAX_NAME_LEN, MAX_NAMES, OlympicsConfig};
pub use error::OlympicError;
pub use journal::{FsyncObserver, JOURNAL_QUEUE, JournalStats};
pub use keys::{KEY_WINDOW_NS, MAX_KEYS};
pub use olympics::{MAX_ORIGINS, Olympics, Once, UPDATE_CAPACITY};
pub use proto::change::{Change, OpId, Stamp};
pub use proto::idem::{IdemKey, Keyed};
pub use proto::medal::Medal;
pub use state::MAX_VOIDS;
pub use view::{Applied, EventScore, Tally, Update};
