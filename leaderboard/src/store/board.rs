//! The embedded store's board in memory: every counted result by id, and
//! per athlete the sums the standings are made of.

use std::collections::HashMap;

use crate::result::Recorded;
use crate::standing::{self, Standing};

/// Counted results and what they add up to, per athlete.
#[derive(Debug, Default)]
pub struct Board {
    /// Every counted result by id: what a repeated id is answered with.
    results: HashMap<String, Recorded>,
    /// Per athlete: team, points, results.
    athletes: HashMap<String, Tally>,
}

/// One athlete's sums.
#[derive(Debug)]
struct Tally {
    /// The team of the athlete's first counted result.
    team: String,
    /// Sum of points.
    points: u64,
    /// Number of counted results.
    results: u64,
}

impl Board {
    /// The result already counted under `id`, if any.
    pub fn seen(&self, id: &str) -> Option<&Recorded> {
        self.results.get(id)
    }

    /// Counts `result` unless its id was counted before.
    pub fn count(&mut self, result: Recorded) {
        if self.results.contains_key(&result.id) {
            return;
        }
        let tally = self
            .athletes
            .entry(result.athlete.clone())
            .or_insert_with(|| Tally {
                team: result.team.clone(),
                points: 0,
                results: 0,
            });
        tally.points += u64::from(result.points);
        tally.results += 1;
        self.results.insert(result.id.clone(), result);
    }

    /// How many results count.
    pub fn len(&self) -> usize {
        self.results.len()
    }

    /// The first [`crate::TOP`] athletes in the board's order.
    pub fn top(&self) -> Vec<Standing> {
        standing::top(self.athletes.iter().map(|(n, t)| line(n, t)).collect())
    }

    /// One athlete's line.
    pub fn athlete(&self, name: &str) -> Option<Standing> {
        self.athletes.get(name).map(|t| line(name, t))
    }
}

fn line(name: &str, tally: &Tally) -> Standing {
    Standing::new(
        name.to_owned(),
        tally.team.clone(),
        tally.points,
        tally.results,
    )
}
