//! The `herd` binary: `herd NAME` runs one server of the topology,
//! `herd up` runs every server of it as child processes.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use herd::server::{self, Options};
use herd::topology::{ProviderKind, Topology};
use tracing::info;

/// Exit status for an unusable topology or command line.
const EXIT_BAD_CONFIG: u8 = 2;

#[derive(Debug, Parser)]
#[command(
    name = "herd",
    version,
    about = "A herd of location servers",
    args_conflicts_with_subcommands = true
)]
struct Cli {
    /// The server to run, one of the topology's names (e.g. Goloman).
    name: Option<String>,
    #[command(flatten)]
    common: Common,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run every server of the topology, each as its own process, until Ctrl-C.
    Up {
        #[command(flatten)]
        common: Common,
        /// Where the REST facade listens, if its binary sits next to this one.
        #[arg(long, default_value = "127.0.0.1:8080")]
        facade_listen: String,
        /// Do not start the REST facade.
        #[arg(long)]
        no_facade: bool,
    },
}

#[derive(Debug, Clone, Args)]
struct Common {
    /// Topology file [default: ./topology.toml, or the built-in five-server herd if absent].
    #[arg(long, env = "HERD_TOPOLOGY")]
    topology: Option<PathBuf>,
    /// Directory for the per-server log files (created if missing).
    #[arg(long, default_value = "logs")]
    log_dir: PathBuf,
    /// Directory for the Olympic journals (created if missing).
    #[arg(long, default_value = "data")]
    data_dir: PathBuf,
    /// Places provider, overriding the topology: local, google or google-new.
    #[arg(long)]
    places: Option<ProviderKind>,
    /// Places upstream base URL, overriding the topology.
    #[arg(long)]
    places_url: Option<String>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match (cli.command, cli.name) {
        (
            Some(Command::Up {
                common,
                facade_listen,
                no_facade,
            }),
            _,
        ) => {
            let facade = (!no_facade).then_some(facade_listen.as_str());
            load(&common).and_then(|t| Ok(up(&common, &t, facade)?))
        }
        (None, Some(name)) => load(&cli.common).and_then(|t| run_one(&cli.common, t, &name)),
        (None, None) => {
            eprintln!(
                "herd: name a server to run (e.g. `herd Goloman`) or use `herd up`; see `herd --help`"
            );
            return ExitCode::from(EXIT_BAD_CONFIG);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Config(message)) => {
            eprintln!("herd: {message}");
            ExitCode::from(EXIT_BAD_CONFIG)
        }
        Err(Failure::Other(error)) => {
            eprintln!("herd: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// A failure, split by exit status.
enum Failure {
    /// Bad topology or name: exit status 2.
    Config(String),
    /// Anything else: exit status 1.
    Other(anyhow::Error),
}

impl From<anyhow::Error> for Failure {
    fn from(error: anyhow::Error) -> Self {
        Failure::Other(error)
    }
}

/// Loads the topology named on the command line, the one in the working
/// directory, or the built-in one, and applies command-line overrides.
fn load(common: &Common) -> Result<Topology, Failure> {
    let mut topology = Topology::load_default(common.topology.as_deref())
        .map_err(|e| Failure::Config(e.to_string()))?;
    if let Some(provider) = common.places {
        topology.places.provider = provider;
    }
    if let Some(url) = &common.places_url {
        topology.places.base_url = Some(url.clone());
    }
    Ok(topology)
}

/// Runs one server until SIGINT or SIGTERM.
fn run_one(common: &Common, topology: Topology, name: &str) -> Result<(), Failure> {
    topology
        .server(name)
        .map_err(|e| Failure::Config(e.to_string()))?;
    let _log_guard = herd::logging::init(&common.log_dir, name, &[], &topology.logs)
        .context("setting up logging")?;
    let runtime = tokio::runtime::Runtime::new().context("starting the runtime")?;
    runtime.block_on(async {
        let options = Options {
            places_api_key: std::env::var("GOOGLE_PLACES_API_KEY")
                .ok()
                .filter(|k| !k.is_empty()),
            data_dir: common.data_dir.clone(),
        };
        let running = server::start(&topology, name, options)
            .await
            .map_err(|e| match e {
                server::StartError::Topology(e) => Failure::Config(e.to_string()),
                server::StartError::Olympics(e @ herd::olympic::OlympicError::BadConfig(_)) => {
                    Failure::Config(e.to_string())
                }
                other => Failure::Other(other.into()),
            })?;
        herd::signal::shutdown()
            .await
            .context("waiting for signals")?;
        info!(event = "server_stopping", server = name);
        running.stop().await;
        Ok(())
    })
}

/// Starts every server as a child process, and the REST facade on
/// `facade_listen` if its binary sits next to this one; waits for Ctrl-C or
/// SIGTERM, then stops them all.
fn up(common: &Common, topology: &Topology, facade_listen: Option<&str>) -> anyhow::Result<()> {
    let exe = std::env::current_exe().context("finding the herd executable")?;
    let topology_file = herd::topology::file_to_read(common.topology.as_deref())
        .map(|p| std::path::absolute(p).context("resolving the topology path"))
        .transpose()?;
    let log_dir = std::path::absolute(&common.log_dir).context("resolving the log directory")?;
    let data_dir = std::path::absolute(&common.data_dir).context("resolving the data directory")?;
    let runtime = tokio::runtime::Runtime::new().context("starting the runtime")?;
    runtime.block_on(async {
        let mut children = Vec::new();
        for (name, spec) in &topology.servers {
            let mut cmd = tokio::process::Command::new(&exe);
            cmd.arg(name)
                .arg("--log-dir")
                .arg(&log_dir)
                .arg("--data-dir")
                .arg(&data_dir)
                .kill_on_drop(true);
            if let Some(path) = &topology_file {
                cmd.arg("--topology").arg(path);
            }
            if let Some(provider) = common.places {
                cmd.arg("--places").arg(provider_name(provider));
            }
            if let Some(url) = &common.places_url {
                cmd.arg("--places-url").arg(url);
            }
            let child = cmd.spawn().with_context(|| format!("starting {name}"))?;
            println!(
                "{name:<10} clients {}  links {}  log {}",
                spec.addr,
                spec.peer_addr,
                log_dir.join(format!("{name}.log")).display()
            );
            children.push((name.clone(), child));
        }
        let servers = children.len();
        let facade_exe = exe.with_file_name("facade");
        if let Some(listen) = facade_listen.filter(|_| facade_exe.exists()) {
            // The facade backs off while no server answers; start it once they do.
            for spec in topology.servers.values() {
                wait_listening(spec.addr).await;
            }
            let herd_addrs: Vec<String> = topology
                .servers
                .values()
                .map(|s| s.addr.to_string())
                .collect();
            let child = tokio::process::Command::new(&facade_exe)
                .args(["--listen", listen, "--herd", &herd_addrs.join(",")])
                .arg("--log-dir")
                .arg(&log_dir)
                .kill_on_drop(true)
                .spawn()
                .context("starting the facade")?;
            children.push(("facade".to_owned(), child));
        }
        println!(
            "herd up: {servers} servers running ({} places); Ctrl-C stops them",
            provider_name(topology.places.provider)
        );
        let watch = async {
            let mut exits = futures::stream::FuturesUnordered::new();
            for (name, child) in &mut children {
                let name = name.clone();
                exits.push(async move { (name, child.wait().await) });
            }
            use futures::StreamExt;
            while let Some((name, status)) = exits.next().await {
                match status {
                    Ok(status) => eprintln!("herd up: {name} exited ({status})"),
                    Err(e) => eprintln!("herd up: waiting for {name} failed: {e}"),
                }
            }
        };
        tokio::select! {
            result = herd::signal::shutdown() => result.context("waiting for signals")?,
            () = watch => eprintln!("herd up: every server has exited"),
        }
        for (name, child) in &mut children {
            if let Some(pid) = child.id() {
                let pid = nix::unistd::Pid::from_raw(pid as i32);
                let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
            }
            if tokio::time::timeout(std::time::Duration::from_secs(5), child.wait())
                .await
                .is_err()
            {
                eprintln!("herd up: {name} did not stop in time; killing it");
                let _ = child.kill().await;
            }
        }
        Ok(())
    })
}

/// Longest `herd up` waits for a server to accept clients before starting the facade.
const READY_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// Waits until `addr` accepts a connection, or [`READY_WAIT`] passes.
async fn wait_listening(addr: std::net::SocketAddr) {
    let deadline = tokio::time::Instant::now() + READY_WAIT;
    while tokio::net::TcpStream::connect(addr).await.is_err()
        && tokio::time::Instant::now() < deadline
    {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// The command-line spelling of a provider.
fn provider_name(kind: ProviderKind) -> &'static str {
    match kind {
        ProviderKind::Local => "local",
        ProviderKind::Google => "google",
        ProviderKind::GoogleNew => "google-new",
    }
}
