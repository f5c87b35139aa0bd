//! A whole herd in one process, on the in-memory network: many servers on
//! a random connected graph, each running the real peer side. `herd-sim`
//! measures how an update spreads (time to reach every server, location
//! messages per update) and how the herd converges after links are cut.
//!
//! Every wait is bounded; what does not happen in time is reported as such.

mod node;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use tokio::time::{Instant, sleep};

use crate::peer::transport::MemNet;
use crate::peer::{LinkKey, Neighbour};
use base::topology::random::{connected, random_links, server_name};

pub use node::{SimError, SimNode};

/// How often the servers are checked while waiting for an update.
const POLL: Duration = Duration::from_millis(1);

/// The longest wait for every link to come up.
const LINK_WAIT: Duration = Duration::from_secs(60);

/// The longest wait for one update to reach every server.
const SPREAD_WAIT: Duration = Duration::from_secs(10);

/// The longest wait for the herd to converge after the cut.
const CONVERGE_WAIT: Duration = Duration::from_secs(60);

/// Tries at drawing links to cut that leave the graph connected.
const CUT_TRIES: usize = 1000;

/// What to simulate.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Servers.
    pub servers: usize,
    /// Average links per server.
    pub degree: f64,
    /// Seed of the graph, the origins and the cut.
    pub seed: u64,
    /// Updates sent before measuring, so the spreading tree forms.
    pub warmup: usize,
    /// Updates measured one at a time.
    pub updates: usize,
    /// Fraction of links cut for the convergence measurement.
    pub cut: f64,
    /// Updates sent right after the cut, all at once.
    pub after_cut: usize,
}

/// What the simulation measured.
#[derive(Debug, Clone, Default)]
pub struct SimReport {
    /// Servers and links.
    pub servers: usize,
    /// Links in the graph.
    pub links: usize,
    /// Time for each measured update to reach every server, ns.
    pub spread: Vec<u64>,
    /// Updates that did not reach every server within [`SPREAD_WAIT`].
    pub lost: usize,
    /// Location messages sent on links per measured update.
    pub payloads_per_update: f64,
    /// Links cut.
    pub cut: usize,
    /// Whether the graph was still connected after the cut (if not, no
    /// herd could converge).
    pub still_connected: bool,
    /// Time from the cut until every server held every update sent after
    /// it; `None` if that did not happen within [`CONVERGE_WAIT`].
    pub converged_after: Option<Duration>,
}

/// The simulated herd.
struct SimHerd {
    net: MemNet,
    nodes: Vec<SimNode>,
    addrs: Vec<SocketAddr>,
    links: Vec<(usize, usize)>,
    _data: tempfile::TempDir,
}

/// The address of server `i` on the simulated network.
fn addr_of(i: usize) -> SocketAddr {
    let [hi, lo] = u16::try_from(i).unwrap_or(u16::MAX).to_be_bytes();
    SocketAddr::from(([10, 1, hi, lo], 9000))
}

impl SimHerd {
    async fn start(config: &SimConfig) -> anyhow::Result<Self> {
        let n = config.servers;
        let links = random_links(n, config.degree, config.seed);
        let net = MemNet::new(config.seed);
        let data = tempfile::tempdir()?;
        let names: Vec<String> = (0..n).map(|i| server_name(i, n)).collect();
        let addrs: Vec<SocketAddr> = (0..n).map(addr_of).collect();
        let mut neighbours: BTreeMap<usize, Vec<Neighbour>> = BTreeMap::new();
        for &(a, b) in &links {
            for (me, them) in [(a, b), (b, a)] {
                neighbours.entry(me).or_default().push(Neighbour {
                    name: names[them].clone(),
                    peer_addr: addrs[them],
                });
            }
        }
        let key = LinkKey::new(b"simulated-herd").expect("a usable key");
        let mut nodes = Vec::with_capacity(n);
        for i in 0..n {
            let mine = neighbours.remove(&i).unwrap_or_default();
            let node = SimNode::start(&net, &names[i], addrs[i], mine, key.clone(), data.path());
            nodes.push(node.await?);
        }
        Ok(Self {
            net,
            nodes,
            addrs,
            links,
            _data: data,
        })
    }

    async fn wait_linked(&self) -> anyhow::Result<()> {
        let deadline = Instant::now() + LINK_WAIT;
        while !self.nodes.iter().all(SimNode::fully_linked) {
            anyhow::ensure!(
                Instant::now() < deadline,
                "not every link came up in {LINK_WAIT:?}"
            );
            sleep(Duration::from_millis(10)).await;
        }
        Ok(())
    }

    fn all_hold(&self, client: &str, secs: u64) -> bool {
        self.nodes.iter().all(|n| n.holds(client, secs))
    }

    fn locations_sent(&self) -> u64 {
        self.nodes.iter().map(SimNode::locations_sent).sum()
    }

    /// Sends one update at a random server and waits until every server
    /// holds it; its time, or `None` past [`SPREAD_WAIT`].
    async fn spread_one(&self, rng: &mut StdRng, client: &str, secs: u64) -> Option<Duration> {
        let origin = rng.random_range(0..self.nodes.len());
        let started = Instant::now();
        self.nodes[origin].report(client, secs);
        while !self.all_hold(client, secs) {
            if started.elapsed() > SPREAD_WAIT {
                return None;
            }
            sleep(POLL).await;
        }
        Some(started.elapsed())
    }

    /// Cuts `count` random links, drawn so the graph stays connected if
    /// that can be found; says whether it did.
    fn cut(&self, rng: &mut StdRng, count: usize) -> bool {
        let mut links = self.links.clone();
        let mut still_connected = false;
        for _ in 0..CUT_TRIES {
            links.shuffle(rng);
            if connected(self.nodes.len(), &links[count..]) {
                still_connected = true;
                break;
            }
        }
        for &(a, b) in &links[..count] {
            self.net.cut(self.addrs[a], self.addrs[b]);
        }
        still_connected
    }

    async fn stop(self) {
        for node in self.nodes {
            node.stop().await;
        }
    }
}

/// Runs the simulation of `config`.
pub async fn run(config: &SimConfig) -> anyhow::Result<SimReport> {
    let herd = SimHerd::start(config).await?;
    herd.wait_linked().await?;
    let mut rng = StdRng::seed_from_u64(config.seed);
    let mut report = SimReport {
        servers: config.servers,
        links: herd.links.len(),
        ..SimReport::default()
    };
    let mut secs = 1_800_000_000;
    for u in 0..config.warmup {
        secs += 1;
        herd.spread_one(&mut rng, &format!("warm-{u}"), secs).await;
    }
    sleep(Duration::from_millis(200)).await;
    let sent_before = herd.locations_sent();
    for u in 0..config.updates {
        secs += 1;
        match herd
            .spread_one(&mut rng, &format!("update-{u}"), secs)
            .await
        {
            Some(took) => report.spread.push(took.as_nanos() as u64),
            None => report.lost += 1,
        }
    }
    sleep(Duration::from_millis(200)).await;
    let sent = herd.locations_sent().saturating_sub(sent_before);
    report.payloads_per_update = sent as f64 / config.updates.max(1) as f64;

    report.cut = (herd.links.len() as f64 * config.cut).round() as usize;
    report.still_connected = herd.cut(&mut rng, report.cut);
    let cut_at = Instant::now();
    secs += 1;
    for u in 0..config.after_cut {
        let origin = rng.random_range(0..herd.nodes.len());
        herd.nodes[origin].report(&format!("after-cut-{u}"), secs);
    }
    while cut_at.elapsed() < CONVERGE_WAIT {
        if (0..config.after_cut).all(|u| herd.all_hold(&format!("after-cut-{u}"), secs)) {
            report.converged_after = Some(cut_at.elapsed());
            break;
        }
        sleep(Duration::from_millis(10)).await;
    }
    herd.stop().await;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_small_random_herd_spreads_every_update_and_converges_after_a_cut() {
        let config = SimConfig {
            servers: 12,
            degree: 3.0,
            seed: 7,
            warmup: 10,
            updates: 20,
            cut: 0.1,
            after_cut: 20,
        };
        let report = run(&config).await.unwrap();
        assert_eq!(report.links, 18);
        assert_eq!((report.spread.len(), report.lost), (20, 0), "{report:?}");
        // Every update reaches 11 other servers, each by at least one
        // location message.
        assert!(report.payloads_per_update >= 11.0, "{report:?}");
        assert_eq!(report.cut, 2);
        assert!(report.still_connected);
        assert!(report.converged_after.is_some(), "{report:?}");
    }
}
