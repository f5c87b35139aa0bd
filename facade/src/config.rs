//! Which herd servers to attach to: `host:port` addresses as given, or
//! server names looked up in the herd's topology.
//!
//! The topology is the one `herd` itself would use (`--topology`, else
//! `./topology.toml`, else the herd's built-in one), read and checked by the
//! herd's own parser ([`base::topology::Topology`]). The facade uses the
//! servers' client addresses and the `[logs]` section.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use base::logging::LogsConfig;
use base::topology::Topology;

/// What the facade takes from the command line and the topology.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// Herd client addresses, in order of preference.
    pub herd: Vec<String>,
    /// The topology's `[logs]` section, for the facade's own log file.
    pub logs: LogsConfig,
}

/// Errors resolving the herd list.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The topology file is unreadable, malformed or invalid.
    #[error(transparent)]
    Topology(#[from] base::topology::TopologyError),
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
    /// No herd server at all.
    #[error("no herd servers: give --herd ADDR[,ADDR...] or a topology with servers")]
    Empty,
}

/// Resolves `entries` (addresses or names; empty means every server of the
/// topology, in name order) to client addresses, with the topology `herd`
/// would read given `topology` (see [`base::topology::file_to_read`]).
pub fn resolve(entries: &[String], topology: Option<&Path>) -> Result<Resolved, ConfigError> {
    let path = base::topology::file_to_read(topology);
    let loaded = Topology::load_default(topology)?;
    let servers: BTreeMap<String, String> = loaded
        .servers
        .iter()
        .map(|(name, spec)| (name.clone(), spec.addr.to_string()))
        .collect();
    let shown = path.unwrap_or_else(|| PathBuf::from("the built-in topology"));
    let herd: Vec<String> = if entries.is_empty() {
        servers.values().cloned().collect()
    } else {
        entries
            .iter()
            .map(|entry| resolve_one(entry, &servers, &shown))
            .collect::<Result<_, _>>()?
    };
    if herd.is_empty() {
        return Err(ConfigError::Empty);
    }
    Ok(Resolved {
        herd,
        logs: loaded.logs,
    })
}

/// `host:port` with a numeric port.
fn is_address(entry: &str) -> bool {
    entry
        .rsplit_once(':')
        .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok())
}

fn resolve_one(
    entry: &str,
    servers: &BTreeMap<String, String>,
    path: &Path,
) -> Result<String, ConfigError> {
    let entry = entry.trim();
    if is_address(entry) {
        return Ok(entry.to_owned());
    }
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
        let resolved = resolve(&entries, Some(file.path())).unwrap().herd;
        assert_eq!(
            resolved,
            ["127.0.0.1:12001", "10.0.0.1:7", "127.0.0.1:12000"]
        );
    }

    #[test]
    fn no_entries_means_every_server_of_the_topology() {
        let file = topology();
        let resolved = resolve(&[], Some(file.path())).unwrap().herd;
        assert_eq!(resolved, ["127.0.0.1:12000", "127.0.0.1:12001"]);
    }

    #[test]
    fn unknown_names_are_errors() {
        let file = topology();
        let err = resolve(&["Welsh".to_owned()], Some(file.path())).unwrap_err();
        assert!(matches!(err, ConfigError::UnknownServer { .. }), "{err}");
    }

    #[test]
    fn the_topology_logs_section_reaches_the_facade() {
        let file = tempfile::NamedTempFile::new().unwrap();
        let text = format!("{TOPOLOGY}[logs]\nmax_bytes = 4096\nkeep = 2\n");
        std::fs::write(file.path(), text).unwrap();
        let resolved = resolve(&[], Some(file.path())).unwrap();
        assert_eq!((resolved.logs.max_bytes, resolved.logs.keep), (4096, 2));
    }
}
