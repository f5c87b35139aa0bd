//! Servers in network namespaces, for partition tests: one namespace per
//! server, one veth pair per topology link, links cut and healed by taking
//! their veths down and up.
//!
//! Addresses, so that each server's single `peer_addr` is reachable from
//! every neighbour and only from them:
//! - a server's `peer_addr` is `10.99.0.N` ([`PEER_PORT`]) on the `lo` of its
//!   namespace; each neighbour routes that /32 over their link's veth;
//! - link number `L` is its own subnet, `10.98.L.0/30`, its veths named
//!   `linkL` in both namespaces (`.1` at the first server, `.2` at the other);
//! - a server's client `addr` ([`CLIENT_PORT`]) is on a veth to the root
//!   namespace, so the test reaches it directly: a /30 each from a /27 of
//!   the benchmarking range 198.18.0.0/15 that no interface of the root
//!   namespace uses yet, chosen from the test's process ID.
//!
//! Namespaces are named `herdtest-PID-N`; dropping a [`Net`] deletes them
//! (and with them every veth), and creating one first deletes those left by
//! test processes that were killed before they could, and the servers still
//! running in them.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::net::{Ipv4Addr, SocketAddr};
use std::process::Command;

use super::Ports;
use super::process::try_output_within_wait;

/// Prefix of every namespace these tests create.
const PREFIX: &str = "herdtest-";

/// The port of every server's peer listener (each namespace has its own ports).
pub const PEER_PORT: u16 = 7000;

/// The port of every server's client listener.
pub const CLIENT_PORT: u16 = 7001;

/// First address of the range the client veths take their subnets from.
const CLIENT_RANGE: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 0);

/// Addresses in `CLIENT_RANGE` (198.18.0.0/15).
const CLIENT_RANGE_LEN: u32 = 1 << 17;

/// Addresses one test run takes from the range: a /30 per server, up to
/// eight servers.
const RUN_BLOCK: u32 = 32;

/// Most servers one [`Net`] holds (a /30 each in its block).
const MAX_SERVERS: usize = (RUN_BLOCK / 4) as usize;

/// Set (to anything) where namespaces must work, as in CI: a test that
/// cannot create them fails instead of skipping.
pub const REQUIRE_ENV: &str = "HERD_REQUIRE_NETNS";

/// Runs `ip` with the arguments of `command` (separated by spaces; none
/// of ours contains one); the error says what failed and why.
fn ip(command: &str) -> Result<String, String> {
    let out = try_output_within_wait(Command::new("ip").args(command.split_whitespace()))
        .map_err(|e| format!("cannot run `ip`: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(format!(
            "`ip {command}` failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// [`ip`], panicking on failure (for steps after namespaces were created).
fn must(command: &str) -> String {
    ip(command).unwrap_or_else(|e| panic!("{e}"))
}

/// One topology link between two namespaces.
#[derive(Debug, Clone)]
struct Link {
    /// The two servers, as the topology lists them.
    ends: (String, String),
    /// The veth's name in both namespaces.
    dev: String,
    /// The first server's address on the link, then the second's.
    addrs: (Ipv4Addr, Ipv4Addr),
}

/// Servers' namespaces and the veths between them; deleted on drop.
#[derive(Debug)]
pub struct Net {
    /// Server name to its namespace, for those created so far.
    namespaces: BTreeMap<String, String>,
    /// The servers' veths in the root namespace, for those created so far.
    root_veths: Vec<String>,
    /// Server name to its addresses.
    ports: BTreeMap<String, Ports>,
    /// Every topology link, to cut and heal by the names of its ends.
    links: Vec<Link>,
}

impl Net {
    /// Creates a namespace per server of `names` and a veth pair per link.
    /// `Err` says why namespaces cannot be created here (not root, no
    /// `ip`): the caller skips. Panics if a later step fails.
    pub fn create(names: &[&str], links: &[(&str, &str)]) -> Result<Net, String> {
        assert!(names.len() <= MAX_SERVERS, "at most {MAX_SERVERS} servers");
        remove_stale();
        let pid = std::process::id();
        let block = free_block(pid)?;
        let mut net = Net {
            namespaces: BTreeMap::new(),
            root_veths: Vec::new(),
            ports: BTreeMap::new(),
            links: Vec::new(),
        };
        for (i, name) in names.iter().enumerate() {
            let ns = format!("{PREFIX}{pid}-{i}");
            ip(&format!("netns add {ns}"))?;
            net.namespaces.insert(name.to_string(), ns.clone());
            let peer = Ipv4Addr::new(10, 99, 0, 1 + i as u8);
            must(&format!("-n {ns} link set lo up"));
            must(&format!("-n {ns} addr add {peer}/32 dev lo"));
            let client = net.client_veth(&ns, block + 4 * i as u32, pid, i);
            let ports = Ports {
                client: SocketAddr::from((client, CLIENT_PORT)),
                peer: SocketAddr::from((peer, PEER_PORT)),
            };
            net.ports.insert(name.to_string(), ports);
        }
        for (l, (a, b)) in links.iter().enumerate() {
            let (ns_a, ns_b) = (&net.namespaces[*a], &net.namespaces[*b]);
            let link = Link {
                ends: (a.to_string(), b.to_string()),
                dev: format!("link{l}"),
                addrs: (
                    Ipv4Addr::new(10, 98, l as u8, 1),
                    Ipv4Addr::new(10, 98, l as u8, 2),
                ),
            };
            let dev = &link.dev;
            must(&format!(
                "link add {dev} netns {ns_a} type veth peer name {dev} netns {ns_b}"
            ));
            must(&format!("-n {ns_a} addr add {}/30 dev {dev}", link.addrs.0));
            must(&format!("-n {ns_b} addr add {}/30 dev {dev}", link.addrs.1));
            net.links.push(link);
            net.heal(a, b);
        }
        Ok(net)
    }

    /// [`Net::create`], or `None` after printing why the test is skipped
    /// (it panics instead when [`REQUIRE_ENV`] is set).
    pub fn create_or_skip(names: &[&str], links: &[(&str, &str)]) -> Option<Net> {
        match Net::create(names, links) {
            Ok(net) => Some(net),
            Err(e) if std::env::var_os(REQUIRE_ENV).is_some() => {
                panic!("network namespaces are required ({REQUIRE_ENV} is set): {e}")
            }
            Err(e) => {
                eprintln!("skipped: cannot create network namespaces (needs root and `ip`): {e}");
                None
            }
        }
    }

    /// A veth from namespace `ns` to the root namespace on the /30 at
    /// `subnet`: the root end `.1`, the namespace's end `.2` (returned).
    fn client_veth(&mut self, ns: &str, subnet: u32, pid: u32, i: usize) -> Ipv4Addr {
        let root_dev = root_veth(pid, i);
        must(&format!(
            "link add {root_dev} type veth peer name client netns {ns}"
        ));
        self.root_veths.push(root_dev.clone());
        let (root, inside) = (Ipv4Addr::from(subnet + 1), Ipv4Addr::from(subnet + 2));
        must(&format!("addr add {root}/30 dev {root_dev}"));
        must(&format!("link set {root_dev} up"));
        must(&format!("-n {ns} addr add {inside}/30 dev client"));
        must(&format!("-n {ns} link set client up"));
        inside
    }

    /// Every server's client and peer addresses.
    pub fn ports(&self) -> BTreeMap<String, Ports> {
        self.ports.clone()
    }

    /// Every server's command prefix: `ip netns exec` its namespace.
    pub fn wrappers(&self) -> BTreeMap<String, Vec<OsString>> {
        self.namespaces
            .iter()
            .map(|(name, ns)| {
                let wrapper = ["ip", "netns", "exec", ns.as_str()].map(OsString::from);
                (name.clone(), wrapper.to_vec())
            })
            .collect()
    }

    /// The link between `a` and `b`.
    fn link(&self, a: &str, b: &str) -> &Link {
        self.links
            .iter()
            .find(|l| l.ends == (a.into(), b.into()) || l.ends == (b.into(), a.into()))
            .unwrap_or_else(|| panic!("no link {a}-{b}"))
    }

    /// Cuts the link between `a` and `b`: both veths down, which also takes
    /// the routes to the neighbours' peer addresses away.
    pub fn cut(&self, a: &str, b: &str) {
        let link = self.link(a, b);
        for server in [&link.ends.0, &link.ends.1] {
            must(&format!(
                "-n {} link set {} down",
                self.namespaces[server], link.dev
            ));
        }
    }

    /// Heals (or first brings up) the link between `a` and `b`: both veths
    /// up, and each end's route to the other's peer address over it.
    pub fn heal(&self, a: &str, b: &str) {
        let link = self.link(a, b);
        let ends = [
            (&link.ends.0, &link.ends.1, link.addrs.1),
            (&link.ends.1, &link.ends.0, link.addrs.0),
        ];
        for (server, _, _) in ends {
            must(&format!(
                "-n {} link set {} up",
                self.namespaces[server], link.dev
            ));
        }
        for (server, neighbour, via) in ends {
            let (ns, to) = (&self.namespaces[server], self.ports[neighbour].peer.ip());
            must(&format!(
                "-n {ns} route replace {to}/32 via {via} dev {}",
                link.dev
            ));
        }
    }
}

impl Drop for Net {
    fn drop(&mut self) {
        for dev in &self.root_veths {
            let _ = ip(&format!("link del {dev}"));
        }
        for ns in self.namespaces.values() {
            let _ = ip(&format!("netns del {ns}"));
        }
    }
}

/// Deletes namespaces of test processes that have exited (killed before
/// their [`Net`] was dropped), after killing the servers left running in
/// them.
fn remove_stale() {
    let Ok(list) = ip("netns list") else {
        return;
    };
    let links = ip("-o link show").unwrap_or_default();
    for ns in list.lines().filter_map(|l| l.split_whitespace().next()) {
        let Some((pid, index)) = ns.strip_prefix(PREFIX).and_then(|r| r.split_once('-')) else {
            continue;
        };
        if std::path::Path::new("/proc").join(pid).exists() {
            continue;
        }
        for server in ip(&format!("netns pids {ns}")).unwrap_or_default().lines() {
            let _ = try_output_within_wait(Command::new("kill").args(["-KILL", server.trim()]));
        }
        let _ = ip(&format!("netns del {ns}"));
        // A namespace can outlive its name for a while; its client veth
        // must not hold on to the addresses meanwhile.
        let root_dev = root_veth(pid, index);
        if links.contains(&format!(" {root_dev}@")) {
            let _ = ip(&format!("link del {root_dev}"));
        }
    }
}

/// The root-namespace end of server `index`'s client veth, for the test
/// process `pid`.
fn root_veth(pid: impl std::fmt::Display, index: impl std::fmt::Display) -> String {
    format!("hf{pid}c{index}")
}

/// The first address of a [`RUN_BLOCK`] of [`CLIENT_RANGE`] that no address
/// of the root namespace falls in, starting from one picked by `pid`.
fn free_block(pid: u32) -> Result<u32, String> {
    let text = ip("-o -4 addr show")?;
    let used: Vec<u32> = text
        .split_whitespace()
        .collect::<Vec<_>>()
        .windows(2)
        .filter(|w| w[0] == "inet")
        .filter_map(|w| w[1].split('/').next()?.parse::<Ipv4Addr>().ok())
        .map(u32::from)
        .collect();
    let blocks = CLIENT_RANGE_LEN / RUN_BLOCK;
    let range = u32::from(CLIENT_RANGE);
    (0..blocks)
        .map(|k| range + ((pid + k) % blocks) * RUN_BLOCK)
        .find(|&base| !used.iter().any(|&a| (base..base + RUN_BLOCK).contains(&a)))
        .ok_or_else(|| "no free block of 198.18.0.0/15 for client veths".to_owned())
}
