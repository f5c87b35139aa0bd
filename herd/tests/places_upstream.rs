//! The Google providers against fake upstreams on loopback: what they send,
//! how they convert, and that every failure becomes a quick legacy-shaped
//! answer that never contains the key.

use std::time::{Duration, Instant};

use anyhow::Context as _;
use axum::http::{Method, StatusCode};
use base::topology::ProviderKind;
use serde_json::{Value, json};

/// The fake upstream the providers are pointed at.
#[path = "common/fake_places.rs"]
mod fake_places;

use fake_places::{Answer, KEY, UCLA, fake_upstream, places, query_pairs, seen_one, status_of};

const LEGACY_FIVE: &str = r#"{
  "html_attributions": [],
  "next_page_token": "CvQ...L2E",
  "results": [
    {"name": "University of California, Los Angeles", "geometry": {"location": {"lat": 34.0689210, "lng": -118.445181}},
     "types": ["university", "establishment"], "vicinity": "Los Angeles", "rating": 4.5},
    {"name": "Two", "geometry": {"location": {"lat": 34.1, "lng": -118.4}}},
    {"name": "Three"}, {"name": "Four"}, {"name": "Five"}
  ],
  "status": "OK"
}"#;

#[tokio::test]
async fn google_sends_location_radius_in_metres_and_key_and_cuts_to_bound() -> anyhow::Result<()> {
    let (addr, seen) = fake_upstream(Answer::json(StatusCode::OK, LEGACY_FIVE)).await?;
    let places = places(ProviderKind::Google, addr, 2_000)?;
    let reply = places.nearby(UCLA, 10.0, 2).await;

    let request = seen_one(&seen);
    assert_eq!(request.method, Method::GET);
    assert_eq!(request.uri.path(), "/maps/api/place/nearbysearch/json");
    assert_eq!(
        query_pairs(&request.uri),
        [
            ("location".to_owned(), "34.068931,-118.445127".to_owned()),
            ("radius".to_owned(), "10000".to_owned()),
            ("key".to_owned(), KEY.to_owned()),
        ]
    );

    let expected = r#"{
   "html_attributions" : [],
   "next_page_token" : "CvQ...L2E",
   "results" : [
      {
         "geometry" : {
            "location" : {
               "lat" : 34.0689210,
               "lng" : -118.445181
            }
         },
         "name" : "University of California, Los Angeles",
         "rating" : 4.5,
         "types" : [ "university", "establishment" ],
         "vicinity" : "Los Angeles"
      },
      {
         "geometry" : {
            "location" : {
               "lat" : 34.1,
               "lng" : -118.4
            }
         },
         "name" : "Two"
      }
   ],
   "status" : "OK"
}
"#;
    assert_eq!(reply, expected);
    Ok(())
}

#[tokio::test]
async fn google_radius_keeps_fractional_kilometres() -> anyhow::Result<()> {
    let (addr, seen) = fake_upstream(Answer::json(StatusCode::OK, LEGACY_FIVE)).await?;
    let places = places(ProviderKind::Google, addr, 2_000)?;
    let reply = places.nearby(UCLA, 0.5, 20).await;
    assert!(query_pairs(&seen_one(&seen).uri).contains(&("radius".to_owned(), "500".to_owned())));
    assert_eq!(
        serde_json::from_str::<Value>(&reply)?["results"]
            .as_array()
            .map(Vec::len),
        Some(5)
    );
    Ok(())
}

#[tokio::test]
async fn google_passes_its_own_error_status_through_without_the_key() -> anyhow::Result<()> {
    let body = json!({
        "error_message": format!("The provided API key {KEY} is invalid."),
        "html_attributions": [],
        "results": [],
        "status": "REQUEST_DENIED",
    });
    let (addr, _) = fake_upstream(Answer::json(StatusCode::OK, body.to_string())).await?;
    let reply = places(ProviderKind::Google, addr, 2_000)?
        .nearby(UCLA, 10.0, 5)
        .await;
    assert_eq!(status_of(&reply)?, "REQUEST_DENIED");
    assert!(!reply.contains(KEY), "{reply}");
    assert!(
        reply.contains("The provided API key <redacted> is invalid."),
        "{reply}"
    );
    Ok(())
}

/// A place in the new API's shape.
fn new_place(id: &str, name: &str) -> Value {
    json!({
        "id": id,
        "displayName": { "text": name, "languageCode": "en" },
        "location": { "latitude": 34.0689254, "longitude": -118.4451811 },
        "formattedAddress": "Los Angeles, CA 90095, USA",
        "shortFormattedAddress": "Los Angeles",
        "types": ["university", "establishment"],
        "rating": 4.6,
        "userRatingCount": 5532,
        "businessStatus": "OPERATIONAL",
    })
}

#[tokio::test]
async fn google_new_sends_key_mask_and_circle_and_converts_to_legacy() -> anyhow::Result<()> {
    let body = json!({ "places": [new_place("ChIJ1", "UCLA"), new_place("ChIJ2", "Royce Hall"), new_place("ChIJ3", "Extra")] });
    let (addr, seen) = fake_upstream(Answer::json(StatusCode::OK, body.to_string())).await?;
    let reply = places(ProviderKind::GoogleNew, addr, 2_000)?
        .nearby(UCLA, 10.0, 2)
        .await;

    let request = seen_one(&seen);
    assert_eq!(request.method, Method::POST);
    assert_eq!(request.uri.path(), "/v1/places:searchNearby");
    assert_eq!(request.uri.query(), None, "the key must not be in the URL");
    assert_eq!(request.headers["x-goog-api-key"], KEY);
    let mask = request.headers["x-goog-fieldmask"].to_str()?;
    for field in [
        "places.id",
        "places.displayName",
        "places.location",
        "places.shortFormattedAddress",
        "places.types",
    ] {
        assert!(mask.split(',').any(|f| f == field), "{mask}");
    }
    let sent: Value = serde_json::from_slice(&request.body)?;
    assert_eq!(
        sent,
        json!({
            "locationRestriction": { "circle": {
                "center": { "latitude": 34.068931, "longitude": -118.445127 },
                "radius": 10000,
            }},
            "maxResultCount": 2,
        })
    );

    let reply: Value = serde_json::from_str(&reply)?;
    assert_eq!(reply["status"], "OK");
    assert_eq!(reply["html_attributions"], json!([]));
    let results = reply["results"].as_array().context("results")?;
    assert_eq!(results.len(), 2, "cut to the bound");
    assert_eq!(
        results[0],
        json!({
            "business_status": "OPERATIONAL",
            "geometry": { "location": { "lat": 34.0689254, "lng": -118.4451811 } },
            "name": "UCLA",
            "place_id": "ChIJ1",
            "rating": 4.6,
            "types": ["university", "establishment"],
            "user_ratings_total": 5532,
            "vicinity": "Los Angeles",
        })
    );
    Ok(())
}

#[tokio::test]
async fn google_new_asks_for_at_most_twenty() -> anyhow::Result<()> {
    let (addr, seen) = fake_upstream(Answer::json(StatusCode::OK, "{}")).await?;
    let reply = places(ProviderKind::GoogleNew, addr, 2_000)?
        .nearby(UCLA, 50.0, 25)
        .await;
    let sent: Value = serde_json::from_slice(&seen_one(&seen).body)?;
    assert_eq!(sent["maxResultCount"], 20);
    assert_eq!(sent["locationRestriction"]["circle"]["radius"], 50000);
    assert_eq!(
        reply,
        "{\n   \"html_attributions\" : [],\n   \"results\" : [],\n   \"status\" : \"ZERO_RESULTS\"\n}\n"
    );
    Ok(())
}

#[tokio::test]
async fn google_new_error_body_maps_to_a_legacy_status_and_message() -> anyhow::Result<()> {
    let body = json!({ "error": {
        "code": 403,
        "message": format!("API key {KEY} not valid. Please pass a valid API key."),
        "status": "PERMISSION_DENIED",
    }});
    let (addr, _) = fake_upstream(Answer::json(StatusCode::FORBIDDEN, body.to_string())).await?;
    let reply = places(ProviderKind::GoogleNew, addr, 2_000)?
        .nearby(UCLA, 10.0, 5)
        .await;
    assert_eq!(status_of(&reply)?, "REQUEST_DENIED");
    assert!(!reply.contains(KEY), "{reply}");
    assert!(
        reply.contains("\"error_message\" : \"API key <redacted> not valid."),
        "{reply}"
    );
    Ok(())
}

/// Each failure, for each Google provider: a legacy-shaped `UNKNOWN_ERROR`
/// with results `[]`, quickly, with no key in it.
async fn assert_fails_cleanly(answer: Answer, timeout_ms: u64, expect: &str) -> anyhow::Result<()> {
    for kind in [ProviderKind::Google, ProviderKind::GoogleNew] {
        let (addr, _) = fake_upstream(answer.clone()).await?;
        let places = places(kind, addr, timeout_ms)?;
        let start = Instant::now();
        let reply = places.nearby(UCLA, 10.0, 5).await;
        let took = start.elapsed();
        assert!(
            took < Duration::from_millis(timeout_ms + 1_000),
            "{kind:?} took {took:?}"
        );
        let value: Value = serde_json::from_str(&reply).context("reply is JSON")?;
        assert_eq!(value["status"], "UNKNOWN_ERROR", "{kind:?}: {reply}");
        assert_eq!(value["results"], json!([]), "{kind:?}: {reply}");
        assert_eq!(value["html_attributions"], json!([]), "{kind:?}: {reply}");
        let message = value["error_message"].as_str().context("error_message")?;
        assert!(message.contains(expect), "{kind:?}: {message}");
        assert!(!reply.contains(KEY), "{kind:?} leaked the key: {reply}");
        assert!(reply.ends_with("}\n"), "{reply}");
    }
    Ok(())
}

#[tokio::test]
async fn upstream_500_is_unknown_error() -> anyhow::Result<()> {
    let answer = Answer::json(StatusCode::INTERNAL_SERVER_ERROR, "<html>oops</html>");
    assert_fails_cleanly(answer, 2_000, "HTTP 500").await
}

#[tokio::test]
async fn upstream_garbage_is_unknown_error() -> anyhow::Result<()> {
    let answer = Answer::json(StatusCode::OK, "this is not JSON {");
    assert_fails_cleanly(answer, 2_000, "invalid JSON").await
}

#[tokio::test]
async fn upstream_slower_than_the_timeout_is_unknown_error() -> anyhow::Result<()> {
    let answer = Answer {
        delay: Duration::from_secs(30),
        ..Answer::json(StatusCode::OK, LEGACY_FIVE)
    };
    assert_fails_cleanly(answer, 200, "within 200 ms").await
}

#[tokio::test]
async fn upstream_redirect_is_not_followed() -> anyhow::Result<()> {
    let answer = Answer {
        location: Some("http://127.0.0.1:9/elsewhere"),
        ..Answer::json(StatusCode::FOUND, "")
    };
    assert_fails_cleanly(answer, 2_000, "HTTP 302").await
}

#[tokio::test]
async fn oversized_upstream_body_is_unknown_error() -> anyhow::Result<()> {
    let huge = format!("{{\"results\":[],\"pad\":\"{}\"}}", "x".repeat(2 << 20));
    assert_fails_cleanly(Answer::json(StatusCode::OK, huge), 5_000, "larger than").await
}

#[tokio::test]
async fn unreachable_upstream_is_unknown_error_without_the_key() -> anyhow::Result<()> {
    // Bind and drop, so the port is (almost certainly) closed.
    let addr = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await?
        .local_addr()?;
    for kind in [ProviderKind::Google, ProviderKind::GoogleNew] {
        let reply = places(kind, addr, 2_000)?.nearby(UCLA, 10.0, 5).await;
        assert_eq!(status_of(&reply)?, "UNKNOWN_ERROR", "{reply}");
        assert!(reply.contains("upstream request failed"), "{reply}");
        assert!(!reply.contains(KEY), "{reply}");
        assert!(!reply.contains("key="), "{reply}");
    }
    Ok(())
}
