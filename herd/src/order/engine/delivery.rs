//! Delivery from the hold-back queue: a request is delivered once it is
//! stable (every other member holds it and has been seen past its time),
//! in (Lamport time, server name) order, and appended to the delivered
//! sequence and the raffle.

use proto::order::Stamped;

use super::{Delivered, Engine};
use crate::order::RETAIN;

impl Engine {
    /// True when the request `(lamport, origin, seq)` at the head of the
    /// queue is stable: every other member holds it and has been seen past
    /// its time, so nothing can come before it any more.
    fn stable(&self, lamport: u64, origin: &str, seq: u64) -> bool {
        self.view
            .members
            .iter()
            .filter(|m| **m != self.me && *m != origin)
            .all(|m| {
                self.inbound.get(m).is_some_and(|i| {
                    i.seen >= lamport && i.acked.get(origin).is_some_and(|a| *a >= seq)
                })
            })
    }

    /// Delivers the head of the queue while it is stable (never during a
    /// view change).
    pub(in crate::order) fn deliver(&mut self) {
        if self.change.is_active() {
            self.try_install();
            return;
        }
        while let Some(((lamport, origin), seq)) = self.pending.first_key_value() {
            if !self.stable(*lamport, origin, *seq) {
                break;
            }
            self.deliver_head();
        }
    }

    /// Delivers the head of the queue in the current view.
    pub(in crate::order) fn deliver_head(&mut self) {
        let Some(((_, origin), seq)) = self.pending.pop_first() else {
            return;
        };
        let Some(req) = self.held.get(&(origin.clone(), seq)).cloned() else {
            return;
        };
        self.record(req, self.view.id);
    }

    /// Appends `req` to the delivered sequence, delivered in `view`.
    pub(in crate::order) fn record(&mut self, req: Stamped, view: u64) {
        let entry = self.raffle.deliver(&req);
        let position = self.raffle.ordered();
        self.log
            .push_back((position, view, req.origin.clone(), req.seq));
        while self.log.len() > RETAIN {
            if let Some((_, _, o, s)) = self.log.pop_front() {
                self.held.remove(&(o, s));
            }
        }
        self.delivered.push(Delivered {
            position,
            view,
            req,
            entry,
        });
    }
}
