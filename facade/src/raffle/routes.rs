//! `GET /raffle` and `POST /raffle/draw/{auth_id}`.

use axum::extract::{Path, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use proto::client::auth::Auth;
use proto::client::raffle::field;
use proto::client::{RaffleCommand, RaffleReply};

use super::count::TABLET_HEADER;
use crate::api::AppState;
use crate::api::error::ApiError;

/// `GET /raffle`: the herd server's raffle, as its `RAFFLE` reply gives it.
pub async fn show(State(app): State<AppState>) -> Response {
    match app.raffle.call(&RaffleCommand::Show).await {
        Ok(RaffleReply::Raffle(json)) => {
            ([(CONTENT_TYPE, "application/json")], json).into_response()
        }
        Ok(other) => unavailable(&format!("unexpected reply {other:?}")),
        Err(e) => unavailable(&e.to_string()),
    }
}

/// `POST /raffle/draw/{auth_id}`: Cacofonix draws the winner. 202 once
/// the draw is in the order (`GET /raffle` shows the winner when it is
/// delivered), 403 for any other id.
pub async fn draw(
    State(app): State<AppState>,
    Path(auth_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let Some(auth) = Auth::new(auth_id.into_bytes()) else {
        return ApiError::forbidden("not Cacofonix").into_response();
    };
    let tablet = headers
        .get(TABLET_HEADER)
        .and_then(|v| v.to_str().ok())
        .map_or_else(|| "cacofonix".to_owned(), field);
    match app.raffle.call(&RaffleCommand::Draw { auth, tablet }).await {
        Ok(RaffleReply::DrawQueued) => (
            StatusCode::ACCEPTED,
            [(CONTENT_TYPE, "application/json")],
            r#"{"draw":"queued"}"#,
        )
            .into_response(),
        Ok(RaffleReply::DrawDenied) => ApiError::forbidden("not Cacofonix").into_response(),
        Ok(other) => unavailable(&format!("unexpected reply {other:?}")),
        Err(e) => unavailable(&e.to_string()),
    }
}

fn unavailable(why: &str) -> Response {
    tracing::warn!(event = "raffle_unavailable", why);
    ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "the herd did not answer the raffle",
    )
    .into_response()
}
