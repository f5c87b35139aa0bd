//! The HTTP side: routes, shared handler state, fallbacks and the request log.

pub mod error;
pub mod handlers;
pub mod json_errors;
pub mod log;
pub mod ops;
pub mod pages;
pub mod sse;
pub mod tokens;

use std::sync::Arc;

use axum::Router;
use axum::handler::Handler;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tower_http::catch_panic::CatchPanicLayer;

use crate::catalog::Herd;
use crate::metrics::{self, FacadeMetrics};
use crate::push::Pusher;
use crate::servers::Servers;
use crate::subscriber::Updates;
use crate::view::ReadView;
use error::ApiError;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// Requests to the herd and the cached catalog.
    pub herd: Arc<Herd>,
    /// The push registry.
    pub pusher: Arc<Pusher>,
    /// The board of current values and its changes, for SSE streams.
    pub updates: Arc<Updates>,
    /// Bounds the SSE streams open at once; each stream holds a permit.
    pub sse_streams: Arc<Semaphore>,
    /// Cancelled on shutdown; ends SSE streams.
    pub shutdown: CancellationToken,
    /// The herd servers, for `/health`.
    pub servers: Arc<Servers>,
    /// Counters and latencies, for `/metrics`.
    pub metrics: Arc<FacadeMetrics>,
    /// Tallies and scores kept fresh from the herd, for fast reads.
    pub view: Arc<ReadView>,
    /// The raffle's connection to the herd (`GET /raffle`, draws).
    pub raffle: Arc<crate::raffle::RaffleLink>,
    /// Counts every Olympic request in the raffle's order.
    pub counter: Arc<crate::raffle::Counter>,
}

/// Every endpoint. Reads answer GET (and HEAD); writes answer GET, POST
/// and PUT, never HEAD.
pub fn router(state: AppState) -> Router {
    use handlers::*;
    let tracked = axum::middleware::from_fn_with_state(state.metrics.clone(), metrics::track);
    let counted =
        axum::middleware::from_fn_with_state(state.counter.clone(), crate::raffle::count_olympic);
    Router::new()
        .route("/getMedalTally/{team}", get(get_medal_tally))
        .route(
            "/incrementMedalTally/{team}/{medal_type}/{auth_id}",
            write(increment_medal_tally),
        )
        .route("/getScore/{event_type}", get(get_score))
        .route(
            "/setScore/{event_type}/{rome_score}/{gaul_score}/{auth_id}",
            write(set_score),
        )
        .route(
            "/registerClient/{client_id}/{event_type}",
            write(register_client),
        )
        .route(
            "/registerClient/{client_id}/medals/{team}",
            write(register_medals),
        )
        .route("/events", get(sse::everything))
        .route("/events/{event_type}", get(sse::event))
        .route("/events/medals/{team}", get(sse::medals))
        .route("/", get(pages::board))
        .route("/board.css", get(pages::css))
        .route("/board.js", get(pages::board_js))
        .route("/herd", get(pages::herd))
        .route("/herd.js", get(pages::herd_js))
        .route("/health", get(ops::health))
        .route("/metrics", get(ops::metrics))
        .route("/raffle", get(crate::raffle::show))
        .route("/raffle/draw/{auth_id}", write(crate::raffle::draw))
        .fallback(no_such_endpoint)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(CatchPanicLayer::custom(panicked))
        .layer(axum::middleware::from_fn(log::log_request))
        .layer(axum::middleware::map_response(json_errors::json_body))
        .layer(tracked)
        .layer(counted)
        .with_state(state)
}

/// A write endpoint: `handler` on GET, POST and PUT. HEAD, which axum
/// would otherwise send to the GET handler, is refused: a HEAD must not
/// change anything.
fn write<H, T>(handler: H) -> MethodRouter<AppState>
where
    H: Handler<T, AppState> + Clone,
    T: 'static,
{
    get(handler.clone())
        .post(handler.clone())
        .put(handler)
        .head(head_on_a_write)
}

/// 405 for HEAD on a write endpoint, with the methods it takes.
async fn head_on_a_write() -> Response {
    let mut response = ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method not allowed: writes take GET, POST or PUT, never HEAD",
    )
    .into_response();
    response
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static("GET,POST,PUT"));
    response
}

async fn no_such_endpoint() -> ApiError {
    ApiError::not_found("no such endpoint (see docs/REST.md)")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method not allowed: reads take GET, writes GET, POST or PUT",
    )
}

fn panicked(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("a request handler panicked");
    ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
}
