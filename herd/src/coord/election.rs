//! Leader election: the bully algorithm with terms, as a pure state
//! machine. It never reads a clock or touches a socket: it is fed the time,
//! the lines that reached this server and how many other servers it hears
//! ([`Members`](super::members::Members)), and answers with the lines to
//! flood. The task in [`super`] drives it; the tests drive it by hand.
//!
//! Servers are ranked by `(priority, name)`, greater wins. A server that
//! hears no leader for [`LEADER_TIMEOUT`] calls an election for a new term
//! (`ELECT`); every server that outranks the candidate answers `ALIVE` and
//! calls its own; a candidate that hears no `ALIVE` for [`ANSWER_WAIT`]
//! leads (`LEAD`, repeated every [`HEARTBEAT`]). A line from an older term
//! is ignored, so a stale leader cannot act. A returning server that
//! outranks the leader follows it first and takes over only after hearing
//! it without a gap for [`HOLD_DOWN`], so a flapping server cannot flap
//! the leadership. A server that hears nobody leads its own side at its
//! current term without calling an election, so an isolated server does not
//! inflate the term it brings back.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use proto::coord::Coord;

/// How often a leader repeats `LEAD`.
pub const HEARTBEAT: Duration = Duration::from_millis(200);

/// A follower that hears no `LEAD` for this long calls an election.
pub const LEADER_TIMEOUT: Duration = Duration::from_millis(800);

/// A candidate that hears no `ALIVE` for this long leads.
pub const ANSWER_WAIT: Duration = Duration::from_millis(300);

/// A candidate that was answered `ALIVE` waits this long for the `LEAD`
/// of whoever answered, then calls a new election.
pub const LEAD_WAIT: Duration = Duration::from_millis(1000);

/// A server that outranks the leader it follows takes over only after
/// hearing that leader without a gap this long.
pub const HOLD_DOWN: Duration = Duration::from_secs(3);

/// What this server is doing in the election.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Following `leader` (or waiting for one).
    Follower,
    /// Called an election at `since`; `answered` once someone outranking
    /// it said `ALIVE`.
    Candidate {
        /// When it called the election.
        since: Instant,
        /// Whether a server that outranks it answered.
        answered: bool,
    },
    /// Leading; the next heartbeat is due at `next_beat`.
    Leader {
        /// When the next `LEAD` goes out.
        next_beat: Instant,
        /// True when it took the lead hearing nobody: once it hears
        /// others it stands down and listens, so a server coming back from
        /// isolation follows the leader it finds (and the hold-down applies).
        solo: bool,
    },
}

/// One server's view of the election.
#[derive(Debug)]
pub struct Election {
    /// This server's name.
    me: String,
    /// Every configured server's priority (absent means 0).
    priorities: BTreeMap<String, i64>,
    /// The newest term seen; only grows.
    term: u64,
    /// The leader of `term`, once known.
    leader: Option<String>,
    role: Role,
    /// When `LEAD` from the leader was last heard (or a wait began).
    last_heard: Instant,
    /// Since when the current leader has been heard without a gap; the
    /// hold-down counts from here.
    following_since: Instant,
    /// Heartbeats sent; each `LEAD` line is new, so floods forward it.
    beat: u64,
}

impl Election {
    /// A server that has just started at `now`, knowing no leader.
    /// `first_beat` numbers its first heartbeat: a restarted server starts
    /// above the beats it sent before (the caller passes the wall clock in
    /// milliseconds), so no flood mistakes its new beats for old ones.
    pub fn new(me: &str, priorities: BTreeMap<String, i64>, now: Instant, first_beat: u64) -> Self {
        Self {
            me: me.to_owned(),
            priorities,
            term: 0,
            leader: None,
            role: Role::Follower,
            last_heard: now,
            following_since: now,
            beat: first_beat,
        }
    }

    /// The leader this server follows (itself when it leads), if known.
    pub fn leader(&self) -> Option<&str> {
        self.leader.as_deref()
    }

    /// The newest term this server has seen.
    pub fn term(&self) -> u64 {
        self.term
    }

    /// What this server is doing.
    pub fn role(&self) -> Role {
        self.role
    }

    /// True while this server leads its side.
    pub fn is_leader(&self) -> bool {
        matches!(self.role, Role::Leader { .. })
    }

    /// True if `a` outranks `b`.
    fn outranks(&self, a: &str, b: &str) -> bool {
        let rank = |n: &str| (self.priorities.get(n).copied().unwrap_or(0), n.to_owned());
        rank(a) > rank(b)
    }

    /// True if no configured server outranks this one.
    fn is_top(&self) -> bool {
        !self.priorities.keys().any(|n| self.outranks(n, &self.me))
    }

    /// Moves time on to `now`; `others` is how many other servers this one
    /// currently hears. Returns the lines to flood.
    pub fn tick(&mut self, now: Instant, others: usize) -> Vec<Coord> {
        match self.role {
            Role::Leader { solo: true, .. } if others > 0 => {
                self.role = Role::Follower;
                self.leader = None;
                self.last_heard = now;
                Vec::new()
            }
            Role::Leader { next_beat, solo } if now >= next_beat => vec![self.lead(now, solo)],
            Role::Leader { .. } => Vec::new(),
            Role::Candidate { since, answered } => {
                let waited = now.saturating_duration_since(since);
                if !answered && waited >= ANSWER_WAIT {
                    vec![self.lead(now, false)]
                } else if answered && waited >= ANSWER_WAIT + LEAD_WAIT {
                    self.call(now, others)
                } else {
                    Vec::new()
                }
            }
            Role::Follower => {
                let silent = now.saturating_duration_since(self.last_heard) >= LEADER_TIMEOUT;
                let take_over = self.leader.as_deref().is_some_and(|l| {
                    self.outranks(&self.me, l)
                        && now.saturating_duration_since(self.following_since) >= HOLD_DOWN
                });
                if silent || take_over {
                    self.call(now, others)
                } else {
                    Vec::new()
                }
            }
        }
    }

    /// Calls an election for a new term, or, hearing nobody, leads its own
    /// side at the current term.
    fn call(&mut self, now: Instant, others: usize) -> Vec<Coord> {
        if others == 0 {
            return vec![self.lead(now, true)];
        }
        self.term += 1;
        self.leader = None;
        self.role = Role::Candidate {
            since: now,
            answered: false,
        };
        let elect = Coord::Elect {
            origin: self.me.clone(),
            term: self.term,
        };
        if self.is_top() {
            // Nobody can answer: lead at once.
            return vec![elect, self.lead(now, false)];
        }
        vec![elect]
    }

    /// Becomes (or stays) the leader of the current term and beats.
    fn lead(&mut self, now: Instant, solo: bool) -> Coord {
        if self.leader.as_deref() != Some(&self.me) {
            tracing::info!(event = "leader_elected", leader = %self.me, term = self.term);
        }
        self.leader = Some(self.me.clone());
        self.role = Role::Leader {
            next_beat: now + HEARTBEAT,
            solo,
        };
        self.beat += 1;
        Coord::Lead {
            origin: self.me.clone(),
            term: self.term,
            beat: self.beat,
        }
    }

    /// Moves to `term` (newer than the current one), leader unknown.
    fn adopt(&mut self, term: u64, now: Instant) {
        self.term = term;
        self.leader = None;
        self.role = Role::Follower;
        self.last_heard = now;
    }

    /// Handles an election line that reached this server (its own lines
    /// never come back: floods drop what was seen). Returns lines to flood.
    pub fn receive(&mut self, line: &Coord, now: Instant, others: usize) -> Vec<Coord> {
        match line {
            Coord::Elect { origin, term } => self.on_elect(origin, *term, now, others),
            Coord::Alive {
                origin,
                term,
                candidate,
            } => {
                if *term > self.term {
                    self.adopt(*term, now);
                }
                if candidate == &self.me
                    && *term == self.term
                    && self.outranks(origin, &self.me)
                    && let Role::Candidate { since, .. } = self.role
                {
                    self.role = Role::Candidate {
                        since,
                        answered: true,
                    };
                }
                Vec::new()
            }
            Coord::Lead { origin, term, .. } => {
                self.on_lead(origin, *term, now);
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    fn on_elect(&mut self, origin: &str, term: u64, now: Instant, others: usize) -> Vec<Coord> {
        if term < self.term {
            // A stale candidate: a leader reminds it who leads now.
            return match self.role {
                Role::Leader { solo, .. } => vec![self.lead(now, solo)],
                _ => Vec::new(),
            };
        }
        if term > self.term {
            self.adopt(term, now);
        }
        if !self.outranks(&self.me, origin) {
            // A server that outranks this one is running: wait for it.
            if !matches!(self.role, Role::Leader { .. }) {
                self.role = Role::Follower;
                self.last_heard = now;
            }
            return Vec::new();
        }
        let alive = Coord::Alive {
            origin: self.me.clone(),
            term,
            candidate: origin.to_owned(),
        };
        let mut out = vec![alive];
        match self.role {
            Role::Leader { solo, .. } => out.push(self.lead(now, solo)),
            Role::Candidate { .. } => {}
            Role::Follower => out.extend(self.call(now, others)),
        }
        out
    }

    fn on_lead(&mut self, origin: &str, term: u64, now: Instant) {
        if term < self.term || origin == self.me {
            return;
        }
        let newer = term > self.term;
        let same_leader = self.leader.as_deref() == Some(origin);
        let accept = newer
            || self.leader.is_none()
            || same_leader
            || self
                .leader
                .as_deref()
                .is_some_and(|l| self.outranks(origin, l));
        if !accept {
            return;
        }
        self.term = term;
        if !same_leader {
            if self.is_leader() {
                tracing::info!(event = "leader_stepped_down", leader = %self.me, to = %origin, term);
            }
            self.following_since = now;
        } else if now.saturating_duration_since(self.last_heard) >= LEADER_TIMEOUT {
            // A gap: the hold-down starts again.
            self.following_since = now;
        }
        self.leader = Some(origin.to_owned());
        self.role = Role::Follower;
        self.last_heard = now;
    }
}
