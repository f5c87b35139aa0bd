//! Test harness: herds of real `herd` processes on loopback ports the
//! system picks.
//!
//! A `herd` process learns the whole herd from its topology file, so the
//! file must hold the peer address of every neighbour it dials before it
//! starts. Each server is given port 0 for its own ports and logs the ones it
//! got ([`listening`]); servers start in dial order ([`herd::peer::dials`]),
//! dialed ones first, and the file is rewritten as ports become known (port 0
//! for servers not started yet, which are never dialed by the one starting).
//! A server started again gets its old ports.
//!
//! Every process is killed when its [`TestHerd`] is dropped, panics included
//! ([`process::Supervised`]).
//! Every wait is bounded.

#![allow(dead_code)]

pub mod in_process;
pub mod listening;
pub mod netns;
pub mod process;
pub mod sockets;
pub mod status;

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub use in_process::Ports;
use in_process::{start_rounds, topology_text, with_extra};
use process::Supervised;

/// The course's five servers and their links.
pub const FIVE: [&str; 5] = ["Goloman", "Hands", "Holiday", "Welsh", "Wilkes"];
/// The course's links.
pub const FIVE_LINKS: [(&str, &str); 6] = [
    ("Goloman", "Hands"),
    ("Goloman", "Holiday"),
    ("Goloman", "Wilkes"),
    ("Hands", "Wilkes"),
    ("Holiday", "Welsh"),
    ("Holiday", "Wilkes"),
];

/// The Cacofonix id every test server is started with.
pub const CACOFONIX: &str = "test-cacofonix-id";

/// Longest any single wait in a test may take.
pub const WAIT: Duration = Duration::from_secs(10);

/// A loopback port that was free a moment ago (the OS picked it), for
/// `herd up`, which starts every server from one topology and so must be
/// told all their ports up front. Nothing holds the port: in the moment
/// before the server binds it, another socket could take it, and the test
/// would fail on that server not starting. Everything else uses port 0.
pub fn free_addr() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().unwrap()
}

/// A herd of `herd` processes in a temporary directory.
pub struct TestHerd {
    pub dir: tempfile::TempDir,
    /// The topology file, with every port known so far: once the herd has
    /// started, every server's.
    pub topology: PathBuf,
    /// Every server whose ports are known: it has listened, or they were
    /// given up front.
    pub ports: BTreeMap<String, Ports>,
    /// Every server's name.
    names: Vec<String>,
    links: Vec<(String, String)>,
    /// TOML appended to the topology.
    extra: String,
    children: BTreeMap<String, Supervised>,
    env: Vec<(String, String)>,
    /// A command each server's `herd` runs under (e.g. `ip netns exec NS`);
    /// none for servers not listed.
    wrappers: BTreeMap<String, Vec<OsString>>,
}

impl TestHerd {
    /// The course's five-server herd, local places.
    pub fn five() -> Self {
        Self::start(&FIVE, &FIVE_LINKS, "")
    }

    /// Starts `names` linked by `links`, with `extra` appended to the topology.
    pub fn start(names: &[&str], links: &[(&str, &str)], extra: &str) -> Self {
        Self::start_with_env(names, links, extra, &[])
    }

    /// As [`TestHerd::start`], with extra environment for every server.
    pub fn start_with_env(
        names: &[&str],
        links: &[(&str, &str)],
        extra: &str,
        env: &[(&str, &str)],
    ) -> Self {
        let names = names.iter().map(|n| n.to_string()).collect();
        let mut herd = Self::configure(names, BTreeMap::new(), links, extra, env, BTreeMap::new());
        herd.start_all();
        herd
    }

    /// Starts the servers of `ports` on those addresses, linked by `links`,
    /// each `herd` run under its entry of `wrappers` (if any). The addresses
    /// are the caller's to keep free.
    pub fn start_at(
        ports: BTreeMap<String, Ports>,
        links: &[(&str, &str)],
        extra: &str,
        wrappers: BTreeMap<String, Vec<OsString>>,
    ) -> Self {
        let names = ports.keys().cloned().collect();
        let mut herd = Self::configure(names, ports, links, extra, &[], wrappers);
        herd.start_all();
        herd
    }

    /// A herd in a fresh directory; starts nothing.
    fn configure(
        names: Vec<String>,
        ports: BTreeMap<String, Ports>,
        links: &[(&str, &str)],
        extra: &str,
        env: &[(&str, &str)],
        wrappers: BTreeMap<String, Vec<OsString>>,
    ) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let topology = dir.path().join("topology.toml");
        Self {
            dir,
            topology,
            ports,
            names,
            links: links
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
            extra: extra.to_owned(),
            children: BTreeMap::new(),
            env: env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            wrappers,
        }
    }

    /// Starts every server, in rounds ([`start_rounds`]), each round
    /// waited for before the next.
    fn start_all(&mut self) {
        let rounds = start_rounds(&self.names, &self.links, |n| self.ports.contains_key(n));
        for round in rounds {
            for name in &round {
                self.spawn(name);
            }
            for name in &round {
                self.wait_ready(name);
            }
        }
    }

    /// Writes the topology with every known port, port 0 for the others.
    /// The new file replaces the old in one rename, so a server starting
    /// meanwhile reads one or the other whole.
    fn write_topology(&self) {
        let text = with_extra(
            topology_text(&self.names, &self.links, &self.ports),
            &self.extra,
        );
        let next = self.topology.with_extension("toml.next");
        std::fs::write(&next, text).expect("write the topology");
        std::fs::rename(&next, &self.topology).expect("replace the topology");
    }

    /// Starts (or restarts) server `name`; see [`TestHerd::wait_ready`].
    pub fn spawn(&mut self, name: &str) {
        self.write_topology();
        let mut cmd = match self.wrappers.get(name).and_then(|w| w.split_first()) {
            Some((program, args)) => {
                let mut cmd = Command::new(program);
                cmd.args(args).arg(herd_bin());
                cmd
            }
            None => Command::new(herd_bin()),
        };
        cmd.arg(name)
            .arg("--topology")
            .arg(&self.topology)
            .arg("--log-dir")
            .arg(self.log_dir())
            .arg("--data-dir")
            .arg(self.data_dir())
            .env("HERD_KEY", "test-herd-key")
            .env("CACOFONIX_ID", CACOFONIX)
            .env_remove("GOOGLE_PLACES_API_KEY")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(
                std::fs::File::create(self.dir.path().join(format!("{name}.stderr")))
                    .expect("stderr file"),
            );
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        // A server started again replaces (and so kills) its old process.
        let process = Supervised::spawn(name, &mut cmd).unwrap_or_else(|e| panic!("{e}"));
        self.children.insert(name.to_string(), process);
    }

    /// Waits until `name` accepts clients, learning its ports from its log
    /// the first time; panics if it exits or does not listen in time.
    pub fn wait_ready(&mut self, name: &str) {
        let deadline = Instant::now() + WAIT;
        loop {
            if !self.ports.contains_key(name)
                && let Some(ports) = listening::announced(&self.log_dir(), name)
            {
                self.ports.insert(name.to_owned(), ports);
                self.write_topology();
            }
            let ready = self.ports.get(name).is_some_and(|p| {
                TcpStream::connect_timeout(&p.client, Duration::from_millis(200)).is_ok()
            });
            if ready {
                return;
            }
            assert!(self.alive(name), "{name} exited: {}", self.stderr(name));
            assert!(
                Instant::now() < deadline,
                "{name} did not listen within {WAIT:?} (ports {:?})",
                self.ports.get(name)
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// What `name` printed on standard error.
    pub fn stderr(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.path().join(format!("{name}.stderr"))).unwrap_or_default()
    }

    /// Sets an environment variable for servers spawned from now on.
    pub fn set_env(&mut self, key: &str, value: &str) {
        self.env.retain(|(k, _)| k != key);
        self.env.push((key.to_owned(), value.to_owned()));
    }

    /// The client address of `name`.
    pub fn client(&self, name: &str) -> SocketAddr {
        self.ports[name].client
    }

    /// The peer address of `name`.
    pub fn peer(&self, name: &str) -> SocketAddr {
        self.ports[name].peer
    }

    /// Where the servers keep their Olympic journals.
    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// Where the servers write their logs.
    pub fn log_dir(&self) -> PathBuf {
        self.dir.path().join("logs")
    }

    /// The log text of `name` so far.
    pub fn log(&self, name: &str) -> String {
        std::fs::read_to_string(self.log_dir().join(format!("{name}.log"))).unwrap_or_default()
    }

    /// The process ID of `name`.
    pub fn pid(&self, name: &str) -> u32 {
        self.children[name].pid()
    }

    /// SIGKILLs `name` and reaps it.
    pub fn kill9(&mut self, name: &str) {
        self.children.remove(name);
    }

    /// Whether `name`'s process is still running.
    pub fn alive(&mut self, name: &str) -> bool {
        match self.children.get_mut(name) {
            Some(child) => child.exited().expect("try_wait").is_none(),
            None => false,
        }
    }

    /// Waits for `name` to exit by itself (after a signal sent elsewhere).
    pub fn wait_exit(&mut self, name: &str) -> bool {
        match self.children.get_mut(name) {
            Some(child) => child.exit_within(WAIT).expect("wait").is_some(),
            None => true,
        }
    }
}

/// The `herd` binary Cargo built for these tests.
pub fn herd_bin() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_herd"))
}

/// Grader style: connect, send everything, half-close, read until the server
/// closes. Sending and reading run at once, so a long pipelined input never
/// waits on replies nobody reads.
pub fn exchange(addr: SocketAddr, input: &[u8]) -> Vec<u8> {
    let mut stream = TcpStream::connect_timeout(&addr, WAIT).expect("connect");
    stream.set_read_timeout(Some(WAIT)).unwrap();
    let mut writer = stream.try_clone().expect("clone the stream");
    std::thread::scope(|scope| {
        scope.spawn(move || {
            writer.write_all(input).unwrap();
            writer.shutdown(Shutdown::Write).unwrap();
        });
        let mut out = Vec::new();
        stream.read_to_end(&mut out).expect("read reply");
        out
    })
}

/// [`exchange`] with text in and text out.
pub fn exchange_str(addr: SocketAddr, input: &str) -> String {
    String::from_utf8(exchange(addr, input.as_bytes())).expect("utf-8 reply")
}

/// Sends WHATSAT to `addr` until it answers with something other than `? `
/// (the location has arrived), or the wait runs out. Returns the reply.
pub fn whatsat_until_known(addr: SocketAddr, client: &str) -> Option<String> {
    let deadline = Instant::now() + WAIT;
    loop {
        let reply = exchange_str(addr, &format!("WHATSAT {client} 10 1\n"));
        if reply.starts_with("AT ") {
            return Some(reply);
        }
        if Instant::now() > deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Calls `check` until it returns `Ok`, pausing briefly between calls;
/// panics with its last error after `within`.
pub fn wait_for(what: &str, within: Duration, mut check: impl FnMut() -> Result<(), String>) {
    let deadline = Instant::now() + within;
    loop {
        match check() {
            Ok(()) => return,
            Err(e) if Instant::now() > deadline => panic!("never {what} in {within:?}: {e}"),
            Err(_) => std::thread::sleep(Duration::from_millis(100)),
        }
    }
}

/// The first line of a reply.
pub fn first_line(reply: &str) -> &str {
    reply.split('\n').next().unwrap_or("")
}

/// A regex for an AT reply from `server` echoing the given fields.
pub fn at_pattern(server: &str, client: &str, coords: &str, time: &str) -> regex::Regex {
    regex::Regex::new(&format!(
        r"^AT {} [+-][0-9]+\.[0-9]{{9}} {} {} {}$",
        regex::escape(server),
        regex::escape(client),
        regex::escape(coords),
        regex::escape(time)
    ))
    .unwrap()
}
