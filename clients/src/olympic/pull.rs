//! A tablet in pull mode: every period, read the tallies and scores it
//! follows, print what changed, record how long each read took.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use super::dispatcher::{self, Assigned};
use super::facade::Facade;
use super::latency::LatencyLog;

/// Where a pull tablet reads.
#[derive(Debug)]
pub enum Source {
    /// Always the same facade (`tablet --facade URL`).
    Fixed(Facade),
    /// The front end the dispatcher gave (`tablet --dispatcher URL`), asked
    /// for again when it fails.
    Dispatched(Assigned),
}

impl Source {
    /// The facade to read from now.
    pub fn facade(&self) -> &Facade {
        match self {
            Source::Fixed(facade) => facade,
            Source::Dispatched(assigned) => assigned.facade(),
        }
    }

    /// After a round: asks the dispatcher again if the front end failed (or
    /// the lease is due). Answers a line to print, if any.
    pub async fn after_round(&mut self, front_end_failed: bool) -> Option<String> {
        let Source::Dispatched(assigned) = self else {
            return None;
        };
        let asked = if front_end_failed {
            assigned.failed().await
        } else {
            assigned.renew().await
        };
        match asked {
            Ok(Some(url)) => Some(format!("frontend {url}")),
            Ok(None) => None,
            Err(e) => Some(format!("error   dispatcher: {e}")),
        }
    }
}

/// What one round of reads found.
#[derive(Debug, Default)]
pub struct Round {
    /// The lines to print (only changes, and errors).
    pub lines: Vec<String>,
    /// Whether a read failed in a way that means the front end did
    /// ([`dispatcher::front_end_failed`]).
    pub front_end_failed: bool,
}

/// What a pull tablet follows.
#[derive(Debug, Clone)]
pub struct Follow {
    /// Teams whose tallies are read.
    pub teams: Vec<String>,
    /// Events whose scores are read.
    pub events: Vec<String>,
}

/// The last text seen per item, so only changes are printed.
#[derive(Debug, Default)]
pub struct Seen {
    last: BTreeMap<String, String>,
}

impl Seen {
    /// Records `text` for `key`; returns true if it differs from before.
    pub fn changed(&mut self, key: &str, text: String) -> bool {
        self.last.insert(key.to_owned(), text.clone()).as_ref() != Some(&text)
    }
}

/// One round of reads: the lines to print (only changes) and whether the
/// front end failed.
pub async fn poll_once(
    facade: &Facade,
    follow: &Follow,
    seen: &mut Seen,
    log: &mut LatencyLog,
) -> Round {
    let mut round = Round::default();
    let out = &mut round.lines;
    for team in &follow.teams {
        let started = Instant::now();
        let result = facade.tally(team).await;
        let _ = log.record("pull", &format!("tally/{team}"), started.elapsed());
        match result {
            Ok(t) => {
                let text = format!(
                    "{}: gold {} silver {} bronze {}",
                    t.team,
                    t.medals.get("gold").unwrap_or(&0),
                    t.medals.get("silver").unwrap_or(&0),
                    t.medals.get("bronze").unwrap_or(&0)
                );
                if seen.changed(&format!("tally/{team}"), text.clone()) {
                    out.push(format!("medals  {text}"));
                }
            }
            Err(e) => {
                round.front_end_failed |= dispatcher::front_end_failed(&e);
                out.push(format!("error   tally {team}: {e}"));
            }
        }
    }
    for event in &follow.events {
        let started = Instant::now();
        let result = facade.score(event).await;
        let _ = log.record("pull", &format!("score/{event}"), started.elapsed());
        match result {
            Ok(s) => {
                let scores: Vec<String> =
                    s.scores.iter().map(|(t, p)| format!("{t} {p}")).collect();
                let text = format!(
                    "{}: {} (at {})",
                    s.event,
                    scores.join(", "),
                    s.updated_at.as_deref().unwrap_or("never")
                );
                if seen.changed(&format!("score/{event}"), text.clone()) {
                    out.push(format!("score   {text}"));
                }
            }
            Err(e) => {
                round.front_end_failed |= dispatcher::front_end_failed(&e);
                out.push(format!("error   score {event}: {e}"));
            }
        }
    }
    round
}

/// Polls every `period`, `rounds` times (or forever), printing with `prefix`.
pub async fn run(
    mut source: Source,
    follow: Follow,
    period: Duration,
    rounds: Option<u64>,
    prefix: String,
    mut log: LatencyLog,
) {
    let mut seen = Seen::default();
    let mut ticker = tokio::time::interval(period);
    let mut done = 0;
    while rounds.is_none_or(|n| done < n) {
        ticker.tick().await;
        let round = poll_once(source.facade(), &follow, &mut seen, &mut log).await;
        for line in round.lines {
            println!("{prefix}{line}");
        }
        if let Some(line) = source.after_round(round.front_end_failed).await {
            println!("{prefix}{line}");
        }
        done += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_changes_count() {
        let mut seen = Seen::default();
        assert!(seen.changed("a", "1".into()));
        assert!(!seen.changed("a", "1".into()));
        assert!(seen.changed("a", "2".into()));
        assert!(seen.changed("b", "2".into()));
    }
}
