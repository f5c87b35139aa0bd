//! Finding a server's client address by name in a herd topology file, with
//! the herd's own parser and checks ([`base::topology::Topology`]).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;

use base::topology::Topology;
pub use base::topology::TopologyError;

/// Client addresses by server name, from topology text. `_path` names the
/// text's origin; the herd's errors for text carry none.
pub fn parse(text: &str, _path: &Path) -> Result<BTreeMap<String, SocketAddr>, TopologyError> {
    Ok(addresses(Topology::parse(text)?))
}

/// The client address of server `name` in the topology file at `path`.
pub fn lookup(path: &Path, name: &str) -> Result<SocketAddr, TopologyError> {
    Ok(Topology::load(path)?.server(name)?.addr)
}

fn addresses(topology: Topology) -> BTreeMap<String, SocketAddr> {
    topology
        .servers
        .into_iter()
        .map(|(name, spec)| (name, spec.addr))
        .collect()
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
