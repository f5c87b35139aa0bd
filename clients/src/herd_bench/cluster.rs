//! The server processes of a run: the baseline (this binary's
//! `baseline-server` subcommand) and the five herd servers, on free loopback
//! ports, with a generated topology and their logs in a temporary directory.
//! Every process is held in a [`Children`], so it dies with the run.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, bail};
use tokio::time::{Instant, sleep};

use crate::connection::Connection;
use crate::herd_bench::children::{Children, RETRY, START_TIMEOUT, free_addr, wait_listening};
use crate::herd_bench::probe::poll_until_known;
use crate::protocol::{Shape, format_posix, iamat, is_at, now_nanos};

/// The five servers of the spec, in name order.
pub const SERVERS: [&str; 5] = ["Goloman", "Hands", "Holiday", "Welsh", "Wilkes"];

/// The spec's links, each listed once.
pub const LINKS: [(&str, &str); 6] = [
    ("Goloman", "Hands"),
    ("Goloman", "Holiday"),
    ("Goloman", "Wilkes"),
    ("Hands", "Wilkes"),
    ("Holiday", "Welsh"),
    ("Holiday", "Wilkes"),
];

/// How a herd log line says a link came up (see the README's Logs section).
pub const PEER_UP: &str = "event=\"peer_up\"";

/// The environment variable that carries the herd's link key.
pub const KEY_ENV: &str = "HERD_KEY";

/// The baseline server, running as a child process.
#[derive(Debug)]
pub struct Baseline {
    /// Where it listens.
    pub addr: SocketAddr,
    /// The process; killed on drop.
    children: Children,
}

impl Baseline {
    /// Starts `exe baseline-server` answering as `name` and waits until it listens.
    pub async fn start(exe: &Path, name: &str) -> anyhow::Result<Self> {
        let addr = free_addr()?;
        let mut children = Children::default();
        children.spawn(
            "baseline",
            Command::new(exe)
                .arg("baseline-server")
                .arg("--addr")
                .arg(addr.to_string())
                .arg("--name")
                .arg(name)
                .stdin(Stdio::null())
                .stdout(Stdio::null()),
        )?;
        wait_listening(addr, &mut children, None).await?;
        Ok(Self { addr, children })
    }

    /// Fails if the baseline has died.
    pub fn check_alive(&mut self) -> anyhow::Result<()> {
        self.children.check_alive(None)
    }
}

/// A run's working directory: a topology for `servers` joined by `links`
/// on free loopback ports, and room for logs, journals and outputs.
#[derive(Debug)]
pub struct RunDir {
    /// The directory.
    pub dir: PathBuf,
    /// Removes `dir` on drop; `None` when the run keeps it.
    pub temp: Option<tempfile::TempDir>,
    /// The topology file inside `dir`.
    pub topology: PathBuf,
    /// (client, peer) addresses by server name.
    pub ports: BTreeMap<String, (SocketAddr, SocketAddr)>,
}

impl RunDir {
    /// Creates the directory (named after `prefix`) and writes the topology.
    /// With `keep`, the directory outlives the run.
    pub fn create(
        prefix: &str,
        keep: bool,
        servers: &[&str],
        links: &[(&str, &str)],
    ) -> anyhow::Result<Self> {
        let temp = tempfile::Builder::new()
            .prefix(prefix)
            .tempdir()
            .context("cannot create a temporary directory")?;
        let dir = temp.path().to_owned();
        let temp = if keep {
            let _ = temp.keep();
            None
        } else {
            Some(temp)
        };
        let mut ports = BTreeMap::new();
        for name in servers {
            ports.insert((*name).to_owned(), (free_addr()?, free_addr()?));
        }
        let topology = dir.join("topology.toml");
        std::fs::write(&topology, topology_text(&ports, links))?;
        Ok(Self {
            dir,
            temp,
            topology,
            ports,
        })
    }
}

/// The topology file for `addrs` (client, peer) by name, with `links` and
/// the local places provider.
pub fn topology_text(
    addrs: &BTreeMap<String, (SocketAddr, SocketAddr)>,
    links: &[(&str, &str)],
) -> String {
    let links: Vec<String> = links
        .iter()
        .map(|(a, b)| format!("[\"{a}\", \"{b}\"]"))
        .collect();
    let mut text = format!("links = [{}]\n", links.join(", "));
    for (name, (addr, peer_addr)) in addrs {
        // Writing to a String cannot fail.
        let _ = write!(
            text,
            "\n[servers.{name}]\naddr = \"{addr}\"\npeer_addr = \"{peer_addr}\"\n"
        );
    }
    text.push_str("\n[places]\nprovider = \"local\"\n");
    text
}

/// What the herd's log files hold after a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LogStats {
    /// Log files found.
    pub files: usize,
    /// Their total size.
    pub bytes: u64,
    /// Lines that mention the event asked for.
    pub matching_lines: u64,
}

/// Five `herd` processes of the spec's topology.
#[derive(Debug)]
pub struct Herd {
    /// Client address of each server, by name.
    pub addrs: BTreeMap<String, SocketAddr>,
    /// The processes. Declared before `dir` so they die before it is removed.
    children: Children,
    /// Topology, logs, journals and each server's stdout / stderr.
    dir: PathBuf,
    /// Removes `dir` on drop, unless the run keeps it.
    _temp: Option<tempfile::TempDir>,
}

impl Herd {
    /// Starts `herd NAME --topology FILE --log-dir DIR --data-dir DIR/data`
    /// for every server and waits until each listens. Journals start empty
    /// and nothing is written outside the directory. With `keep`, the
    /// directory outlives the run.
    pub async fn start(bin: &Path, keep: bool) -> anyhow::Result<Self> {
        let RunDir {
            dir,
            temp,
            topology,
            ports,
        } = RunDir::create("herd-bench-", keep, &SERVERS, &LINKS)?;
        // A key of this run's own unless the caller chose one, so the links
        // authenticate as in production and the herd does not warn.
        let key = std::env::var(KEY_ENV)
            .unwrap_or_else(|_| format!("herd-bench-{}-{}", std::process::id(), now_nanos()));
        let mut children = Children::default();
        for name in SERVERS {
            let out = |ext: &str| File::create(dir.join(format!("{name}.{ext}")));
            children.spawn(
                name,
                Command::new(bin)
                    .arg(name)
                    .arg("--topology")
                    .arg(&topology)
                    .arg("--log-dir")
                    .arg(&dir)
                    .arg("--data-dir")
                    .arg(dir.join("data"))
                    .env(KEY_ENV, &key)
                    .stdin(Stdio::null())
                    .stdout(out("stdout")?)
                    .stderr(out("stderr")?),
            )?;
        }
        let addrs: BTreeMap<String, SocketAddr> = ports
            .iter()
            .map(|(n, (addr, _))| (n.clone(), *addr))
            .collect();
        let mut herd = Self {
            addrs,
            children,
            dir,
            _temp: temp,
        };
        for addr in herd.addrs.values() {
            wait_listening(*addr, &mut herd.children, Some(&herd.dir)).await?;
        }
        Ok(herd)
    }

    /// Waits until the logs show every link up at both of its ends (one
    /// `peer_up` event per neighbour per server), so load meets the whole
    /// herd rather than one still redialing.
    pub async fn wait_links_logged(&mut self) -> anyhow::Result<()> {
        let want = 2 * LINKS.len() as u64;
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            let seen = self.log_stats(PEER_UP)?.matching_lines;
            if seen >= want {
                return Ok(());
            }
            self.children.check_alive(Some(&self.dir))?;
            if Instant::now() > deadline {
                bail!("the logs show {seen} of {want} link ends up after {START_TIMEOUT:?}");
            }
            sleep(RETRY).await;
        }
    }

    /// Reports one location at each server and waits until every other
    /// server knows it: proof that the links carry floods end to end.
    pub async fn wait_linked(&mut self) -> anyhow::Result<()> {
        let deadline = Instant::now() + START_TIMEOUT;
        for (name, addr) in &self.addrs {
            let client = format!("bench-ready-{name}");
            let mut conn = Connection::connect(*addr).await?;
            let line = iamat(&client, super::COORDS, &format_posix(now_nanos()));
            let reply = conn.request(line.as_bytes(), Shape::Line).await?;
            if !is_at(&reply) {
                bail!(
                    "{name} answered IAMAT with {:?}",
                    String::from_utf8_lossy(&reply)
                );
            }
            for (other, other_addr) in &self.addrs {
                let mut conn = Connection::connect(*other_addr).await?;
                if poll_until_known(&mut conn, &client, deadline, &mut Vec::new())
                    .await?
                    .is_none()
                {
                    self.children.check_alive(Some(&self.dir))?;
                    bail!("a location reported at {name} never reached {other}");
                }
            }
        }
        Ok(())
    }

    /// The client address of server `name`.
    pub fn addr(&self, name: &str) -> anyhow::Result<SocketAddr> {
        self.addrs
            .get(name)
            .copied()
            .with_context(|| format!("no server {name}; the herd has {SERVERS:?}"))
    }

    /// Every server's name, client address and process id.
    pub fn servers(&self) -> Vec<(String, SocketAddr, u32)> {
        self.addrs
            .iter()
            .filter_map(|(name, addr)| Some((name.clone(), *addr, self.children.pid(name)?)))
            .collect()
    }

    /// Fails if any server has died.
    pub fn check_alive(&mut self) -> anyhow::Result<()> {
        self.children.check_alive(Some(&self.dir))
    }

    /// Totals over the servers' `*.log` files: bytes, and lines that
    /// mention `needle` (an event name such as `peer_queue_full`).
    pub fn log_stats(&self, needle: &str) -> anyhow::Result<LogStats> {
        log_stats(&self.dir, &SERVERS, needle)
    }

    /// The directory with the topology, logs and each server's output.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

/// Totals over the `NAME.log` files in `dir` of the servers `names`: bytes,
/// and lines that mention `needle`. A missing file is skipped.
pub fn log_stats(dir: &Path, names: &[&str], needle: &str) -> anyhow::Result<LogStats> {
    let mut stats = LogStats::default();
    for name in names {
        let path = dir.join(format!("{name}.log"));
        let Ok(file) = File::open(&path) else {
            continue;
        };
        stats.files += 1;
        stats.bytes += file.metadata()?.len();
        for line in BufReader::new(file).split(b'\n') {
            let line = line.with_context(|| format!("reading {}", path.display()))?;
            if line.windows(needle.len()).any(|w| w == needle.as_bytes()) {
                stats.matching_lines += 1;
            }
        }
    }
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    #[test]
    fn generated_topology_names_every_server_and_link() {
        let mut addrs = BTreeMap::new();
        for (i, name) in SERVERS.iter().enumerate() {
            let port = 20_000 + i as u16;
            addrs.insert(
                name.to_string(),
                (
                    SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
                    SocketAddr::from((Ipv4Addr::LOCALHOST, port + 100)),
                ),
            );
        }
        let text = topology_text(&addrs, &LINKS);
        let servers = crate::topology::parse(&text, Path::new("gen")).unwrap();
        assert_eq!(servers.len(), 5);
        assert_eq!(servers["Welsh"].port(), 20_003);
        let value: toml::Table = toml::from_str(&text).unwrap();
        assert_eq!(value["links"].as_array().unwrap().len(), 6);
        assert_eq!(value["places"]["provider"].as_str(), Some("local"));
        assert_eq!(
            value["servers"]["Hands"]["peer_addr"].as_str(),
            Some("127.0.0.1:20101")
        );
    }
}
