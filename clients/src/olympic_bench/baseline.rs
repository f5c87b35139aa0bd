//! The baseline for `getMedalTally`: an axum server whose only route answers
//! a constant tally, with no herd behind it. What the facade adds on top of
//! HTTP itself (routing, a herd round trip, building the JSON, its request
//! log) is the difference between the two.
//!
//! `olympic-bench` runs it as its own process (the `baseline-server`
//! subcommand), so it has a runtime and cores to itself, as the facade does.

use axum::Router;
use axum::http::header;
use axum::routing::get;
use axum::serve::ListenerExt;
use tokio::net::TcpListener;

/// The one body the baseline answers, shaped as the facade's tally.
pub const TALLY_BODY: &str = r#"{"medals":{"bronze":0,"gold":0,"silver":0},"team":"Gaul"}"#;

/// The baseline's routes: `GET /getMedalTally/{team}`, whatever the team.
pub fn router() -> Router {
    Router::new().route(
        "/getMedalTally/{team}",
        get(|| async { ([(header::CONTENT_TYPE, "application/json")], TALLY_BODY) }),
    )
}

/// Serves [`router`] on `listener` until the process ends, with Nagle off
/// on every connection as the facade has it.
pub async fn serve(listener: TcpListener) -> std::io::Result<()> {
    let listener = listener.tap_io(|tcp| {
        // A socket that cannot take the option still serves, only slower.
        let _ = tcp.set_nodelay(true);
    });
    axum::serve(listener, router()).await
}
