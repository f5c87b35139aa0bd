//! An athlete's line on the board and the board's order: highest average
//! first, then more results, then name (byte order). Averages are compared
//! exactly, as fractions of whole points, never as rounded floats.

use std::cmp::Ordering;

use serde::Serialize;

/// How many athletes `GET /top10` shows.
pub const TOP: usize = 10;

/// One athlete's line, as `GET /top10` and `GET /athletes/{name}` answer it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Standing {
    /// The athlete.
    pub athlete: String,
    /// The team of the athlete's first counted result.
    pub team: String,
    /// Points over results.
    pub average: f64,
    /// How many results count.
    pub results: u64,
    /// The sum of points, for exact comparisons; not shown.
    #[serde(skip)]
    pub points: u64,
}

impl Standing {
    /// The line of an athlete with `points` over `results` (at least one).
    pub fn new(athlete: String, team: String, points: u64, results: u64) -> Self {
        Self {
            athlete,
            team,
            average: points as f64 / results.max(1) as f64,
            results,
            points,
        }
    }

    /// The board's order: `Less` means `self` stands higher.
    pub fn rank(&self, other: &Self) -> Ordering {
        // a/b > c/d  <=>  a*d > c*b, in u128 so no sum can overflow.
        let mine = u128::from(self.points) * u128::from(other.results);
        let theirs = u128::from(other.points) * u128::from(self.results);
        theirs
            .cmp(&mine)
            .then(other.results.cmp(&self.results))
            .then_with(|| self.athlete.cmp(&other.athlete))
    }
}

/// The first [`TOP`] of `lines` in the board's order.
pub fn top(mut lines: Vec<Standing>) -> Vec<Standing> {
    if lines.len() > TOP {
        lines.select_nth_unstable_by(TOP - 1, Standing::rank);
        lines.truncate(TOP);
    }
    lines.sort_by(Standing::rank);
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(name: &str, points: u64, results: u64) -> Standing {
        Standing::new(name.into(), "Gaul".into(), points, results)
    }

    #[test]
    fn higher_average_then_more_results_then_name() {
        let board = top(vec![
            line("Obelix", 5, 1),
            line("Asterix", 10, 2),
            line("Getafix", 6, 1),
            line("Dogmatix", 5, 1),
        ]);
        let names: Vec<&str> = board.iter().map(|s| s.athlete.as_str()).collect();
        assert_eq!(names, ["Getafix", "Asterix", "Dogmatix", "Obelix"]);
    }

    #[test]
    fn only_ten_are_kept_and_in_order() {
        let lines = (0..30)
            .map(|i| line(&format!("a{i:02}"), i % 7, 1))
            .collect();
        let board = top(lines);
        assert_eq!(board.len(), TOP);
        let points: Vec<u64> = board.iter().map(|s| s.points).collect();
        assert_eq!(points, [6, 6, 6, 6, 5, 5, 5, 5, 4, 4]);
        assert!(board.windows(2).all(|w| w[0].rank(&w[1]).is_lt()));
    }
}
