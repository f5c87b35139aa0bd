//! Real `herd` processes for end-to-end tests, on free loopback ports in a
//! temporary directory. Every process is killed when its [`RealHerd`] is
//! dropped, panics included.
//!
//! The `herd` binary belongs to another package, so Cargo does not build it
//! for this one's tests (`CARGO_BIN_EXE_herd` exists only inside `herd`, and a
//! dev-dependency builds the library, not the binary). [`herd_bin`] therefore
//! runs `cargo build -p herd --bins` once per test process (and
//! [`clients_bin_dir`] the same for `clients`), with the
//! same Cargo, target directory and profile as the tests themselves; it is a
//! no-op when the binary is fresh. Cargo does not hold the build-directory
//! lock while tests run, so this cannot deadlock. To use a prebuilt binary
//! instead, set `FACADE_E2E_HERD=/path/to/herd`.

use std::collections::BTreeMap;
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The Cacofonix id the real herds are started with.
pub const CACOFONIX: &str = "e2e-Cacofonix-id-7f3a";

/// Longest wait for one `cargo build`.
const BUILD_TIMEOUT: Duration = Duration::from_secs(900);
/// Longest wait for a herd server to accept connections.
const START_TIMEOUT: Duration = Duration::from_secs(10);

/// The `herd` binary, built (or found fresh) on first use.
pub fn herd_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| match std::env::var_os("FACADE_E2E_HERD") {
        Some(path) => PathBuf::from(path),
        None => workspace_bins("herd").join("herd"),
    })
}

/// The binaries of the `clients` package (`cacofonix`, `tablet`, `tablets`),
/// built (or found fresh) on first use; returns their directory.
pub fn clients_bin_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| workspace_bins("clients"))
}

/// Runs `cargo build -p PACKAGE --bins` with this test's profile and returns
/// the directory the binaries land in (`target/<profile>`).
fn workspace_bins(package: &str) -> PathBuf {
    // target/<profile>/deps/<this test> -> target/<profile>
    let exe = std::env::current_exe().expect("current_exe");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("the test executable lives in target/<profile>/deps")
        .to_owned();
    let profile = match profile_dir.file_name().and_then(|n| n.to_str()) {
        Some("debug") => "dev".to_owned(),
        Some(name) => name.to_owned(),
        None => panic!("cannot tell the profile from {}", exe.display()),
    };
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let mut build = Command::new(env!("CARGO"))
        .args([
            "build",
            "--quiet",
            "-p",
            package,
            "--bins",
            "--profile",
            &profile,
        ])
        .current_dir(workspace)
        .stdin(Stdio::null())
        .spawn()
        .expect("run cargo build");
    let deadline = Instant::now() + BUILD_TIMEOUT;
    let status = loop {
        if let Some(status) = build.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = build.kill();
            let _ = build.wait();
            panic!("cargo build -p {package} took longer than {BUILD_TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(
        status.success(),
        "cargo build -p {package} failed: {status}"
    );
    profile_dir
}

/// A free loopback address (the OS picked it a moment ago).
fn free_addr() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap()
}

/// Herd servers in a temporary directory.
pub struct RealHerd {
    pub dir: tempfile::TempDir,
    pub topology: PathBuf,
    clients: BTreeMap<String, SocketAddr>,
    children: BTreeMap<String, Child>,
}

impl RealHerd {
    /// Starts `names`, linked by `links`, with default Olympic teams and events.
    pub fn start(names: &[&str], links: &[(&str, &str)]) -> Self {
        let bin = herd_bin();
        let dir = tempfile::tempdir().unwrap();
        let links: Vec<String> = links
            .iter()
            .map(|(a, b)| format!("[\"{a}\", \"{b}\"]"))
            .collect();
        let mut text = format!("links = [{}]\n", links.join(", "));
        let mut clients = BTreeMap::new();
        for name in names {
            let client = free_addr();
            text.push_str(&format!(
                "[servers.{name}]\naddr = \"{client}\"\npeer_addr = \"{}\"\n",
                free_addr()
            ));
            clients.insert(name.to_string(), client);
        }
        let topology = dir.path().join("topology.toml");
        std::fs::write(&topology, text).unwrap();
        let mut herd = Self {
            dir,
            topology,
            clients,
            children: BTreeMap::new(),
        };
        for name in names {
            herd.spawn(bin, name);
        }
        for name in names {
            herd.wait_ready(name);
        }
        herd
    }

    fn spawn(&mut self, bin: &Path, name: &str) {
        let stderr = std::fs::File::create(self.dir.path().join(format!("{name}.stderr"))).unwrap();
        let child = Command::new(bin)
            .arg(name)
            .arg("--topology")
            .arg(&self.topology)
            .arg("--log-dir")
            .arg(self.dir.path().join("logs"))
            .arg("--data-dir")
            .arg(self.dir.path().join("data"))
            .env("HERD_KEY", "e2e-herd-link-key")
            .env("CACOFONIX_ID", CACOFONIX)
            .env_remove("GOOGLE_PLACES_API_KEY")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .expect("spawn herd");
        self.children.insert(name.to_owned(), child);
    }

    fn wait_ready(&mut self, name: &str) {
        let addr = self.client(name);
        let deadline = Instant::now() + START_TIMEOUT;
        while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            let exited = self.children.get_mut(name).unwrap().try_wait().unwrap();
            assert!(exited.is_none(), "{name} exited: {}", self.stderr(name));
            assert!(Instant::now() < deadline, "{name} did not listen on {addr}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The client address of `name`.
    pub fn client(&self, name: &str) -> SocketAddr {
        self.clients[name]
    }

    /// What `name` wrote on standard error.
    pub fn stderr(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.path().join(format!("{name}.stderr"))).unwrap_or_default()
    }

    /// SIGKILLs `name` and reaps it.
    pub fn kill9(&mut self, name: &str) {
        if let Some(mut child) = self.children.remove(name) {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for RealHerd {
    fn drop(&mut self) {
        for child in self.children.values_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
