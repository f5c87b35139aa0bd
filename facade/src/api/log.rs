//! The request log: one line per request with method, path, status and
//! time taken. The Cacofonix id travels in URL paths, so the path is logged
//! with its `{auth_id}` segment replaced by `<redacted>`; a path that matched
//! no route is logged by its first segment only. Query strings are never
//! logged.

use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use tracing::info;

/// What the secret segment is replaced with.
pub const REDACTED: &str = "<redacted>";
/// Route parameter that holds the Cacofonix id.
const AUTH_PARAM: &str = "{auth_id}";
/// Longest path segment written to the log, in bytes.
const MAX_LOGGED_SEGMENT: usize = 64;

/// Middleware: logs each request after it was answered.
pub async fn log_request(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let route = request.extensions().get::<MatchedPath>().cloned();
    let path = loggable_path(
        request.uri().path(),
        route.as_ref().map(MatchedPath::as_str),
    );
    let response = next.run(request).await;
    info!(
        method = %method,
        path = %path,
        status = response.status().as_u16(),
        micros = started.elapsed().as_micros() as u64,
        "request"
    );
    response
}

/// `path` as it may be logged, given the route template it matched. Built
/// in one buffer: it runs for every request.
pub fn loggable_path(path: &str, route: Option<&str>) -> String {
    let mut out = String::with_capacity(path.len().min(4 * MAX_LOGGED_SEGMENT) + REDACTED.len());
    match route {
        Some(route) => {
            if route.split('/').count() != path.split('/').count() {
                return route.to_owned();
            }
            for (i, (t, r)) in route.split('/').zip(path.split('/')).enumerate() {
                if i > 0 {
                    out.push('/');
                }
                if t == AUTH_PARAM {
                    out.push_str(REDACTED);
                } else {
                    clip_into(&mut out, r);
                }
            }
        }
        None => {
            let mut raw = path.split('/').skip(1);
            out.push('/');
            clip_into(&mut out, raw.next().unwrap_or(""));
            if raw.next().is_some() {
                out.push('/');
                out.push_str(REDACTED);
            }
        }
    }
    out
}

/// Appends `segment` cut to [`MAX_LOGGED_SEGMENT`] bytes, with anything but
/// printable ASCII escaped (a request path is ASCII, but the log must not
/// trust that).
fn clip_into(out: &mut String, segment: &str) {
    out.extend(
        segment
            .bytes()
            .take(MAX_LOGGED_SEGMENT)
            .flat_map(std::ascii::escape_default)
            .map(char::from),
    );
    if segment.len() > MAX_LOGGED_SEGMENT {
        out.push_str("...");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SET: &str = "/setScore/{event_type}/{rome_score}/{gaul_score}/{auth_id}";

    #[test]
    fn the_auth_segment_is_redacted() {
        assert_eq!(
            loggable_path("/setScore/curling/1/2/s3cret", Some(SET)),
            "/setScore/curling/1/2/<redacted>"
        );
        assert_eq!(
            loggable_path("/getScore/curling", Some("/getScore/{event_type}")),
            "/getScore/curling"
        );
    }

    #[test]
    fn unmatched_paths_show_only_their_first_segment() {
        assert_eq!(
            loggable_path("/setscore/curling/1/2/s3cret", None),
            "/setscore/<redacted>"
        );
        assert_eq!(loggable_path("/", None), "/");
        assert_eq!(loggable_path("/nothing", None), "/nothing");
    }

    #[test]
    fn a_path_that_does_not_fit_its_template_shows_the_template() {
        assert_eq!(loggable_path("/setScore/a/b/c/s3cret/x", Some(SET)), SET);
    }
}
