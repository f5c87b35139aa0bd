//! A thousand push tablets in one process: each its own axum listener on
//! `127.0.0.1:0` (so each is a distinct `host:port` to the facade, with its
//! own connection), all recording into one [`Hub`].
//!
//! A round sets the event's score to values no earlier round used, then
//! waits until every registered tablet has been pushed those values, or
//! [`ROUND_DEADLINE`] passes. A tablet's sample is the time from just before
//! `setScore` was sent to the moment its handler saw the push, so it holds
//! the durable write, the herd's `UPDATE` to the facade's subscription, and
//! the fan-out. Pushes of other values (late ones of an earlier round) are
//! counted and ignored.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::routing::get;
use axum::serve::ListenerExt;
use futures::StreamExt;
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio::time::{Instant, sleep, timeout_at};

use super::EVENT;
use crate::harness::stats::nanos;
use crate::olympic::facade::{Facade, FacadeError};
use crate::olympic::push::Pushed;

/// How long a round waits for its pushes; a tablet not pushed by then has
/// missed the round. The facade's own push deadline is 2 s.
pub const ROUND_DEADLINE: Duration = Duration::from_secs(2);

/// Pause between push rounds, so one round's stragglers do not crowd the next.
pub const ROUND_GAP: Duration = Duration::from_millis(100);

/// Registrations sent at once.
pub const REGISTER_CONCURRENCY: usize = 16;

/// What one round is waiting for. Behind a std mutex, never held across
/// `.await`.
#[derive(Debug, Default)]
struct RoundState {
    /// The scores this round sets, `(Rome, Gaul)`, while it runs.
    expect: Option<(String, String)>,
    /// When each tablet got them.
    arrivals: Vec<Option<Instant>>,
    /// How many tablets have.
    arrived: usize,
    /// Which tablets the facade took, so which the round waits for.
    registered: Vec<bool>,
    /// How many those are.
    want: usize,
}

/// What every tablet records into.
#[derive(Debug, Default)]
pub struct Hub {
    round: Mutex<RoundState>,
    /// Woken when the last registered tablet of a round is pushed.
    all_in: Notify,
    /// Pushes carrying other scores than the running round's.
    stale: AtomicU64,
    /// Requests that were not a push of the event.
    malformed: AtomicU64,
}

impl Hub {
    /// Tablet `index` received `/pushUpdate/{rest}`.
    fn receive(&self, index: usize, rest: &str) -> StatusCode {
        let now = Instant::now();
        let Some(push) = Pushed::parse(rest).filter(|p| p.event == EVENT) else {
            self.malformed.fetch_add(1, Ordering::Relaxed);
            return StatusCode::BAD_REQUEST;
        };
        let score_of = |team: &str| {
            push.scores
                .iter()
                .find(|(t, _)| t == team)
                .map(|(_, s)| s.as_str())
        };
        let mut round = self.round.lock().expect("round lock poisoned");
        let current = round.expect.as_ref().is_some_and(|(rome, gaul)| {
            score_of("Rome") == Some(rome) && score_of("Gaul") == Some(gaul)
        });
        if !current {
            self.stale.fetch_add(1, Ordering::Relaxed);
            return StatusCode::OK;
        }
        if round.arrivals[index].is_none() && round.registered[index] {
            round.arrivals[index] = Some(now);
            round.arrived += 1;
            if round.arrived == round.want {
                self.all_in.notify_one();
            }
        }
        StatusCode::OK
    }
}

/// What one round measured.
#[derive(Debug, Clone, Default)]
pub struct RoundResult {
    /// Per tablet pushed in time: from sending `setScore` to its push, ns.
    pub latencies: Vec<u64>,
    /// Registered tablets not pushed this round's scores in time.
    pub missed: usize,
    /// The `setScore` round trip, ns.
    pub set_score: u64,
}

/// Samples from `arrivals` (each tablet's push time, if any) relative to
/// `sent`, and how many `registered` tablets have none.
pub fn samples(sent: Instant, arrivals: &[Option<Instant>], registered: &[bool]) -> RoundResult {
    let mut result = RoundResult::default();
    for (arrival, _) in arrivals.iter().zip(registered).filter(|(_, r)| **r) {
        match arrival {
            Some(at) => result
                .latencies
                .push(nanos(at.saturating_duration_since(sent))),
            None => result.missed += 1,
        }
    }
    result
}

/// What [`Farm::rounds`] measured.
#[derive(Debug, Clone, Default)]
pub struct Rounds {
    /// The first round, in which the facade opens a connection to every tablet.
    pub cold: RoundResult,
    /// The rounds after it.
    pub warm: Vec<RoundResult>,
}

/// How registering went.
#[derive(Debug, Clone, Default)]
pub struct Registration {
    /// Tablets the facade took.
    pub registered: usize,
    /// Tablets refused, e.g. with 429 past the facade's per-event limit.
    pub refused: usize,
    /// The first refusal, for the report.
    pub first_refusal: Option<String>,
}

/// The tablets: listeners, their serving tasks, and the hub.
#[derive(Debug)]
pub struct Farm {
    /// Each tablet's push address, by index.
    pub addrs: Vec<SocketAddr>,
    hub: Arc<Hub>,
    tasks: Vec<JoinHandle<std::io::Result<()>>>,
}

impl Farm {
    /// Binds `count` loopback listeners and serves pushes on each.
    pub async fn start(count: usize) -> anyhow::Result<Self> {
        let hub = Arc::new(Hub::default());
        {
            let mut round = hub.round.lock().expect("round lock poisoned");
            round.arrivals = vec![None; count];
            round.registered = vec![false; count];
        }
        let mut addrs = Vec::with_capacity(count);
        let mut tasks = Vec::with_capacity(count);
        for index in 0..count {
            let listener = TcpListener::bind("127.0.0.1:0")
                .await
                .map_err(|e| anyhow::anyhow!("binding tablet {index} of {count}: {e}"))?;
            addrs.push(listener.local_addr()?);
            let tablet = hub.clone();
            let app = Router::new().route(
                "/pushUpdate/{*rest}",
                get(move |Path(rest): Path<String>| async move { tablet.receive(index, &rest) }),
            );
            let listener = listener.tap_io(|tcp| {
                let _ = tcp.set_nodelay(true);
            });
            tasks.push(tokio::spawn(
                async move { axum::serve(listener, app).await },
            ));
        }
        Ok(Self { addrs, hub, tasks })
    }

    /// Registers every tablet for [`EVENT`] at `facade`, a few at a time.
    /// A refused tablet (429 past the facade's limit) is left out of the
    /// rounds; a transport failure ends the run.
    pub async fn register(&self, facade: &Facade) -> anyhow::Result<Registration> {
        let mut outcome = Registration::default();
        let mut taken = vec![false; self.addrs.len()];
        let mut replies = futures::stream::iter(self.addrs.iter().enumerate())
            .map(|(i, addr)| async move { (i, facade.register(&addr.to_string(), EVENT).await) })
            .buffer_unordered(REGISTER_CONCURRENCY);
        while let Some((i, reply)) = replies.next().await {
            match reply {
                Ok(_) => {
                    taken[i] = true;
                    outcome.registered += 1;
                }
                Err(e @ FacadeError::Status { .. }) => {
                    outcome.refused += 1;
                    outcome.first_refusal.get_or_insert_with(|| e.to_string());
                }
                Err(e) => anyhow::bail!("registering tablet {}: {e}", self.addrs[i]),
            }
        }
        let mut round = self.hub.round.lock().expect("round lock poisoned");
        round.registered = taken;
        round.want = outcome.registered;
        Ok(outcome)
    }

    /// One round: set the score to `(rome, gaul)` and wait for the pushes.
    pub async fn round(
        &self,
        facade: &Facade,
        auth: &str,
        rome: i64,
        gaul: i64,
    ) -> anyhow::Result<RoundResult> {
        let sent = {
            let mut round = self.hub.round.lock().expect("round lock poisoned");
            round.expect = Some((rome.to_string(), gaul.to_string()));
            round.arrivals.fill(None);
            round.arrived = 0;
            Instant::now()
        };
        let reply = facade.set_score(EVENT, rome, gaul, auth).await;
        let set_score = nanos(sent.elapsed());
        if let Err(e) = reply {
            self.hub.round.lock().expect("round lock poisoned").expect = None;
            anyhow::bail!("setScore failed: {e}");
        }
        let deadline = sent + ROUND_DEADLINE;
        loop {
            {
                let round = self.hub.round.lock().expect("round lock poisoned");
                if round.arrived >= round.want {
                    break;
                }
            }
            if timeout_at(deadline, self.hub.all_in.notified())
                .await
                .is_err()
            {
                break;
            }
        }
        let mut round = self.hub.round.lock().expect("round lock poisoned");
        round.expect = None;
        let mut result = samples(sent, &round.arrivals, &round.registered);
        result.set_score = set_score;
        Ok(result)
    }

    /// One cold round, then `rounds` warm ones, [`ROUND_GAP`] apart, each
    /// setting scores no earlier round used, so each round's push is told
    /// apart.
    pub async fn rounds(
        &self,
        facade: &Facade,
        auth: &str,
        rounds: usize,
    ) -> anyhow::Result<Rounds> {
        let mut measured = Rounds::default();
        for round in 0..=rounds {
            let (rome, gaul) = (round as i64 + 1, 1_000_000 + round as i64);
            let result = self.round(facade, auth, rome, gaul).await?;
            match round {
                0 => measured.cold = result,
                _ => measured.warm.push(result),
            }
            sleep(ROUND_GAP).await;
        }
        Ok(measured)
    }

    /// Pushes that carried another round's scores, and requests that were
    /// not pushes at all, so far.
    pub fn stale_and_malformed(&self) -> (u64, u64) {
        (
            self.hub.stale.load(Ordering::Relaxed),
            self.hub.malformed.load(Ordering::Relaxed),
        )
    }
}

impl Drop for Farm {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_count_only_registered_tablets_and_missing_ones_as_missed() {
        let sent = Instant::now();
        let ms = |n| Some(sent + Duration::from_millis(n));
        let arrivals = [ms(3), None, ms(1), None, ms(9)];
        let r = samples(sent, &arrivals, &[true, true, true, true, false]);
        assert_eq!(r.latencies, [3_000_000, 1_000_000]);
        assert_eq!(r.missed, 2);
        let all = samples(sent, &arrivals, &[true; 5]);
        assert_eq!((all.latencies.len(), all.missed), (3, 2));
        let some = samples(sent, &arrivals, &[false, true, false, false, true]);
        assert_eq!((some.latencies, some.missed), (vec![9_000_000], 1));
    }

    #[tokio::test]
    async fn a_push_of_the_round_scores_is_recorded_once_and_others_are_stale() {
        let farm = Farm::start(2).await.unwrap();
        {
            let mut round = farm.hub.round.lock().unwrap();
            round.registered = vec![true, true];
            round.want = 2;
            round.expect = Some(("4".into(), "7".into()));
        }
        let http = reqwest::Client::new();
        let push = |i: usize, path: &str| {
            let url = format!("http://{}/pushUpdate/{path}", farm.addrs[i]);
            let http = http.clone();
            async move { http.get(url).send().await.unwrap().status().as_u16() }
        };
        assert_eq!(push(0, "curling/1.5/Gaul/7/Rome/4").await, 200);
        assert_eq!(push(0, "curling/1.6/Gaul/7/Rome/4").await, 200);
        assert_eq!(push(1, "curling/1.4/Gaul/6/Rome/4").await, 200);
        assert_eq!(push(1, "skiing/1.5/Gaul/7/Rome/4").await, 400);
        let round = farm.hub.round.lock().unwrap();
        assert_eq!(round.arrived, 1);
        assert!(round.arrivals[0].is_some() && round.arrivals[1].is_none());
        assert_eq!(farm.stale_and_malformed(), (1, 1));
    }
}
