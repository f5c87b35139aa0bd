//! HTTP plumbing shared by the Google providers: the client, the base URL,
//! one bounded request with a deadline, and error text that never carries
//! the key.

use std::error::Error as _;
use std::time::Duration;

use reqwest::{RequestBuilder, StatusCode, Url};

use super::PlacesError;
use super::api_key::ApiKey;
use super::legacy::Failure;
use base::topology::PlacesConfig;

/// Largest upstream response body read. A full legacy page of 20 results is
/// around 20 KiB; anything this large is not a Places answer.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// One Google endpoint: where it is, how to reach it, the key it takes and
/// how long it may take.
#[derive(Debug)]
pub struct Endpoint {
    /// The HTTP client, shared by all requests to this endpoint.
    pub client: reqwest::Client,
    /// The full URL, base plus path.
    pub url: String,
    /// The key; each provider decides where it travels.
    pub key: ApiKey,
    /// Deadline for one whole request, body included.
    pub timeout: Duration,
}

impl Endpoint {
    /// `path` under the configured base URL, or under `default_base`.
    pub fn new(
        config: &PlacesConfig,
        default_base: &str,
        path: &str,
        key: ApiKey,
    ) -> Result<Self, PlacesError> {
        let timeout = Duration::from_millis(config.timeout_ms);
        let base = base_url(config.base_url.as_deref(), default_base)?;
        Ok(Self {
            client: client(timeout)?,
            url: format!("{base}{path}"),
            key,
            timeout,
        })
    }

    /// Sends `request` (built from [`Endpoint::client`]) within the deadline.
    pub async fn fetch(&self, request: RequestBuilder) -> Result<Reply, Failure> {
        fetch(request, self.timeout).await
    }

    /// The reply for WHATSAT: the provider's JSON, or the failure as legacy
    /// JSON with any copy of the key scrubbed from its message.
    pub fn answer(&self, result: Result<String, Failure>) -> String {
        result.unwrap_or_else(|failure| {
            Failure {
                message: self.key.scrub(&failure.message),
                ..failure
            }
            .to_json()
        })
    }
}

/// Builds the HTTP client for one provider. Redirects are not followed: the
/// legacy API carries the key in the query string, and a redirect would hand
/// it to whatever host the upstream named.
fn client(timeout: Duration) -> Result<reqwest::Client, PlacesError> {
    reqwest::Client::builder()
        .connect_timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("herd/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(PlacesError::Client)
}

/// The base URL to use: `configured` if given, else `default`; checked to
/// be an `http`/`https` URL without query or fragment, and returned without
/// a trailing slash so that paths can be appended to it (a proxy may serve
/// under a path prefix).
fn base_url(configured: Option<&str>, default: &str) -> Result<String, PlacesError> {
    let text = configured.unwrap_or(default).trim_end_matches('/');
    let bad = |reason: &'static str| PlacesError::BadBaseUrl {
        url: text.to_owned(),
        reason,
    };
    let url = Url::parse(text).map_err(|_| bad("not a URL"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad("scheme must be http or https"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad("must not have a query or fragment"));
    }
    Ok(text.to_owned())
}

/// A WHATSAT radius in whole metres, at least 1, as both Google APIs take it.
pub fn radius_metres(radius_km: f64) -> u64 {
    // `as` saturates; WHATSAT already caps the radius at 50 km.
    ((radius_km * 1000.0).round() as u64).max(1)
}

/// What came back from a request that completed.
#[derive(Debug)]
pub struct Reply {
    /// The HTTP status.
    pub status: StatusCode,
    /// The whole body, at most [`MAX_BODY_BYTES`].
    pub body: Vec<u8>,
}

/// Sends `request` and reads the body, all within `deadline`. Transport
/// failures, a body over [`MAX_BODY_BYTES`] and the deadline become
/// `UNKNOWN_ERROR` failures whose message has no URL (and so no key).
async fn fetch(request: RequestBuilder, deadline: Duration) -> Result<Reply, Failure> {
    let exchange = async {
        let mut response = request.send().await.map_err(describe)?;
        let status = response.status();
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(describe)? {
            if body.len() + chunk.len() > MAX_BODY_BYTES {
                return Err(Failure::unknown(format!(
                    "upstream response is larger than {MAX_BODY_BYTES} bytes"
                )));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Reply { status, body })
    };
    match tokio::time::timeout(deadline, exchange).await {
        Ok(result) => result,
        Err(_) => Err(Failure::unknown(format!(
            "upstream did not answer within {} ms",
            deadline.as_millis()
        ))),
    }
}

/// A transport error as a failure: its text and causes on one line, with the
/// URL (which holds the legacy API's key) removed.
fn describe(err: reqwest::Error) -> Failure {
    let err = err.without_url();
    let mut message = format!("upstream request failed: {err}");
    let mut source = err.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    Failure::unknown(message.replace(['\n', '\r'], " "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn radius_is_whole_metres() {
        assert_eq!(radius_metres(10.0), 10_000);
        assert_eq!(radius_metres(23.7), 23_700);
        assert_eq!(radius_metres(0.0001), 1);
        assert_eq!(radius_metres(50.0), 50_000);
    }

    #[test]
    fn base_url_is_checked_and_trimmed() {
        assert_eq!(
            base_url(None, "https://maps.googleapis.com").ok(),
            Some("https://maps.googleapis.com".to_owned())
        );
        assert_eq!(
            base_url(Some("http://127.0.0.1:9/prefix/"), "https://x").ok(),
            Some("http://127.0.0.1:9/prefix".to_owned())
        );
        for bad in ["ftp://x", "not a url", "http://x/?a=b", "http://x/#f"] {
            assert!(base_url(Some(bad), "https://x").is_err(), "{bad}");
        }
    }
}
