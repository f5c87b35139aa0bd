//! What Cacofonix sings, and when.
//!
//! Two modes, as in the reference design:
//! - `testing`: deterministic. Every `rate` seconds Gaul wins a gold and takes
//!   the lead in curling by one (Rome k, Gaul k + 1 at step k), nothing else,
//!   so every tablet's output can be checked.
//! - `random`: after a random pause of up to `rate` seconds, either a random
//!   medal for a random team or a score change in a random event.

use std::time::Duration;

use rand::Rng;
use rand::rngs::StdRng;

/// The update modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    /// Random updates at random intervals of up to `rate` seconds.
    Random,
    /// Gaul gains a gold and leads curling by one every `rate` seconds.
    Testing,
}

/// One update to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Award a medal.
    Medal {
        /// The team.
        team: &'static str,
        /// gold, silver or bronze.
        medal: &'static str,
    },
    /// Set an event's score (the REST API names Rome first, then Gaul).
    Score {
        /// The event.
        event: String,
        /// Rome's score.
        rome: i64,
        /// Gaul's score.
        gaul: i64,
    },
}

/// Teams the REST API's `setScore` knows.
const TEAMS: [&str; 2] = ["Gaul", "Rome"];
/// Medal kinds.
const MEDALS: [&str; 3] = ["gold", "silver", "bronze"];

/// The sequence of updates.
#[derive(Debug)]
pub struct Plan {
    mode: Mode,
    rate: Duration,
    events: Vec<String>,
    /// Current (rome, gaul) per event, so random scores only move forward.
    scores: Vec<(i64, i64)>,
    step: u64,
    rng: StdRng,
}

impl Plan {
    /// A plan for `mode`, pausing up to (or exactly) `rate`, over `events`.
    pub fn new(mode: Mode, rate: Duration, events: Vec<String>, rng: StdRng) -> Self {
        let scores = vec![(0, 0); events.len()];
        Self {
            mode,
            rate,
            events,
            scores,
            step: 0,
            rng,
        }
    }

    /// The pause before the next round, and the updates of that round.
    pub fn next_round(&mut self) -> (Duration, Vec<Action>) {
        self.step += 1;
        match self.mode {
            Mode::Testing => {
                let k = self.step as i64;
                let actions = vec![
                    Action::Medal {
                        team: "Gaul",
                        medal: "gold",
                    },
                    Action::Score {
                        event: "curling".to_owned(),
                        rome: k - 1,
                        gaul: k,
                    },
                ];
                (self.rate, actions)
            }
            Mode::Random => {
                let pause = self.rate.mul_f64(self.rng.random::<f64>());
                let action = if self.events.is_empty() || self.rng.random_bool(0.5) {
                    Action::Medal {
                        team: TEAMS[self.rng.random_range(0..TEAMS.len())],
                        medal: MEDALS[self.rng.random_range(0..MEDALS.len())],
                    }
                } else {
                    let i = self.rng.random_range(0..self.events.len());
                    let (rome, gaul) = &mut self.scores[i];
                    if self.rng.random_bool(0.5) {
                        *rome += self.rng.random_range(1..=3);
                    } else {
                        *gaul += self.rng.random_range(1..=3);
                    }
                    Action::Score {
                        event: self.events[i].clone(),
                        rome: *rome,
                        gaul: *gaul,
                    }
                };
                (pause, vec![action])
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn testing_mode_is_gold_for_gaul_and_a_one_point_curling_lead() {
        let mut plan = Plan::new(
            Mode::Testing,
            Duration::from_secs(2),
            vec![],
            StdRng::seed_from_u64(1),
        );
        for k in 1..=3 {
            let (pause, actions) = plan.next_round();
            assert_eq!(pause, Duration::from_secs(2));
            assert_eq!(
                actions,
                [
                    Action::Medal {
                        team: "Gaul",
                        medal: "gold"
                    },
                    Action::Score {
                        event: "curling".into(),
                        rome: k - 1,
                        gaul: k
                    },
                ]
            );
        }
    }

    #[test]
    fn random_mode_pauses_at_most_rate_and_scores_only_grow() {
        let events = vec!["curling".to_owned(), "skiing".to_owned()];
        let mut plan = Plan::new(
            Mode::Random,
            Duration::from_millis(100),
            events,
            StdRng::seed_from_u64(7),
        );
        let mut last = std::collections::HashMap::new();
        for _ in 0..200 {
            let (pause, actions) = plan.next_round();
            assert!(pause <= Duration::from_millis(100));
            assert_eq!(actions.len(), 1);
            if let Action::Score { event, rome, gaul } = &actions[0] {
                let (r, g) = last.get(event).copied().unwrap_or((0, 0));
                assert!(*rome >= r && *gaul >= g && rome + gaul > r + g);
                last.insert(event.clone(), (*rome, *gaul));
            }
        }
        assert!(!last.is_empty());
    }
}
