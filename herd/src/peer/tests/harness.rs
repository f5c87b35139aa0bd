//! Starting, stopping and watching in-process herds for the peer tests.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio_util::codec::{FramedRead, FramedWrite};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::auth::CacofonixId;
use crate::peer::handshake::{self, Reader, Writer};
use crate::peer::transport::{Listener, MemListener, MemNet, MemTransport, Tcp};
use crate::peer::{LinkKey, Neighbour};
use crate::shared::Shared;
use base::topology::Limits;
use olympic::Olympics;
use proto::codec::LineCodec;
use proto::location::Location;

/// The course's five servers and their links.
pub(crate) const FIVE: [&str; 5] = ["Goloman", "Hands", "Holiday", "Welsh", "Wilkes"];
pub(crate) const FIVE_LINKS: [(&str, &str); 6] = [
    ("Goloman", "Hands"),
    ("Goloman", "Holiday"),
    ("Goloman", "Wilkes"),
    ("Hands", "Wilkes"),
    ("Holiday", "Welsh"),
    ("Holiday", "Wilkes"),
];

/// A link as its two names in order, so each link has one spelling.
pub(crate) fn pair(a: &str, b: &str) -> (String, String) {
    if a < b {
        (a.to_owned(), b.to_owned())
    } else {
        (b.to_owned(), a.to_owned())
    }
}

/// The neighbours of `name` over `links`, leaving out the links in `cut`
/// (the simulations' overlay).
pub(crate) fn linked(
    links: &std::collections::BTreeSet<(String, String)>,
    cut: &std::collections::BTreeSet<(String, String)>,
    name: &str,
) -> Vec<String> {
    links
        .iter()
        .filter(|l| !cut.contains(*l))
        .filter_map(|(a, b)| match (a == name, b == name) {
            (true, _) => Some(b.clone()),
            (_, true) => Some(a.clone()),
            _ => None,
        })
        .collect()
}

/// Address given to neighbours that are not part of a test herd.
const NOWHERE: SocketAddr = SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 1);

/// Longest any test waits for something that should happen.
pub(super) const PATIENCE: Duration = Duration::from_secs(5);

pub(super) fn key(s: &str) -> LinkKey {
    LinkKey::new(s.as_bytes()).expect("test keys are not blank")
}

/// A location as server `server` would have stamped it.
pub(super) fn location(server: &str, client: &str, secs: u64) -> Location {
    let line = format!("AT {server} +0.123456789 {client} +34.068930-118.445127 {secs}.000000001");
    Location::from_at_line(line.as_bytes()).expect("test AT line is well formed")
}

/// Polls `check` every 10 ms until it holds; panics naming `what` if it
/// does not within `within`.
pub(super) async fn eventually(what: &str, within: Duration, mut check: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + within;
    while !check() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out after {within:?} waiting for: {what}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// One running server's peer side.
pub(super) struct Node {
    pub(super) shared: Arc<Shared>,
    shutdown: CancellationToken,
    task: JoinHandle<()>,
}

/// A peer port to serve, on either network.
pub(super) enum Port {
    Tcp(TcpListener),
    Mem(MemListener, MemTransport),
}

impl Node {
    /// Starts `peer::run` for `name` on `port`, with its journal in `data`.
    pub(super) async fn start(
        name: &str,
        port: Port,
        neighbours: Vec<Neighbour>,
        key: LinkKey,
        limits: Limits,
        data: &Path,
    ) -> Self {
        let olympics = Olympics::open(&Default::default(), name, data)
            .await
            .expect("olympic journal");
        let shared = Arc::new(Shared::peer_side(
            name,
            &neighbours,
            limits,
            olympics,
            CacofonixId::new(b"test-cacofonix").expect("usable id"),
            crate::coord::Coordination::new(
                name,
                &crate::coord::CoordConfig::of_names(&FIVE),
                Default::default(),
            ),
            crate::order::Orderer::in_memory(name, &FIVE.map(String::from), &Default::default()),
        ));
        let shutdown = CancellationToken::new();
        let (me, stop) = (Arc::clone(&shared), shutdown.clone());
        let run = async move {
            match port {
                Port::Tcp(listener) => {
                    crate::peer::run(me, Arc::new(Tcp), listener, neighbours, key, stop).await;
                }
                Port::Mem(listener, transport) => {
                    crate::peer::run(me, Arc::new(transport), listener, neighbours, key, stop)
                        .await;
                }
            }
        };
        let task = tokio::spawn(run.instrument(tracing::info_span!("server", name = %name)));
        Self {
            shared,
            shutdown,
            task,
        }
    }

    /// What a client's IAMAT does when it is newest: store, then flood.
    pub(super) fn iamat(&self, client: &str, secs: u64) -> Option<Arc<Location>> {
        let stored = self
            .shared
            .db
            .offer(location(&self.shared.name, client, secs))
            .taken()?;
        self.shared.peers.flood(&stored, None);
        Some(stored)
    }

    /// The at_line held for `client`, as text.
    pub(super) fn held(&self, client: &str) -> Option<String> {
        let loc = self.shared.db.get(client)?;
        Some(String::from_utf8_lossy(loc.at_line()).into_owned())
    }

    /// True when every neighbour has a live link.
    pub(super) fn fully_linked(&self) -> bool {
        self.shared.peers.live().len() == self.shared.peers.neighbours().len()
    }

    /// Cancels the node, waits for `run` to return, and closes its journal
    /// (so the node can be started again on it).
    pub(super) async fn stop(self) {
        self.shutdown.cancel();
        tokio::time::timeout(PATIENCE, self.task)
            .await
            .expect("peer::run ends promptly after shutdown")
            .expect("peer::run does not panic");
        if let Ok(shared) = Arc::try_unwrap(self.shared) {
            shared.olympics.close().await;
        }
    }
}

/// Several nodes wired by a list of links.
pub(super) struct Herd {
    pub(super) nodes: BTreeMap<String, Node>,
    addrs: BTreeMap<String, SocketAddr>,
    links: Vec<(String, String)>,
    /// Each node's link key; tests give some nodes a wrong one.
    keys: BTreeMap<String, LinkKey>,
    limits: Limits,
    /// The simulated network, or `None` for loopback TCP.
    net: Option<MemNet>,
    /// Each node's data directory; kept across restarts.
    data: BTreeMap<String, tempfile::TempDir>,
}

impl Herd {
    /// Binds a peer port for every name, then starts them all.
    pub(super) async fn start(names: &[&str], links: &[(&str, &str)], key: LinkKey) -> Self {
        Self::start_with(names, links, Limits::default(), |_| key.clone()).await
    }

    /// Like [`Herd::start`], with `limits` and a key per node.
    pub(super) async fn start_with(
        names: &[&str],
        links: &[(&str, &str)],
        limits: Limits,
        key_of: impl Fn(&str) -> LinkKey,
    ) -> Self {
        let mut ports = BTreeMap::new();
        for name in names {
            let listener = TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind loopback");
            ports.insert(name.to_string(), Port::Tcp(listener));
        }
        Self::launch_all(ports, links, limits, key_of, None).await
    }

    /// Like [`Herd::start_with`], on the simulated network `net` (one key).
    pub(super) async fn start_simulated(
        names: &[&str],
        links: &[(&str, &str)],
        limits: Limits,
        net: &MemNet,
    ) -> Self {
        let ports = names
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let addr = SocketAddr::from(([10, 0, 0, i as u8 + 1], 9000));
                let port = Port::Mem(net.listen(addr), net.transport(addr));
                (name.to_string(), port)
            })
            .collect();
        Self::launch_all(ports, links, limits, |_| key("k"), Some(net.clone())).await
    }

    async fn launch_all(
        ports: BTreeMap<String, Port>,
        links: &[(&str, &str)],
        limits: Limits,
        key_of: impl Fn(&str) -> LinkKey,
        net: Option<MemNet>,
    ) -> Self {
        let addr = |port: &Port| match port {
            Port::Tcp(listener) => listener.local_addr().expect("bound address"),
            Port::Mem(listener, _) => listener.local_addr().expect("memory address"),
        };
        let mut herd = Self {
            nodes: BTreeMap::new(),
            addrs: ports.iter().map(|(n, p)| (n.clone(), addr(p))).collect(),
            links: links
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
            keys: ports.keys().map(|n| (n.clone(), key_of(n))).collect(),
            limits,
            net,
            data: ports
                .keys()
                .map(|n| (n.clone(), tempfile::tempdir().expect("tempdir")))
                .collect(),
        };
        for (name, port) in ports {
            herd.launch(&name, port).await;
        }
        herd
    }

    pub(super) fn node(&self, name: &str) -> &Node {
        &self.nodes[name]
    }

    pub(super) fn addr(&self, name: &str) -> SocketAddr {
        self.addrs[name]
    }

    fn neighbours(&self, name: &str) -> Vec<Neighbour> {
        self.links
            .iter()
            .filter_map(|(a, b)| match (a == name, b == name) {
                (true, _) => Some(b),
                (_, true) => Some(a),
                _ => None,
            })
            .map(|n| Neighbour {
                name: n.clone(),
                // A neighbour the test plays itself has no port here; it
                // dials in, so the address is never used.
                peer_addr: self.addrs.get(n).copied().unwrap_or(NOWHERE),
            })
            .collect()
    }

    async fn launch(&mut self, name: &str, port: Port) {
        let node = Node::start(
            name,
            port,
            self.neighbours(name),
            self.keys[name].clone(),
            self.limits.clone(),
            self.data[name].path(),
        )
        .await;
        self.nodes.insert(name.to_owned(), node);
    }

    /// Stops one node; its port and journal stay for [`Herd::restart`].
    pub(super) async fn stop(&mut self, name: &str) {
        let node = self.nodes.remove(name).expect("node is running");
        node.stop().await;
    }

    /// Starts a stopped node again on its old port and journal, with an
    /// empty location store.
    pub(super) async fn restart(&mut self, name: &str) {
        let addr = self.addrs[name];
        let port = match &self.net {
            None => Port::Tcp(TcpListener::bind(addr).await.expect("rebind old peer port")),
            Some(net) => Port::Mem(net.listen(addr), net.transport(addr)),
        };
        self.launch(name, port).await;
    }

    /// The data directory of `name`, where its journal is.
    pub(super) fn data_dir(&self, name: &str) -> &Path {
        self.data[name].path()
    }

    /// Waits until every running node has a live link to each neighbour.
    pub(super) async fn wait_linked(&self) {
        eventually("every link up", PATIENCE, || {
            self.nodes.values().all(Node::fully_linked)
        })
        .await;
    }

    /// Stops every node.
    pub(super) async fn shutdown(self) {
        for (_, node) in self.nodes {
            node.stop().await;
        }
    }
}

/// A test standing in for neighbour `me`: dials `addr` and authenticates.
pub(super) async fn fake_dialer(
    addr: SocketAddr,
    key: &LinkKey,
    me: &str,
    them: &str,
) -> (Reader<OwnedReadHalf>, Writer<OwnedWriteHalf>) {
    let stream = TcpStream::connect(addr)
        .await
        .expect("connect to peer port");
    stream.set_nodelay(true).expect("nodelay");
    let (r, w) = stream.into_split();
    let mut reader = FramedRead::new(r, LineCodec::new(1024));
    let mut writer = FramedWrite::new(w, LineCodec::new(1024));
    handshake::dial(&mut reader, &mut writer, key, me, them)
        .await
        .expect("fake dialer authenticates");
    (reader, writer)
}
