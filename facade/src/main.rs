//! The `facade` binary: `facade --listen ADDR --herd ADDR[,ADDR...]`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use facade::config::Resolved;
use facade::server::{self, Config};
use tracing::info;

/// Exit status for an unusable command line or topology.
const EXIT_BAD_CONFIG: u8 = 2;

#[derive(Debug, Parser)]
#[command(
    name = "facade",
    version,
    about = "REST front end for the herd's Olympic scores (see docs/REST.md)"
)]
struct Cli {
    /// Address to serve HTTP on, e.g. 0.0.0.0:80 (port 0 picks a free port).
    #[arg(long, env = "FACADE_LISTEN", default_value = "127.0.0.1:8080")]
    listen: String,
    /// Herd servers in order of preference: client addresses (host:port) or
    /// server names of the topology [default: every server of the topology].
    #[arg(long, env = "FACADE_HERD", value_delimiter = ',')]
    herd: Vec<String>,
    /// Topology file for server names and `[logs]` [default: ./topology.toml,
    /// or the herd's built-in five-server topology if absent].
    #[arg(long, env = "HERD_TOPOLOGY")]
    topology: Option<PathBuf>,
    /// Directory for the log file facade-<port>.log (created if missing).
    #[arg(long, default_value = "logs")]
    log_dir: PathBuf,
    /// Set by `herd up` on the facade it starts: its process id.
    #[arg(long, hide = true)]
    supervised_by: Option<u32>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(parent) = cli.supervised_by
        && let Err(e) = base::parent::die_with_parent(parent)
    {
        eprintln!("facade: {e}");
        return ExitCode::FAILURE;
    }
    let resolved = match facade::config::resolve(&cli.herd, cli.topology.as_deref()) {
        Ok(resolved) => resolved,
        Err(e) => {
            eprintln!("facade: {e}");
            return ExitCode::from(EXIT_BAD_CONFIG);
        }
    };
    match run(&cli, resolved) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("facade: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: &Cli, resolved: Resolved) -> anyhow::Result<()> {
    let Resolved { herd, logs } = resolved;
    let runtime = tokio::runtime::Runtime::new().context("starting the runtime")?;
    runtime.block_on(async {
        let (listener, addr) = base::service::bind(&cli.listen).await?;
        let _log_guard = facade::logging::init(&cli.log_dir, addr.port(), &logs)
            .context("setting up logging")?;
        base::fdlimit::raise_and_log();
        let mut config = Config::new(herd.clone());
        config.registrations = Some(
            cli.log_dir
                .join(format!("facade-{}.clients.json", addr.port())),
        );
        let running = server::start(listener, config).await?;
        println!(
            "facade listening on http://{addr} (herd {})",
            herd.join(",")
        );
        base::signal::shutdown()
            .await
            .context("waiting for signals")?;
        info!("facade stopping");
        running.stop().await;
        Ok(())
    })
}
