//! The herd's teams and events, as its `TEAMS` and `EVENTS` replies list
//! them. The facade validates names against this cache, case-insensitively
//! (Unicode lower case, as the herd matches them), and always sends and shows
//! the herd's own spelling.

use std::sync::{Arc, RwLock};
use std::time::Instant;

use crate::herd_link::{HerdLink, LinkError};
use crate::metrics::FacadeMetrics;
use crate::protocol::{Reply, Request};

/// Teams and events of the herd.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Catalog {
    /// Team names, as configured in the herd.
    pub teams: Vec<String>,
    /// Event names, as configured in the herd.
    pub events: Vec<String>,
}

impl Catalog {
    /// The canonical spelling of team `name`, if the herd has it.
    pub fn team(&self, name: &str) -> Option<&str> {
        find(&self.teams, name)
    }

    /// The canonical spelling of event `name`, if the herd has it.
    pub fn event(&self, name: &str) -> Option<&str> {
        find(&self.events, name)
    }
}

/// Case-insensitive as the herd does it: Unicode lower case.
fn find<'a>(names: &'a [String], name: &str) -> Option<&'a str> {
    let wanted = name.to_lowercase();
    names
        .iter()
        .find(|n| n.to_lowercase() == wanted)
        .map(String::as_str)
}

/// The request pool plus the cached catalog: everything a handler needs to
/// talk to the herd.
pub struct Herd {
    /// Requests to the herd.
    pub link: HerdLink,
    /// Counts and times every request.
    metrics: Arc<FacadeMetrics>,
    /// Filled on first use and whenever the subscriber (re)attaches; cleared
    /// when the herd rejects a request as invalid, since that may mean its
    /// configuration changed. Never held across `.await`.
    catalog: RwLock<Option<Arc<Catalog>>>,
}

impl Herd {
    /// A herd handle over `link` with nothing cached yet, counting its
    /// requests in `metrics`.
    pub fn new(link: HerdLink, metrics: Arc<FacadeMetrics>) -> Self {
        Self {
            link,
            metrics,
            catalog: RwLock::new(None),
        }
    }

    /// The cached catalog, fetched from the herd if there is none.
    pub async fn catalog(&self) -> Result<Arc<Catalog>, LinkError> {
        if let Some(catalog) = self.catalog.read().unwrap().clone() {
            return Ok(catalog);
        }
        let (teams, events) = tokio::join!(
            self.request(&Request::Teams),
            self.request(&Request::Events)
        );
        match (teams?, events?) {
            (Reply::Teams(teams), Reply::Events(events)) => {
                Ok(self.set_catalog(Catalog { teams, events }))
            }
            _ => Err(LinkError::Unexpected),
        }
    }

    /// Replaces the cached catalog.
    pub fn set_catalog(&self, catalog: Catalog) -> Arc<Catalog> {
        let catalog = Arc::new(catalog);
        *self.catalog.write().unwrap() = Some(catalog.clone());
        catalog
    }

    /// Drops the cached catalog, so the next use reads it again.
    pub fn forget_catalog(&self) {
        *self.catalog.write().unwrap() = None;
    }

    /// Sends one request (see [`HerdLink::request`]) and counts it.
    pub async fn request(&self, request: &Request) -> Result<Reply, LinkError> {
        let started = Instant::now();
        let result = self.link.request(request).await;
        self.metrics
            .herd(request.verb(), &result, started.elapsed());
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_case_insensitively_and_come_back_canonical() {
        let catalog = Catalog {
            teams: vec!["Gaul".into(), "Rome".into(), "Ægypt".into()],
            events: vec!["curling".into()],
        };
        assert_eq!(catalog.team("æGYPT"), Some("Ægypt"));
        assert_eq!(catalog.team("gAUL"), Some("Gaul"));
        assert_eq!(catalog.event("CURLING"), Some("curling"));
        assert_eq!(catalog.team("Egypt"), None);
        assert_eq!(catalog.event("Gaul"), None);
    }
}
