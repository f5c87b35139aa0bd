//! Starting, stopping and watching in-process herds for the peer tests.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio_util::codec::{FramedRead, FramedWrite};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::auth::CacofonixId;
use crate::codec::LineCodec;
use crate::db::Db;
use crate::location::Location;
use crate::olympic::Olympics;
use crate::peer::handshake::{self, Reader, Writer};
use crate::peer::{LinkKey, Neighbour, Peers};
use crate::places::Places;
use crate::shared::Shared;
use crate::topology::Limits;

/// The course's five servers and their links.
pub(super) const FIVE: [&str; 5] = ["Goloman", "Hands", "Holiday", "Welsh", "Wilkes"];
pub(super) const FIVE_LINKS: [(&str, &str); 6] = [
    ("Goloman", "Hands"),
    ("Goloman", "Holiday"),
    ("Goloman", "Wilkes"),
    ("Hands", "Wilkes"),
    ("Holiday", "Welsh"),
    ("Holiday", "Wilkes"),
];

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
    /// Holds the node's Olympic journal; removed when the node goes.
    _data: tempfile::TempDir,
}

impl Node {
    /// Starts `peer::run` for `name` on `listener`.
    pub(super) async fn start(
        name: &str,
        listener: TcpListener,
        neighbours: Vec<Neighbour>,
        key: LinkKey,
        limits: Limits,
    ) -> Self {
        let data = tempfile::tempdir().expect("tempdir");
        let olympics = Olympics::open(&Default::default(), name, data.path())
            .await
            .expect("olympic journal");
        let shared = Arc::new(Shared {
            name: name.to_owned(),
            db: Db::new(),
            places: Places::new(&Default::default(), None).expect("local places need no key"),
            peers: Peers::new(
                neighbours.iter().map(|n| n.name.clone()).collect(),
                limits.peer_queue,
            ),
            limits,
            olympics,
            cacofonix: CacofonixId::new(b"test-cacofonix").expect("usable id"),
            metrics: Default::default(),
        });
        let shutdown = CancellationToken::new();
        let run = crate::peer::run(
            Arc::clone(&shared),
            listener,
            neighbours,
            key,
            shutdown.clone(),
        );
        let task = tokio::spawn(run.instrument(tracing::info_span!("server", name = %name)));
        Self {
            shared,
            shutdown,
            task,
            _data: data,
        }
    }

    /// What a client's IAMAT does when it is newest: store, then flood.
    pub(super) fn iamat(&self, client: &str, secs: u64) -> Option<Arc<Location>> {
        let stored = self
            .shared
            .db
            .offer(location(&self.shared.name, client, secs))?;
        self.shared.peers.flood(&stored, None);
        Some(stored)
    }

    /// The at_line held for `client`, as text.
    pub(super) fn held(&self, client: &str) -> Option<String> {
        let loc = self.shared.db.get(client)?;
        Some(String::from_utf8_lossy(&loc.at_line).into_owned())
    }

    /// True when every neighbour has a live link.
    pub(super) fn fully_linked(&self) -> bool {
        self.shared.peers.live().len() == self.shared.peers.neighbours().len()
    }

    /// Cancels the node and waits for `run` to return.
    pub(super) async fn stop(self) {
        self.shutdown.cancel();
        tokio::time::timeout(PATIENCE, self.task)
            .await
            .expect("peer::run ends promptly after shutdown")
            .expect("peer::run does not panic");
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
        let mut listeners = BTreeMap::new();
        let mut addrs = BTreeMap::new();
        for name in names {
            let listener = TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind loopback");
            addrs.insert(
                name.to_string(),
                listener.local_addr().expect("bound address"),
            );
            listeners.insert(name.to_string(), listener);
        }
        let mut herd = Self {
            nodes: BTreeMap::new(),
            addrs,
            links: links
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
            keys: names.iter().map(|n| (n.to_string(), key_of(n))).collect(),
            limits,
        };
        for (name, listener) in listeners {
            herd.launch(&name, listener).await;
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

    async fn launch(&mut self, name: &str, listener: TcpListener) {
        let node = Node::start(
            name,
            listener,
            self.neighbours(name),
            self.keys[name].clone(),
            self.limits.clone(),
        )
        .await;
        self.nodes.insert(name.to_owned(), node);
    }

    /// Stops one node; its port stays reserved for [`Herd::restart`].
    pub(super) async fn stop(&mut self, name: &str) {
        let node = self.nodes.remove(name).expect("node is running");
        node.stop().await;
    }

    /// Starts a stopped node again on its old port, with an empty store.
    pub(super) async fn restart(&mut self, name: &str) {
        let listener = TcpListener::bind(self.addrs[name])
            .await
            .expect("rebind old peer port");
        self.launch(name, listener).await;
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
