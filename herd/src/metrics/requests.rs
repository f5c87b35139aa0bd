//! Requests on the client port, counted by verb and outcome, and the latency
//! of their replies.
//!
//! This runs on the hot path (hundreds of thousands of IAMATs a second), so
//! nothing here hashes, allocates or formats per request: a verb and an
//! outcome are small enums indexing a fixed table of atomics, and each
//! connection tallies its batch in a plain local table ([`RequestMeter`])
//! that is added to the shared one once per batch.
//!
//! A reply's latency runs from the read that delivered its line to the end
//! of the write that carried the reply: every line of a batch arrives in one
//! read and every reply of it leaves in one write, so the batch is recorded
//! as one latency, once per reply.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use super::histogram::LatencyHistogram;
use proto::client::{Command, Names};
use proto::fields::fields;

/// The command a line asked for, by its first field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    /// `IAMAT`
    IAmAt,
    /// `WHATSAT`
    WhatsAt,
    /// `TEAMS`
    Teams,
    /// `EVENTS`
    Events,
    /// `TALLY`
    Tally,
    /// `SCORE`
    Score,
    /// `MEDAL`
    Medal,
    /// `SETSCORE`
    SetScore,
    /// `SUBSCRIBE`
    Subscribe,
    /// `STATUS`
    Status,
    /// Anything else (an unknown verb, an `AT` from a client, a blank line).
    Other,
}

impl Verb {
    /// Every verb, in the order of the counter table.
    pub const ALL: [Verb; 11] = [
        Verb::IAmAt,
        Verb::WhatsAt,
        Verb::Teams,
        Verb::Events,
        Verb::Tally,
        Verb::Score,
        Verb::Medal,
        Verb::SetScore,
        Verb::Subscribe,
        Verb::Status,
        Verb::Other,
    ];

    /// The verb of a parsed `command`; for an invalid one, the first field
    /// of its `line` (see [`Verb::of_line`]). `PING` and `PONG` are `Other`.
    pub fn of(command: &Command, line: &[u8]) -> Verb {
        match command {
            Command::IAmAt(_) => Verb::IAmAt,
            Command::WhatsAt(_) => Verb::WhatsAt,
            Command::Names(Names::Teams) => Verb::Teams,
            Command::Names(Names::Events) => Verb::Events,
            Command::Tally(_) => Verb::Tally,
            Command::Score(_) => Verb::Score,
            Command::Medal(_) => Verb::Medal,
            Command::SetScore(_) => Verb::SetScore,
            Command::Subscribe(_) => Verb::Subscribe,
            Command::Status(_) => Verb::Status,
            Command::KeepAlive(_)
            | Command::Coord(_)
            | Command::Version(_)
            | Command::Raffle(_) => Verb::Other,
            Command::Invalid(_) => Verb::of_line(line),
        }
    }

    /// The verb of `line`, valid or not: `IAMAT` with bad coordinates is
    /// still an `IAMAT` (answered `invalid`).
    pub fn of_line(line: &[u8]) -> Verb {
        let first = fields(line).next().unwrap_or_default();
        Verb::ALL
            .into_iter()
            .find(|verb| verb.as_str().as_bytes() == first)
            .unwrap_or(Verb::Other)
    }

    /// True for the Olympic writes, the only requests that can be
    /// `denied` or `failed`.
    pub fn writes(self) -> bool {
        matches!(self, Verb::Medal | Verb::SetScore)
    }

    /// The label value: the verb as written on the wire, or `other`.
    pub fn as_str(self) -> &'static str {
        match self {
            Verb::IAmAt => "IAMAT",
            Verb::WhatsAt => "WHATSAT",
            Verb::Teams => "TEAMS",
            Verb::Events => "EVENTS",
            Verb::Tally => "TALLY",
            Verb::Score => "SCORE",
            Verb::Medal => "MEDAL",
            Verb::SetScore => "SETSCORE",
            Verb::Subscribe => "SUBSCRIBE",
            Verb::Status => "STATUS",
            Verb::Other => "other",
        }
    }
}

/// How a request was answered, read off its reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Answered as asked.
    Ok,
    /// Answered `? ...`.
    Invalid,
    /// Answered `DENIED ...`: a wrong Cacofonix id.
    Denied,
    /// Answered `FAILED ...`: the write could not be made durable.
    Failed,
}

impl Outcome {
    /// Every outcome, in the order of the counter table.
    pub const ALL: [Outcome; 4] = [
        Outcome::Ok,
        Outcome::Invalid,
        Outcome::Denied,
        Outcome::Failed,
    ];

    /// The outcome a reply stands for.
    pub fn of_reply(reply: &[u8]) -> Outcome {
        if reply.starts_with(b"? ") {
            Outcome::Invalid
        } else if reply.starts_with(b"DENIED ") {
            Outcome::Denied
        } else if reply.starts_with(b"FAILED ") {
            Outcome::Failed
        } else {
            Outcome::Ok
        }
    }

    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Invalid => "invalid",
            Outcome::Denied => "denied",
            Outcome::Failed => "failed",
        }
    }
}

/// Number of verbs, the rows of the tables.
const VERBS: usize = Verb::ALL.len();
/// Number of outcomes, the columns of the tables.
const OUTCOMES: usize = Outcome::ALL.len();

/// Requests answered by one server since it started, by verb and outcome.
#[derive(Debug, Default)]
pub struct RequestCounters {
    counts: [[AtomicU64; OUTCOMES]; VERBS],
}

impl RequestCounters {
    /// Requests of `verb` answered with `outcome`.
    pub fn get(&self, verb: Verb, outcome: Outcome) -> u64 {
        self.counts[verb as usize][outcome as usize].load(Ordering::Relaxed)
    }

    /// Every cell that can be counted, zeros included, in table order:
    /// `denied` and `failed` only for the writes.
    pub fn cells(&self) -> impl Iterator<Item = (Verb, Outcome, u64)> + '_ {
        Verb::ALL.into_iter().flat_map(move |verb| {
            Outcome::ALL
                .into_iter()
                .filter(move |outcome| {
                    verb.writes() || matches!(outcome, Outcome::Ok | Outcome::Invalid)
                })
                .map(move |outcome| (verb, outcome, self.get(verb, outcome)))
        })
    }
}

/// One connection's requests not yet added to the server's counters, and
/// the replies not yet written.
#[derive(Debug)]
pub struct RequestMeter {
    /// Answered since the last [`RequestMeter::flush`].
    counts: [[u64; OUTCOMES]; VERBS],
    /// Whether `counts` holds anything.
    dirty: bool,
    /// Replies gathered since the last write.
    unwritten: u64,
    /// When the last read delivered input.
    read_at: Instant,
}

impl Default for RequestMeter {
    fn default() -> Self {
        Self {
            counts: [[0; OUTCOMES]; VERBS],
            dirty: false,
            unwritten: 0,
            read_at: Instant::now(),
        }
    }
}

impl RequestMeter {
    /// A read delivered input at `at`; the lines it completes are answered
    /// before the next read.
    pub fn read_at(&mut self, at: Instant) {
        self.read_at = at;
    }

    /// One request was answered and its reply gathered for the next write.
    pub fn answered(&mut self, verb: Verb, outcome: Outcome) {
        self.counts[verb as usize][outcome as usize] += 1;
        self.dirty = true;
        self.unwritten += 1;
    }

    /// Every gathered reply has been written: records their latency.
    pub fn written(&mut self, latency: &LatencyHistogram) {
        let n = std::mem::take(&mut self.unwritten);
        latency.observe_many(self.read_at.elapsed(), n);
    }

    /// Adds the tally to the server's counters and starts a new one.
    pub fn flush(&mut self, counters: &RequestCounters) {
        if !std::mem::take(&mut self.dirty) {
            return;
        }
        for (row, shared) in self.counts.iter_mut().zip(&counters.counts) {
            for (n, cell) in row.iter_mut().zip(shared) {
                if *n > 0 {
                    cell.fetch_add(std::mem::take(n), Ordering::Relaxed);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verbs_come_from_the_first_field_even_when_invalid() {
        assert_eq!(Verb::of_line(b"IAMAT a b"), Verb::IAmAt);
        assert_eq!(Verb::of_line(b"  STATUS"), Verb::Status);
        assert_eq!(Verb::of_line(b"iamat a b c"), Verb::Other);
        assert_eq!(Verb::of_line(b"AT x"), Verb::Other);
        assert_eq!(Verb::of_line(b""), Verb::Other);
    }

    #[test]
    fn outcomes_come_from_the_reply() {
        assert_eq!(Outcome::of_reply(b"? IAMAT\n"), Outcome::Invalid);
        assert_eq!(
            Outcome::of_reply(b"DENIED MEDAL Gaul gold\n"),
            Outcome::Denied
        );
        assert_eq!(
            Outcome::of_reply(b"FAILED MEDAL Gaul gold x\n"),
            Outcome::Failed
        );
        assert_eq!(Outcome::of_reply(b"AT S +0.1 c +1+2 3\n"), Outcome::Ok);
    }

    #[test]
    fn a_meter_adds_its_tally_once_and_times_each_written_reply() {
        let counters = RequestCounters::default();
        let latency = LatencyHistogram::new();
        let mut meter = RequestMeter::default();
        meter.answered(Verb::IAmAt, Outcome::Ok);
        meter.answered(Verb::IAmAt, Outcome::Ok);
        meter.answered(Verb::Medal, Outcome::Denied);
        meter.written(&latency);
        meter.flush(&counters);
        meter.flush(&counters);
        meter.written(&latency);
        assert_eq!(counters.get(Verb::IAmAt, Outcome::Ok), 2);
        assert_eq!(counters.get(Verb::Medal, Outcome::Denied), 1);
        assert_eq!(counters.cells().map(|(_, _, n)| n).sum::<u64>(), 3);
        assert_eq!(latency.count(), 3);
    }
}
