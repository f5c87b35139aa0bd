//! Coordination across the herd: who leads this server's side
//! ([`election`]), who this server hears ([`members`]), and the leader's
//! Berkeley rounds that keep every server's clock on one time
//! ([`berkeley`], applied to this server's [`SystemClock`]).
//!
//! The lines ([`proto::coord`]) travel over the authenticated peer links.
//! The topology is not a full mesh, so every line is flooded: each server
//! handles and forwards a line the first time it sees it ([`seen`]) and
//! drops it after that. A task ([`run`]) moves time on every [`TICK`];
//! the link's read loop hands every coordination line to [`handle`].
//! docs/COORDINATION.md tells the whole story.

pub mod berkeley;
pub mod election;
pub mod members;
pub mod seen;
#[cfg(test)]
mod sim_tests;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use base::topology::{ClockTarget, Topology};
use olympic::{Clock, SystemClock};
use proto::coord::Coord;
use proto::peer::Message;
use proto::timestamp::now_nanos;

use crate::shared::Shared;
use berkeley::Berkeley;
use election::Election;
use members::Members;
use seen::Seen;

/// How often the coordination task moves time on.
pub const TICK: Duration = Duration::from_millis(25);

/// What coordination needs from the topology.
#[derive(Debug, Clone)]
pub struct CoordConfig {
    /// Every configured server's `priority` (absent means 0).
    pub priorities: BTreeMap<String, i64>,
    /// `[clock] sync_interval_ms`.
    pub sync_interval: Duration,
    /// `[clock] max_deviation_ms`.
    pub max_deviation: Duration,
    /// `[clock] target`.
    pub target: ClockTarget,
}

impl CoordConfig {
    /// The settings `topology` gives.
    pub fn of(topology: &Topology) -> Self {
        Self {
            priorities: topology
                .servers
                .iter()
                .map(|(name, spec)| (name.clone(), spec.priority.unwrap_or(0)))
                .collect(),
            sync_interval: Duration::from_millis(topology.clock.sync_interval_ms),
            max_deviation: Duration::from_millis(topology.clock.max_deviation_ms),
            target: topology.clock.target,
        }
    }

    /// A herd of `names` with every default.
    pub fn of_names(names: &[&str]) -> Self {
        Self {
            priorities: names.iter().map(|n| (n.to_string(), 0)).collect(),
            sync_interval: Duration::from_millis(base::topology::DEFAULT_SYNC_INTERVAL_MS),
            max_deviation: Duration::from_millis(base::topology::DEFAULT_MAX_DEVIATION_MS),
            target: ClockTarget::default(),
        }
    }
}

/// What `LEADER`, `STATUS` and `/health` show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct View {
    /// The leader of this server's side, if known.
    pub leader: Option<String>,
    /// The newest term this server knows.
    pub term: u64,
    /// This server's clock offset now, in nanoseconds.
    pub offset_ns: i64,
    /// Whether this server's side holds a majority of the configured servers.
    pub majority: bool,
}

/// The state machines, behind one lock held for a few steps, never across
/// an `.await`.
#[derive(Debug)]
struct State {
    election: Election,
    members: Members,
    berkeley: Berkeley,
    seen: Seen,
}

/// One server's coordination. Lives in [`Shared`].
#[derive(Debug)]
pub struct Coordination {
    me: String,
    /// Every timestamp the server makes comes from here.
    clock: Arc<SystemClock>,
    state: Mutex<State>,
}

impl Coordination {
    /// Coordination for server `me` under `config`, keeping `clock`.
    pub fn new(me: &str, config: &CoordConfig, clock: Arc<SystemClock>) -> Self {
        // Counters start from the wall clock, so a restarted server's lines
        // are new to the floods' memory.
        let first = (now_nanos() / 1_000_000) as u64;
        Self::new_at(me, config, clock, Instant::now(), first)
    }

    /// Like [`Coordination::new`], starting at `now` with counters from
    /// `first` (simulations pass their own).
    pub fn new_at(
        me: &str,
        config: &CoordConfig,
        clock: Arc<SystemClock>,
        now: Instant,
        first: u64,
    ) -> Self {
        let servers: Vec<String> = config.priorities.keys().cloned().collect();
        let state = State {
            election: Election::new(me, config.priorities.clone(), now, first),
            members: Members::new(me, &servers, now, first),
            berkeley: Berkeley::new(
                me,
                &servers,
                config.sync_interval,
                config.max_deviation,
                config.target,
                now,
                first,
            ),
            seen: Seen::default(),
        };
        Self {
            me: me.to_owned(),
            clock,
            state: Mutex::new(state),
        }
    }

    /// True while this server leads its side.
    pub fn is_leader(&self) -> bool {
        self.state().election.is_leader()
    }

    /// The synchronised clock.
    pub fn clock(&self) -> &Arc<SystemClock> {
        &self.clock
    }

    /// The synchronised time now, in nanoseconds since the epoch.
    pub fn now_ns(&self) -> i128 {
        self.clock.now_ns()
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The leader, term, offset and majority as of now.
    pub fn view(&self) -> View {
        self.view_at(Instant::now())
    }

    /// The leader, term, offset and majority as of `now`.
    pub fn view_at(&self, now: Instant) -> View {
        let state = self.state();
        View {
            leader: state.election.leader().map(str::to_owned),
            term: state.election.term(),
            offset_ns: self.clock.offset_ns(),
            majority: state.members.has_majority(now),
        }
    }

    /// The other servers this one hears now, in name order.
    pub fn side(&self) -> Vec<String> {
        let now = Instant::now();
        let state = self.state();
        state
            .members
            .side(now)
            .into_iter()
            .map(str::to_owned)
            .collect()
    }

    /// Moves time on to `now`: beacons, election timers, Berkeley rounds.
    /// Returns the new lines to flood to every neighbour.
    pub fn tick(&self, now: Instant) -> Vec<Coord> {
        let mut state = self.state();
        let others = state.members.others(now);
        let mut out: Vec<Coord> = state.members.beacon(now).into_iter().collect();
        out.extend(state.election.tick(now, others));
        let leading = state.election.is_leader().then(|| state.election.term());
        if let Some(line) = state.berkeley.tick(now, leading) {
            if let Coord::Adjust { adjustments, .. } = &line {
                self.apply_own(adjustments);
            }
            out.push(line);
        }
        for line in &out {
            state.seen.first_time(&line_bytes(line));
        }
        out
    }

    /// Handles a line that arrived at `now`. Returns whether to forward it
    /// (false for a line seen before) and the new lines it caused.
    pub fn receive(&self, line: &Coord, now: Instant) -> (bool, Vec<Coord>) {
        let mut state = self.state();
        if !state.seen.first_time(&line_bytes(line)) {
            return (false, Vec::new());
        }
        state.members.heard(line.origin(), now);
        let others = state.members.others(now);
        let mut out = Vec::new();
        let mut forward = true;
        match line {
            Coord::Here { .. } => {}
            Coord::Elect { .. } | Coord::Alive { .. } | Coord::Lead { .. } => {
                out = state.election.receive(line, now, others);
            }
            Coord::Poll {
                leader,
                term,
                round,
            } if *term >= state.election.term() => out.push(Coord::Reading {
                origin: self.me.clone(),
                leader: leader.clone(),
                round: *round,
                clock_ns: self.clock.target_now_ns(),
            }),
            Coord::Reading {
                origin,
                leader,
                round,
                clock_ns,
            } if *leader == self.me => {
                forward = false;
                let mine = self.clock.target_now_ns();
                state.berkeley.reading(origin, *round, *clock_ns, now, mine);
            }
            Coord::Adjust {
                term, adjustments, ..
            } if *term >= state.election.term() => self.apply_own(adjustments),
            // A stale leader's poll or adjustment: forwarded (others may
            // still be in its term) but not acted on here.
            Coord::Poll { .. } | Coord::Reading { .. } | Coord::Adjust { .. } => {}
        }
        for line in &out {
            state.seen.first_time(&line_bytes(line));
        }
        (forward, out)
    }

    /// Applies this server's entry of a `TADJ`, if it has one.
    fn apply_own(&self, adjustments: &[(String, i64)]) {
        if let Some((_, delta)) = adjustments.iter().find(|(n, _)| *n == self.me) {
            self.clock.adjust(*delta);
            tracing::debug!(
                event = "clock_adjusted",
                delta_ns = delta,
                offset_ns = self.clock.offset_ns()
            );
        }
    }
}

/// The line as written, to remember it by.
fn line_bytes(line: &Coord) -> bytes::BytesMut {
    let mut buf = bytes::BytesMut::new();
    line.write(&mut buf);
    buf
}

/// Handles a coordination line from neighbour `from`: forwards it to every
/// other neighbour the first time, and floods what it caused.
pub fn handle(shared: &Shared, from: &str, line: Coord) {
    let (forward, out) = shared.coord.receive(&line, Instant::now());
    if forward {
        shared.peers.flood_update(&Message::Coord(line), Some(from));
    }
    for line in out {
        shared.peers.flood_update(&Message::Coord(line), None);
    }
}

/// Moves coordination on every [`TICK`] until `shutdown`.
pub async fn run(shared: Arc<Shared>, shutdown: CancellationToken) {
    let mut ticks = tokio::time::interval(TICK);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            () = shutdown.cancelled() => return,
        }
        for line in shared.coord.tick(Instant::now()) {
            shared.peers.flood_update(&Message::Coord(line), None);
        }
    }
}
