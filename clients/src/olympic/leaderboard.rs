//! Cacofonix's results for the leaderboard service (`--leaderboard URL`):
//! which athlete placed where, and posting them.
//!
//! - `testing`: deterministic. Every round Asterix (Gaul) wins curling and
//!   Brutus (Rome) comes second, so the board reads Asterix 6.0, Brutus 5.0.
//! - `random`: one result a round, a random athlete of either team in a
//!   random event, placed 1st to 8th, or not finishing one time in ten.
//!
//! Every result has an id of its own (`cacofonix-RUN-ROUND-N`, RUN from the
//! start time), so a retry of the same post counts once and a new run adds
//! new results. A post is retried a few times on a transport error or a
//! 5xx; that is safe because the service counts each id once.

use std::time::Duration;

use leaderboard::ResultPost;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::cacofonix::Mode;

/// Attempts per result before it is reported as failed (each within the
/// facade client's request timeout).
const ATTEMPTS: u32 = 3;

/// Pause before a retry.
const RETRY_PAUSE: Duration = Duration::from_millis(200);

/// Lowest place a random result gets.
const WORST_PLACE: i64 = 8;

/// Mixed into `--seed`, so results are not drawn from the very numbers
/// the medal and score plan draws.
const SEED_SALT: u64 = 0x6c65_6164_6572_626f;

/// Athletes and their teams, for random results.
const ROSTER: [(&str, &str); 10] = [
    ("Asterix", "Gaul"),
    ("Obelix", "Gaul"),
    ("Getafix", "Gaul"),
    ("Vitalstatistix", "Gaul"),
    ("Unhygienix", "Gaul"),
    ("Brutus", "Rome"),
    ("Caius Bonus", "Rome"),
    ("Crismus Bonus", "Rome"),
    ("Gluteus Maximus", "Rome"),
    ("Tullius Octopus", "Rome"),
];

/// The results Cacofonix posts, round by round.
#[derive(Debug)]
pub struct Results {
    mode: Mode,
    events: Vec<String>,
    /// Names this run in every id.
    run: String,
    round: u64,
    rng: StdRng,
}

impl Results {
    /// Results for `mode` over `events`; `run` goes into every id. With
    /// `seed`, the same random results every time (drawn apart from the
    /// medal and score plan's, which the same seed drives).
    pub fn new(mode: Mode, events: Vec<String>, run: String, seed: Option<u64>) -> Self {
        let rng = match seed {
            Some(seed) => StdRng::seed_from_u64(seed ^ SEED_SALT),
            None => StdRng::from_os_rng(),
        };
        Self {
            mode,
            events,
            run,
            round: 0,
            rng,
        }
    }

    /// The results of the next round.
    pub fn next_round(&mut self) -> Vec<ResultPost> {
        self.round += 1;
        let picks = match self.mode {
            Mode::Testing => vec![
                (ROSTER[0], "curling".to_owned(), Some(1)),
                (ROSTER[5], "curling".to_owned(), Some(2)),
            ],
            Mode::Random => {
                let athlete = ROSTER[self.rng.random_range(0..ROSTER.len())];
                let event = match self.events.len() {
                    0 => "curling".to_owned(),
                    n => self.events[self.rng.random_range(0..n)].clone(),
                };
                let place =
                    (!self.rng.random_bool(0.1)).then(|| self.rng.random_range(1..=WORST_PLACE));
                vec![(athlete, event, place)]
            }
        };
        picks
            .into_iter()
            .enumerate()
            .map(|(n, ((athlete, team), event, place))| ResultPost {
                id: format!("cacofonix-{}-{}-{n}", self.run, self.round),
                athlete: athlete.to_owned(),
                team: team.to_owned(),
                event,
                place,
            })
            .collect()
    }
}

/// The leaderboard service at one base URL.
#[derive(Debug, Clone)]
pub struct Leaderboard {
    base: String,
    http: reqwest::Client,
}

impl Leaderboard {
    /// A client for the service at `base` (e.g. `http://127.0.0.1:8090`).
    pub fn new(base: &str) -> Self {
        Self {
            base: base.trim_end_matches('/').to_owned(),
            http: super::facade::http_client(),
        }
    }

    /// Posts `result` (retrying, see the module), and describes the outcome
    /// in one line for Cacofonix's output and log.
    pub async fn post(&self, result: &ResultPost) -> String {
        let what = format!(
            "result {} {} ({}) place {}",
            result.event,
            result.athlete,
            result.team,
            result.place.map_or("DNF".to_owned(), |p| p.to_string())
        );
        let mut last = String::new();
        for attempt in 1..=ATTEMPTS {
            if attempt > 1 {
                tokio::time::sleep(RETRY_PAUSE).await;
            }
            let reply = self
                .http
                .post(format!("{}/results", self.base))
                .json(result)
                .send()
                .await;
            match reply {
                Ok(r) if r.status().is_success() => {
                    return format!("sent {what} -> HTTP {}", r.status().as_u16());
                }
                Ok(r) if !r.status().is_server_error() => {
                    let status = r.status().as_u16();
                    let body = r.text().await.unwrap_or_default();
                    return format!("FAILED {what}: HTTP {status}: {body}");
                }
                Ok(r) => last = format!("HTTP {}", r.status().as_u16()),
                Err(e) => last = e.without_url().to_string(),
            }
        }
        format!("FAILED {what} after {ATTEMPTS} attempts: {last}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn testing_mode_is_asterix_first_and_brutus_second_in_curling() {
        let mut results = Results::new(Mode::Testing, vec![], "t".into(), Some(1));
        for round in 1..=3 {
            let got: Vec<_> = results
                .next_round()
                .into_iter()
                .map(|r| (r.id, r.athlete, r.team, r.event, r.place))
                .collect();
            let id = |n| format!("cacofonix-t-{round}-{n}");
            assert_eq!(
                got,
                [
                    (
                        id(0),
                        "Asterix".into(),
                        "Gaul".into(),
                        "curling".into(),
                        Some(1)
                    ),
                    (
                        id(1),
                        "Brutus".into(),
                        "Rome".into(),
                        "curling".into(),
                        Some(2)
                    ),
                ]
            );
        }
    }

    #[test]
    fn random_results_are_valid_posts_with_ids_of_their_own() {
        let events = vec!["skiing".to_owned(), "skating".to_owned()];
        let mut results = Results::new(Mode::Random, events.clone(), "r".into(), Some(3));
        let mut ids = std::collections::HashSet::new();
        let mut dnf = 0;
        for _ in 0..500 {
            for r in results.next_round() {
                assert!(ids.insert(r.id.clone()));
                assert!(events.contains(&r.event));
                assert!(ROSTER.contains(&(r.athlete.as_str(), r.team.as_str())));
                dnf += usize::from(r.place.is_none());
                r.check().expect("a valid result");
            }
        }
        assert_eq!(ids.len(), 500);
        assert!(dnf > 0);
    }
}
