//! Places providers for WHATSAT. Whichever provider is configured, the answer
//! is a legacy Google Nearby Search response rendered in Google's own JSON
//! style, cut to the WHATSAT bound; failures are answers too, with a non-OK
//! `status`, so a WHATSAT never fails or hangs on its upstream.
//!
//! - `local`: offline, from GeoNames data embedded in the binary (default).
//! - `google`: Google's legacy Nearby Search, passed through.
//! - `google_new`: Google's Places API (New), converted to the legacy shape.
//!
//! Shared pieces: [`json_style`] (the output format), `legacy` (the response
//! shape), `upstream` (HTTP), [`api_key`], [`geo`], and `grid` and `dataset`
//! (the local provider's index and data).

pub mod api_key;
mod dataset;
pub mod geo;
mod google;
mod google_new;
mod grid;
pub mod json_style;
mod legacy;
mod local;
mod upstream;

use base::topology::{PlacesConfig, ProviderKind};
use proto::coords::Coords;

use api_key::ApiKey;
use google::Google;
use google_new::GoogleNew;
use local::Local;

/// Why a provider could not be built. Raised once, at start-up.
#[derive(Debug, thiserror::Error)]
pub enum PlacesError {
    /// The provider needs a key and none was given.
    #[error("the {0} places provider needs GOOGLE_PLACES_API_KEY")]
    MissingKey(&'static str),
    /// The key holds characters that cannot be sent (white space, non-ASCII).
    #[error("the Google Places API key is not usable: it must be printable ASCII")]
    UnusableKey,
    /// `places.base_url` is not a usable base URL.
    #[error("places.base_url {url:?} is not usable: {reason}")]
    BadBaseUrl {
        /// The configured value.
        url: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// `places.timeout_ms` is zero, which would fail every request.
    #[error("places.timeout_ms must be at least 1")]
    ZeroTimeout,
    /// The HTTP client could not be set up (for example, no TLS backend).
    #[error("cannot build the HTTP client for places: {0}")]
    Client(#[source] reqwest::Error),
}

/// The configured provider. `Debug` never shows the API key.
#[derive(Debug)]
pub struct Places {
    /// The one provider in use.
    provider: Provider,
}

/// One provider per [`ProviderKind`].
#[derive(Debug)]
enum Provider {
    /// Offline GeoNames data.
    Local(Local),
    /// Legacy Nearby Search.
    Google(Google),
    /// Places API (New), converted.
    GoogleNew(GoogleNew),
}

impl Places {
    /// Builds the provider named in `config`. The Google providers need
    /// `api_key`; the local one ignores it and loads its data now, so the
    /// first WHATSAT is not slower than the rest.
    pub fn new(config: &PlacesConfig, api_key: Option<String>) -> Result<Self, PlacesError> {
        let key = |name: &'static str| -> Result<ApiKey, PlacesError> {
            let text = api_key.as_deref().ok_or(PlacesError::MissingKey(name))?;
            if text.trim().is_empty() {
                return Err(PlacesError::MissingKey(name));
            }
            ApiKey::new(text).ok_or(PlacesError::UnusableKey)
        };
        if config.provider != ProviderKind::Local && config.timeout_ms == 0 {
            return Err(PlacesError::ZeroTimeout);
        }
        let provider = match config.provider {
            ProviderKind::Local => Provider::Local(Local::new()),
            ProviderKind::Google => Provider::Google(Google::new(config, key("google")?)?),
            ProviderKind::GoogleNew => {
                Provider::GoogleNew(GoogleNew::new(config, key("google-new")?)?)
            }
        };
        Ok(Self { provider })
    }

    /// Legacy Nearby Search JSON in Google's style, results already cut to
    /// `bound`, ending in a newline. Never fails and never outlives the
    /// configured timeout: an upstream failure yields the legacy shape with
    /// a non-OK `status` and an `error_message`.
    pub async fn nearby(&self, at: Coords, radius_km: f64, bound: usize) -> String {
        match &self.provider {
            Provider::Local(local) => local.nearby(at, radius_km, bound),
            Provider::Google(google) => google.nearby(at, radius_km, bound).await,
            Provider::GoogleNew(google_new) => google_new.nearby(at, radius_km, bound).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(provider: ProviderKind) -> PlacesConfig {
        PlacesConfig {
            provider,
            ..PlacesConfig::default()
        }
    }

    #[test]
    fn google_providers_need_a_key() {
        for kind in [ProviderKind::Google, ProviderKind::GoogleNew] {
            for key in [None, Some(String::new()), Some("  ".to_owned())] {
                let err = Places::new(&config(kind), key).expect_err("no key");
                assert!(matches!(err, PlacesError::MissingKey(_)), "{err}");
            }
            let err = Places::new(&config(kind), Some("a b".to_owned())).expect_err("bad key");
            assert!(matches!(err, PlacesError::UnusableKey), "{err}");
        }
        assert!(Places::new(&config(ProviderKind::Local), None).is_ok());
    }

    #[test]
    fn debug_never_shows_the_key() {
        for kind in [ProviderKind::Google, ProviderKind::GoogleNew] {
            let places = Places::new(&config(kind), Some("SECRET-KEY-42".to_owned()))
                .expect("provider builds");
            let debug = format!("{places:?}");
            assert!(!debug.contains("SECRET-KEY-42"), "{debug}");
            assert!(debug.contains("<redacted>"), "{debug}");
        }
    }

    #[test]
    fn bad_base_url_and_zero_timeout_are_refused() {
        let bad_url = PlacesConfig {
            provider: ProviderKind::Google,
            base_url: Some("ftp://example".to_owned()),
            ..PlacesConfig::default()
        };
        let err = Places::new(&bad_url, Some("k".to_owned())).expect_err("bad url");
        assert!(matches!(err, PlacesError::BadBaseUrl { .. }), "{err}");
        let zero = PlacesConfig {
            provider: ProviderKind::GoogleNew,
            timeout_ms: 0,
            ..PlacesConfig::default()
        };
        let err = Places::new(&zero, Some("k".to_owned())).expect_err("zero timeout");
        assert!(matches!(err, PlacesError::ZeroTimeout), "{err}");
    }
}
