//! The herd servers of a run as child processes: `herd NAME` for every
//! server of a [`Layout`], with the topology, logs, journals and output in
//! the run directory, all held in one [`Processes`] so they die with the run.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Context;
use base::process::{Processes, Supervised, Watched, wait_ready};

use super::herd_log::{LogStats, PEER_UP, log_bytes, log_stats, read_started};
use super::layout::Layout;
use super::metrics::{LOCATIONS_SENT, scrape_total};
use super::{START_TIMEOUT, run_tag};

/// The environment variable that carries the herd's link key.
pub const KEY_ENV: &str = "HERD_KEY";

/// The herd's log level variable, cleared for the servers: the harness
/// reads their `info` events, and the runs measure the herd as it logs
/// by default.
const LOG_LEVEL_ENV: &str = "RUST_LOG";

/// Every server of a layout, running.
#[derive(Debug)]
pub struct Herd {
    /// Client address of each server, by name, as each logged it.
    pub addrs: BTreeMap<String, SocketAddr>,
    /// Metrics address of each server that serves metrics, as each logged it.
    metrics: BTreeMap<String, SocketAddr>,
    /// The servers and links.
    layout: Layout,
    /// The processes, by server name.
    processes: Processes,
    /// Topology, logs, journals (`data/`) and each server's output.
    dir: PathBuf,
}

impl Herd {
    /// Writes `dir/topology.toml` for `layout`, starts `bin NAME` for every
    /// server with `env` added, and waits until each has logged its client
    /// address. Journals start empty and nothing is written outside `dir`.
    /// The links authenticate with `HERD_KEY` if it is set, else with a key
    /// of this run's own, as in production, so the herd does not warn.
    pub async fn start(
        bin: &Path,
        layout: &Layout,
        dir: &Path,
        env: &[(&str, &str)],
    ) -> anyhow::Result<Self> {
        Self::start_with_topology(bin, layout, &layout.topology()?, dir, env).await
    }

    /// Like [`Herd::start`], with `text` as the topology (the layout's,
    /// with sections or server keys of the caller's merged in).
    pub async fn start_with_topology(
        bin: &Path,
        layout: &Layout,
        text: &str,
        dir: &Path,
        env: &[(&str, &str)],
    ) -> anyhow::Result<Self> {
        let topology = dir.join("topology.toml");
        std::fs::write(&topology, text)
            .with_context(|| format!("writing {}", topology.display()))?;
        let key = std::env::var(KEY_ENV).unwrap_or_else(|_| format!("bench-key-{}", run_tag()));
        let mut processes = Processes::new();
        for name in &layout.servers {
            let mut command = Command::new(bin);
            command
                .arg(name)
                .arg("--topology")
                .arg(&topology)
                .arg("--log-dir")
                .arg(dir)
                .arg("--data-dir")
                .arg(dir.join("data"))
                .env(KEY_ENV, &key)
                .env_remove(LOG_LEVEL_ENV)
                .envs(env.iter().copied());
            processes.add(Supervised::spawn_logged(name, &mut command, dir)?);
        }
        let (mut addrs, mut metrics) = (BTreeMap::new(), BTreeMap::new());
        for name in &layout.servers {
            let what = format!("{name} logged no client address");
            let started = wait_ready(&what, START_TIMEOUT, &mut processes, async || {
                read_started(dir, name)
            })
            .await?;
            addrs.insert(name.clone(), started.clients);
            if let Some(addr) = started.metrics {
                metrics.insert(name.clone(), addr);
            }
        }
        Ok(Self {
            addrs,
            metrics,
            layout: layout.clone(),
            processes,
            dir: dir.to_owned(),
        })
    }

    /// Waits until the logs show every link up at both of its ends (one
    /// `peer_up` event per neighbour per server), so load meets the whole
    /// herd rather than a server still dialing.
    pub async fn wait_links_up(&mut self) -> anyhow::Result<()> {
        let want = 2 * self.layout.links.len() as u64;
        let what = format!("the logs do not show all {want} link ends up");
        let (dir, servers) = (&self.dir, &self.layout.servers);
        wait_ready(&what, START_TIMEOUT, &mut self.processes, async || {
            let up = log_stats(dir, servers, PEER_UP).ok()?.matching_lines;
            (up >= want).then_some(())
        })
        .await?;
        Ok(())
    }

    /// The client address of server `name`.
    pub fn addr(&self, name: &str) -> anyhow::Result<SocketAddr> {
        self.addrs
            .get(name)
            .copied()
            .with_context(|| format!("no server {name}; the herd has {:?}", self.layout.servers))
    }

    /// Every server's name, client address and process id.
    pub fn servers(&self) -> Vec<(String, SocketAddr, u32)> {
        self.addrs
            .iter()
            .filter_map(|(name, addr)| Some((name.clone(), *addr, self.processes.get(name)?.pid())))
            .collect()
    }

    /// Kills server `name` at once (SIGKILL), as a crash would.
    pub fn kill(&mut self, name: &str) -> anyhow::Result<()> {
        self.processes
            .remove(name)
            .with_context(|| format!("no running server {name}"))?;
        self.addrs.remove(name);
        Ok(())
    }

    /// The servers and links.
    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// The server processes, for their pids and CPU time.
    pub fn processes(&self) -> &Processes {
        &self.processes
    }

    /// Fails if any server has died, naming it and quoting its stderr.
    pub fn check_alive(&mut self) -> anyhow::Result<()> {
        Ok(self.processes.check_running()?)
    }

    /// Locations sent whole on every link of every server so far (the
    /// `herd_link_locations_sent_total` series); `None` if a server serves
    /// no metrics.
    pub async fn locations_sent(&self) -> anyhow::Result<Option<u64>> {
        if self.metrics.len() < self.layout.servers.len() {
            return Ok(None);
        }
        let mut total = 0;
        for addr in self.metrics.values() {
            total += scrape_total(*addr, LOCATIONS_SENT).await?;
        }
        Ok(Some(total))
    }

    /// Bytes in the servers' log files so far.
    pub fn log_bytes(&self) -> anyhow::Result<u64> {
        log_bytes(&self.dir, &self.layout.servers)
    }

    /// Totals over the servers' log files, with the lines that mention
    /// `needle` (an event such as `peer_queue_full`) counted.
    pub fn log_stats(&self, needle: &str) -> anyhow::Result<LogStats> {
        log_stats(&self.dir, &self.layout.servers, needle)
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use base::topology::Topology;

    use super::*;

    /// A stand-in for `herd NAME --topology T --log-dir D --data-dir X`: it
    /// logs a start on a port named after the server, one link up, and the
    /// key and log level it was given, then waits to be killed. Server
    /// `Bad` fails at start instead.
    const FAKE_HERD: &str = r#"#!/bin/sh
name=$1; dir=$5
if [ "$name" = Bad ]; then echo "herd: cannot open the journal" >&2; exit 2; fi
port=$(case $name in A) echo 10001;; *) echo 10002;; esac)
echo "key=$HERD_KEY level=${RUST_LOG-unset} extra=$EXTRA" > "$dir/$name.env"
echo "INFO event=\"server_started\" server=\"$name\" clients=127.0.0.1:$port" >> "$dir/$name.log"
echo "INFO event=\"peer_up\" peer=\"x\"" >> "$dir/$name.log"
exec sleep 30
"#;

    fn fake_herd(dir: &Path) -> PathBuf {
        let bin = dir.join("fake-herd");
        std::fs::write(&bin, FAKE_HERD).unwrap();
        std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
        bin
    }

    #[tokio::test]
    async fn servers_are_found_at_the_addresses_they_log_and_links_are_counted() {
        let dir = tempfile::tempdir().unwrap();
        let bin = fake_herd(dir.path());
        let layout = Layout::new(&["A", "B"], &[("A", "B")]);
        let mut herd = Herd::start(&bin, &layout, dir.path(), &[("EXTRA", "yes")])
            .await
            .unwrap();
        assert_eq!(herd.addr("A").unwrap(), "127.0.0.1:10001".parse().unwrap());
        assert_eq!(herd.addr("B").unwrap().port(), 10002);
        assert!(
            herd.addr("C")
                .unwrap_err()
                .to_string()
                .contains("[\"A\", \"B\"]")
        );
        herd.wait_links_up().await.unwrap();
        let env = std::fs::read_to_string(dir.path().join("A.env")).unwrap();
        assert!(
            env.starts_with("key=") && env.len() > "key= ".len(),
            "{env}"
        );
        assert!(env.ends_with("level=unset extra=yes\n"), "{env}");
        let topology = Topology::load(&dir.path().join("topology.toml")).unwrap();
        assert_eq!(topology.neighbours("A"), ["B"]);
        let pids: Vec<u32> = herd.servers().iter().map(|(_, _, pid)| *pid).collect();
        assert_eq!(pids.len(), 2);
        herd.check_alive().unwrap();
        drop(herd);
        for pid in pids {
            assert!(
                base::process::usage(pid).is_err(),
                "{pid} outlived the herd"
            );
        }
    }

    #[tokio::test]
    async fn a_server_that_fails_to_start_is_named_with_its_stderr() {
        let dir = tempfile::tempdir().unwrap();
        let bin = fake_herd(dir.path());
        let layout = Layout::new(&["A", "Bad"], &[("A", "Bad")]);
        let err = Herd::start(&bin, &layout, dir.path(), &[])
            .await
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("Bad exited with exit status: 2"), "{err}");
        assert!(err.ends_with("herd: cannot open the journal"), "{err}");
    }
}
