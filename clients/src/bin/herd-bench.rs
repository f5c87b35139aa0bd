//! `herd-bench`: measures the herd against a minimal baseline server in one
//! run and prints a summary and a markdown table.
//!
//! It starts the baseline (this binary's `baseline-server` subcommand) and
//! then five `herd` processes on loopback, takes every measurement
//! ([`clients::herd_bench::run`]), and stops every process it started,
//! also on error, Ctrl-C or SIGTERM.
//!
//! ```text
//! cargo build --release -p herd -p clients
//! target/release/herd-bench            # full run, about half a minute
//! target/release/herd-bench --quick    # smoke run, a few seconds
//! target/release/herd-bench --peers --json peers.json --chart docs/img
//!                                      # ours, asyncio, Node.js, Java
//! ```

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail, ensure};
use base::topology::random::{random_links, server_name};
use base::topology::{ServerSpec, to_toml};
use clap::{Args, Parser, Subcommand};

use clients::flags::{seconds, seconds_or_zero};
use clients::harness::announce;
use clients::harness::baseline::WHO;
use clients::harness::binaries::binary;
use clients::harness::layout::Layout;
use clients::herd_bench::load::{LoadConfig, pipelined_iamat};
use clients::herd_bench::memory::SETTLE;
use clients::herd_bench::peers::{PeersSettings, built_from, chart};
use clients::herd_bench::report::Settings;

/// Most distinct clients one load connection reports for.
const MAX_LOAD_CLIENTS: usize = 1_000_000;

/// Pause before each memory reading of a `--quick --peers` run.
const QUICK_SETTLE: Duration = Duration::from_millis(500);

/// Clients a herd server stores by default (`[limits] max_clients`).
const HERD_MAX_CLIENTS: usize = base::topology::DEFAULT_MAX_CLIENTS;

/// Benchmark the herd against a minimal baseline server.
#[derive(Debug, Parser)]
#[command(version, about, args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run only the baseline server (the benchmark starts this itself).
    BaselineServer {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:0")]
        addr: SocketAddr,
        /// Server name in AT replies.
        #[arg(long, default_value = "Goloman")]
        name: String,
    },
    /// Print a random connected topology (seeded): `--servers` servers
    /// `S00`, `S01`, ... with about `--degree` links each, on loopback
    /// ports from `--first-port` (client, then peer port, per server).
    Topology {
        /// Servers.
        #[arg(long, default_value_t = 50)]
        servers: usize,
        /// Average links per server.
        #[arg(long, default_value_t = 4.0)]
        degree: f64,
        /// Seed of the graph.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// The first server's client port.
        #[arg(long, default_value_t = 12000)]
        first_port: u16,
    },
    /// Run only the pipelined IAMAT load (a) against a server already
    /// running, such as a herd started by hand under a profiler.
    Load {
        /// The server's client address.
        #[arg(long)]
        addr: SocketAddr,
        /// Pipelined connections.
        #[arg(long, default_value_t = 32)]
        connections: usize,
        /// Distinct clients each connection reports for, in turn.
        #[arg(long, default_value_t = 1000)]
        clients: usize,
        /// Commands in flight per connection.
        #[arg(long, default_value_t = 32)]
        window: usize,
        /// Measured seconds.
        #[arg(long, default_value_t = 5.0)]
        duration: f64,
        /// Warm-up seconds before measuring.
        #[arg(long, default_value_t = 1.0)]
        warmup: f64,
    },
}

#[derive(Debug, Args)]
struct RunArgs {
    /// Small settings for a smoke run of a few seconds.
    #[arg(long)]
    quick: bool,
    /// Measured seconds of each throughput run [default: 5, quick: 1].
    #[arg(long)]
    duration: Option<f64>,
    /// Warm-up seconds before each throughput run [default: 1, quick: 0.25].
    #[arg(long)]
    warmup: Option<f64>,
    /// Pipelined connections of the many-client throughput run (a1).
    #[arg(long, default_value_t = 32)]
    connections: usize,
    /// Distinct clients each (a1) connection reports for, in turn.
    #[arg(long, default_value_t = 1000)]
    clients: usize,
    /// Pipelined connections of the one-client-per-connection run (a2).
    #[arg(long, default_value_t = 8)]
    single_connections: usize,
    /// Commands in flight per connection.
    #[arg(long, default_value_t = 32)]
    window: usize,
    /// Samples of each one-at-a-time measurement [default: 1000, quick: 100].
    #[arg(long)]
    samples: Option<usize>,
    /// New clients reported for (e), memory per stored client
    /// [default: 300000, quick: 20000].
    #[arg(long)]
    memory_clients: Option<usize>,
    /// Herd server that takes the throughput, grader-style and WHATSAT load.
    #[arg(long, default_value = "Goloman")]
    target: String,
    /// The herd binary [default: `herd` next to this binary].
    #[arg(long, env = "HERD_BIN")]
    herd_bin: Option<PathBuf>,
    /// Measure only the baseline (no herd binary needed).
    #[arg(long)]
    baseline_only: bool,
    /// Keep the temporary directory (topology, logs, server output).
    #[arg(long)]
    keep_dir: bool,
    /// Run the many-client load and probes against each stack's herd in
    /// turn (ours, then the reference herds under bench/peers: asyncio,
    /// Node.js, Java) and print them side by side.
    #[arg(long)]
    peers: bool,
    /// With --peers: also write the results as JSON to FILE.
    #[arg(long, value_name = "FILE", requires = "peers")]
    json: Option<PathBuf>,
    /// With --peers: also draw the charts (PNG) into DIR.
    #[arg(long, value_name = "DIR", requires = "peers")]
    chart: Option<PathBuf>,
    /// With --peers: the repository holding bench/peers and scripts/loc.py
    /// [default: the one this binary was built from].
    #[arg(long, value_name = "DIR", requires = "peers")]
    repo: Option<PathBuf>,
}

impl RunArgs {
    fn settings(&self) -> anyhow::Result<Settings> {
        for (flag, connections) in [
            ("--connections", self.connections),
            ("--single-connections", self.single_connections),
        ] {
            ensure!(
                (1..=1024).contains(&connections),
                "{flag} must be 1 to 1024"
            );
        }
        ensure!(
            (1..=MAX_LOAD_CLIENTS).contains(&self.clients),
            "--clients must be 1 to {MAX_LOAD_CLIENTS}"
        );
        ensure!(
            (1..=4096).contains(&self.window),
            "--window must be 1 to 4096"
        );
        let five = Layout::five();
        ensure!(
            five.has(&self.target),
            "--target must be one of {:?}",
            five.servers
        );
        let (duration, warmup, samples, memory_clients) = if self.quick {
            (1.0, 0.25, 100, 20_000)
        } else {
            (5.0, 1.0, 1000, 300_000)
        };
        let memory_clients = self.memory_clients.unwrap_or(memory_clients);
        ensure!(
            (1..=900_000).contains(&memory_clients),
            "--memory-clients must be 1 to 900000 (the herd stores at most 1000000 by default)"
        );
        let stored = self.connections * self.clients + memory_clients;
        ensure!(
            stored <= HERD_MAX_CLIENTS,
            "--connections × --clients + --memory-clients is {stored}: more than the \
             {HERD_MAX_CLIENTS} clients a herd server stores by default"
        );
        let samples = self.samples.unwrap_or(samples);
        ensure!(
            (1..=1_000_000).contains(&samples),
            "--samples must be 1 to 1000000"
        );
        Ok(Settings {
            connections: self.connections,
            clients_per_connection: self.clients,
            single_connections: self.single_connections,
            servers: five.servers.len(),
            window: self.window,
            duration: seconds(self.duration.unwrap_or(duration), "--duration")?,
            warmup: seconds_or_zero(self.warmup.unwrap_or(warmup), "--warmup")?,
            samples,
            memory_clients,
            target: self.target.clone(),
        })
    }

    /// The herd binary (as given, or `herd` beside this executable),
    /// unless only the baseline is measured.
    fn herd_bin(&self) -> anyhow::Result<Option<PathBuf>> {
        if self.baseline_only {
            return Ok(None);
        }
        let otherwise = "pass --herd-bin, or use --baseline-only";
        binary(self.herd_bin.as_deref(), "herd", otherwise).map(Some)
    }
}

async fn run(args: RunArgs) -> anyhow::Result<()> {
    if args.peers {
        return run_peers(args).await;
    }
    let settings = args.settings()?;
    let herd_bin = args.herd_bin()?;
    let report =
        clients::herd_bench::run::run(settings, herd_bin.as_deref(), args.keep_dir).await?;
    println!("{}", report.render());
    ensure!(
        report.problems.is_empty(),
        "the run is incomplete: {}",
        report.problems.join("; ")
    );
    Ok(())
}

/// `--peers`: every stack in turn, printed, and written as asked.
async fn run_peers(args: RunArgs) -> anyhow::Result<()> {
    let base = args.settings()?;
    let memory_clients = (args.memory_clients).unwrap_or(if args.quick { 2_000 } else { 100_000 });
    let herd_bin = match args.herd_bin() {
        Ok(Some(bin)) => Ok(vec![bin.into_os_string()]),
        Ok(None) => Err("--baseline-only".to_owned()),
        Err(e) => Err(format!("{e:#}")),
    };
    let settings = PeersSettings {
        connections: base.connections,
        clients_per_connection: base.clients_per_connection,
        window: base.window,
        warmup: base.warmup,
        duration: base.duration,
        samples: base.samples,
        memory_clients,
        settle: if args.quick { QUICK_SETTLE } else { SETTLE },
        entry: base.target,
        herd_bin,
        repo: args.repo.clone().unwrap_or_else(built_from),
        keep_dir: args.keep_dir,
    };
    let report = clients::herd_bench::peers::run::run(settings).await?;
    println!("{}", report.render());
    if let Some(path) = &args.json {
        let json = serde_json::to_string_pretty(&report)?;
        std::fs::write(path, json + "\n").with_context(|| format!("writing {}", path.display()))?;
    }
    if let Some(dir) = &args.chart {
        for path in chart::draw(dir, &report)? {
            eprintln!("wrote {}", path.display());
        }
    }
    ensure!(
        report.problems.is_empty(),
        "the run is incomplete: {}",
        report.problems.join("; ")
    );
    Ok(())
}

/// The text of [`Command::Topology`].
fn random_topology(
    servers: usize,
    degree: f64,
    seed: u64,
    first_port: u16,
) -> anyhow::Result<String> {
    ensure!((2..=1000).contains(&servers), "--servers must be 2 to 1000");
    ensure!(
        degree >= 1.0 && degree.is_finite(),
        "--degree must be at least 1"
    );
    let ports = u16::try_from(2 * servers).ok();
    let last = ports.and_then(|p| first_port.checked_add(p));
    ensure!(
        last.is_some(),
        "--first-port leaves no room for {servers} servers"
    );
    let names: Vec<String> = (0..servers).map(|i| server_name(i, servers)).collect();
    let specs = (names.iter().enumerate())
        .map(|(i, name)| {
            let client = first_port + 2 * i as u16;
            let spec = ServerSpec::new(
                (Ipv4Addr::LOCALHOST, client).into(),
                (Ipv4Addr::LOCALHOST, client + 1).into(),
            );
            (name.clone(), spec)
        })
        .collect();
    let links: Vec<(&str, &str)> = (random_links(servers, degree, seed).into_iter())
        .map(|(a, b)| (names[a].as_str(), names[b].as_str()))
        .collect();
    Ok(to_toml(&specs, &links, ""))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::BaselineServer { addr, name }) => {
            let listener = announce::listen(WHO, addr).await?;
            clients::baseline::serve(listener, Arc::from(name)).await?;
            Ok(())
        }
        Some(Command::Topology {
            servers,
            degree,
            seed,
            first_port,
        }) => {
            print!("{}", random_topology(servers, degree, seed, first_port)?);
            Ok(())
        }
        Some(Command::Load {
            addr,
            connections,
            clients,
            window,
            duration,
            warmup,
        }) => {
            let config = LoadConfig {
                connections,
                window,
                warmup: seconds_or_zero(warmup, "--warmup")?,
                duration: seconds(duration, "--duration")?,
                clients_per_connection: clients.clamp(1, MAX_LOAD_CLIENTS),
                client_prefix: "bench-load".into(),
            };
            let result = pipelined_iamat(addr, &config).await?;
            println!(
                "{:.0} ops/s, {} replies, {} not AT",
                result.ops_per_sec(),
                result.throughput.completed,
                result.bad_replies
            );
            Ok(())
        }
        None => {
            // Dropping `run` on a signal drops its process guards, which
            // kill every server it started.
            tokio::select! {
                result = run(cli.run) => result,
                () = clients::signal::shutdown() => bail!("interrupted; every process stopped"),
            }
        }
    }
}
