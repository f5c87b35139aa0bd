//! `herd-bench`: measures the herd against a minimal baseline server in one
//! run and prints a summary and a markdown table.
//!
//! It starts the baseline (this binary's `baseline-server` subcommand) and
//! then five `herd` processes on free loopback ports, takes every
//! measurement, and stops every process it started, also on error or Ctrl-C.
//!
//! ```text
//! cargo build --release -p herd -p clients
//! target/release/herd-bench            # full run, about half a minute
//! target/release/herd-bench --quick    # smoke run, a few seconds
//! ```

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail, ensure};
use clap::{Args, Parser, Subcommand};

use clients::herd_bench::cluster::{Baseline, Herd, SERVERS};
use clients::herd_bench::load::{LoadConfig, pipelined_iamat};
use clients::herd_bench::memory::memory_per_client;
use clients::herd_bench::probe::{
    AGREEMENT_WAIT, FLOOD_DEADLINE, MAX_MISSES, disagreements, flood, grader_style, whatsat_latency,
};
use clients::herd_bench::report::{Agreement, Report, Settings, load_average};

/// Pause after a load run so queued floods drain before latency samples.
const SETTLE: Duration = Duration::from_millis(300);

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
    /// Run only the pipelined IAMAT load (a) against a server already
    /// running, such as a herd started by hand under a profiler.
    Load {
        /// The server's client address.
        #[arg(long)]
        addr: SocketAddr,
        /// Pipelined connections.
        #[arg(long, default_value_t = 8)]
        connections: usize,
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
    /// Pipelined connections for the throughput runs.
    #[arg(long, default_value_t = 8)]
    connections: usize,
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
}

/// Seconds from the command line as a positive duration.
fn seconds(value: f64, flag: &str) -> anyhow::Result<Duration> {
    Duration::try_from_secs_f64(value)
        .ok()
        .filter(|d| !d.is_zero() || flag == "--warmup")
        .with_context(|| format!("{flag} must be a positive number of seconds, not {value}"))
}

impl RunArgs {
    fn settings(&self) -> anyhow::Result<Settings> {
        ensure!(
            (1..=1024).contains(&self.connections),
            "--connections must be 1 to 1024"
        );
        ensure!(
            (1..=4096).contains(&self.window),
            "--window must be 1 to 4096"
        );
        ensure!(
            SERVERS.contains(&self.target.as_str()),
            "--target must be one of {SERVERS:?}"
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
        let samples = self.samples.unwrap_or(samples);
        ensure!(
            (1..=1_000_000).contains(&samples),
            "--samples must be 1 to 1000000"
        );
        Ok(Settings {
            connections: self.connections,
            window: self.window,
            duration: seconds(self.duration.unwrap_or(duration), "--duration")?,
            warmup: seconds(self.warmup.unwrap_or(warmup), "--warmup")?,
            samples,
            memory_clients,
            target: self.target.clone(),
            load_before: load_average(),
        })
    }

    /// The herd binary: as given, or `herd` beside this executable.
    fn herd_bin(&self) -> anyhow::Result<PathBuf> {
        let bin = match &self.herd_bin {
            Some(bin) => bin.clone(),
            None => std::env::current_exe()?
                .parent()
                .context("this executable has no directory")?
                .join("herd"),
        };
        if !bin.is_file() {
            bail!(
                "no herd binary at {} (build it with `cargo build --release -p herd`, \
                 pass --herd-bin, or use --baseline-only)",
                bin.display()
            );
        }
        Ok(bin)
    }
}

fn load_config(s: &Settings, prefix: &str) -> LoadConfig {
    LoadConfig {
        connections: s.connections,
        window: s.window,
        warmup: s.warmup,
        duration: s.duration,
        client_prefix: prefix.to_owned(),
    }
}

async fn run(args: RunArgs) -> anyhow::Result<()> {
    let settings = args.settings()?;
    let herd_bin = if args.baseline_only {
        None
    } else {
        Some(args.herd_bin()?)
    };
    let exe = std::env::current_exe().context("cannot find this executable")?;
    let mut report = Report {
        settings: settings.clone(),
        baseline_load: None,
        herd_load: None,
        baseline_grader: None,
        herd_grader: None,
        flood: None,
        whatsat: None,
        agreement: None,
        herd_logs: None,
        memory: None,
        problems: Vec::new(),
    };

    let mut baseline = Baseline::start(&exe, &settings.target).await?;
    eprintln!("baseline listening on {}", baseline.addr);
    eprintln!("(a) pipelined IAMAT against the baseline");
    report.baseline_load =
        Some(pipelined_iamat(baseline.addr, &load_config(&settings, "bench-base")).await?);
    tokio::time::sleep(SETTLE).await;
    eprintln!("(b) grader-style IAMAT against the baseline");
    report.baseline_grader =
        Some(grader_style(baseline.addr, settings.samples, "grader-base").await?);
    baseline.check_alive()?;
    drop(baseline);

    // The herd's idle probes (c, d, b) come before its load run (a), so the
    // floods the load leaves queued cannot slow them.
    if let Some(bin) = herd_bin {
        let mut herd = Herd::start(&bin, args.keep_dir).await?;
        eprintln!("herd listening: {:?}", herd.addrs);
        let target = herd.addr(&settings.target)?;
        if let Err(e) = herd.wait_links_logged().await {
            report
                .problems
                .push(format!("not every link was seen up: {e:#}"));
        }
        match herd.wait_linked().await {
            Ok(()) => {
                eprintln!("(c) flood Hands -> Welsh at idle");
                let (hands, welsh) = (herd.addr("Hands")?, herd.addr("Welsh")?);
                report.flood = Some(flood(hands, welsh, settings.samples, "flood").await?);
            }
            // Measure the rest anyway: it says how far the herd has come.
            Err(e) => report
                .problems
                .push(format!("(c) not run: the herd did not link up: {e:#}")),
        }
        eprintln!("(d) WHATSAT at {}", settings.target);
        report.whatsat = Some(whatsat_latency(target, settings.samples, "whatsat-probe").await?);
        eprintln!("(b) grader-style IAMAT against {}", settings.target);
        report.herd_grader = Some(grader_style(target, settings.samples, "grader-herd").await?);
        eprintln!("(a) pipelined IAMAT against {}", settings.target);
        let herd_load = load_config(&settings, "bench-herd");
        report.herd_load = Some(pipelined_iamat(target, &herd_load).await?);
        tokio::time::sleep(SETTLE).await;
        eprintln!("(a) checking that every server holds the newest locations");
        let others: Vec<(String, SocketAddr)> = herd
            .addrs
            .iter()
            .filter(|(name, _)| **name != settings.target)
            .map(|(name, addr)| (name.clone(), *addr))
            .collect();
        let clients = herd_load.client_ids();
        let deadline = tokio::time::Instant::now() + AGREEMENT_WAIT;
        report.agreement = Some(Agreement {
            pairs: clients.len() * others.len(),
            differ: disagreements(target, &others, &clients, deadline).await?,
        });
        eprintln!(
            "(e) memory per stored client: {} new clients at {}",
            settings.memory_clients, settings.target
        );
        report.memory =
            Some(memory_per_client(target, &herd.servers(), settings.memory_clients).await?);
        herd.check_alive()?;
        report.herd_logs = Some(herd.log_stats("peer_queue_full")?);
        if args.keep_dir {
            eprintln!(
                "topology, logs and server output kept in {}",
                herd.dir().display()
            );
        }
    }
    for (who, load) in [
        ("baseline", &report.baseline_load),
        ("herd", &report.herd_load),
    ] {
        if let Some(load) = load.as_ref().filter(|l| l.bad_replies > 0) {
            report.problems.push(format!(
                "(a) {who}: {} replies were not AT lines, the first {:?}",
                load.bad_replies, load.first_bad
            ));
        }
    }
    if let Some(missed) = report.flood.as_ref().map(|f| f.missed).filter(|&m| m > 0) {
        report.problems.push(format!(
            "(c) {missed} locations did not reach Welsh within {FLOOD_DEADLINE:?}; \
             sampling stopped after {MAX_MISSES} such"
        ));
    }
    println!("{}", report.render());
    ensure!(
        report.problems.is_empty(),
        "the run is incomplete: {}",
        report.problems.join("; ")
    );
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM (as `timeout` sends), naming which.
async fn interrupted() -> &'static str {
    use tokio::signal::unix::{SignalKind, signal};
    let Ok(mut term) = signal(SignalKind::terminate()) else {
        let _ = tokio::signal::ctrl_c().await;
        return "interrupted";
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => "interrupted",
        _ = term.recv() => "terminated",
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::BaselineServer { addr, name }) => {
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .with_context(|| format!("cannot listen on {addr}"))?;
            clients::baseline::serve(listener, Arc::from(name)).await?;
            Ok(())
        }
        Some(Command::Load {
            addr,
            connections,
            window,
            duration,
            warmup,
        }) => {
            let config = LoadConfig {
                connections,
                window,
                warmup: seconds(warmup, "--warmup")?,
                duration: seconds(duration, "--duration")?,
                client_prefix: "bench-load".into(),
            };
            let result = pipelined_iamat(addr, &config).await?;
            println!(
                "{:.0} ops/s, {} replies, {} not AT",
                result.ops_per_sec(),
                result.completed,
                result.bad_replies
            );
            Ok(())
        }
        None => {
            // Dropping `run` on a signal drops its process guards, which
            // kill every server it started.
            tokio::select! {
                result = run(cli.run) => result,
                signal = interrupted() => bail!("{signal}; servers stopped"),
            }
        }
    }
}
