//! Every failure an endpoint can answer with: a status and a JSON body
//! `{"error": "..."}`, never an empty one.

use axum::Json;
use axum::extract::{FromRequestParts, Path};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde_json::json;

use crate::herd_link::LinkError;

/// An error reply.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// Shown to the client as `error`. Never holds the Cacofonix id.
    pub message: String,
}

impl ApiError {
    /// An error with any status.
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }

    /// 400: the request is malformed.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    /// 404: no such team, event, medal or endpoint.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }

    /// 403: the herd refused the Cacofonix id.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(json!({ "error": self.message }))).into_response()
    }
}

impl From<LinkError> for ApiError {
    fn from(error: LinkError) -> Self {
        let (status, message) = match error {
            LinkError::Unreachable => (
                StatusCode::SERVICE_UNAVAILABLE,
                "no herd server is reachable; try again shortly",
            ),
            LinkError::Timeout => (
                StatusCode::GATEWAY_TIMEOUT,
                "the herd did not answer in time; a write may or may not have been applied",
            ),
            LinkError::Lost => (
                StatusCode::SERVICE_UNAVAILABLE,
                "the connection to the herd was lost; a write may or may not have been applied",
            ),
            LinkError::Unexpected => (StatusCode::BAD_GATEWAY, "the herd sent an unexpected reply"),
            LinkError::Unsendable => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "the request cannot be written as a herd command",
            ),
        };
        Self::new(status, message)
    }
}

/// Path parameters, like axum's `Path`, but a malformed path (for example a
/// segment that is not UTF-8 once percent-decoded) is a JSON 400. The
/// rejection's own text is not shown: it could quote the Cacofonix id.
pub struct Segments<T>(pub T);

impl<S, T> FromRequestParts<S> for Segments<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(value)) => Ok(Segments(value)),
            Err(_) => Err(ApiError::bad_request(
                "malformed path: every segment must be percent-encoded UTF-8",
            )),
        }
    }
}
