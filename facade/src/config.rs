//! Which herd servers to attach to: `host:port` addresses as given, or
//! server names looked up in the herd's topology file.
//!
//! The topology is read and checked by the herd's own parser
//! ([`herd::topology::Topology`]); only the servers' client addresses are used.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The topology read when none is named and the file exists.
pub const DEFAULT_TOPOLOGY: &str = "topology.toml";

/// Errors resolving the herd list.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The topology file is unreadable, malformed or invalid.
    #[error(transparent)]
    Topology(#[from] herd::topology::TopologyError),
    /// A server name is not in the topology.
    #[error("no server {name:?} in {path} (servers: {known})")]
    UnknownServer {
        /// The name given.
        name: String,
        /// The topology file.
        path: PathBuf,
        /// The names it has.
        known: String,
    },
    /// A server name was given but there is no topology to look it up in.
    #[error(
        "{name:?} is not host:port, and there is no topology to look it up in (use --topology)"
    )]
    NoTopology {
        /// The name given.
        name: String,
    },
    /// No herd server at all.
    #[error("no herd servers: give --herd ADDR[,ADDR...] or a topology with servers")]
    Empty,
}

/// Resolves `entries` (addresses or names; empty means every server of the
/// topology, in name order) to client addresses. `topology` defaults to
/// [`DEFAULT_TOPOLOGY`] when that file exists.
pub fn resolve_herd(
    entries: &[String],
    topology: Option<&Path>,
) -> Result<Vec<String>, ConfigError> {
    let path = topology.map(Path::to_path_buf).or_else(|| {
        Path::new(DEFAULT_TOPOLOGY)
            .exists()
            .then(|| PathBuf::from(DEFAULT_TOPOLOGY))
    });
    let needs_topology = entries.is_empty() || entries.iter().any(|e| !is_address(e));
    let servers = match (&path, needs_topology) {
        (Some(path), true) => Some(load(path)?),
        _ => None,
    };
    let resolved: Vec<String> = if entries.is_empty() {
        servers.iter().flat_map(|s| s.values().cloned()).collect()
    } else {
        entries
            .iter()
            .map(|entry| resolve_one(entry, servers.as_ref(), path.as_deref()))
            .collect::<Result<_, _>>()?
    };
    if resolved.is_empty() {
        return Err(ConfigError::Empty);
    }
    Ok(resolved)
}

/// `host:port` with a numeric port.
fn is_address(entry: &str) -> bool {
    entry
        .rsplit_once(':')
        .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok())
}

fn resolve_one(
    entry: &str,
    servers: Option<&BTreeMap<String, String>>,
    path: Option<&Path>,
) -> Result<String, ConfigError> {
    let entry = entry.trim();
    if is_address(entry) {
        return Ok(entry.to_owned());
    }
    let (Some(servers), Some(path)) = (servers, path) else {
        return Err(ConfigError::NoTopology {
            name: entry.to_owned(),
        });
    };
    servers
        .get(entry)
        .or_else(|| {
            servers
                .iter()
                .find(|(name, _)| name.eq_ignore_ascii_case(entry))
                .map(|(_, e)| e)
        })
        .cloned()
        .ok_or_else(|| ConfigError::UnknownServer {
            name: entry.to_owned(),
            path: path.to_owned(),
            known: servers.keys().cloned().collect::<Vec<_>>().join(", "),
        })
}

/// Client addresses by server name, from the herd's own topology parser.
fn load(path: &Path) -> Result<BTreeMap<String, String>, ConfigError> {
    let topology = herd::topology::Topology::load(path)?;
    Ok(topology
        .servers
        .into_iter()
        .map(|(name, spec)| (name, spec.addr.to_string()))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOPOLOGY: &str = r#"
links = [["Goloman", "Hands"]]
[servers.Goloman]
addr = "127.0.0.1:12000"
peer_addr = "127.0.0.1:12100"
[servers.Hands]
addr = "127.0.0.1:12001"
peer_addr = "127.0.0.1:12101"
[olympics]
teams = ["Gaul", "Rome"]
"#;

    fn topology() -> tempfile::NamedTempFile {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), TOPOLOGY).unwrap();
        file
    }

    #[test]
    fn names_resolve_through_the_topology_and_addresses_pass_through() {
        let file = topology();
        let entries = [
            "hands".to_owned(),
            "10.0.0.1:7".to_owned(),
            "Goloman".to_owned(),
        ];
        let resolved = resolve_herd(&entries, Some(file.path())).unwrap();
        assert_eq!(
            resolved,
            ["127.0.0.1:12001", "10.0.0.1:7", "127.0.0.1:12000"]
        );
    }

    #[test]
    fn no_entries_means_every_server_of_the_topology() {
        let file = topology();
        let resolved = resolve_herd(&[], Some(file.path())).unwrap();
        assert_eq!(resolved, ["127.0.0.1:12000", "127.0.0.1:12001"]);
    }

    #[test]
    fn unknown_names_are_errors() {
        let file = topology();
        let err = resolve_herd(&["Welsh".to_owned()], Some(file.path())).unwrap_err();
        assert!(matches!(err, ConfigError::UnknownServer { .. }), "{err}");
    }
}
