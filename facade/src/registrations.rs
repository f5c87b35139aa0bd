//! Push registrations that outlive the facade process: a small JSON file
//! beside the facade's log, rewritten (to a temporary file, then renamed)
//! whenever a registration is added or dropped, and read back on start.
//!
//! ```json
//! {"clients": [{"client": "10.0.0.7:9000", "event": "curling"},
//!              {"client": "10.0.0.7:9000", "team": "Gaul"}]}
//! ```
//!
//! A file that cannot be read or parsed is logged and ignored: the facade
//! starts with no registrations rather than not at all. Push addresses are
//! checked again when the file is read back; entries that fail are dropped.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use crate::board::Topic;
use crate::push::{Pusher, parse_client_id};

/// Largest registrations file read back, in bytes.
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// The file's contents.
#[derive(Debug, Default, Serialize, Deserialize)]
struct File {
    /// Every registration.
    clients: Vec<Entry>,
}

/// One registration: a push address and one event or team.
#[derive(Debug, Serialize, Deserialize)]
struct Entry {
    /// The tablet's push address, `host:port`.
    client: String,
    /// The event it follows, when it follows an event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    event: Option<String>,
    /// The team it follows, when it follows a team's medals.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    team: Option<String>,
}

/// Errors reading or writing the file.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// Reading, writing or renaming failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not the JSON above.
    #[error("{path}: {source}")]
    Json {
        /// The file.
        path: PathBuf,
        /// Why.
        source: serde_json::Error,
    },
    /// The file is over [`MAX_FILE_BYTES`].
    #[error("{0}: larger than {MAX_FILE_BYTES} bytes")]
    TooLarge(PathBuf),
}

/// The registrations in `path` as (topic, push address); none if it does not
/// exist.
pub fn load(path: &Path) -> Result<Vec<(Topic, String)>, FileError> {
    let io = |source| FileError::Io {
        path: path.to_owned(),
        source,
    };
    let len = match std::fs::metadata(path) {
        Ok(meta) => meta.len(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io(e)),
    };
    if len > MAX_FILE_BYTES {
        return Err(FileError::TooLarge(path.to_owned()));
    }
    let text = std::fs::read(path).map_err(io)?;
    let file: File = serde_json::from_slice(&text).map_err(|source| FileError::Json {
        path: path.to_owned(),
        source,
    })?;
    Ok(file
        .clients
        .into_iter()
        .filter_map(|entry| {
            let client = parse_client_id(&entry.client)?;
            match (entry.event, entry.team) {
                (Some(event), None) => Some((Topic::Event(event), client)),
                (None, Some(team)) => Some((Topic::Team(team), client)),
                _ => None,
            }
        })
        .collect())
}

/// Writes `registrations` to `path`, replacing it in one rename.
pub async fn save(path: &Path, registrations: &[(Topic, String)]) -> Result<(), FileError> {
    let clients = registrations
        .iter()
        .map(|(topic, client)| {
            let (event, team) = match topic {
                Topic::Event(event) => (Some(event.clone()), None),
                Topic::Team(team) => (None, Some(team.clone())),
            };
            Entry {
                client: client.clone(),
                event,
                team,
            }
        })
        .collect();
    let mut text =
        serde_json::to_vec_pretty(&File { clients }).map_err(|source| FileError::Json {
            path: path.to_owned(),
            source,
        })?;
    text.push(b'\n');
    let io = |source| FileError::Io {
        path: path.to_owned(),
        source,
    };
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(".tmp");
    tokio::fs::write(&temporary, &text).await.map_err(io)?;
    tokio::fs::rename(&temporary, path).await.map_err(io)
}

/// Registers everything in `path` with `pusher`, then keeps `path` current
/// until `shutdown`, writing it once more on the way out.
pub async fn keep(pusher: Arc<Pusher>, path: PathBuf, shutdown: CancellationToken) {
    match load(&path) {
        Ok(saved) => {
            for (topic, client) in &saved {
                if let Err(e) = pusher.register(topic, client) {
                    warn!(client = %client, topic = ?topic, error = %e, "saved registration not restored");
                }
            }
            info!(count = saved.len(), file = %path.display(), "registrations restored");
        }
        Err(e) => warn!(error = %e, "registrations file ignored"),
    }
    loop {
        let stopping = tokio::select! {
            () = shutdown.cancelled() => true,
            () = pusher.changed() => false,
        };
        if let Err(e) = save(&path, &pusher.registrations()).await {
            warn!(error = %e, "registrations not saved");
        }
        if stopping {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn registrations_written_are_read_back_and_bad_entries_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("facade-1.clients.json");
        assert!(load(&path).unwrap().is_empty(), "no file yet");
        let saved = vec![
            (Topic::Event("curling".into()), "127.0.0.1:9000".into()),
            (Topic::Team("Gaul".into()), "tablet.local:80".into()),
        ];
        save(&path, &saved).await.unwrap();
        assert_eq!(load(&path).unwrap(), saved);
        std::fs::write(
            &path,
            r#"{"clients": [{"client": "bad id", "event": "x"},
                {"client": "h:1", "event": "x", "team": "y"},
                {"client": "h:2", "team": "Rome"}]}"#,
        )
        .unwrap();
        assert_eq!(
            load(&path).unwrap(),
            [(Topic::Team("Rome".into()), "h:2".into())]
        );
        std::fs::write(&path, "not json").unwrap();
        assert!(matches!(load(&path), Err(FileError::Json { .. })));
    }
}
