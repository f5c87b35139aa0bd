//! The raffle's total order: every counted Olympic request, whichever
//! server took it, is delivered at every server in one order by
//! Lamport-clock totally ordered multicast, and every `[raffle] every`-th
//! delivered request is a raffle entry.
//!
//! - [`engine`]: the state machine — Lamport clock, per-origin FIFO
//!   streams ([`inbound`]), hold-back queue, stability ("every member
//!   holds it and has been seen past it"), delivery in (Lamport, name)
//!   order.
//! - [`view`]: the view change run by the elected leader of a majority.
//! - [`raffle`]: entries and the draw.
//! - [`journal`]: the requests a server took and the delivered sequence,
//!   fsynced in the data directory.
//! - [`task`]: the glue — a bounded channel from the connections, the
//!   peer links, the journal, `RAFFLE`.
//!
//! The lines are [`proto::order`]; docs/COORDINATION.md tells the story.

pub mod engine;
pub mod inbound;
pub mod journal;
pub mod raffle;
#[cfg(test)]
mod sim_tests;
pub mod task;
pub mod view;

use std::time::Duration;

pub use engine::{Delivered, Engine, Output, View};
pub use raffle::{DRAW_REQUEST, Entry, Raffle};
pub use task::{Counted, Orderer, handle, run};
pub use view::Observed;

/// How often the ordering task moves time on: beacons go out at most this
/// often, so it bounds the ordering latency at idle.
pub const TICK: Duration = Duration::from_millis(5);

/// A server beacons its clock this often even when nothing changed, so a
/// lost beacon is made up for.
pub const IDLE_BEACON: Duration = Duration::from_millis(250);

/// A gap in an origin's stream open this long is asked for (`OWANT`), and
/// asked again this often.
pub const WANT_AFTER: Duration = Duration::from_millis(100);

/// Most requests (or delivered entries) one `OWANT` (or `OFETCH`) is
/// answered with.
pub const MAX_RESEND: usize = 512;

/// Delivered requests kept in memory for resends and catch-up.
pub const RETAIN: usize = 65_536;
