//! The `google-new` provider: Places API (New) `places:searchNearby`,
//! `POST {base}/v1/places:searchNearby` with the key and a field mask in
//! headers, converted to the legacy Nearby Search shape so WHATSAT replies
//! look the same whichever API answers.
//!
//! Each new-API place becomes a legacy result: `location` →
//! `geometry.location`, `displayName.text` → `name`, `id` → `place_id`,
//! `shortFormattedAddress` (else `formattedAddress`) → `vicinity`, and
//! `types`, `rating`, `userRatingCount` → `user_ratings_total`,
//! `businessStatus` → `business_status` when present. No places gives
//! `ZERO_RESULTS`; an error body `{"error":{"status":..,"message":..}}` maps
//! to the nearest legacy status with its message.

use serde_json::{Map, Value, json};

use super::PlacesError;
use super::api_key::ApiKey;
use super::legacy::{self, ErrorStatus, Failure};
use super::upstream::{Endpoint, Reply, radius_metres};
use base::topology::PlacesConfig;
use proto::coords::Coords;

/// Google's host for the Places API (New).
pub const DEFAULT_BASE_URL: &str = "https://places.googleapis.com";

/// The search path under the base URL.
const PATH: &str = "/v1/places:searchNearby";

/// The fields requested: what the legacy conversion uses, nothing more
/// (Google bills by field).
pub const FIELD_MASK: &str = "places.id,places.displayName,places.location,\
places.formattedAddress,places.shortFormattedAddress,places.types,places.rating,\
places.userRatingCount,places.businessStatus";

/// Most results the new API returns for one request.
pub const MAX_RESULT_COUNT: usize = 20;

/// A Places API (New) client.
#[derive(Debug)]
pub struct GoogleNew {
    /// The searchNearby URL; the key travels in `X-Goog-Api-Key`.
    endpoint: Endpoint,
}

impl GoogleNew {
    /// A client for the configured (or Google's) host.
    pub fn new(config: &PlacesConfig, key: ApiKey) -> Result<Self, PlacesError> {
        Ok(Self {
            endpoint: Endpoint::new(config, DEFAULT_BASE_URL, PATH, key)?,
        })
    }

    /// Legacy Nearby Search JSON for `at`, at most `bound` results.
    pub async fn nearby(&self, at: Coords, radius_km: f64, bound: usize) -> String {
        let result = self.search(at, radius_km, bound).await;
        self.endpoint.answer(result.map(legacy::success))
    }

    async fn search(
        &self,
        at: Coords,
        radius_km: f64,
        bound: usize,
    ) -> Result<Vec<Value>, Failure> {
        let bound = bound.min(MAX_RESULT_COUNT);
        let body = json!({
            "locationRestriction": {
                "circle": {
                    "center": { "latitude": at.lat, "longitude": at.lng },
                    "radius": radius_metres(radius_km),
                }
            },
            "maxResultCount": bound,
        });
        let request = self
            .endpoint
            .client
            .post(&self.endpoint.url)
            .header("X-Goog-Api-Key", self.endpoint.key.expose())
            .header("X-Goog-FieldMask", FIELD_MASK)
            .json(&body);
        let Reply { status, body } = self.endpoint.fetch(request).await?;
        let value: Option<Value> = serde_json::from_slice(&body).ok();
        if !status.is_success() {
            return Err(value
                .as_ref()
                .and_then(upstream_error)
                .unwrap_or_else(|| Failure::unknown(format!("upstream answered HTTP {status}"))));
        }
        let value = value.ok_or_else(|| Failure::unknown("upstream sent invalid JSON"))?;
        if let Some(failure) = upstream_error(&value) {
            return Err(failure);
        }
        let places = match value.get("places") {
            None => &[][..],
            Some(Value::Array(places)) => places.as_slice(),
            Some(_) => return Err(Failure::unknown("upstream `places` is not an array")),
        };
        Ok(places.iter().take(bound).filter_map(to_legacy).collect())
    }
}

/// The failure an `{"error": {...}}` body describes, if it is one.
fn upstream_error(value: &Value) -> Option<Failure> {
    let error = value.get("error")?.as_object()?;
    let status = match error.get("status").and_then(Value::as_str) {
        Some("PERMISSION_DENIED" | "UNAUTHENTICATED") => ErrorStatus::RequestDenied,
        Some("INVALID_ARGUMENT" | "FAILED_PRECONDITION" | "OUT_OF_RANGE") => {
            ErrorStatus::InvalidRequest
        }
        Some("RESOURCE_EXHAUSTED") => ErrorStatus::OverQueryLimit,
        _ => ErrorStatus::UnknownError,
    };
    let message = error
        .get("message")
        .and_then(Value::as_str)
        .unwrap_or("upstream reported an error without a message");
    Some(Failure {
        status,
        message: message.replace(['\n', '\r'], " "),
    })
}

/// One new-API place as a legacy result. `None` when it is not an object.
fn to_legacy(place: &Value) -> Option<Value> {
    let place = place.as_object()?;
    let mut out = Map::new();
    if let Some(location) = place.get("location") {
        let mut at = Map::new();
        for (from, to) in [("latitude", "lat"), ("longitude", "lng")] {
            if let Some(v) = location.get(from) {
                at.insert(to.to_owned(), v.clone());
            }
        }
        out.insert("geometry".to_owned(), json!({ "location": at }));
    }
    let name = place.get("displayName").and_then(|d| d.get("text"));
    let vicinity = place
        .get("shortFormattedAddress")
        .or_else(|| place.get("formattedAddress"));
    let copies = [
        ("name", name),
        ("place_id", place.get("id")),
        ("vicinity", vicinity),
        ("types", place.get("types")),
        ("rating", place.get("rating")),
        ("user_ratings_total", place.get("userRatingCount")),
        ("business_status", place.get("businessStatus")),
    ];
    for (key, value) in copies {
        if let Some(value) = value {
            out.insert(key.to_owned(), value.clone());
        }
    }
    Some(Value::Object(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_place_converts_to_legacy_fields() {
        let place = json!({
            "id": "ChIJZQ9c8IW8woARN0gTXFiTqSU",
            "displayName": { "text": "UCLA", "languageCode": "en" },
            "location": { "latitude": 34.0689254, "longitude": -118.4451811 },
            "formattedAddress": "Los Angeles, CA 90095, USA",
            "shortFormattedAddress": "Los Angeles",
            "types": ["university", "point_of_interest", "establishment"],
            "rating": 4.6,
            "userRatingCount": 5532,
            "businessStatus": "OPERATIONAL",
        });
        assert_eq!(
            to_legacy(&place),
            Some(json!({
                "geometry": { "location": { "lat": 34.0689254, "lng": -118.4451811 } },
                "name": "UCLA",
                "place_id": "ChIJZQ9c8IW8woARN0gTXFiTqSU",
                "vicinity": "Los Angeles",
                "types": ["university", "point_of_interest", "establishment"],
                "rating": 4.6,
                "user_ratings_total": 5532,
                "business_status": "OPERATIONAL",
            }))
        );
    }

    #[test]
    fn sparse_place_keeps_only_what_it_has() {
        let place = json!({ "id": "x", "formattedAddress": "Somewhere 1, Town" });
        assert_eq!(
            to_legacy(&place),
            Some(json!({ "place_id": "x", "vicinity": "Somewhere 1, Town" }))
        );
        assert_eq!(to_legacy(&json!("not a place")), None);
    }

    #[test]
    fn error_statuses_map_to_legacy_ones() {
        let cases = [
            ("PERMISSION_DENIED", ErrorStatus::RequestDenied),
            ("UNAUTHENTICATED", ErrorStatus::RequestDenied),
            ("INVALID_ARGUMENT", ErrorStatus::InvalidRequest),
            ("RESOURCE_EXHAUSTED", ErrorStatus::OverQueryLimit),
            ("INTERNAL", ErrorStatus::UnknownError),
        ];
        for (status, want) in cases {
            let body = json!({ "error": { "code": 403, "status": status, "message": "m\nx" } });
            let failure = upstream_error(&body).expect("an error body");
            assert_eq!(failure.status, want, "{status}");
            assert_eq!(failure.message, "m x");
        }
        assert_eq!(upstream_error(&json!({ "places": [] })), None);
    }
}
