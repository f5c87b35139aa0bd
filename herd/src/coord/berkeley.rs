//! Berkeley clock synchronisation, as a pure state machine the leader runs
//! (fed the time and the readings, it answers with the lines to flood).
//!
//! Every `sync_interval` the leader floods `TPOLL`; each server answers
//! `TREAD` with its clock. A reading's offset from the leader's clock is
//! estimated with Cristian's correction: the reading was taken about half a
//! round trip before it arrived. After [`round_wait`] the leader takes a
//! fault-tolerant average of the offsets (its own is 0): readings whose round
//! trip exceeds [`MAX_SAMPLE_RTT`] are left out (too uncertain), and so are
//! those more than `max_deviation` from the median (a wild clock does not
//! drag the others). With `[clock] target = "latest"` it takes the latest of
//! those sane clocks instead of their mean. It floods `TADJ`: for every
//! server it has a usable reading of, the adjustment that brings it to that
//! time — the wild one too, so it is corrected without counting. A server that never answers is
//! simply absent: the round ends on time without it.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use base::topology::ClockTarget;
use proto::coord::Coord;

/// A reading whose round trip took longer than this is not used: its
/// Cristian estimate is uncertain by up to half of it.
pub const MAX_SAMPLE_RTT: Duration = Duration::from_millis(250);

/// Longest a round waits for readings.
pub const MAX_ROUND_WAIT: Duration = Duration::from_millis(500);

/// How long a round collects readings: half the interval, at most
/// [`MAX_ROUND_WAIT`].
pub fn round_wait(interval: Duration) -> Duration {
    (interval / 2).min(MAX_ROUND_WAIT)
}

/// One server's reading, as the leader estimates it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sample {
    /// From `TPOLL` sent to `TREAD` received.
    pub rtt: Duration,
    /// Its clock minus the leader's, in nanoseconds.
    pub offset_ns: i128,
}

/// A round the leader is collecting.
#[derive(Debug)]
struct Round {
    id: u64,
    term: u64,
    sent: Instant,
    /// At most one per configured server (others are ignored).
    samples: BTreeMap<String, Sample>,
}

/// The leader's side of clock synchronisation.
#[derive(Debug)]
pub struct Berkeley {
    me: String,
    /// Names whose readings count (the configured servers).
    servers: Vec<String>,
    interval: Duration,
    max_deviation_ns: i128,
    /// Whether a round aims at the mean or the latest of the sane clocks.
    target: ClockTarget,
    /// Rounds started; numbers each `TPOLL`.
    round: u64,
    pending: Option<Round>,
    next_round: Instant,
}

impl Berkeley {
    /// `first_round` numbers the first round (see `Election::new`).
    pub fn new(
        me: &str,
        servers: &[String],
        interval: Duration,
        max_deviation: Duration,
        target: ClockTarget,
        now: Instant,
        first_round: u64,
    ) -> Self {
        Self {
            me: me.to_owned(),
            servers: servers.to_vec(),
            interval,
            max_deviation_ns: max_deviation.as_nanos() as i128,
            target,
            round: first_round,
            pending: None,
            next_round: now,
        }
    }

    /// Moves time on; `leading` is the term this server leads, if it does.
    /// Returns a `TPOLL` to flood when a round starts, and a `TADJ` when
    /// one ends.
    pub fn tick(&mut self, now: Instant, leading: Option<u64>) -> Option<Coord> {
        let Some(term) = leading else {
            self.pending = None;
            self.next_round = now;
            return None;
        };
        if let Some(round) = &self.pending {
            if round.term != term {
                self.pending = None;
            } else if now.saturating_duration_since(round.sent) >= round_wait(self.interval) {
                let round = self.pending.take()?;
                return Some(self.finish(round));
            } else {
                return None;
            }
        }
        if now < self.next_round {
            return None;
        }
        self.round += 1;
        self.next_round = now + self.interval;
        self.pending = Some(Round {
            id: self.round,
            term,
            sent: now,
            samples: BTreeMap::new(),
        });
        Some(Coord::Poll {
            leader: self.me.clone(),
            term,
            round: self.round,
        })
    }

    /// Takes a `TREAD` from `origin` for `round` with its `clock_ns`,
    /// arriving at `now` when the leader's own clock reads `mine_ns`.
    pub fn reading(
        &mut self,
        origin: &str,
        round: u64,
        clock_ns: i128,
        now: Instant,
        mine_ns: i128,
    ) {
        let Some(pending) = self.pending.as_mut().filter(|p| p.id == round) else {
            return;
        };
        if origin == self.me || !self.servers.iter().any(|s| s == origin) {
            return;
        }
        let rtt = now.saturating_duration_since(pending.sent);
        let offset_ns = clock_ns + (rtt.as_nanos() / 2) as i128 - mine_ns;
        pending
            .samples
            .insert(origin.to_owned(), Sample { rtt, offset_ns });
    }

    fn finish(&self, round: Round) -> Coord {
        let usable: Vec<(&String, Sample)> = round
            .samples
            .iter()
            .filter(|(_, s)| s.rtt <= MAX_SAMPLE_RTT)
            .map(|(n, s)| (n, *s))
            .collect();
        let own = Sample {
            rtt: Duration::ZERO,
            offset_ns: 0,
        };
        let samples: Vec<Sample> = std::iter::once(own)
            .chain(usable.iter().map(|(_, s)| *s))
            .collect();
        let goal = fault_tolerant_goal(&samples, self.max_deviation_ns, self.target);
        let mut adjustments = vec![(self.me.clone(), clamp(goal))];
        adjustments.extend(
            usable
                .into_iter()
                .map(|(name, s)| (name.clone(), clamp(goal - s.offset_ns))),
        );
        tracing::debug!(event = "clock_round", round = round.id, ?adjustments);
        Coord::Adjust {
            leader: self.me.clone(),
            term: round.term,
            round: round.id,
            adjustments,
        }
    }
}

/// The offset a round brings every clock to, from the `samples` within
/// `max_deviation` of their median offset (the sane ones): their mean, or
/// the latest of them. The latest is taken at the early end of each
/// estimate (offset − rtt/2, Cristian's error bound), so that measurement
/// noise cannot ratchet the herd's time forward round after round: a clock
/// equal to the leader's never looks later than the leader's own.
pub fn fault_tolerant_goal(samples: &[Sample], max_deviation: i128, target: ClockTarget) -> i128 {
    let mut offsets: Vec<i128> = samples.iter().map(|s| s.offset_ns).collect();
    offsets.sort_unstable();
    let Some(median) = median(&offsets) else {
        return 0;
    };
    let sane = samples
        .iter()
        .filter(|s| (s.offset_ns - median).abs() <= max_deviation);
    match target {
        ClockTarget::Average => {
            let (sum, n) = sane.fold((0i128, 0i128), |(sum, n), s| (sum + s.offset_ns, n + 1));
            sum / n.max(1)
        }
        ClockTarget::Latest => sane
            .map(|s| s.offset_ns - (s.rtt.as_nanos() / 2) as i128)
            .max()
            .unwrap_or(0),
    }
}

/// The median of `sorted` (the mean of the middle two for an even count).
fn median(sorted: &[i128]) -> Option<i128> {
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2]),
        _ => Some((sorted[n / 2 - 1] + sorted[n / 2]) / 2),
    }
}

/// An adjustment as it is written (a wild clock beyond ±292 years is held
/// at the limit).
fn clamp(ns: i128) -> i64 {
    ns.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEC: i128 = 1_000_000_000;

    #[test]
    fn a_wild_clock_is_left_out_of_the_average() {
        let offsets = exact(&[0, 2 * SEC, -2 * SEC, SEC, 3600 * SEC]);
        let avg = fault_tolerant_goal(&offsets, 10 * SEC, ClockTarget::Average);
        assert_eq!(avg, SEC / 4, "the mean of the four sane clocks");
    }

    #[test]
    fn the_latest_target_is_the_latest_sane_clock_not_the_wild_one() {
        let offsets = exact(&[0, 2 * SEC, -2 * SEC, SEC, 3600 * SEC]);
        let latest = fault_tolerant_goal(&offsets, 10 * SEC, ClockTarget::Latest);
        assert_eq!(latest, 2 * SEC);
        assert_eq!(fault_tolerant_goal(&[], SEC, ClockTarget::Latest), 0);
        assert_eq!(fault_tolerant_goal(&[], SEC, ClockTarget::Average), 0);
    }

    #[test]
    fn noise_on_equal_clocks_does_not_move_the_latest_target_forward() {
        // Four clocks equal to the leader's, each estimated up to half its
        // round trip late (the most Cristian's bound allows).
        let noisy: Vec<Sample> = std::iter::once(Sample {
            rtt: Duration::ZERO,
            offset_ns: 0,
        })
        .chain((1..=4).map(|ms| Sample {
            rtt: Duration::from_millis(2 * ms),
            offset_ns: i128::from(ms) * 1_000_000,
        }))
        .collect();
        assert_eq!(
            fault_tolerant_goal(&noisy, 10 * SEC, ClockTarget::Latest),
            0
        );
    }

    /// Samples measured with no round trip, at these offsets.
    fn exact(offsets: &[i128]) -> Vec<Sample> {
        let exact = |offset_ns| Sample {
            rtt: Duration::ZERO,
            offset_ns,
        };
        offsets.iter().copied().map(exact).collect()
    }

    #[test]
    fn a_round_corrects_each_reading_for_half_its_round_trip_and_ends_without_the_dead() {
        let adjustments = one_round(ClockTarget::Average);
        assert_eq!(
            adjustments,
            [
                ("L".to_owned(), 0),
                ("A".to_owned(), -2_000_000_000),
                ("B".to_owned(), 2_000_000_000)
            ]
        );
    }

    #[test]
    fn a_round_to_the_latest_clock_moves_no_sane_clock_back_beyond_its_error_bound() {
        let adjustments = one_round(ClockTarget::Latest);
        // A is the latest; its estimate's early end (rtt 10 ms) is 5 ms
        // before it, so A gives back at most that much.
        assert_eq!(
            adjustments,
            [
                ("L".to_owned(), 1_995_000_000),
                ("A".to_owned(), -5_000_000),
                ("B".to_owned(), 3_995_000_000)
            ]
        );
    }

    /// One round with A 2 s ahead of the leader and B 2 s behind; the
    /// adjustments it ends with.
    fn one_round(target: ClockTarget) -> Vec<(String, i64)> {
        let names: Vec<String> = ["L", "A", "B", "Dead"].map(String::from).to_vec();
        let start = Instant::now();
        let interval = Duration::from_secs(1);
        let max_deviation = Duration::from_secs(10);
        let mut b = Berkeley::new("L", &names, interval, max_deviation, target, start, 0);
        let Some(Coord::Poll { round, term: 3, .. }) = b.tick(start, Some(3)) else {
            panic!("a leader starts a round at once");
        };
        let t = start + Duration::from_millis(10);
        // A's clock read 2 s ahead 5 ms before it arrived (rtt 10 ms).
        let mine = 1_000 * SEC;
        b.reading("A", round, mine + 2 * SEC - 5_000_000, t, mine);
        b.reading("B", round, mine - 2 * SEC - 5_000_000, t, mine);
        b.reading("Late", round, mine, t, mine);
        assert_eq!(b.tick(t, Some(3)), None, "still collecting");
        let end = start + round_wait(interval);
        let Some(Coord::Adjust { adjustments, .. }) = b.tick(end, Some(3)) else {
            panic!("the round ends on time though Dead never answered");
        };
        assert_eq!(b.tick(end, None), None, "a follower runs no rounds");
        adjustments
    }
}
