//! When a client connection must next hear from its client, and what is due
//! then: the idle timeout (no complete line for `idle_timeout_secs`), the
//! line timeout (an unfinished line older than `line_timeout_secs`, however
//! many bytes trickle in), and, on a subscribed connection, a keepalive
//! `PING` every `ping_interval_secs` of silence before the idle timeout.
//!
//! Only complete lines count as hearing from the client: bytes without a
//! newline never hold a connection open.

use std::time::{Duration, Instant};

use base::topology::Limits;

/// What is due at a connection's next deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    /// No complete line for the idle timeout: close.
    Idle,
    /// An unfinished line passed the line timeout: close.
    SlowLine,
    /// A quiet subscriber is sent `PING`.
    Ping,
}

/// The clocks of one connection.
#[derive(Debug, Clone)]
pub struct Deadlines {
    /// `limits.idle_timeout_secs`.
    idle: Duration,
    /// `limits.line_timeout_secs`.
    line: Duration,
    /// `limits.ping_interval_secs`.
    ping: Duration,
    /// When the last complete line arrived, or the connection was accepted.
    last_line: Instant,
    /// When the first byte of the unfinished line arrived, if one is pending.
    partial_since: Option<Instant>,
    /// When the last `PING` was sent, if one was sent since the last line.
    last_ping: Option<Instant>,
}

impl Deadlines {
    /// The clocks of a connection accepted at `now`.
    pub fn new(limits: &Limits, now: Instant) -> Self {
        Self {
            idle: limits.idle_timeout(),
            line: limits.line_timeout(),
            ping: limits.ping_interval(),
            last_line: now,
            partial_since: None,
            last_ping: None,
        }
    }

    /// Records what framing the input read at `now` left: whether it
    /// completed at least one line, and whether bytes of an unfinished line
    /// remain. An unfinished line after a complete one started in this read.
    pub fn framed(&mut self, now: Instant, completed: bool, unfinished: bool) {
        if completed {
            self.last_line = now;
            self.last_ping = None;
        }
        self.partial_since = match (unfinished, completed) {
            (false, _) => None,
            (true, true) => Some(now),
            (true, false) => Some(self.partial_since.unwrap_or(now)),
        };
    }

    /// Records a `PING` sent at `now`.
    pub fn pinged(&mut self, now: Instant) {
        self.last_ping = Some(now);
    }

    /// The next deadline and what is due then; pings only when `subscribed`.
    pub fn next(&self, subscribed: bool) -> (Instant, Due) {
        let mut next = (self.last_line + self.idle, Due::Idle);
        let mut consider = |at: Instant, due| {
            if at < next.0 {
                next = (at, due);
            }
        };
        if let Some(since) = self.partial_since {
            consider(since + self.line, Due::SlowLine);
        }
        if subscribed {
            consider(
                self.last_ping.unwrap_or(self.last_line) + self.ping,
                Due::Ping,
            );
        }
        next
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEC: Duration = Duration::from_secs(1);

    fn clocks(now: Instant) -> Deadlines {
        let limits = Limits {
            idle_timeout_secs: 30,
            line_timeout_secs: 5,
            ping_interval_secs: 10,
            ..Limits::default()
        };
        Deadlines::new(&limits, now)
    }

    #[test]
    fn a_trickled_line_is_due_from_its_first_byte_however_often_bytes_come() {
        let t0 = Instant::now();
        let mut d = clocks(t0);
        d.framed(t0 + SEC, false, true);
        d.framed(t0 + 3 * SEC, false, true);
        d.framed(t0 + 5 * SEC, false, true);
        assert_eq!(d.next(false), (t0 + 6 * SEC, Due::SlowLine));
    }

    #[test]
    fn an_unfinished_line_after_a_complete_one_starts_its_own_clock() {
        let t0 = Instant::now();
        let mut d = clocks(t0);
        d.framed(t0 + SEC, false, true);
        d.framed(t0 + 4 * SEC, true, true);
        assert_eq!(d.next(false), (t0 + 9 * SEC, Due::SlowLine));
        d.framed(t0 + 5 * SEC, true, false);
        assert_eq!(d.next(false), (t0 + 35 * SEC, Due::Idle));
    }

    #[test]
    fn only_subscribers_are_pinged_and_a_silent_one_still_idles_out() {
        let t0 = Instant::now();
        let mut d = clocks(t0);
        assert_eq!(d.next(false), (t0 + 30 * SEC, Due::Idle));
        assert_eq!(d.next(true), (t0 + 10 * SEC, Due::Ping));
        d.pinged(t0 + 10 * SEC);
        assert_eq!(d.next(true), (t0 + 20 * SEC, Due::Ping));
        d.pinged(t0 + 20 * SEC);
        d.pinged(t0 + 30 * SEC);
        assert_eq!(d.next(true), (t0 + 30 * SEC, Due::Idle));
        d.framed(t0 + 25 * SEC, true, false);
        assert_eq!(d.next(true), (t0 + 35 * SEC, Due::Ping));
    }
}
