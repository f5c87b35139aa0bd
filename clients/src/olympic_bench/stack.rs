//! The processes a run measures, on free loopback ports, with every file in
//! one temporary directory: the baseline (this binary's `baseline-server`
//! subcommand), two linked `herd` servers with durable journals, and the
//! `facade` in front of them. Each is held in a [`Children`], so it dies with
//! the run: on success, on error, on panic and on a signal.

use std::collections::BTreeMap;
use std::fs::File;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, bail};
use tokio::time::{Instant, sleep};

use crate::herd_bench::children::{Children, RETRY, START_TIMEOUT, free_addr, wait_listening};
use crate::herd_bench::cluster::{KEY_ENV, PEER_UP, RunDir, log_stats};
use crate::protocol::now_nanos;

/// The herd servers, linked to each other; the facade prefers the first.
pub const SERVERS: [&str; 2] = ["A", "B"];

/// Their one link.
pub const LINKS: [(&str, &str); 1] = [("A", "B")];

/// The environment variable that carries the Cacofonix id to the herd.
pub const CACOFONIX_ENV: &str = "CACOFONIX_ID";

/// What the facade's first line of output starts with.
const LISTENING: &str = "facade listening on http://";

/// The baseline server, running as a child process.
#[derive(Debug)]
pub struct Baseline {
    /// Where it listens.
    pub addr: SocketAddr,
    /// The process; killed on drop.
    children: Children,
}

impl Baseline {
    /// Starts `exe baseline-server --addr ADDR` and waits until it listens.
    pub async fn start(exe: &Path) -> anyhow::Result<Self> {
        let addr = free_addr()?;
        let mut children = Children::default();
        children.spawn(
            "baseline",
            Command::new(exe)
                .arg("baseline-server")
                .arg("--addr")
                .arg(addr.to_string())
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

/// The binaries a [`Stack`] runs.
#[derive(Debug, Clone)]
pub struct Binaries {
    /// `herd`.
    pub herd: PathBuf,
    /// `facade`.
    pub facade: PathBuf,
}

/// Two herd servers and the facade.
#[derive(Debug)]
pub struct Stack {
    /// Client address of each herd server, by name.
    pub herd: BTreeMap<String, SocketAddr>,
    /// Where the facade serves HTTP.
    pub facade: SocketAddr,
    /// The Cacofonix id the herd was started with (this run's own).
    pub cacofonix: String,
    /// The processes. Declared before `dir` so they die before it is removed.
    children: Children,
    /// Topology, logs, journals and each process's stdout / stderr.
    dir: PathBuf,
    /// Removes `dir` on drop, unless the run keeps it.
    _temp: Option<tempfile::TempDir>,
}

impl Stack {
    /// Starts the herd servers (`--data-dir` and `--log-dir` in a new
    /// temporary directory, so journals start empty), waits until they
    /// listen and their link is up, then starts the facade against them and
    /// waits for its first line. With `keep`, the directory outlives the run.
    pub async fn start(bins: &Binaries, keep: bool) -> anyhow::Result<Self> {
        let RunDir {
            dir,
            temp,
            topology,
            ports,
        } = RunDir::create("olympic-bench-", keep, &SERVERS, &LINKS)?;
        let tag = format!("{}-{}", std::process::id(), now_nanos());
        let key = std::env::var(KEY_ENV).unwrap_or_else(|_| format!("olympic-bench-{tag}"));
        let cacofonix = format!("olympic-bench-cacofonix-{tag}");
        let out = |name: &str, ext: &str| File::create(dir.join(format!("{name}.{ext}")));
        let mut children = Children::default();
        for name in SERVERS {
            children.spawn(
                name,
                Command::new(&bins.herd)
                    .arg(name)
                    .arg("--topology")
                    .arg(&topology)
                    .arg("--log-dir")
                    .arg(&dir)
                    .arg("--data-dir")
                    .arg(dir.join("data"))
                    .env(KEY_ENV, &key)
                    .env(CACOFONIX_ENV, &cacofonix)
                    .stdin(Stdio::null())
                    .stdout(out(name, "stdout")?)
                    .stderr(out(name, "stderr")?),
            )?;
        }
        let herd: BTreeMap<String, SocketAddr> = ports
            .iter()
            .map(|(n, (addr, _))| (n.clone(), *addr))
            .collect();
        for addr in herd.values() {
            wait_listening(*addr, &mut children, Some(&dir)).await?;
        }
        wait_links_up(&dir, &mut children).await?;

        let herd_list: Vec<String> = SERVERS.iter().map(|n| herd[*n].to_string()).collect();
        children.spawn(
            "facade",
            Command::new(&bins.facade)
                .arg("--listen")
                .arg("127.0.0.1:0")
                .arg("--herd")
                .arg(herd_list.join(","))
                .arg("--log-dir")
                .arg(&dir)
                .stdin(Stdio::null())
                .stdout(out("facade", "stdout")?)
                .stderr(out("facade", "stderr")?),
        )?;
        let facade = wait_facade(&dir, &mut children).await?;
        Ok(Self {
            herd,
            facade,
            cacofonix,
            children,
            dir,
            _temp: temp,
        })
    }

    /// Fails if any process has died, quoting its stderr.
    pub fn check_alive(&mut self) -> anyhow::Result<()> {
        self.children.check_alive(Some(&self.dir))
    }

    /// The directory with the topology, journals, logs and output.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

/// Waits until the herd logs show the link up at both ends.
async fn wait_links_up(dir: &Path, children: &mut Children) -> anyhow::Result<()> {
    let want = 2 * LINKS.len() as u64;
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        let seen = log_stats(dir, &SERVERS, PEER_UP)?.matching_lines;
        if seen >= want {
            return Ok(());
        }
        children.check_alive(Some(dir))?;
        if Instant::now() > deadline {
            bail!("the herd logs show {seen} of {want} link ends up after {START_TIMEOUT:?}");
        }
        sleep(RETRY).await;
    }
}

/// Waits for the facade's first line in `facade.stdout` and returns the
/// address it names.
async fn wait_facade(dir: &Path, children: &mut Children) -> anyhow::Result<SocketAddr> {
    let path = dir.join("facade.stdout");
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        if let Some(line) = text.lines().next().filter(|_| text.contains('\n')) {
            return parse_listening(line)
                .with_context(|| format!("the facade's first line is not an address: {line:?}"));
        }
        children.check_alive(Some(dir))?;
        if Instant::now() > deadline {
            bail!("the facade printed no address after {START_TIMEOUT:?}");
        }
        sleep(RETRY).await;
    }
}

/// The address in `facade listening on http://ADDR (herd ...)`.
pub fn parse_listening(line: &str) -> Option<SocketAddr> {
    let rest = line.strip_prefix(LISTENING)?;
    rest.split_whitespace().next()?.parse().ok()
}

/// The file system type `dir` is on, from `/proc/mounts` (the mount point
/// that is the longest prefix of the path): where the journals fsync.
pub fn fs_type(dir: &Path) -> Option<String> {
    let mounts = std::fs::read_to_string("/proc/mounts").ok()?;
    let dir = dir.canonicalize().ok()?;
    mount_type(&mounts, &dir)
}

/// [`fs_type`] over the text of a mounts table.
fn mount_type(mounts: &str, path: &Path) -> Option<String> {
    mounts
        .lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let (_, point, kind) = (fields.next()?, fields.next()?, fields.next()?);
            path.starts_with(point).then_some((point.len(), kind))
        })
        .max_by_key(|(len, _)| *len)
        .map(|(_, kind)| kind.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_facade_address_is_read_from_its_first_line() {
        assert_eq!(
            parse_listening("facade listening on http://127.0.0.1:41234 (herd 127.0.0.1:1,B)"),
            Some("127.0.0.1:41234".parse().unwrap())
        );
        assert_eq!(parse_listening("facade: cannot listen"), None);
        assert_eq!(parse_listening("facade listening on http://nowhere"), None);
    }

    #[test]
    fn the_longest_mount_point_decides_the_file_system() {
        let mounts = "overlay / overlay rw 0 0\n\
                      tmpfs /tmp tmpfs rw 0 0\n\
                      /dev/vda /tmpdata ext4 rw 0 0\n";
        assert_eq!(
            mount_type(mounts, Path::new("/tmp/olympic-bench-x")).as_deref(),
            Some("tmpfs")
        );
        assert_eq!(
            mount_type(mounts, Path::new("/tmpdata/x")).as_deref(),
            Some("ext4")
        );
        assert_eq!(
            mount_type(mounts, Path::new("/work/x")).as_deref(),
            Some("overlay")
        );
    }
}
