//! A typed client for the facade's REST endpoints (see `docs/REST.md`).

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::Duration;

use serde::Deserialize;

/// How long one request may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
/// Times a request is sent again after a 503, a 504 or no answer at all.
/// Writes carry an `Idempotency-Key`, so a retried write applies once.
pub const RETRIES: u32 = 3;
/// Pause before the first retry; doubled before each further one.
const RETRY_PAUSE: Duration = Duration::from_millis(100);

/// A team's medals, as `/getMedalTally` answers.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Tally {
    /// The team, herd spelling.
    pub team: String,
    /// Medal counts by kind.
    pub medals: BTreeMap<String, u64>,
}

/// An event's score, as `/getScore` answers and as pushes carry.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Score {
    /// The event, herd spelling.
    pub event: String,
    /// Score per team.
    pub scores: BTreeMap<String, i64>,
    /// When it was last set (POSIX seconds with nine decimals), if ever.
    pub updated_at: Option<String>,
    /// Which herd server took that write.
    pub updated_by: Option<String>,
}

/// Why a request failed. Never includes the URL, which may hold the auth id.
#[derive(Debug, thiserror::Error)]
pub enum FacadeError {
    /// The facade could not be reached or did not answer in time.
    #[error("request failed: {0}")]
    Transport(String),
    /// The facade answered with an error status.
    #[error("HTTP {status}: {message}")]
    Status {
        /// The HTTP status.
        status: u16,
        /// The facade's `error` message.
        message: String,
    },
}

impl FacadeError {
    /// True for what a retry may cure: no answer, 503 or 504.
    pub fn retryable(&self) -> bool {
        match self {
            FacadeError::Transport(_) => true,
            FacadeError::Status { status, .. } => matches!(status, 503 | 504),
        }
    }
}

/// A facade at one base URL.
#[derive(Debug, Clone)]
pub struct Facade {
    base: String,
    http: reqwest::Client,
    /// Sent as `Tablet-Id`: who the raffle counts the requests as.
    tablet: Option<String>,
}

impl Facade {
    /// A client for the facade at `base` (e.g. `http://127.0.0.1:8080`).
    pub fn new(base: &str) -> Self {
        Self {
            base: base.trim_end_matches('/').to_owned(),
            http: http_client(),
            tablet: None,
        }
    }

    /// A client for the facade at `base` whose connections come from the
    /// local address `local`, as a tablet on a host of its own would: the
    /// facade holds at most 256 connections per client address, so a
    /// thousand tablets on one machine need more than one (any of
    /// 127.0.0.0/8 on loopback).
    pub fn from_address(base: &str, local: IpAddr) -> Self {
        Self {
            base: base.trim_end_matches('/').to_owned(),
            http: client_from(Some(local)),
            tablet: None,
        }
    }

    /// The same facade, naming every request's requester `tablet`
    /// (`Tablet-Id`), which the raffle counts it as.
    pub fn with_tablet(mut self, tablet: &str) -> Self {
        self.tablet = Some(tablet.to_owned());
        self
    }

    /// `GET /getMedalTally/{team}`.
    pub async fn tally(&self, team: &str) -> Result<Tally, FacadeError> {
        self.get(&format!("/getMedalTally/{}", segment(team))).await
    }

    /// `GET /getScore/{event}`.
    pub async fn score(&self, event: &str) -> Result<Score, FacadeError> {
        self.get(&format!("/getScore/{}", segment(event))).await
    }

    /// `GET /incrementMedalTally/{team}/{medal}/{auth}`, under a fresh
    /// idempotency key, so that retries after a 503 or 504 apply once.
    pub async fn increment(
        &self,
        team: &str,
        medal: &str,
        auth: &str,
    ) -> Result<Tally, FacadeError> {
        let path = format!(
            "/incrementMedalTally/{}/{}/{}",
            segment(team),
            segment(medal),
            segment(auth)
        );
        self.write(&path).await
    }

    /// `GET /setScore/{event}/{rome}/{gaul}/{auth}`, under a fresh
    /// idempotency key (see [`Facade::increment`]).
    pub async fn set_score(
        &self,
        event: &str,
        rome: i64,
        gaul: i64,
        auth: &str,
    ) -> Result<Score, FacadeError> {
        let path = format!(
            "/setScore/{}/{rome}/{gaul}/{}",
            segment(event),
            segment(auth)
        );
        self.write(&path).await
    }

    /// `GET /raffle`: the count, the view, the entries and the winner.
    pub async fn raffle(&self) -> Result<serde_json::Value, FacadeError> {
        self.get("/raffle").await
    }

    /// `/raffle/draw/{auth}`: puts Cacofonix's draw in the order.
    pub async fn draw(&self, auth: &str) -> Result<serde_json::Value, FacadeError> {
        self.get(&format!("/raffle/draw/{}", segment(auth))).await
    }

    /// `GET /registerClient/{client}/{event}`.
    pub async fn register(
        &self,
        client: &str,
        event: &str,
    ) -> Result<serde_json::Value, FacadeError> {
        self.get(&format!(
            "/registerClient/{}/{}",
            segment(client),
            segment(event)
        ))
        .await
    }

    /// `GET /registerClient/{client}/medals/{team}`.
    pub async fn register_medals(
        &self,
        client: &str,
        team: &str,
    ) -> Result<serde_json::Value, FacadeError> {
        self.get(&format!(
            "/registerClient/{}/medals/{}",
            segment(client),
            segment(team)
        ))
        .await
    }

    /// A write: one fresh `Idempotency-Key` for every try of it.
    async fn write<T: serde::de::DeserializeOwned>(&self, path: &str) -> Result<T, FacadeError> {
        let key = hex::encode(rand::random::<[u8; 16]>());
        self.retried(path, Some(&key)).await
    }

    /// `GET {base}{path}`, its JSON read as `T` (also used for the dispatcher).
    pub(crate) async fn get<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
    ) -> Result<T, FacadeError> {
        self.retried(path, None).await
    }

    /// Sends the request, again after a 503, a 504 or a transport error, up
    /// to [`RETRIES`] times with a doubling pause.
    async fn retried<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        key: Option<&str>,
    ) -> Result<T, FacadeError> {
        let mut pause = RETRY_PAUSE;
        let mut tries = 0;
        loop {
            match self.once(path, key).await {
                Err(error) if tries < RETRIES && error.retryable() => {
                    tries += 1;
                    tokio::time::sleep(pause).await;
                    pause *= 2;
                }
                result => return result,
            }
        }
    }

    async fn once<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        key: Option<&str>,
    ) -> Result<T, FacadeError> {
        let transport = |e: reqwest::Error| FacadeError::Transport(e.without_url().to_string());
        let mut request = self.http.get(format!("{}{path}", self.base));
        if let Some(key) = key {
            request = request.header("Idempotency-Key", key);
        }
        if let Some(tablet) = &self.tablet {
            request = request.header("Tablet-Id", tablet);
        }
        let response = request.send().await.map_err(transport)?;
        let status = response.status();
        let body: serde_json::Value = response.json().await.map_err(transport)?;
        if !status.is_success() {
            let message = body["error"].as_str().unwrap_or("no message").to_owned();
            return Err(FacadeError::Status {
                status: status.as_u16(),
                message,
            });
        }
        serde_json::from_value(body)
            .map_err(|e| FacadeError::Transport(format!("unexpected reply: {e}")))
    }
}

/// An HTTP client whose requests time out after [`REQUEST_TIMEOUT`];
/// also the leaderboard client's.
pub(crate) fn http_client() -> reqwest::Client {
    client_from(None)
}

/// The HTTP client, its connections from `local` if given.
fn client_from(local: Option<IpAddr>) -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(REQUEST_TIMEOUT)
        .local_address(local)
        .build()
        .expect("a plain HTTP client always builds")
}

/// Percent-encodes one path segment.
pub(crate) fn segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~:".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_are_percent_encoded() {
        assert_eq!(segment("curling"), "curling");
        assert_eq!(segment("127.0.0.1:9000"), "127.0.0.1:9000");
        assert_eq!(segment("a b/c"), "a%20b%2Fc");
    }
}
