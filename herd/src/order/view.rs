//! The view change: the elected leader of a side that holds a majority
//! removes members unheard for `suspect_ms` and adds servers that came
//! back, by a flush.
//!
//! 1. The leader floods `OPROP` with the new view's members, its own view
//!    and its delivered position. Every proposed member stops delivering.
//! 2. A member in the leader's view answers `OFLUSH` at once with, for
//!    every origin, the last request it holds in sequence. A member from
//!    another view (one that comes back) first catches up the delivered
//!    sequence to the leader's position (`OFETCH`/`OLOG`), then answers.
//! 3. With every answer in, the leader floods `OVIEW`: the members and the
//!    *cut*, for every origin the greatest sequence number any member
//!    holds. No answer within [`FLUSH_TIMEOUT`] and it proposes again.
//! 4. Each member asks for what it misses up to the cut (`OWANT`), then
//!    delivers everything up to the cut in (Lamport, name) order — the
//!    same requests at every member, since a request delivered anywhere
//!    was held by every member — and installs the view. Requests past the
//!    cut are ordered in the new view; those of a server outside it wait
//!    until it rejoins.
//!
//! Step 4 is in `view/install.rs`; the catch-up of a member coming back
//! (`OFETCH`/`OLOG`) in `view/catchup.rs`.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use proto::order::Order;

use super::engine::{Engine, View};

mod catchup;
mod install;

/// How long the leader waits for every flush before proposing again.
pub const FLUSH_TIMEOUT: Duration = Duration::from_secs(3);

/// How long a server outside the view must be heard without a gap
/// before the leader adds it back.
pub const REJOIN_AFTER: Duration = Duration::from_secs(1);

/// How often a member catching up asks again for the delivered sequence.
pub const FETCH_EVERY: Duration = Duration::from_millis(100);

/// What coordination tells the orderer on every tick.
#[derive(Debug, Clone, Default)]
pub struct Observed {
    /// This server leads its side.
    pub leader: bool,
    /// Its side holds a majority of the configured servers.
    pub majority: bool,
    /// The other servers it hears now.
    pub side: Vec<String>,
}

/// A proposal this server answers, with every delivery stopped.
#[derive(Debug, Clone)]
struct Frozen {
    view: u64,
    leader: String,
    prev: u64,
    position: u64,
    members: BTreeSet<String>,
    flushed: bool,
    since: Instant,
    last_fetch: Option<Instant>,
}

/// A proposal this server leads.
#[derive(Debug, Clone)]
struct Leading {
    view: u64,
    members: BTreeSet<String>,
    flushes: BTreeMap<String, Vec<(String, u64)>>,
    deadline: Instant,
}

/// A view to install once the cut is held.
#[derive(Debug, Clone)]
struct Installing {
    view: u64,
    members: BTreeSet<String>,
    /// The old view's members: their requests up to the cut are delivered
    /// first (a member may have delivered some already, in this order),
    /// then those of servers outside it (nobody has delivered any).
    old: BTreeSet<String>,
    cut: BTreeMap<String, u64>,
}

/// The view change state of one server.
#[derive(Debug)]
pub struct Change {
    /// When each other configured server was last heard.
    heard: BTreeMap<String, Instant>,
    /// Since when each server has been heard without a gap.
    heard_since: BTreeMap<String, Instant>,
    /// The greatest view id seen in any line.
    highest: u64,
    frozen: Option<Frozen>,
    leading: Option<Leading>,
    installing: Option<Installing>,
    /// `OLOG` lines that came ahead of their position, bounded.
    log_ahead: BTreeMap<u64, (u64, proto::order::Stamped)>,
}

impl Change {
    /// Nothing in progress; everyone counts as heard at `now`.
    pub fn new(servers: &[String], now: Instant) -> Self {
        Self {
            heard: servers.iter().map(|s| (s.clone(), now)).collect(),
            heard_since: servers.iter().map(|s| (s.clone(), now)).collect(),
            highest: 1,
            frozen: None,
            leading: None,
            installing: None,
            log_ahead: BTreeMap::new(),
        }
    }

    /// True while a proposal is answered: nothing is delivered normally.
    pub fn is_active(&self) -> bool {
        self.frozen.is_some() || self.installing.is_some()
    }

    /// Notes a view id seen in a line.
    pub fn note_view(&mut self, view: u64) {
        self.highest = self.highest.max(view);
    }

    /// True when `origin`'s requests are ordered in `view` or the proposed
    /// one (then only the origin answers asks for them).
    pub fn counts(&self, origin: &str, view: &View) -> bool {
        view.members.contains(origin)
            || self
                .frozen
                .as_ref()
                .is_some_and(|f| f.members.contains(origin))
    }
}

impl Engine {
    /// Handles `OPROP`, `OFLUSH`, `OVIEW`, `OFETCH` and `OLOG`.
    pub(super) fn receive_change(&mut self, line: &Order, now: Instant) {
        match line {
            Order::Propose {
                leader,
                view,
                prev,
                position,
                members,
            } => {
                self.change.note_view(*view);
                let answered = self.change.frozen.as_ref().map_or(self.view.id, |f| f.view);
                if *view > answered && members.contains(&self.me) {
                    self.change.frozen = Some(Frozen {
                        view: *view,
                        leader: leader.clone(),
                        prev: *prev,
                        position: *position,
                        members: members.iter().cloned().collect(),
                        flushed: false,
                        since: now,
                        last_fetch: None,
                    });
                    self.flush_if_ready(now);
                }
            }
            Order::Flush { origin, view, held } => {
                if let Some(lead) = self.change.leading.as_mut()
                    && lead.view == *view
                    && lead.members.contains(origin)
                {
                    lead.flushes.insert(origin.clone(), held.clone());
                    self.finish_flush();
                }
            }
            Order::Install {
                view,
                members,
                old,
                cut,
                ..
            } => self.receive_install(*view, members, old, cut),
            Order::Fetch { asker, from, .. } if *asker != self.me => {
                self.answer_fetch(asker, *from)
            }
            Order::Log {
                to,
                position,
                view,
                req,
                ..
            } if *to == self.me => {
                if *position > self.raffle.ordered() && self.change.log_ahead.len() < RETAIN_AHEAD {
                    self.change
                        .log_ahead
                        .insert(*position, (*view, req.clone()));
                }
                self.apply_log();
                self.flush_if_ready(now);
            }
            _ => {}
        }
    }

    /// Moves the view change on: notes who is heard, proposes a view if
    /// this server leads a majority and the view is wrong, and keeps a
    /// proposal or a catch-up going.
    pub fn observe(&mut self, now: Instant, seen: &Observed) {
        for name in &seen.side {
            self.change.heard.insert(name.clone(), now);
        }
        for name in &self.servers {
            if *name != self.me && !seen.side.contains(name) {
                self.change.heard_since.insert(name.clone(), now);
            }
        }
        self.flush_if_ready(now);
        if let Some(lead) = &self.change.leading
            && now >= lead.deadline
        {
            tracing::warn!(event = "view_change_timed_out", view = lead.view);
            self.change.leading = None;
        }
        if !seen.leader || !seen.majority || self.change.leading.is_some() {
            return;
        }
        let stuck = self
            .change
            .frozen
            .as_ref()
            .is_some_and(|f| now.saturating_duration_since(f.since) >= FLUSH_TIMEOUT);
        let wanted = self.wanted_members(now);
        let quorum = wanted.len() * 2 > self.servers.len();
        if quorum && self.change.installing.is_none() && (wanted != self.view.members || stuck) {
            self.propose(wanted, now);
        }
    }

    /// The members the view should have: this server, every member heard
    /// within `suspect_ms`, and every other server heard without a gap for
    /// [`REJOIN_AFTER`].
    fn wanted_members(&self, now: Instant) -> BTreeSet<String> {
        let suspect = self.suspect;
        self.servers
            .iter()
            .filter(|name| {
                let heard = self.change.heard.get(*name).copied().unwrap_or(now);
                let since = self.change.heard_since.get(*name).copied().unwrap_or(now);
                **name == self.me
                    || (self.view.members.contains(*name)
                        && now.saturating_duration_since(heard) <= suspect)
                    || now.saturating_duration_since(since) >= REJOIN_AFTER
            })
            .cloned()
            .collect()
    }

    fn propose(&mut self, members: BTreeSet<String>, now: Instant) {
        let view = self.change.highest.max(self.view.id) + 1;
        self.change.highest = view;
        tracing::info!(event = "view_proposed", view, members = ?members);
        self.change.leading = Some(Leading {
            view,
            members: members.clone(),
            flushes: BTreeMap::new(),
            deadline: now + FLUSH_TIMEOUT,
        });
        let line = Order::Propose {
            leader: self.me.clone(),
            view,
            prev: self.view.id,
            position: self.raffle.ordered(),
            members: members.into_iter().collect(),
        };
        self.send(line.clone());
        self.receive_change(&line, now);
    }

    /// Answers the proposal this server is frozen on, once it has caught
    /// up to the leader's position if it comes from another view.
    fn flush_if_ready(&mut self, now: Instant) {
        let Some(frozen) = self.change.frozen.clone() else {
            return;
        };
        if frozen.flushed {
            return;
        }
        let behind = frozen.prev != self.view.id && self.raffle.ordered() < frozen.position;
        if behind {
            let due = frozen
                .last_fetch
                .is_none_or(|at| now.saturating_duration_since(at) >= FETCH_EVERY);
            if due {
                self.nonce += 1;
                let fetch = Order::Fetch {
                    asker: self.me.clone(),
                    nonce: self.nonce,
                    from: self.raffle.ordered() + 1,
                };
                self.send(fetch);
                if let Some(f) = self.change.frozen.as_mut() {
                    f.last_fetch = Some(now);
                }
            }
            return;
        }
        if let Some(f) = self.change.frozen.as_mut() {
            f.flushed = true;
        }
        let flush = Order::Flush {
            origin: self.me.clone(),
            view: frozen.view,
            held: self.holding(),
        };
        self.send(flush.clone());
        if frozen.leader == self.me {
            self.receive_change(&flush, now);
        }
    }

    /// With every flush in, computes the cut and floods the view.
    fn finish_flush(&mut self) {
        let Some(lead) = &self.change.leading else {
            return;
        };
        if lead.flushes.len() < lead.members.len() {
            return;
        }
        let mut cut: BTreeMap<String, u64> = BTreeMap::new();
        for (origin, seq) in lead.flushes.values().flatten() {
            let at = cut.entry(origin.clone()).or_default();
            *at = (*at).max(*seq);
        }
        let line = Order::Install {
            leader: self.me.clone(),
            view: lead.view,
            prev: self.view.id,
            members: lead.members.iter().cloned().collect(),
            old: self.view.members.iter().cloned().collect(),
            cut: cut.into_iter().collect(),
        };
        self.change.leading = None;
        self.send(line.clone());
        if let Order::Install {
            view,
            members,
            old,
            cut,
            ..
        } = &line
        {
            self.receive_install(*view, members, old, cut);
        }
    }
}

/// `OLOG` lines kept that came ahead of their position.
pub const RETAIN_AHEAD: usize = 4096;
