//! The last word on error bodies: every error the facade sends is
//! `{"error": "..."}`, as docs/REST.md promises, even where a library
//! answered first. The handlers' own errors ([`ApiError`]) are JSON
//! already; this module gives the same shape to the rest: axum's plain
//! rejections (middleware [`json_body`]) and the automatic replies hyper
//! writes before a request reaches axum ([`replacement`], used by
//! [`crate::json_rejections`]).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::error::ApiError;

/// Middleware: an error response whose body is not JSON gets a JSON one,
/// with the status and other headers kept.
pub async fn json_body(response: Response) -> Response {
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let (mut parts, _) = response.into_parts();
    let json = ApiError::new(status, message(status)).into_response();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Response::from_parts(parts, json.into_body())
}

/// What an error with no message of its own says.
pub fn message(status: StatusCode) -> String {
    match status {
        StatusCode::BAD_REQUEST => "malformed HTTP request".to_owned(),
        StatusCode::URI_TOO_LONG => "URI too long: the request line is over 64 KiB".to_owned(),
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE => {
            "request head too large: over 100 headers or 400 KiB".to_owned()
        }
        other => other
            .canonical_reason()
            .unwrap_or("error")
            .to_ascii_lowercase(),
    }
}

/// The JSON body of an error `status` with no message of its own.
pub fn body(status: StatusCode) -> String {
    serde_json::json!({ "error": message(status) }).to_string()
}

/// The bytes to send instead of `head` when it is a complete HTTP/1
/// response head for an error with an empty body (`content-length: 0`),
/// which only hyper's automatic replies to unparsable requests are: the
/// same head with a JSON body. `None` for anything else.
pub fn replacement(head: &[u8]) -> Option<Vec<u8>> {
    const EMPTY: &[u8] = b"\r\ncontent-length: 0\r\n";
    let status = head.strip_prefix(b"HTTP/1.1 ")?.get(..3)?;
    let status = StatusCode::from_bytes(status).ok()?;
    if !(status.is_client_error() || status.is_server_error()) || !head.ends_with(b"\r\n\r\n") {
        return None;
    }
    let at = head.windows(EMPTY.len()).position(|w| w == EMPTY)?;
    let body = body(status);
    let mut out = Vec::with_capacity(head.len() + body.len() + 64);
    out.extend_from_slice(&head[..at]);
    out.extend_from_slice(b"\r\ncontent-type: application/json\r\ncontent-length: ");
    out.extend_from_slice(body.len().to_string().as_bytes());
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(&head[at + EMPTY.len()..]);
    out.extend_from_slice(body.as_bytes());
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_error_head_gets_a_json_body_and_keeps_its_other_headers() {
        let head = b"HTTP/1.1 414 URI Too Long\r\ncontent-length: 0\r\ndate: today\r\n\r\n";
        let out = String::from_utf8(replacement(head).unwrap()).unwrap();
        let (head, body) = out.split_once("\r\n\r\n").unwrap();
        assert_eq!(
            head,
            "HTTP/1.1 414 URI Too Long\r\ncontent-type: application/json\r\n\
             content-length: 57\r\ndate: today"
        );
        let json: serde_json::Value = serde_json::from_str(body).unwrap();
        assert!(json["error"].as_str().unwrap().contains("URI too long"));
        assert_eq!(body.len(), 57);
    }

    #[test]
    fn successes_bodies_and_partial_heads_are_left_alone() {
        for head in [
            &b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n"[..],
            b"HTTP/1.1 404 Not Found\r\ncontent-length: 20\r\n\r\n",
            b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n",
            b"{\"error\": \"HTTP/1.1 400\"}",
        ] {
            assert_eq!(replacement(head), None, "{}", String::from_utf8_lossy(head));
        }
    }
}
