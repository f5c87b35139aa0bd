//! The dispatcher's HTTP endpoints (docs/REST.md, "The dispatcher"):
//! `/assign/{clientID}`, `/release/{clientID}`, `/frontends`, `/health`.
//! Every reply is JSON, errors included.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::Json;
use axum::Router;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::{Deserialize, Serialize};
use serde_json::json;
use tracing::info;

use crate::assignments::{AssignError, Assignments, Health};
use crate::health::Prober;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    /// The assignments; the lock is never held across an await.
    pub table: Arc<Mutex<Assignments>>,
    /// Checks a front end a client says failed, before moving it.
    pub prober: Prober,
}

/// `/assign`'s answer.
#[derive(Debug, Serialize, Deserialize)]
pub struct Assigned {
    /// The front end's base URL.
    pub frontend: String,
    /// Clients per front end, this one included.
    pub clients: BTreeMap<String, usize>,
    /// How long the assignment lasts unless the client asks again.
    pub lease_seconds: u64,
}

/// `/assign`'s query: `?failed=URL` says the client's front end failed.
#[derive(Debug, Deserialize)]
pub struct AssignQuery {
    /// The front end the client could not use.
    failed: Option<String>,
}

/// The router over `state`.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/assign/{client_id}", get(assign))
        .route("/release/{client_id}", get(release))
        .route("/frontends", get(frontends))
        .route("/health", get(health))
        .fallback(|| async { error(StatusCode::NOT_FOUND, "no such endpoint".into()) })
        .with_state(state)
}

/// `GET /assign/{clientID}[?failed=URL]`.
async fn assign(
    State(state): State<AppState>,
    client: Result<Path<String>, PathRejection>,
    query: Result<Query<AssignQuery>, QueryRejection>,
) -> Response {
    let (Path(client), Query(query)) = match (client, query) {
        (Ok(client), Ok(query)) => (client, query),
        (Err(e), _) => return error(StatusCode::BAD_REQUEST, e.body_text()),
        (_, Err(e)) => return error(StatusCode::BAD_REQUEST, e.body_text()),
    };
    // A client's word alone never takes a front end out: it is checked
    // first, and only the one the client holds now.
    let now = Instant::now();
    let failed = {
        let table = state.table.lock().expect("assignment table lock");
        query
            .failed
            .filter(|url| table.current(&client, now) == Some(url.trim_end_matches('/')))
    };
    if let Some(url) = failed {
        state
            .prober
            .check_one(url.trim_end_matches('/'), &state.table)
            .await;
    }
    let mut table = state.table.lock().expect("assignment table lock");
    let before = table.current(&client, now).map(str::to_owned);
    match table.assign(&client, now) {
        Ok(url) => {
            let frontend = url.to_owned();
            if before.as_deref() != Some(&frontend) {
                info!(client = %client, frontend = %frontend, from = ?before, "assigned");
            }
            let reply = Assigned {
                frontend,
                clients: table.counts(),
                lease_seconds: table.lease().as_secs(),
            };
            Json(reply).into_response()
        }
        Err(e) => {
            let status = match e {
                AssignError::BadClientId => StatusCode::BAD_REQUEST,
                AssignError::NoneHealthy | AssignError::Full(_) => StatusCode::SERVICE_UNAVAILABLE,
            };
            let body = json!({"error": e.to_string(), "clients": table.counts()});
            (status, Json(body)).into_response()
        }
    }
}

/// `GET /release/{clientID}`.
async fn release(
    State(state): State<AppState>,
    client: Result<Path<String>, PathRejection>,
) -> Response {
    let Path(client) = match client {
        Ok(client) => client,
        Err(e) => return error(StatusCode::BAD_REQUEST, e.body_text()),
    };
    let mut table = state.table.lock().expect("assignment table lock");
    let released = table.release(&client, Instant::now());
    Json(json!({"released": released, "clients": table.counts()})).into_response()
}

/// `GET /frontends`: each front end's health and clients.
async fn frontends(State(state): State<AppState>) -> Response {
    let table = state.table.lock().expect("assignment table lock");
    let frontends: Vec<_> = (table.frontends().iter())
        .map(|f| json!({"url": f.url, "health": f.health, "clients": f.clients, "error": f.last_error}))
        .collect();
    Json(json!({"lease_seconds": table.lease().as_secs(), "frontends": frontends})).into_response()
}

/// `GET /health`: 200 while some front end can be given out, else 503.
async fn health(State(state): State<AppState>) -> Response {
    let table = state.table.lock().expect("assignment table lock");
    let usable = (table.frontends().iter())
        .filter(|f| f.health != Health::Down)
        .count();
    let status = if usable > 0 {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = json!({"usable_frontends": usable, "frontends": table.frontends().len()});
    (status, Json(body)).into_response()
}

/// A JSON error reply.
fn error(status: StatusCode, message: String) -> Response {
    (status, Json(json!({"error": message}))).into_response()
}
