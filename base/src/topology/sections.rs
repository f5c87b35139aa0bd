//! The topology's smaller sections: `[places]` (which provider answers
//! WHATSAT), `[security]` (where secrets come from) and `[metrics]` (which
//! servers serve Prometheus metrics, and where).
//!
//! ```toml
//! [metrics]
//! listen = { Goloman = "127.0.0.1:9100", Hands = "127.0.0.1:9101" }
//! ```

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;

use serde::Deserialize;

/// Which Places provider answers WHATSAT.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum ProviderKind {
    /// Offline GeoNames cities shipped with the binary.
    #[default]
    Local,
    /// Google Places legacy Nearby Search.
    Google,
    /// Google Places API (New) `places:searchNearby`, converted to the legacy shape.
    GoogleNew,
}

impl ProviderKind {
    /// The spelling in the topology and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Local => "local",
            Self::Google => "google",
            Self::GoogleNew => "google-new",
        }
    }
}

impl std::str::FromStr for ProviderKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "local" => Ok(Self::Local),
            "google" => Ok(Self::Google),
            "google-new" => Ok(Self::GoogleNew),
            other => Err(format!(
                "unknown places provider {other:?} (expected local, google or google-new)"
            )),
        }
    }
}

/// The `[places]` section.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PlacesConfig {
    /// The provider used for WHATSAT.
    pub provider: ProviderKind,
    /// Overrides the upstream base URL (scheme, host, port), so tests and
    /// proxies can stand in for Google. `None` means Google's own host.
    pub base_url: Option<String>,
    /// How long one upstream request may take before WHATSAT answers with an
    /// error status instead.
    pub timeout_ms: u64,
}

impl Default for PlacesConfig {
    fn default() -> Self {
        Self {
            provider: ProviderKind::Local,
            base_url: None,
            timeout_ms: 5_000,
        }
    }
}

/// The `[security]` section.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct SecurityConfig {
    /// File holding the herd's shared link key. `HERD_KEY` in the environment
    /// wins over it; with neither, a documented local default is used with a
    /// warning. A relative path is taken relative to the topology file.
    pub key_file: Option<PathBuf>,
    /// File holding the Cacofonix id that authorises Olympic writes.
    /// `CACOFONIX_ID` in the environment wins over it; with neither, a
    /// documented local default is used with a warning. Relative to the
    /// topology file.
    pub cacofonix_file: Option<PathBuf>,
}

/// The `[metrics]` section.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsConfig {
    /// Server name to the address of its metrics listener (`GET /metrics`).
    /// Port 0 picks a free port (tests).
    pub listen: BTreeMap<String, SocketAddr>,
}

impl MetricsConfig {
    /// Where server `name` serves metrics, if it does.
    pub fn listen_of(&self, name: &str) -> Option<SocketAddr> {
        self.listen.get(name).copied()
    }
}
