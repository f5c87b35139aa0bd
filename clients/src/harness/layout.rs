//! The herd a run starts: its servers and links, and the topology file
//! that tells each server where the others are.
//!
//! A server's peer address is a loopback port picked free just before the
//! servers start, since its neighbours must be told it in advance; its
//! client address is port 0, and the harness reads the port it got from
//! its log ([`super::herd_log::started`]).

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};

use anyhow::Context;
use base::topology::{BUILT_IN, ServerSpec, Topology, to_toml};
use serde::Serialize;

/// Sections every run's topology gets: WHATSAT answered offline, by the
/// places shipped with the herd.
pub const SECTIONS: &str = "[places]\nprovider = \"local\"\n";

/// Rotated log files each server keeps in a run: enough that none is
/// deleted (the run directory is removed at its end).
const KEEP_LOGS: usize = 1000;

/// The `[metrics]` and `[logs]` sections of a run's topology.
#[derive(Serialize)]
struct Observed<'a> {
    metrics: MetricsSection<'a>,
    logs: LogsSection,
}

#[derive(Serialize)]
struct MetricsSection<'a> {
    listen: BTreeMap<&'a str, String>,
}

#[derive(Serialize)]
struct LogsSection {
    keep: usize,
}

/// Servers and the links between them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// Server names, in name order.
    pub servers: Vec<String>,
    /// Each link once.
    pub links: Vec<(String, String)>,
}

impl Layout {
    /// `servers` joined by `links`.
    pub fn new(servers: &[&str], links: &[(&str, &str)]) -> Self {
        let mut servers: Vec<String> = servers.iter().map(|s| (*s).to_owned()).collect();
        servers.sort();
        Self {
            servers,
            links: links
                .iter()
                .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
                .collect(),
        }
    }

    /// The spec's five servers and six links: the herd's built-in topology.
    pub fn five() -> Self {
        let topology = Topology::parse(BUILT_IN).expect("the built-in topology is valid");
        Self {
            servers: topology.servers.into_keys().collect(),
            links: topology.links,
        }
    }

    /// Whether `name` is one of the servers.
    pub fn has(&self, name: &str) -> bool {
        self.servers.iter().any(|s| s == name)
    }

    /// The topology text: client addresses on port 0, peer addresses on
    /// free loopback ports, then [`SECTIONS`] and [`Self::observed`].
    pub fn topology(&self) -> anyhow::Result<String> {
        let mut specs = BTreeMap::new();
        for name in &self.servers {
            let spec = ServerSpec::new((Ipv4Addr::LOCALHOST, 0).into(), free_addr()?);
            specs.insert(name.clone(), spec);
        }
        let sections = format!("{SECTIONS}{}", self.observed()?);
        Ok(to_toml(&specs, &self.links, &sections))
    }

    /// What lets a run see the herd's costs: every server serves metrics
    /// on a port of its own (port 0; each logs the one it got), and no log
    /// file is deleted by rotation while the run lasts, so the bytes logged
    /// can be counted.
    fn observed(&self) -> anyhow::Result<String> {
        let any: SocketAddr = (Ipv4Addr::LOCALHOST, 0).into();
        let listen: BTreeMap<&str, String> = (self.servers.iter())
            .map(|name| (name.as_str(), any.to_string()))
            .collect();
        let sections = Observed {
            metrics: MetricsSection { listen },
            logs: LogsSection { keep: KEEP_LOGS },
        };
        toml::to_string(&sections).context("cannot write the [metrics] and [logs] sections")
    }
}

/// A loopback address with a port that was free a moment ago. The listener
/// is dropped so that a child process can bind the port: only for a port
/// a child must be told before it starts.
pub fn free_addr() -> anyhow::Result<SocketAddr> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).context("cannot bind loopback")?;
    Ok(listener.local_addr()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_five_servers_have_the_spec_links_and_every_peer_port_differs() {
        let five = Layout::five();
        assert_eq!(
            five.servers,
            ["Goloman", "Hands", "Holiday", "Welsh", "Wilkes"]
        );
        assert_eq!(five.links.len(), 6);
        assert!(five.has("Welsh") && !five.has("Kiwi"));
        let topology = Topology::parse(&five.topology().unwrap()).unwrap();
        assert_eq!(
            topology.neighbours("Holiday"),
            ["Goloman", "Welsh", "Wilkes"]
        );
        let peers: std::collections::BTreeSet<_> =
            topology.servers.values().map(|s| s.peer_addr).collect();
        assert_eq!(peers.len(), 5);
        assert!(topology.servers.values().all(|s| s.addr.port() == 0));
        assert_eq!(
            topology.places.provider,
            base::topology::ProviderKind::Local
        );
        let any = (Ipv4Addr::LOCALHOST, 0).into();
        assert_eq!(topology.metrics.listen_of("Wilkes"), Some(any));
        assert_eq!(topology.logs.keep, KEEP_LOGS);
    }
}
