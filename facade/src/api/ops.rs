//! The operator's endpoints: `GET /health` (is the facade, and the herd
//! behind it, whole?) and `GET /metrics` (Prometheus).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;

use super::AppState;
use crate::health::{self, Health};
use crate::metrics;

/// `GET /health`: 200 when every herd server answers and none is degraded,
/// 503 otherwise; the body says which and why either way.
pub async fn health(State(app): State<AppState>) -> (StatusCode, Json<Health>) {
    let health = health::check(&app.servers).await;
    let status = if health.degraded {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::OK
    };
    (status, Json(health))
}

/// `GET /metrics`: the facade's metrics in the Prometheus text format.
pub async fn metrics(State(app): State<AppState>) -> impl IntoResponse {
    (
        [(CONTENT_TYPE, metrics::CONTENT_TYPE)],
        app.metrics.encode(),
    )
}
