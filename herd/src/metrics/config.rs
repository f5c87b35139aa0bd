//! The topology's `[metrics]` section: which servers serve Prometheus
//! metrics over HTTP, and where.
//!
//! ```toml
//! [metrics]
//! listen = { Goloman = "127.0.0.1:9100", Hands = "127.0.0.1:9101" }
//! ```
//!
//! A server not listed serves no metrics; the section is optional.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use serde::Deserialize;

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
