//! The HTTP routes, over any [`Store`]:
//!
//! | route | answer |
//! |---|---|
//! | `POST /results` | 201 and the counted result; 200 and the first result when its id was seen |
//! | `GET /top10` | the ten best athletes, in the board's order |
//! | `GET /athletes/{name}` | one athlete's line; 404 if the athlete has no result |
//! | `GET /health` | 200 when the store answers, 503 when it does not |
//!
//! Every error is `{"error": "..."}`: 400 for a body that is not a valid
//! result, 404 for an unknown route or athlete, 405 for a wrong method,
//! 413 for a body over [`MAX_BODY`], 503 when the store fails.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;

use crate::result::ResultPost;
use crate::store::{Applied, Store};

/// Largest request body: a result is a few hundred bytes.
pub const MAX_BODY: usize = 16 * 1024;

/// An error answer: a status and a message, sent as `{"error": message}`.
#[derive(Debug)]
pub struct ApiError(StatusCode, String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, axum::Json(json!({ "error": self.1 }))).into_response()
    }
}

/// The leaderboard's routes over `store`.
pub fn router<S: Store>(store: Arc<S>) -> Router {
    Router::new()
        .route("/results", post(post_result::<S>))
        .route("/top10", get(top10::<S>))
        .route("/athletes/{name}", get(athlete::<S>))
        .route("/health", get(health::<S>))
        .fallback(|| async { ApiError(StatusCode::NOT_FOUND, "no such route".into()) })
        .method_not_allowed_fallback(|| async {
            ApiError(StatusCode::METHOD_NOT_ALLOWED, "method not allowed".into())
        })
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(store)
}

/// A store failure: logged, and answered 503 so a caller retries (safe:
/// results are idempotent by id).
fn unavailable(e: crate::StoreError) -> ApiError {
    tracing::warn!(error = %e, "store failed");
    ApiError(
        StatusCode::SERVICE_UNAVAILABLE,
        format!("storage unavailable: {e}"),
    )
}

async fn post_result<S: Store>(
    State(store): State<Arc<S>>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body = body.map_err(|e| ApiError(e.status(), e.body_text()))?;
    let result =
        ResultPost::parse(&body).map_err(|e| ApiError(StatusCode::BAD_REQUEST, e.to_string()))?;
    let applied = store.apply(result).await.map_err(unavailable)?;
    let status = match applied {
        Applied::New(_) => StatusCode::CREATED,
        Applied::Seen(_) => StatusCode::OK,
    };
    Ok((status, axum::Json(applied.recorded())).into_response())
}

async fn top10<S: Store>(State(store): State<Arc<S>>) -> Result<Response, ApiError> {
    let board = store.top().await.map_err(unavailable)?;
    Ok(axum::Json(board).into_response())
}

async fn athlete<S: Store>(
    State(store): State<Arc<S>>,
    name: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let Path(name) = name.map_err(|e| ApiError(e.status(), e.body_text()))?;
    match store.athlete(&name).await.map_err(unavailable)? {
        Some(line) => Ok(axum::Json(line).into_response()),
        None => Err(ApiError(
            StatusCode::NOT_FOUND,
            format!("no results for athlete {name:?}"),
        )),
    }
}

async fn health<S: Store>(State(store): State<Arc<S>>) -> Result<Response, ApiError> {
    store.ping().await.map_err(unavailable)?;
    Ok(axum::Json(json!({ "status": "ok", "storage": store.kind() })).into_response())
}
