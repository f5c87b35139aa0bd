//! The `herd` binary: `herd NAME` runs one server of the topology,
//! `herd up` runs every server of it as child processes.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use base::topology::{ProviderKind, Topology};
use clap::{Args, Parser, Subcommand};
use herd::server::{self, Options};
use tracing::info;

/// jemalloc keeps small objects (a stored location is a few dozen bytes)
/// apart from the large buffers logging and links come and go with, so what
/// a burst frees goes back to the system instead of staying wedged between
/// live locations: a server's memory follows what it stores.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// Exit status for an unusable topology or command line, or a data
/// directory another `herd` of the same name is using.
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
    /// Set by `herd up` on the servers it starts: its process id.
    #[arg(long, hide = true)]
    supervised_by: Option<u32>,
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
    herd::heap::running_on_jemalloc();
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
        (None, Some(name)) => {
            load(&cli.common).and_then(|t| run_one(&cli.common, t, &name, cli.supervised_by))
        }
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
    /// Bad topology or name, or the journal is locked: exit status 2.
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

/// Runs one server until SIGINT or SIGTERM. Under `herd up`
/// (`supervised_by`), it dies with `herd up` and reports on standard output
/// when it serves and when its links are up.
fn run_one(
    common: &Common,
    topology: Topology,
    name: &str,
    supervised_by: Option<u32>,
) -> Result<(), Failure> {
    if let Some(parent) = supervised_by {
        herd::supervision::die_with_parent(parent).context("running under herd up")?;
    }
    topology
        .server(name)
        .map_err(|e| Failure::Config(e.to_string()))?;
    let _log_guard = base::logging::init(&common.log_dir, name, &[], &topology.logs)
        .context("setting up logging")?;
    // So the connection limit (clamped to it) can be reached.
    base::fdlimit::raise_and_log();
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
                server::StartError::Olympics(
                    e
                    @ (olympic::OlympicError::BadConfig(_) | olympic::OlympicError::Locked { .. }),
                ) => Failure::Config(e.to_string()),
                other => Failure::Other(other.into()),
            })?;
        // From here on every log stamp reads the synchronised clock.
        base::logging::use_clock(running.shared.coord.clock().clone());
        let links_up = async {
            if supervised_by.is_some() {
                herd::supervision::report(&format!(
                    "{} {} {}",
                    herd::supervision::READY,
                    running.client_addr,
                    running.peer_addr
                ));
                herd::supervision::report_links_up(&running.shared).await;
            }
            std::future::pending::<()>().await
        };
        tokio::select! {
            result = base::signal::shutdown() => result.context("waiting for signals")?,
            () = links_up => {}
        }
        info!(event = "server_stopping", server = name);
        running.stop().await;
        Ok(())
    })
}

/// Runs every server as a child process, and the REST facade on
/// `facade_listen` if its binary sits next to this one, until Ctrl-C or
/// SIGTERM (see [`herd::up`]).
fn up(common: &Common, topology: &Topology, facade_listen: Option<&str>) -> anyhow::Result<()> {
    let exe = std::env::current_exe().context("finding the herd executable")?;
    let topology_file = base::topology::file_to_read(common.topology.as_deref())
        .map(|p| std::path::absolute(p).context("resolving the topology path"))
        .transpose()?;
    let log_dir = std::path::absolute(&common.log_dir).context("resolving the log directory")?;
    let data_dir = std::path::absolute(&common.data_dir).context("resolving the data directory")?;
    let mut server_args: Vec<OsString> = vec![
        "--log-dir".into(),
        log_dir.clone().into(),
        "--data-dir".into(),
        data_dir.into(),
    ];
    if let Some(path) = &topology_file {
        server_args.extend(["--topology".into(), path.clone().into()]);
    }
    if let Some(provider) = common.places {
        server_args.extend(["--places".into(), provider.as_str().into()]);
    }
    if let Some(url) = &common.places_url {
        server_args.extend(["--places-url".into(), url.into()]);
    }
    let facade_exe = exe.with_file_name("facade");
    let facade = facade_listen.filter(|_| facade_exe.exists()).map(|listen| {
        let herd_addrs: Vec<String> = topology
            .servers
            .values()
            .map(|s| s.addr.to_string())
            .collect();
        let mut args: Vec<OsString> = vec![
            "--listen".into(),
            listen.into(),
            "--herd".into(),
            herd_addrs.join(",").into(),
            "--log-dir".into(),
            log_dir.clone().into(),
        ];
        if let Some(path) = &topology_file {
            args.extend(["--topology".into(), path.clone().into()]);
        }
        (facade_exe.clone(), args)
    });
    let plan = herd::up::Plan {
        exe,
        server_args,
        facade,
        log_dir,
    };
    let runtime = tokio::runtime::Runtime::new().context("starting the runtime")?;
    runtime.block_on(herd::up::run(topology, plan))?;
    Ok(())
}
