//! A client of the dispatcher (docs/REST.md, "The dispatcher"), and
//! [`Assigned`]: the front end a tablet was given, asked for again when it
//! fails and renewed before its lease lapses.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde::Deserialize;

use super::facade::{Facade, FacadeError};

/// The dispatcher's answer to `/assign`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Assignment {
    /// The front end's base URL.
    pub frontend: String,
    /// Clients per front end, this one included.
    pub clients: BTreeMap<String, usize>,
    /// How long the assignment lasts unless asked for again.
    pub lease_seconds: u64,
}

/// A dispatcher at one base URL.
#[derive(Debug, Clone)]
pub struct Dispatcher {
    /// The same JSON-over-GET client the facade's endpoints use.
    http: Facade,
}

impl Dispatcher {
    /// A client for the dispatcher at `base` (e.g. `http://127.0.0.1:8090`).
    pub fn new(base: &str) -> Self {
        Self {
            http: Facade::new(base),
        }
    }

    /// `GET /assign/{client}`, with `?failed=URL` when the client's front
    /// end failed.
    pub async fn assign(
        &self,
        client: &str,
        failed: Option<&str>,
    ) -> Result<Assignment, FacadeError> {
        let mut path = format!("/assign/{}", super::facade::segment(client));
        if let Some(url) = failed {
            path.push_str(&format!("?failed={}", super::facade::segment(url)));
        }
        self.http.get(&path).await
    }

    /// `GET /release/{client}`.
    pub async fn release(&self, client: &str) -> Result<serde_json::Value, FacadeError> {
        let path = format!("/release/{}", super::facade::segment(client));
        self.http.get(&path).await
    }
}

/// A tablet's front end, as the dispatcher assigned it.
#[derive(Debug, Clone)]
pub struct Assigned {
    /// Where to ask.
    dispatcher: Dispatcher,
    /// This tablet's client ID.
    client: String,
    /// The front end's base URL.
    url: String,
    /// A client for it.
    facade: Facade,
    /// When to ask again so the lease never lapses (a third of it).
    renew_at: Instant,
}

impl Assigned {
    /// Asks `dispatcher` for a front end for `client`.
    pub async fn connect(dispatcher: Dispatcher, client: &str) -> Result<Self, FacadeError> {
        let answer = dispatcher.assign(client, None).await?;
        Ok(Self {
            dispatcher,
            client: client.to_owned(),
            facade: Facade::new(&answer.frontend),
            url: answer.frontend,
            renew_at: renew_at(answer.lease_seconds),
        })
    }

    /// The front end to use now.
    pub fn facade(&self) -> &Facade {
        &self.facade
    }

    /// Its base URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The front end failed: asks the dispatcher again, saying so. Answers
    /// the new front end's URL if it moved.
    pub async fn failed(&mut self) -> Result<Option<String>, FacadeError> {
        let answer = self
            .dispatcher
            .assign(&self.client, Some(&self.url))
            .await?;
        Ok(self.take(answer))
    }

    /// Asks the dispatcher again if a third of the lease has passed (which
    /// also moves a tablet off a front end the dispatcher found dead).
    /// Answers the new front end's URL if it moved.
    pub async fn renew(&mut self) -> Result<Option<String>, FacadeError> {
        if Instant::now() < self.renew_at {
            return Ok(None);
        }
        let answer = self.dispatcher.assign(&self.client, None).await?;
        Ok(self.take(answer))
    }

    /// Frees the assignment (when the tablet stops).
    pub async fn release(&self) -> Result<(), FacadeError> {
        self.dispatcher.release(&self.client).await.map(drop)
    }

    fn take(&mut self, answer: Assignment) -> Option<String> {
        self.renew_at = renew_at(answer.lease_seconds);
        if answer.frontend == self.url {
            return None;
        }
        self.facade = Facade::new(&answer.frontend);
        self.url = answer.frontend;
        Some(self.url.clone())
    }
}

/// A third of the lease from now.
fn renew_at(lease_seconds: u64) -> Instant {
    Instant::now() + Duration::from_secs(lease_seconds) / 3
}

/// Whether a failed request means the front end itself failed (no answer,
/// or 502, 503, 504), so the tablet should ask the dispatcher again.
pub fn front_end_failed(error: &FacadeError) -> bool {
    match error {
        FacadeError::Transport(_) => true,
        FacadeError::Status { status, .. } => matches!(status, 502..=504),
    }
}

/// How often a push tablet checks whether its lease is due or its front end
/// still has it registered.
pub const PUSH_CHECK_EVERY: Duration = Duration::from_secs(1);

/// A push tablet with a dispatcher: registers `client` (its push address)
/// for `events` at its front end, and again at the new one whenever the
/// dispatcher moves it (a failed registration counts as a failed front
/// end). Prints each move with `prefix`. Runs until cancelled.
pub async fn keep_registered(
    mut assigned: Assigned,
    client: String,
    events: Vec<String>,
    prefix: String,
) {
    let mut registered = false;
    let mut ticker = tokio::time::interval(PUSH_CHECK_EVERY);
    loop {
        ticker.tick().await;
        if !registered {
            registered = register_all(assigned.facade(), &client, &events, &prefix).await;
        }
        let asked = if registered {
            assigned.renew().await
        } else {
            assigned.failed().await
        };
        match asked {
            Ok(Some(url)) => {
                println!("{prefix}frontend {url}");
                registered = false;
            }
            Ok(None) => {}
            Err(e) => println!("{prefix}error   dispatcher: {e}"),
        }
    }
}

/// Registers `client` for every event; false if one failed.
async fn register_all(facade: &Facade, client: &str, events: &[String], prefix: &str) -> bool {
    for event in events {
        if let Err(e) = facade.register(client, event).await {
            println!("{prefix}error   registering for {event}: {e}");
            return false;
        }
    }
    true
}
