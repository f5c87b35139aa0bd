//! The herd's teams and events, as its `TEAMS` and `EVENTS` replies list
//! them. The facade validates names against this cache, case-insensitively
//! (Unicode lower case, as the herd matches them), and always sends and shows
//! the herd's own spelling.

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use crate::herd_link::LinkError;
use crate::metrics::FacadeMetrics;
use crate::protocol::{Reply, Request};
use crate::replicas::Replicas;

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

/// The replicas plus the cached catalog: everything a handler needs to
/// talk to the herd.
pub struct Herd {
    /// Requests to the herd, spread over its servers.
    pub replicas: Replicas,
    /// Deadline of a request that is not a read with its own.
    pub timeout: Duration,
    /// Counts and times every request.
    metrics: Arc<FacadeMetrics>,
    /// Filled on first use and whenever the subscriber (re)attaches; cleared
    /// when the herd rejects a request as invalid, since that may mean its
    /// configuration changed. Never held across `.await`.
    catalog: RwLock<Option<Arc<Catalog>>>,
}

impl Herd {
    /// A herd handle over `replicas` with nothing cached yet, requests
    /// timing out after `timeout`, counted in `metrics`.
    pub fn new(replicas: Replicas, timeout: Duration, metrics: Arc<FacadeMetrics>) -> Self {
        Self {
            replicas,
            timeout,
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

    /// Sends one request to whichever replica answers (see
    /// [`Replicas::request`]) and counts it.
    pub async fn request(&self, request: &Request) -> Result<Reply, LinkError> {
        let timeout = if request.is_write() {
            self.timeout
        } else {
            crate::replicas::READ_ATTEMPT_TIMEOUT.min(self.timeout)
        };
        let result = self
            .request_many(std::slice::from_ref(request), 0, timeout)
            .await;
        result.and_then(|(mut replies, _)| replies.pop().ok_or(LinkError::Unexpected))
    }

    /// Sends `requests` together to replica `index` (see
    /// [`Replicas::send`]), counted as [`Herd::request_many`] counts.
    pub async fn send_to(
        &self,
        index: usize,
        requests: &[Request],
        main: usize,
        timeout: Duration,
    ) -> Result<Vec<Reply>, LinkError> {
        let started = Instant::now();
        let result = self.replicas.send(index, requests, timeout).await;
        self.count(&requests[main], main, &result, started);
        result
    }

    /// Counts `request`, whose reply is the `main`th of `result`.
    fn count(
        &self,
        request: &Request,
        main: usize,
        result: &Result<Vec<Reply>, LinkError>,
        started: Instant,
    ) {
        let counted = match result {
            Ok(replies) => replies.get(main).cloned().ok_or(LinkError::Unexpected),
            Err(error) => Err(*error),
        };
        self.metrics
            .herd(request.verb(), &counted, started.elapsed());
    }

    /// Sends `requests` together to one replica (see
    /// [`Replicas::request`]), counted once, as the `main`th request;
    /// returns the replies and the replica.
    pub async fn request_many(
        &self,
        requests: &[Request],
        main: usize,
        timeout: Duration,
    ) -> Result<(Vec<Reply>, usize), LinkError> {
        let started = Instant::now();
        let result = self.replicas.request(requests, timeout).await;
        let result = result.map(|answer| (answer.replies, answer.replica));
        let replies = result.as_ref().map(|(r, _)| r.clone()).map_err(|e| *e);
        self.count(&requests[main], main, &replies, started);
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
