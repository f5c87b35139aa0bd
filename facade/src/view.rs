//! The read view: every tally and score of the herd (a few dozen values),
//! re-read from a herd server every [`REFRESH_EVERY`] together with that
//! server's version, so most reads are answered from memory.
//!
//! The view is sound for read-your-writes because each refresh sends
//! `VERSION` and then the reads on one connection: what the view holds is
//! at least what its version says. A read is answered from the view only if
//! the view's version covers the request's `Olympic-Version` token and
//! every write (and herd read) this facade has answered (`floor`), and the
//! view is fresh ([`MAX_AGE`]); otherwise it goes to the herd. So a client
//! never sees its own write disappear, through this facade or with its
//! token through another.
//!
//! Each refresh also renders every value's JSON body once ([`Rendered`]),
//! so a read answered from the view ([`ReadView::read_json`]) copies no
//! value and encodes nothing: it hands out the body's shared bytes and, for
//! a read without a token, the refresh's headers. A new kind of read plugs
//! in as one more [`Request`] kind the refresh asks for and renders.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use axum::http::HeaderMap;
use bytes::Bytes;
use tokio_util::sync::CancellationToken;
use tracing::debug;

use crate::catalog::Herd;
use crate::protocol::{Reply, Request, Score, Tally};
use crate::replicas::READ_ATTEMPT_TIMEOUT;
use crate::version::Vector;

/// How often the view is re-read from the herd.
pub const REFRESH_EVERY: Duration = Duration::from_millis(20);
/// A view older than this is not used (its refreshes are failing).
pub const MAX_AGE: Duration = Duration::from_secs(1);

/// One refresh: the version and what was read after it.
struct Snapshot {
    /// The version of the server read, taken before the reads.
    vector: Vector,
    /// Team (canonical) to tally.
    tallies: HashMap<String, Tally>,
    /// Event (canonical) to score.
    scores: HashMap<String, Score>,
    /// The JSON bodies of the tallies and scores, rendered once.
    rendered: Rendered,
    /// When the refresh was answered.
    taken: Instant,
    /// `Olympic-Version: <vector>`, encoded once for every read that
    /// carries no token.
    headers: HeaderMap,
}

/// The view, shared by the handlers and its refresher.
#[derive(Default)]
pub struct ReadView {
    /// The newest refresh. Never held across `.await`.
    current: RwLock<Option<Arc<Snapshot>>>,
    /// Everything this facade has answered: the view must cover it to be
    /// used. Never held across `.await`.
    floor: Mutex<Vector>,
}

impl ReadView {
    /// An empty view; nothing is answered from it until the first refresh.
    pub fn new() -> Self {
        Self::default()
    }

    /// Raises the floor to `vector`, which this facade has just answered.
    pub fn answered(&self, vector: &Vector) {
        let mut floor = self.floor.lock().unwrap();
        *floor = std::mem::take(&mut *floor).merged(Some(vector));
    }

    /// `request` (a `TALLY` or `SCORE`) answered from the view, with the
    /// headers giving back its token, if the view is fresh and covers
    /// `token` and the floor.
    pub fn read(&self, request: &Request, token: Option<&Vector>) -> Option<(Reply, HeaderMap)> {
        let snapshot = self.usable(token)?;
        let reply = match request {
            Request::Tally(team) => Reply::Tally(snapshot.tallies.get(team)?.clone()),
            Request::Score(event) => Reply::Score(snapshot.scores.get(event)?.clone()),
            _ => return None,
        };
        Some((reply, snapshot.headers_for(token)))
    }

    /// Like [`ReadView::read`], with the reply as its JSON body (as the
    /// endpoint renders it), rendered at the refresh.
    pub fn read_json(
        &self,
        request: &Request,
        token: Option<&Vector>,
    ) -> Option<(Bytes, HeaderMap)> {
        let snapshot = self.usable(token)?;
        let body = snapshot.rendered.get(request)?;
        Some((body, snapshot.headers_for(token)))
    }

    /// The newest refresh, if it is fresh and covers `token` and the floor.
    fn usable(&self, token: Option<&Vector>) -> Option<Arc<Snapshot>> {
        let snapshot = self.current.read().unwrap().clone()?;
        if snapshot.taken.elapsed() > MAX_AGE
            || !snapshot.vector.covers(&self.floor.lock().unwrap())
        {
            return None;
        }
        if token.is_some_and(|t| !snapshot.vector.covers(t)) {
            return None;
        }
        Some(snapshot)
    }

    /// Re-reads the view every [`REFRESH_EVERY`] until `shutdown`.
    pub async fn run(self: Arc<Self>, herd: Arc<Herd>, shutdown: CancellationToken) {
        let mut tick = tokio::time::interval(REFRESH_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = shutdown.cancelled() => return,
                _ = tick.tick() => {}
            }
            if let Err(error) = self.refresh(&herd).await {
                debug!(%error, "read view not refreshed");
            }
        }
    }

    /// One refresh: `VERSION`, then every tally and score, on one connection
    /// (counted in the metrics as one `VERSION`).
    async fn refresh(&self, herd: &Herd) -> Result<(), crate::herd_link::LinkError> {
        let catalog = herd.catalog().await?;
        let requests: Vec<Request> = std::iter::once(Request::Version)
            .chain(catalog.teams.iter().cloned().map(Request::Tally))
            .chain(catalog.events.iter().cloned().map(Request::Score))
            .collect();
        let (replies, _) = herd
            .request_many(&requests, 0, READ_ATTEMPT_TIMEOUT)
            .await?;
        let mut replies = replies.into_iter();
        let Some(Reply::Version(vector)) = replies.next() else {
            return Err(crate::herd_link::LinkError::Unexpected);
        };
        let mut snapshot = Snapshot {
            headers: crate::api::tokens::reply_headers(&vector, false),
            vector,
            tallies: HashMap::new(),
            scores: HashMap::new(),
            rendered: Rendered::default(),
            taken: Instant::now(),
        };
        for reply in replies {
            snapshot.rendered.add(&reply);
            match reply {
                Reply::Tally(tally) => {
                    snapshot.tallies.insert(tally.team.clone(), tally);
                }
                Reply::Score(score) => {
                    snapshot.scores.insert(score.event.clone(), score);
                }
                // A name the herd no longer knows: that read goes to the herd.
                _ => {}
            }
        }
        *self.current.write().unwrap() = Some(Arc::new(snapshot));
        Ok(())
    }
}

impl Snapshot {
    /// The headers that give back this refresh's version merged with
    /// `token`: the ones encoded at the refresh when there is no token.
    fn headers_for(&self, token: Option<&Vector>) -> HeaderMap {
        match token {
            None => self.headers.clone(),
            Some(token) => {
                crate::api::tokens::reply_headers(&self.vector.clone().merged(Some(token)), false)
            }
        }
    }
}

/// The JSON body of every value of one refresh, as its endpoint answers it.
#[derive(Default)]
struct Rendered {
    /// Team (canonical) to its `getMedalTally` body.
    tallies: HashMap<String, Bytes>,
    /// Event (canonical) to its `getScore` body.
    scores: HashMap<String, Bytes>,
}

impl Rendered {
    /// Renders `reply`, if it is a value the view serves.
    fn add(&mut self, reply: &Reply) {
        use crate::api::handlers::{score_json, tally_json};
        let (map, name, json) = match reply {
            Reply::Tally(tally) => (&mut self.tallies, &tally.team, tally_json(tally)),
            Reply::Score(score) => (&mut self.scores, &score.event, score_json(score)),
            _ => return,
        };
        map.insert(name.clone(), Bytes::from(json.to_string()));
    }

    /// The body that answers `request`, if it was rendered.
    fn get(&self, request: &Request) -> Option<Bytes> {
        match request {
            Request::Tally(team) => self.tallies.get(team).cloned(),
            Request::Score(event) => self.scores.get(event).cloned(),
            _ => None,
        }
    }
}
