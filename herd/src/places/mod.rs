//! Places providers for WHATSAT. (Placeholder until the providers land.)

use crate::coords::Coords;
use crate::topology::PlacesConfig;

/// Errors building a provider.
#[derive(Debug, thiserror::Error)]
pub enum PlacesError {
    /// The provider needs a key and none was given.
    #[error("the {0} places provider needs GOOGLE_PLACES_API_KEY")]
    MissingKey(&'static str),
}

/// The configured provider.
#[derive(Debug)]
pub struct Places {}

impl Places {
    /// Builds the provider named in the config.
    pub fn new(_config: &PlacesConfig, _api_key: Option<String>) -> Result<Self, PlacesError> {
        Ok(Self {})
    }

    /// Nearby places as legacy Nearby Search JSON in Google's style.
    pub async fn nearby(&self, _at: Coords, _radius_km: f64, _bound: usize) -> String {
        "{\n   \"html_attributions\" : [],\n   \"results\" : [],\n   \"status\" : \"ZERO_RESULTS\"\n}\n".to_owned()
    }
}
