//! `GET /health`: which herd servers the facade can reach, and what each of
//! them says of itself (its `STATUS`).
//!
//! Every configured herd server is asked `STATUS` on a connection of its own,
//! not through the request pool, so a health check never queues behind
//! requests and never moves the pool's failover. The servers are asked at
//! once, each within [`PROBE_TIMEOUT`]. The facade is `degraded` when any of
//! them is unreachable or says it is degraded; `reasons` says which and why.

use std::time::Duration;

use futures::StreamExt;
use proto::client::StatusQuery;
use proto::reply::Status;
use serde::Serialize;
use serde_json::Value;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio_util::codec::FramedRead;

use crate::reply_lines::TextLines;
use crate::servers::Servers;

/// Longest one herd server may take to connect and answer `STATUS`.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(1);

/// Longest `STATUS` line accepted.
pub const MAX_STATUS_LINE: usize = 64 * 1024;

/// The facade's health.
#[derive(Debug, Clone, Serialize)]
pub struct Health {
    /// True when a herd server is unreachable or degraded.
    pub degraded: bool,
    /// Why, one cause each, naming the server; empty when healthy.
    pub reasons: Vec<String>,
    /// The herd server requests go to now.
    pub attached: String,
    /// The herd's leader, as named by the reachable server that knows the
    /// newest election term; `null` if none names one.
    pub leader: Option<String>,
    /// That term.
    pub term: Option<u64>,
    /// Every configured herd server, in order of preference.
    pub servers: Vec<ServerHealth>,
}

/// One herd server as the facade sees it.
#[derive(Debug, Clone, Serialize)]
pub struct ServerHealth {
    /// Its client address.
    pub addr: String,
    /// Whether it answered `STATUS` in time.
    pub reachable: bool,
    /// Why not, if it did not.
    pub error: Option<String>,
    /// Its `STATUS` as it sent it (see docs/PROTOCOL.md).
    pub status: Option<Value>,
}

/// Why a server could not be asked.
#[derive(Debug, thiserror::Error)]
enum ProbeError {
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    #[error("cannot connect: {0}")]
    Connect(std::io::Error),
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
    #[error("unreadable reply: {0}")]
    Line(#[from] crate::reply_lines::LineError),
    #[error("closed without answering")]
    Closed,
    #[error("did not answer STATUS (an older herd?)")]
    NotStatus,
    #[error("STATUS is not JSON: {0}")]
    Json(#[from] serde_json::Error),
}

/// Asks every server of `servers` for its status.
pub async fn check(servers: &Servers) -> Health {
    let probes = servers.addrs().iter().map(|addr| async move {
        match tokio::time::timeout(PROBE_TIMEOUT, probe(addr)).await {
            Ok(Ok(status)) => ServerHealth {
                addr: addr.clone(),
                reachable: true,
                error: None,
                status: Some(status),
            },
            Ok(Err(error)) => unreachable(addr, &error),
            Err(_) => unreachable(addr, &ProbeError::Timeout(PROBE_TIMEOUT)),
        }
    });
    let servers_health = futures::future::join_all(probes).await;
    let reasons: Vec<String> = servers_health.iter().flat_map(reasons_of).collect();
    let (leader, term) = leader_of(&servers_health).unzip();
    Health {
        degraded: !reasons.is_empty(),
        reasons,
        attached: servers.addr(servers.current()).to_owned(),
        leader,
        term,
        servers: servers_health,
    }
}

fn unreachable(addr: &str, error: &ProbeError) -> ServerHealth {
    ServerHealth {
        addr: addr.to_owned(),
        reachable: false,
        error: Some(error.to_string()),
        status: None,
    }
}

/// The leader named in the `STATUS` with the newest term, and that term.
fn leader_of(servers: &[ServerHealth]) -> Option<(String, u64)> {
    servers
        .iter()
        .filter_map(|s| {
            let status = s.status.as_ref()?;
            Some((
                status["leader"].as_str()?.to_owned(),
                status["term"].as_u64()?,
            ))
        })
        .max_by_key(|(_, term)| *term)
}

/// Why `server` makes the facade degraded, if it does.
fn reasons_of(server: &ServerHealth) -> Vec<String> {
    let Some(status) = &server.status else {
        let error = server.error.as_deref().unwrap_or("unreachable");
        return vec![format!("{} is unreachable: {error}", server.addr)];
    };
    if status["degraded"] != Value::Bool(true) {
        return Vec::new();
    }
    let name = status["server"].as_str().unwrap_or("?");
    let reasons: Vec<String> = status["reasons"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(|reason| format!("{name} ({}): {reason}", server.addr))
        .collect();
    if reasons.is_empty() {
        vec![format!("{name} ({}) is degraded", server.addr)]
    } else {
        reasons
    }
}

/// Connects to `addr`, sends `STATUS`, and reads the JSON of its reply.
async fn probe(addr: &str) -> Result<Value, ProbeError> {
    let mut stream = TcpStream::connect(addr)
        .await
        .map_err(ProbeError::Connect)?;
    let _ = stream.set_nodelay(true);
    let mut request = Vec::new();
    StatusQuery.write(&mut request);
    stream.write_all(&request).await?;
    let mut lines = FramedRead::new(stream, TextLines::new(MAX_STATUS_LINE));
    let line = lines.next().await.ok_or(ProbeError::Closed)??;
    let json = Status::json_text(line.as_bytes()).ok_or(ProbeError::NotStatus)?;
    Ok(serde_json::from_slice(json)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_degraded_server_lends_its_reasons_and_an_unreachable_one_its_error() {
        let degraded = ServerHealth {
            addr: "127.0.0.1:1".into(),
            reachable: true,
            error: None,
            status: Some(
                json!({"server": "Hands", "degraded": true, "reasons": ["link to Goloman down for 12 s"]}),
            ),
        };
        assert_eq!(
            reasons_of(&degraded),
            ["Hands (127.0.0.1:1): link to Goloman down for 12 s"]
        );
        let healthy = ServerHealth {
            status: Some(json!({"server": "Hands", "degraded": false, "reasons": []})),
            ..degraded.clone()
        };
        assert!(reasons_of(&healthy).is_empty());
        let led = |leader: &str, term: u64| ServerHealth {
            status: Some(json!({"server": "Hands", "leader": leader, "term": term})),
            ..degraded.clone()
        };
        assert_eq!(
            leader_of(&[led("Hands", 3), led("Wilkes", 7), healthy.clone()]),
            Some(("Wilkes".to_owned(), 7)),
            "the newest term's leader"
        );
        let gone = unreachable("127.0.0.1:2", &ProbeError::Closed);
        assert_eq!(
            reasons_of(&gone),
            ["127.0.0.1:2 is unreachable: closed without answering"]
        );
    }
}
