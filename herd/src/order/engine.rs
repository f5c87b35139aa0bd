//! One server's side of the totally ordered multicast, as a state machine
//! fed the lines that arrive, the requests this server takes and the time:
//! the Lamport clock, the hold-back queue, stability and delivery in
//! (Lamport time, server name) order. Delivery from the hold-back queue is
//! in `engine/delivery.rs`; the view change in [`super::view`]; the glue to the
//! peer links and the journal in [`super::task`].

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::{Duration, Instant};

use bytes::BytesMut;

use proto::order::{Order, Stamped};

use super::inbound::Inbound;
use super::raffle::{Entry, Raffle};
use super::view::Change;
use super::{IDLE_BEACON, MAX_RESEND, WANT_AFTER};
use crate::coord::seen::Seen;

mod delivery;

/// A view: its id and its members, in name order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct View {
    /// Grows with every view change.
    pub id: u64,
    /// The servers whose requests are ordered, and whose acknowledgements
    /// delivery waits for.
    pub members: BTreeSet<String>,
}

/// One request delivered: its place in the total order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivered {
    /// Its position (from 1).
    pub position: u64,
    /// The view it was delivered in.
    pub view: u64,
    /// The request.
    pub req: Stamped,
    /// The raffle entry it made, if it is one.
    pub entry: Option<Entry>,
}

/// The ordering state of one server.
#[derive(Debug)]
pub struct Engine {
    /// This server's name.
    pub(super) me: String,
    /// Every configured server, this one included.
    pub(super) servers: Vec<String>,
    /// The Lamport clock.
    pub(super) clock: u64,
    /// The last sequence number this server stamped.
    pub(super) my_seq: u64,
    /// The current view.
    pub(super) view: View,
    /// Every other configured server's stream, by name.
    pub(super) inbound: BTreeMap<String, Inbound>,
    /// The hold-back queue: `(lamport, origin) -> seq`, in delivery order.
    pub(super) pending: BTreeMap<(u64, String), u64>,
    /// The requests pending and the last [`RETAIN`](super::RETAIN) delivered, by
    /// `(origin, seq)`, for resending.
    pub(super) held: BTreeMap<(String, u64), Stamped>,
    /// The last [`RETAIN`](super::RETAIN) delivered, `(position, view, origin, seq)`, for
    /// a server catching up.
    pub(super) log: VecDeque<(u64, u64, String, u64)>,
    /// Entries and winner.
    pub(super) raffle: Raffle,
    /// The view change in progress, and who has been heard.
    pub(super) change: Change,
    /// The ordering lines seen, so each is handled and forwarded once.
    seen: Seen,
    /// Counts beacons and makes resends and asks new lines.
    pub(super) nonce: u64,
    /// Clock and acknowledgements as last beaconed.
    pub(super) beaconed: (u64, u64),
    /// When the next beacon is due even if nothing changed.
    next_idle: Instant,
    /// Lines to flood, in order.
    pub(super) out: Vec<Order>,
    /// Requests delivered since the last drain.
    pub(super) delivered: Vec<Delivered>,
    /// Views installed since the last drain.
    pub(super) views_installed: Vec<View>,
    /// `[raffle] suspect_ms`.
    pub(super) suspect: Duration,
}

/// What a step produced, for the caller to journal and send.
#[derive(Debug, Default)]
pub struct Output {
    /// Lines to flood, in order.
    pub send: Vec<Order>,
    /// Requests delivered, in order.
    pub delivered: Vec<Delivered>,
    /// Views installed, in order.
    pub views: Vec<View>,
}

impl Engine {
    /// A server `me` of `servers`, in view 1 of all of them, with nothing
    /// ordered. `first` numbers its lines (a restarted server passes a
    /// greater one, e.g. the wall clock in milliseconds).
    pub fn new(
        me: &str,
        servers: &[String],
        every: u64,
        suspect: Duration,
        now: Instant,
        first: u64,
    ) -> Self {
        let members: BTreeSet<String> = servers.iter().cloned().collect();
        Self {
            me: me.to_owned(),
            servers: servers.to_vec(),
            clock: 0,
            my_seq: 0,
            view: View { id: 1, members },
            inbound: servers
                .iter()
                .filter(|s| *s != me)
                .map(|s| (s.clone(), Inbound::default()))
                .collect(),
            pending: BTreeMap::new(),
            held: BTreeMap::new(),
            log: VecDeque::new(),
            raffle: Raffle::new(every),
            change: Change::new(servers, now),
            seen: Seen::default(),
            nonce: first,
            beaconed: (0, 0),
            next_idle: now,
            out: Vec::new(),
            delivered: Vec::new(),
            views_installed: Vec::new(),
            suspect,
        }
    }

    /// The current view.
    pub fn view(&self) -> &View {
        &self.view
    }

    /// The raffle as delivered so far.
    pub fn raffle(&self) -> &Raffle {
        &self.raffle
    }

    /// The Lamport clock.
    pub fn clock(&self) -> u64 {
        self.clock
    }

    /// Requests waiting in the hold-back queue.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// Stamps a request this server took and queues its multicast. The
    /// caller journals it before the multicast leaves ([`Engine::drain`]).
    pub fn take(&mut self, tablet: &str, request: &str) -> Stamped {
        self.clock += 1;
        self.my_seq += 1;
        let req = Stamped {
            origin: self.me.clone(),
            seq: self.my_seq,
            lamport: self.clock,
            tablet: tablet.to_owned(),
            request: request.to_owned(),
        };
        self.hold(req.clone());
        self.send(Order::Req(req.clone()));
        req
    }

    /// Queues `line` to flood, remembering it so it is not handled again
    /// when it comes back.
    pub(super) fn send(&mut self, line: Order) {
        self.seen.first_time(&bytes_of(&line));
        self.out.push(line);
    }

    /// The lines to flood, the requests delivered and the views installed
    /// since the last call.
    pub fn drain(&mut self) -> Output {
        Output {
            send: std::mem::take(&mut self.out),
            delivered: std::mem::take(&mut self.delivered),
            views: std::mem::take(&mut self.views_installed),
        }
    }

    /// Handles a line that arrived at `now`; false if it was seen before
    /// (then it is not forwarded either).
    pub fn receive(&mut self, line: &Order, now: Instant) -> bool {
        if !self.seen.first_time(&bytes_of(line)) {
            return false;
        }
        match line {
            Order::Req(req) | Order::Resend { req, .. } => self.receive_req(req),
            Order::Clock {
                origin,
                view,
                seq,
                lamport,
                acked,
                ..
            } => {
                self.clock = self.clock.max(*lamport);
                // A member in another view is not counted: its clock and
                // acknowledgements belong to that view's order.
                if *view == self.view.id
                    && let Some(inbound) = self.inbound.get_mut(origin)
                {
                    inbound.beacon(*seq, *lamport, acked);
                }
                self.change.note_view(*view);
            }
            Order::Want {
                asker,
                origin,
                from,
                ..
            } if *asker != self.me => self.answer_want(origin, *from),
            Order::Want { .. } => {}
            _ => self.receive_change(line, now),
        }
        self.deliver();
        true
    }

    /// True when requests from `origin` are taken: members of the view,
    /// and during a view change anyone (the cut may include them).
    fn accepts(&self, origin: &str) -> bool {
        self.view.members.contains(origin) || self.change.is_active()
    }

    fn receive_req(&mut self, req: &Stamped) {
        if req.origin == self.me || !self.accepts(&req.origin) {
            return;
        }
        let Some(inbound) = self.inbound.get_mut(&req.origin) else {
            return;
        };
        for ready in inbound.accept(req.clone()) {
            self.clock = self.clock.max(ready.lamport) + 1;
            if !self.held.contains_key(&(ready.origin.clone(), ready.seq)) {
                self.hold(ready);
            }
        }
    }

    /// Puts `req` in the hold-back queue.
    pub(super) fn hold(&mut self, req: Stamped) {
        self.pending
            .insert((req.lamport, req.origin.clone()), req.seq);
        self.held.insert((req.origin.clone(), req.seq), req);
    }

    /// Resends `origin`'s requests from `from`: the origin answers for its
    /// own, any server for those of a server outside the view.
    fn answer_want(&mut self, origin: &str, from: u64) {
        if origin != self.me && self.change.counts(origin, &self.view) {
            return;
        }
        let resend: Vec<Stamped> = self
            .held
            .range((origin.to_owned(), from)..(origin.to_owned(), u64::MAX))
            .take(MAX_RESEND)
            .map(|(_, r)| r.clone())
            .collect();
        for req in resend {
            self.nonce += 1;
            let nonce = self.nonce;
            self.send(Order::Resend { nonce, req });
        }
    }

    /// The last of each origin's requests this server holds in sequence.
    pub(super) fn holding(&self) -> Vec<(String, u64)> {
        let mut out: Vec<(String, u64)> = self
            .inbound
            .iter()
            .map(|(name, i)| (name.clone(), i.contig))
            .collect();
        out.push((self.me.clone(), self.my_seq));
        out.sort();
        out
    }

    /// Moves time on to `now`: asks for what is missing, beacons the clock
    /// and acknowledgements when they changed (or every [`IDLE_BEACON`]),
    /// and delivers what is stable.
    pub fn tick(&mut self, now: Instant) {
        let mut wants = Vec::new();
        for (name, inbound) in &mut self.inbound {
            if !inbound.has_gap() {
                inbound.gap_since = None;
                continue;
            }
            let since = *inbound.gap_since.get_or_insert(now);
            let asked_lately = inbound
                .last_want
                .is_some_and(|at| now.saturating_duration_since(at) < WANT_AFTER);
            if now.saturating_duration_since(since) >= WANT_AFTER && !asked_lately {
                inbound.last_want = Some(now);
                wants.push((name.clone(), inbound.contig + 1));
            }
        }
        for (origin, from) in wants {
            self.nonce += 1;
            let asker = self.me.clone();
            let nonce = self.nonce;
            self.send(Order::Want {
                asker,
                nonce,
                origin,
                from,
            });
        }
        let acked = self.holding();
        let acked_sum: u64 = acked.iter().map(|(_, s)| *s).sum();
        if (self.clock, acked_sum) != self.beaconed || now >= self.next_idle {
            self.beaconed = (self.clock, acked_sum);
            self.next_idle = now + IDLE_BEACON;
            self.nonce += 1;
            let beacon = Order::Clock {
                origin: self.me.clone(),
                beat: self.nonce,
                view: self.view.id,
                seq: self.my_seq,
                lamport: self.clock,
                acked,
            };
            self.send(beacon);
        }
        self.deliver();
    }
}

/// The line as written, to remember it by.
fn bytes_of(line: &Order) -> BytesMut {
    let mut buf = BytesMut::new();
    line.write(&mut buf);
    buf
}
