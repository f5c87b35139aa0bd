//! The `google` provider: Google Places legacy Nearby Search,
//! `GET {base}/maps/api/place/nearbysearch/json?location=LAT,LNG&radius=M&key=KEY`.
//!
//! The upstream's JSON is passed through as Google wrote it (numbers keep
//! their text), with `results` cut to the WHATSAT bound and re-rendered in
//! Google's own style. Google reports its own errors with HTTP 200 and a
//! status such as `REQUEST_DENIED`; those pass through too. Transport
//! failures, non-2xx answers and bodies that are not a JSON object become
//! `UNKNOWN_ERROR` with an `error_message`.

use serde_json::Value;

use super::PlacesError;
use super::api_key::ApiKey;
use super::json_style::to_styled_string;
use super::legacy::Failure;
use super::upstream::{Endpoint, Reply, radius_metres};
use base::topology::PlacesConfig;
use proto::coords::Coords;

/// Google's host for the legacy API.
pub const DEFAULT_BASE_URL: &str = "https://maps.googleapis.com";

/// The Nearby Search path under the base URL.
const PATH: &str = "/maps/api/place/nearbysearch/json";

/// A legacy Nearby Search client.
#[derive(Debug)]
pub struct Google {
    /// The Nearby Search URL; the key travels as the `key` query parameter.
    endpoint: Endpoint,
}

impl Google {
    /// A client for the configured (or Google's) host.
    pub fn new(config: &PlacesConfig, key: ApiKey) -> Result<Self, PlacesError> {
        Ok(Self {
            endpoint: Endpoint::new(config, DEFAULT_BASE_URL, PATH, key)?,
        })
    }

    /// Legacy Nearby Search JSON for `at`, at most `bound` results.
    pub async fn nearby(&self, at: Coords, radius_km: f64, bound: usize) -> String {
        let result = self.search(at, radius_km, bound).await;
        self.endpoint.answer(result)
    }

    async fn search(&self, at: Coords, radius_km: f64, bound: usize) -> Result<String, Failure> {
        let location = format!("{},{}", at.lat, at.lng);
        let radius = radius_metres(radius_km).to_string();
        let key = &self.endpoint.key;
        let request = self.endpoint.client.get(&self.endpoint.url).query(&[
            ("location", location.as_str()),
            ("radius", radius.as_str()),
            ("key", key.expose()),
        ]);
        let Reply { status, body } = self.endpoint.fetch(request).await?;
        if !status.is_success() {
            return Err(Failure::unknown(format!("upstream answered HTTP {status}")));
        }
        let mut value: Value = serde_json::from_slice(&body)
            .map_err(|e| Failure::unknown(format!("upstream sent invalid JSON: {e}")))?;
        let top = value
            .as_object_mut()
            .ok_or_else(|| Failure::unknown("upstream JSON is not an object"))?;
        if let Some(Value::Array(results)) = top.get_mut("results") {
            results.truncate(bound);
        }
        if let Some(Value::String(message)) = top.get_mut("error_message") {
            *message = key.scrub(message);
        }
        Ok(to_styled_string(&value))
    }
}
