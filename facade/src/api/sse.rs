//! Server-sent events, for the scoreboard page and for tablets that cannot
//! accept connections: `GET /events` (every event and team),
//! `GET /events/{event_type}` and `GET /events/medals/{team}`.
//!
//! A stream starts with the current value of everything it covers (read
//! from the herd as it opens), then sends one event per change. Each event's
//! `id` is the board's (see [`crate::board`]); a browser that reconnects with
//! `Last-Event-ID` (or `?lastEventId=`) is sent only the current value of
//! what changed after it, so it misses nothing still current. A stream that
//! falls behind the broadcast catches up from the board the same way.
//! Streams end when the facade stops.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, KeepAliveStream, Sse};
use futures::StreamExt;
use serde::Deserialize;
use serde_json::json;
use tokio::sync::broadcast::error::RecvError;

use super::AppState;
use super::error::{ApiError, Segments};
use super::handlers::{known_event, known_team, score_json, tally_json, unexpected};
use crate::board::{Board, Change, Item, Topic};
use crate::protocol::{Reply, Request};
use crate::subscriber::Updates;

/// How long a browser waits before reconnecting a dropped stream (the SSE
/// `retry:` field, sent first on every stream).
pub const RECONNECT: Duration = Duration::from_secs(1);

/// The header a reconnecting browser sends.
const LAST_EVENT_ID: &str = "last-event-id";

/// `?lastEventId=`, for clients that cannot set the header (a new
/// `EventSource` after the old one gave up).
#[derive(Debug, Deserialize)]
pub struct Resume {
    #[serde(rename = "lastEventId")]
    last_event_id: Option<String>,
}

/// What one stream covers.
enum Wanted {
    /// Every event and team.
    All,
    /// One event or one team.
    One(Topic),
}

impl Wanted {
    fn wants(&self, topic: &Topic) -> bool {
        match self {
            Wanted::All => true,
            Wanted::One(one) => one == topic,
        }
    }
}

/// The SSE response type of every stream.
type Events = Sse<KeepAliveStream<futures::stream::BoxStream<'static, Result<Event, Infallible>>>>;

/// `GET /events`: every event's score and every team's tally.
pub async fn everything(
    State(app): State<AppState>,
    headers: HeaderMap,
    Query(resume): Query<Resume>,
) -> Result<Events, ApiError> {
    let catalog = app.herd.catalog().await?;
    let mut requests: Vec<Request> = catalog.events.iter().cloned().map(Request::Score).collect();
    requests.extend(catalog.teams.iter().cloned().map(Request::Tally));
    open(app, &headers, resume, Wanted::All, requests).await
}

/// `GET /events/{event_type}`: one event's scores.
pub async fn event(
    State(app): State<AppState>,
    headers: HeaderMap,
    Query(resume): Query<Resume>,
    Segments(event): Segments<String>,
) -> Result<Events, ApiError> {
    let catalog = app.herd.catalog().await?;
    let event = known_event(&catalog, &event)?.to_owned();
    let requests = vec![Request::Score(event.clone())];
    let wanted = Wanted::One(Topic::Event(event));
    open(app, &headers, resume, wanted, requests).await
}

/// `GET /events/medals/{team}`: one team's tallies.
pub async fn medals(
    State(app): State<AppState>,
    headers: HeaderMap,
    Query(resume): Query<Resume>,
    Segments(team): Segments<String>,
) -> Result<Events, ApiError> {
    let catalog = app.herd.catalog().await?;
    let team = known_team(&catalog, &team)?.to_owned();
    let requests = vec![Request::Tally(team.clone())];
    let wanted = Wanted::One(Topic::Team(team));
    open(app, &headers, resume, wanted, requests).await
}

/// Opens a stream of `wanted`, after reading its current values with
/// `requests`.
async fn open(
    app: AppState,
    headers: &HeaderMap,
    resume: Resume,
    wanted: Wanted,
    requests: Vec<Request>,
) -> Result<Events, ApiError> {
    let permit = app.sse_streams.clone().try_acquire_owned().map_err(|_| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "too many event streams are open",
        )
    })?;
    // Subscribe before reading the current values, so no change falls between.
    let updates = app.updates.subscribe();
    let replies = futures::future::join_all(requests.iter().map(|r| app.herd.request(r))).await;
    for reply in replies {
        match reply? {
            Reply::Score(score) => app.updates.observe(Item::Score(score)),
            Reply::Tally(tally) => app.updates.observe(Item::Tally(tally)),
            other => return Err(unexpected(&app, other)),
        }
    }
    let last_seen = headers
        .get(LAST_EVENT_ID)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or(resume.last_event_id);
    let after = app.updates.board().resume_after(last_seen.as_deref());
    let (pending, upto) = app.updates.board().since(after, |t| wanted.wants(t));
    let state = Follow {
        updates,
        pending: pending.into(),
        upto,
        wanted,
        source: app.updates.clone(),
        _permit: permit,
    };
    let changes = futures::stream::unfold(state, |mut state| async move {
        let change = state.next().await?;
        let event = sse_event(state.source.board(), &change);
        Some((Ok(event), state))
    });
    let retry = futures::stream::once(async { Ok(Event::default().retry(RECONNECT)) });
    let stream = retry
        .chain(changes)
        .take_until(app.shutdown.clone().cancelled_owned())
        .boxed();
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

/// One stream's position.
struct Follow {
    updates: tokio::sync::broadcast::Receiver<Arc<Change>>,
    /// Changes to send before reading the broadcast again.
    pending: VecDeque<Arc<Change>>,
    /// The last sequence number this stream has covered.
    upto: u64,
    wanted: Wanted,
    /// The board, for catching up after falling behind.
    source: Arc<Updates>,
    /// Held while the stream is open.
    _permit: tokio::sync::OwnedSemaphorePermit,
}

impl Follow {
    /// The next change to send; `None` when the facade is stopping.
    async fn next(&mut self) -> Option<Arc<Change>> {
        loop {
            if let Some(change) = self.pending.pop_front() {
                return Some(change);
            }
            match self.updates.recv().await {
                Ok(change) if change.seq > self.upto => {
                    self.upto = change.seq;
                    if self.wanted.wants(&change.item.topic()) {
                        return Some(change);
                    }
                }
                Ok(_) => {}
                Err(RecvError::Lagged(_)) => {
                    let wanted = &self.wanted;
                    let (missed, upto) = self.source.board().since(self.upto, |t| wanted.wants(t));
                    self.pending = missed.into();
                    self.upto = upto;
                }
                Err(RecvError::Closed) => return None,
            }
        }
    }
}

/// `event: score` or `event: tally`, `id: <board id>`, and `data:` the
/// `getScore` or `getMedalTally` JSON with `changed_at` added.
fn sse_event(board: &Board, change: &Change) -> Event {
    let (kind, mut data) = match &change.item {
        Item::Score(score) => ("score", score_json(score)),
        Item::Tally(tally) => ("tally", tally_json(tally)),
    };
    data["changed_at"] = json!(change.changed_at);
    Event::default()
        .event(kind)
        .id(board.event_id(change.seq))
        .data(data.to_string())
}
