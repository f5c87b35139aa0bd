//! Just enough of a herd topology file to find a server's client address by
//! name: the `[servers.NAME]` tables and their `addr`. Every other key is
//! ignored, so the client keeps working as the server's file grows.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Why a server could not be found.
#[derive(Debug, thiserror::Error)]
pub enum TopologyError {
    /// The file could not be read.
    #[error("cannot read topology file {path}")]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The file is not TOML with `[servers.NAME]` tables holding `addr`.
    #[error("topology file {path} is malformed: {message}")]
    Malformed {
        /// The file.
        path: PathBuf,
        /// The parser's message, on one line.
        message: String,
    },
    /// No server by that name.
    #[error("no server {name:?} in {path}; it defines: {known}")]
    Unknown {
        /// The name asked for.
        name: String,
        /// The file.
        path: PathBuf,
        /// The names it does define, comma separated.
        known: String,
    },
}

/// The part of the file we read.
#[derive(Debug, Deserialize)]
struct File {
    #[serde(default)]
    servers: BTreeMap<String, Server>,
}

/// The part of a server table we read.
#[derive(Debug, Deserialize)]
struct Server {
    addr: SocketAddr,
}

/// Every server's client address, by name.
pub fn parse(text: &str, path: &Path) -> Result<BTreeMap<String, SocketAddr>, TopologyError> {
    let file: File = toml::from_str(text).map_err(|e| TopologyError::Malformed {
        path: path.to_owned(),
        message: e.message().replace('\n', " "),
    })?;
    Ok(file
        .servers
        .into_iter()
        .map(|(name, server)| (name, server.addr))
        .collect())
}

/// The client address of server `name` in the file at `path`.
pub fn lookup(path: &Path, name: &str) -> Result<SocketAddr, TopologyError> {
    let text = std::fs::read_to_string(path).map_err(|source| TopologyError::Unreadable {
        path: path.to_owned(),
        source,
    })?;
    let servers = parse(&text, path)?;
    servers
        .get(name)
        .copied()
        .ok_or_else(|| TopologyError::Unknown {
            name: name.to_owned(),
            path: path.to_owned(),
            known: servers.keys().cloned().collect::<Vec<_>>().join(", "),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = r#"
links = [["Goloman","Hands"]]
[servers.Goloman]
addr = "127.0.0.1:12000"
peer_addr = "127.0.0.1:12100"
[servers.Hands]
addr = "127.0.0.1:12001"
peer_addr = "127.0.0.1:12101"
[places]
provider = "local"
"#;

    #[test]
    fn addresses_are_read_and_other_keys_ignored() {
        let servers = parse(TEXT, Path::new("t.toml")).unwrap();
        assert_eq!(servers["Hands"], "127.0.0.1:12001".parse().unwrap());
        assert_eq!(servers.len(), 2);
    }

    #[test]
    fn unknown_name_lists_known_ones() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.toml");
        std::fs::write(&path, TEXT).unwrap();
        let err = lookup(&path, "Welsh").unwrap_err().to_string();
        assert!(err.contains("Goloman, Hands"), "{err}");
    }

    #[test]
    fn server_without_addr_is_malformed() {
        let err = parse("[servers.A]\npeer_addr = \"127.0.0.1:1\"\n", Path::new("t"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("addr"), "{err}");
    }
}
