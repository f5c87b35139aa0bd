//! Herd servers running inside the test process (`herd::server::start`),
//! every port picked by the operating system (port 0), so no test ever
//! guesses a free port. The herd's, the facade's and the clients' tests
//! include this file by path.
//!
//! A link is dialed by one end only ([`herd::peer::dials`]), which must know
//! the other's peer address. So the servers start in dial order, dialed ones
//! first: each is given the real peer address of every neighbour it dials,
//! already listening. The neighbours that will dial it are not up yet; in
//! its topology their addresses stay port 0, which it never uses. The herds
//! of `herd` processes in `common` start in the same order
//! ([`start_rounds`]) and write their topology the same way
//! ([`topology_text`]).

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use base::topology::{ServerSpec, Topology, to_toml};
use herd::server::{Options, RunningServer};

/// The Cacofonix id written to the servers' id file. `CACOFONIX_ID` in the
/// environment wins over it, as it does for every herd server; tests ask
/// [`cacofonix_id`] for the one in force.
pub const CACOFONIX: &str = "in-process-Cacofonix-id-7f3a";

/// The herd link key written to the servers' key file (`HERD_KEY` in the
/// environment wins, for every server alike).
const LINK_KEY: &str = "in-process-herd-link-key";

/// Longest a server may take to stop.
const STOP_WAIT: Duration = Duration::from_secs(10);

/// The Cacofonix id the servers accept: the environment's, else [`CACOFONIX`].
pub fn cacofonix_id() -> String {
    match std::env::var(herd::auth::CACOFONIX_ENV) {
        Ok(id) => id.trim().to_owned(),
        Err(_) => CACOFONIX.to_owned(),
    }
}

/// Addresses one server listens on.
#[derive(Debug, Clone, Copy)]
pub struct Ports {
    /// Its client port.
    pub client: SocketAddr,
    /// Its peer port.
    pub peer: SocketAddr,
}

/// Herd servers in this process, with their journals, key and id files in a
/// temporary directory. Dropping it signals every server to stop (the test's
/// runtime ending stops them too); [`InProcessHerd::stop`] also waits.
pub struct InProcessHerd {
    /// Journals, key and id files, and [`InProcessHerd::write_topology`]'s file.
    pub dir: tempfile::TempDir,
    /// Every server's name, started or not.
    names: Vec<String>,
    /// The links, as given.
    links: Vec<(String, String)>,
    /// TOML merged into every server's topology (`[limits]`, `[metrics]`,
    /// `[servers.NAME] clock_skew_ms`...).
    extra: String,
    /// Where each started server listens; kept after it stops.
    bound: BTreeMap<String, Ports>,
    /// The servers still running.
    servers: BTreeMap<String, RunningServer>,
}

impl InProcessHerd {
    /// Starts `names` linked by `links`, with default Olympic teams and events.
    pub async fn start(names: &[&str], links: &[(&str, &str)]) -> Self {
        Self::start_with(names, links, "").await
    }

    /// As [`InProcessHerd::start`], with `extra` TOML sections in every
    /// server's topology (not `[security]`, which this sets).
    pub async fn start_with(names: &[&str], links: &[(&str, &str)], extra: &str) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("herd.key"), LINK_KEY).expect("key file");
        std::fs::write(dir.path().join("cacofonix.id"), CACOFONIX).expect("id file");
        let mut herd = Self {
            dir,
            names: names.iter().map(|n| n.to_string()).collect(),
            links: links
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
            extra: extra.to_owned(),
            bound: BTreeMap::new(),
            servers: BTreeMap::new(),
        };
        for round in start_rounds(&herd.names, &herd.links, |_| false) {
            for name in round {
                herd.start_server(&name).await;
            }
        }
        herd
    }

    async fn start_server(&mut self, name: &str) {
        let text = self.topology_text();
        let topology = Topology::parse(&text).unwrap_or_else(|e| panic!("{e}:\n{text}"));
        let options = Options {
            places_api_key: None,
            data_dir: self.dir.path().join("data"),
        };
        let server = herd::server::start(&topology, name, options)
            .await
            .unwrap_or_else(|e| panic!("{name} does not start: {e}"));
        let bound = Ports {
            client: server.client_addr,
            peer: server.peer_addr,
        };
        self.bound.insert(name.to_owned(), bound);
        self.servers.insert(name.to_owned(), server);
    }

    /// The topology with the real address of every server started so far,
    /// port 0 for the others.
    fn topology_text(&self) -> String {
        let mut text = topology_text(&self.names, &self.links, &self.bound);
        let dir = self.dir.path();
        text.push_str(&format!(
            "[security]\nkey_file = {:?}\ncacofonix_file = {:?}\n",
            dir.join("herd.key"),
            dir.join("cacofonix.id")
        ));
        with_extra(text, &self.extra)
    }

    /// Writes the running herd's topology, with every server's real
    /// addresses, for a binary that is told the herd by file; returns its path.
    pub fn write_topology(&self) -> PathBuf {
        let path = self.dir.path().join("topology.toml");
        std::fs::write(&path, self.topology_text()).expect("write topology");
        path
    }

    /// The client address of `name`.
    pub fn client(&self, name: &str) -> SocketAddr {
        self.bound[name].client
    }

    /// The running server `name`.
    pub fn server(&self, name: &str) -> &RunningServer {
        &self.servers[name]
    }

    /// Stops server `name` (its connections close, its ports with them).
    pub async fn stop_server(&mut self, name: &str) {
        let server = self.servers.remove(name).expect("a running server");
        tokio::time::timeout(STOP_WAIT, server.stop())
            .await
            .unwrap_or_else(|_| panic!("{name} did not stop within {STOP_WAIT:?}"));
    }

    /// Stops every server and waits for each.
    pub async fn stop(mut self) {
        let names: Vec<String> = self.servers.keys().cloned().collect();
        for name in names {
            self.stop_server(&name).await;
        }
    }
}

impl Drop for InProcessHerd {
    fn drop(&mut self) {
        for server in self.servers.values() {
            server.shutdown_token().cancel();
        }
    }
}

/// The servers in the order they can start, in rounds: a round is every
/// server not started yet whose dialed neighbours ([`herd::peer::dials`])
/// are all `ready` or in an earlier round.
pub fn start_rounds(
    names: &[String],
    links: &[(String, String)],
    ready: impl Fn(&str) -> bool,
) -> Vec<Vec<String>> {
    let dialed_by = |name: &str| -> Vec<String> {
        (links.iter())
            .filter_map(|(a, b)| match (a == name, b == name) {
                (true, _) if herd::peer::dials(a, b) => Some(b.clone()),
                (_, true) if herd::peer::dials(b, a) => Some(a.clone()),
                _ => None,
            })
            .collect()
    };
    let mut rounds: Vec<Vec<String>> = Vec::new();
    let mut waiting: Vec<String> = names.to_vec();
    while !waiting.is_empty() {
        let earlier = |n: &String| ready(n) || rounds.iter().flatten().any(|r| r == n);
        let (round, later): (Vec<String>, Vec<String>) = waiting
            .into_iter()
            .partition(|name| dialed_by(name).iter().all(earlier));
        assert!(!round.is_empty(), "no server can start first: {later:?}");
        rounds.push(round);
        waiting = later;
    }
    rounds
}

/// A topology of `names` linked by `links`, each server at its entry of
/// `ports`, port 0 for those without one.
pub fn topology_text(
    names: &[String],
    links: &[(String, String)],
    ports: &BTreeMap<String, Ports>,
) -> String {
    let any = SocketAddr::from(([127, 0, 0, 1], 0));
    let servers: BTreeMap<String, ServerSpec> = (names.iter())
        .map(|name| {
            let (addr, peer_addr) = (ports.get(name)).map_or((any, any), |p| (p.client, p.peer));
            (name.clone(), ServerSpec::new(addr, peer_addr))
        })
        .collect();
    to_toml(&servers, links, "")
}

/// `text` with the TOML `extra` merged in ([`base::topology::merge_toml`]),
/// or, when `extra` is not TOML on its own, appended as it is.
pub fn with_extra(mut text: String, extra: &str) -> String {
    match base::topology::merge_toml(&text, extra) {
        Some(merged) => merged,
        None => {
            text.push_str(extra);
            text
        }
    }
}
