//! A tablet in pull mode: every period, read the tallies and scores it
//! follows, print what changed, record how long each read took.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use super::facade::Facade;
use super::latency::LatencyLog;

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

/// One round of reads. Returns the lines to print (only changes).
pub async fn poll_once(
    facade: &Facade,
    follow: &Follow,
    seen: &mut Seen,
    log: &mut LatencyLog,
) -> Vec<String> {
    let mut out = Vec::new();
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
            Err(e) => out.push(format!("error   tally {team}: {e}")),
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
            Err(e) => out.push(format!("error   score {event}: {e}")),
        }
    }
    out
}

/// Polls every `period`, `rounds` times (or forever), printing with `prefix`.
pub async fn run(
    facade: Facade,
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
        for line in poll_once(&facade, &follow, &mut seen, &mut log).await {
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
