//! The pages people look at: `GET /` (the scoreboard, live over `/events`)
//! and `GET /herd` (each herd server and its links, from `/health`). HTML,
//! CSS and JavaScript are embedded in the binary: no build step, no CDN.

use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::IntoResponse;

/// The scoreboard page.
const BOARD_HTML: &str = include_str!("../../static/index.html");
/// The herd page.
const HERD_HTML: &str = include_str!("../../static/herd.html");
/// The style both pages share.
const CSS: &str = include_str!("../../static/board.css");
/// The scoreboard's script.
const BOARD_JS: &str = include_str!("../../static/board.js");
/// The herd page's script.
const HERD_JS: &str = include_str!("../../static/herd.js");

/// Browsers check again on every load, so a new facade's page is seen at once.
const REVALIDATE: &str = "no-cache";

fn asset(content_type: &'static str, body: &'static str) -> impl IntoResponse {
    (
        [(CONTENT_TYPE, content_type), (CACHE_CONTROL, REVALIDATE)],
        body,
    )
}

/// `GET /`.
pub async fn board() -> impl IntoResponse {
    asset("text/html; charset=utf-8", BOARD_HTML)
}

/// `GET /herd`.
pub async fn herd() -> impl IntoResponse {
    asset("text/html; charset=utf-8", HERD_HTML)
}

/// `GET /board.css`.
pub async fn css() -> impl IntoResponse {
    asset("text/css; charset=utf-8", CSS)
}

/// `GET /board.js`.
pub async fn board_js() -> impl IntoResponse {
    asset("text/javascript; charset=utf-8", BOARD_JS)
}

/// `GET /herd.js`.
pub async fn herd_js() -> impl IntoResponse {
    asset("text/javascript; charset=utf-8", HERD_JS)
}
