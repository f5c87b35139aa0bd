//! The four herds `herd-bench --peers` compares, and how each is started:
//! ours (the `herd` binary) and the reference herds under `bench/peers/`
//! (Python asyncio, Node.js, Java), each as `RUNNER NAME --topology FILE
//! --log-dir DIR`. A stack whose runtime is missing is skipped, with why.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::Context;
use base::process::{Processes, Supervised, output_within, wait_ready};
use base::topology::{ServerSpec, to_toml};

use crate::harness::START_TIMEOUT;
use crate::harness::herd::KEY_ENV;
use crate::harness::layout::{Layout, SECTIONS, free_addr};
use crate::harness::run_tag;

/// Longest a runtime check or the Java build may take.
const TOOL_TIMEOUT: Duration = Duration::from_secs(120);

/// One implementation of the herd.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stack {
    /// This repository's herd: Rust on tokio.
    Ours,
    /// `bench/peers/asyncio/server.py`: Python 3.11 asyncio.
    Asyncio,
    /// `bench/peers/node/server.js`: Node.js 20, `net` module.
    Node,
    /// `bench/peers/java/Server.java`: Java 17, built with `javac`.
    Java,
}

impl Stack {
    /// Every stack, in the order a run measures them.
    pub const ALL: [Stack; 4] = [Stack::Ours, Stack::Asyncio, Stack::Node, Stack::Java];

    /// Its short name, as `scripts/loc.py` prints it.
    pub fn key(self) -> &'static str {
        match self {
            Stack::Ours => "herd",
            Stack::Asyncio => "asyncio",
            Stack::Node => "node",
            Stack::Java => "java",
        }
    }

    /// Language and runtime, for the table.
    pub fn label(self) -> &'static str {
        match self {
            Stack::Ours => "Rust / tokio",
            Stack::Asyncio => "Python / asyncio",
            Stack::Node => "JavaScript / Node.js",
            Stack::Java => "Java 17",
        }
    }
}

/// What a stack needs to run: its program and the arguments before the
/// server's name, or why it cannot run here.
pub type Runner = Result<Vec<OsString>, String>;

/// The runner of `stack`. `herd_bin` is our herd (or why there is none),
/// `peers` the `bench/peers` folder, `dir` where the Java classes go.
pub fn runner(stack: Stack, herd_bin: &Runner, peers: &Path, dir: &Path) -> Runner {
    let script = |path: &str| peers.join(path).into_os_string();
    match stack {
        Stack::Ours => herd_bin.clone(),
        Stack::Asyncio => {
            let python = on_path("python3").ok_or("python3 is not on PATH")?;
            // The reference reads its topology with tomllib (Python 3.11+).
            let mut check = Command::new(&python);
            check.args(["-c", "import tomllib"]);
            let check = output_within("python3", &mut check, TOOL_TIMEOUT);
            if !check.is_ok_and(|o| o.status.success()) {
                return Err("python3 has no tomllib (Python 3.11 or newer is needed)".into());
            }
            Ok(vec![python.into(), script("asyncio/server.py")])
        }
        Stack::Node => {
            let node = on_path("node").ok_or("node is not on PATH")?;
            Ok(vec![node.into(), script("node/server.js")])
        }
        Stack::Java => {
            let java = on_path("java").ok_or("java is not on PATH")?;
            on_path("javac").ok_or("javac is not on PATH")?;
            let classes = dir.join("java-classes");
            let mut build = Command::new("bash");
            build.arg(peers.join("java/build.sh")).arg(&classes);
            match output_within("javac", &mut build, TOOL_TIMEOUT) {
                Ok(out) if out.status.success() => {}
                Ok(out) => {
                    let err = String::from_utf8_lossy(&out.stderr);
                    return Err(format!("bench/peers/java/build.sh failed: {}", err.trim()));
                }
                Err(e) => return Err(format!("bench/peers/java/build.sh: {e}")),
            }
            Ok(vec![
                java.into(),
                "-cp".into(),
                classes.into(),
                "Server".into(),
            ])
        }
    }
}

/// The file `name` in the first `PATH` folder that has it.
fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// A five-server herd of one stack, running.
#[derive(Debug)]
pub struct Running {
    /// Client address of each server, by name.
    pub addrs: BTreeMap<String, SocketAddr>,
    /// The server processes, by name: they die with this value.
    pub processes: Processes,
}

impl Running {
    /// Starts `runner NAME --topology DIR/topology.toml --log-dir DIR` for
    /// every server of `layout`, on free loopback ports (each told in the
    /// topology), and waits until every client port accepts. Our herd also
    /// gets a journal folder and a link key.
    pub async fn start(
        stack: Stack,
        runner: &[OsString],
        layout: &Layout,
        dir: &Path,
    ) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let mut specs = BTreeMap::new();
        for name in &layout.servers {
            specs.insert(name.clone(), ServerSpec::new(free_addr()?, free_addr()?));
        }
        let topology = dir.join("topology.toml");
        std::fs::write(&topology, to_toml(&specs, &layout.links, SECTIONS))
            .with_context(|| format!("writing {}", topology.display()))?;
        let (program, args) = runner.split_first().context("an empty runner")?;
        let key = format!("bench-key-{}", run_tag());
        let mut processes = Processes::new();
        for name in &layout.servers {
            let mut command = Command::new(program);
            command
                .args(args)
                .arg(name)
                .arg("--topology")
                .arg(&topology);
            command.arg("--log-dir").arg(dir);
            if stack == Stack::Ours {
                command.arg("--data-dir").arg(dir.join("data"));
                command.env(KEY_ENV, &key);
            }
            processes.add(Supervised::spawn_logged(name, &mut command, dir)?);
        }
        let addrs: BTreeMap<String, SocketAddr> = (specs.into_iter())
            .map(|(name, s)| (name, s.addr))
            .collect();
        for (name, addr) in &addrs {
            let what = format!("{name} ({}) never accepted a connection", stack.key());
            wait_ready(&what, START_TIMEOUT, &mut processes, async || {
                tokio::net::TcpStream::connect(addr).await.ok()
            })
            .await?;
        }
        Ok(Self { addrs, processes })
    }

    /// The client address of server `name`.
    pub fn addr(&self, name: &str) -> anyhow::Result<SocketAddr> {
        self.addrs
            .get(name)
            .copied()
            .with_context(|| format!("no server {name}"))
    }

    /// Every server's process id.
    pub fn pids(&self) -> Vec<u32> {
        self.processes.iter().map(Supervised::pid).collect()
    }
}
