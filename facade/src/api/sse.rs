//! `GET /events/{event_type}`: the event's score as server-sent events, for
//! browsers and tablets that cannot accept connections. The first event is
//! the current score; then one per update. Streams end when the facade stops.

use std::convert::Infallible;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::{Stream, StreamExt};
use tokio::sync::broadcast::error::RecvError;

use super::AppState;
use super::error::{ApiError, Segments};
use super::handlers::{known_event, score_json, unexpected};
use crate::protocol::{Reply, Request, Score};

/// The stream of one event's scores.
pub async fn events(
    State(app): State<AppState>,
    Segments(event): Segments<String>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let catalog = app.herd.catalog().await?;
    let event = known_event(&catalog, &event)?.to_owned();
    let permit = app.sse_streams.clone().try_acquire_owned().map_err(|_| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "too many event streams are open",
        )
    })?;
    // Subscribe before reading the current score, so no update falls between.
    let updates = app.updates.subscribe();
    let current = match app.herd.request(&Request::Score(event.clone())).await? {
        Reply::Score(score) => score,
        other => return Err(unexpected(&app, other)),
    };
    let first = sse_event(&current);
    // Only updates newer than what the stream already sent: the subscriber
    // may publish a score this stream's first event already carried.
    let rest = futures::stream::unfold(
        (updates, current, permit),
        |(mut updates, mut sent, permit)| async move {
            loop {
                match updates.recv().await {
                    Ok(score) if score.event == sent.event && newer(&score, &sent) => {
                        let event = sse_event(&score);
                        sent = Score::clone(&score);
                        return Some((Ok(event), (updates, sent, permit)));
                    }
                    Ok(_) | Err(RecvError::Lagged(_)) => {}
                    Err(RecvError::Closed) => return None,
                }
            }
        },
    );
    let first = futures::stream::once(async move { Ok(first) });
    let stream = first
        .chain(rest)
        .take_until(app.shutdown.clone().cancelled_owned());
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

/// Whether `score` comes after `sent` in the herd's order of writes.
fn newer(score: &Score, sent: &Score) -> bool {
    match (score.order_key(), sent.order_key()) {
        (Some(new), Some(old)) => new > old,
        (new, _) => new.is_some(),
    }
}

/// `event: score`, `id: <stamp>` when set, `data: <getScore JSON>`.
fn sse_event(score: &Score) -> Event {
    let event = Event::default()
        .event("score")
        .data(score_json(score).to_string());
    match &score.at {
        Some(at) => event.id(at),
        None => event,
    }
}
