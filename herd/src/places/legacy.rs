//! The legacy Nearby Search response shape every provider answers with:
//! `html_attributions`, `results` and `status`, plus `error_message` when
//! something went wrong, rendered in Google's style by [`json_style`].
//!
//! [`json_style`]: super::json_style

use serde_json::{Map, Value};

use super::json_style::to_styled_string;

/// The non-OK statuses this server produces itself, named as Google's legacy
/// API names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorStatus {
    /// The key was refused, or the caller may not use the API.
    RequestDenied,
    /// The request was malformed.
    InvalidRequest,
    /// A quota was exhausted.
    OverQueryLimit,
    /// Anything else: the upstream failed, was unreachable, slow, or answered
    /// with something that is not a Places response.
    UnknownError,
}

impl ErrorStatus {
    /// The status text Google uses.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RequestDenied => "REQUEST_DENIED",
            Self::InvalidRequest => "INVALID_REQUEST",
            Self::OverQueryLimit => "OVER_QUERY_LIMIT",
            Self::UnknownError => "UNKNOWN_ERROR",
        }
    }
}

/// Why an upstream request produced no results: what the client will see as
/// `status` and `error_message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The legacy status.
    pub status: ErrorStatus,
    /// A one-line explanation. Never contains the API key.
    pub message: String,
}

impl Failure {
    /// A failure with the catch-all `UNKNOWN_ERROR` status.
    pub fn unknown(message: impl Into<String>) -> Self {
        Self {
            status: ErrorStatus::UnknownError,
            message: message.into(),
        }
    }

    /// The failure as a legacy response with no results.
    pub fn to_json(&self) -> String {
        let mut top = skeleton(Vec::new(), self.status.as_str());
        top.insert(
            "error_message".to_owned(),
            Value::String(self.message.clone()),
        );
        to_styled_string(&Value::Object(top))
    }
}

/// A successful response: `OK` with `results`, or `ZERO_RESULTS` when there
/// are none.
pub fn success(results: Vec<Value>) -> String {
    let status = if results.is_empty() {
        "ZERO_RESULTS"
    } else {
        "OK"
    };
    to_styled_string(&Value::Object(skeleton(results, status)))
}

/// The three members every legacy response has.
fn skeleton(results: Vec<Value>, status: &str) -> Map<String, Value> {
    let mut top = Map::new();
    top.insert("html_attributions".to_owned(), Value::Array(Vec::new()));
    top.insert("results".to_owned(), Value::Array(results));
    top.insert("status".to_owned(), Value::String(status.to_owned()));
    top
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_success_is_zero_results() {
        assert_eq!(
            success(Vec::new()),
            "{\n   \"html_attributions\" : [],\n   \"results\" : [],\n   \"status\" : \"ZERO_RESULTS\"\n}\n"
        );
    }

    #[test]
    fn failure_carries_status_and_message() {
        let failure = Failure {
            status: ErrorStatus::RequestDenied,
            message: "The provided API key is invalid.".to_owned(),
        };
        assert_eq!(
            failure.to_json(),
            "{\n   \"error_message\" : \"The provided API key is invalid.\",\n   \"html_attributions\" : [],\n   \"results\" : [],\n   \"status\" : \"REQUEST_DENIED\"\n}\n"
        );
    }
}
