//! `olympic-bench`: measures the Olympic REST facade end to end in one run
//! and prints a summary and a markdown table.
//!
//! It starts a minimal axum baseline (this binary's `baseline-server`
//! subcommand), two linked `herd` servers with durable journals and the
//! `facade` in front of them, all on free loopback ports with their files in
//! a temporary directory, and hosts the push tablets itself. It measures
//! (1) `getMedalTally` throughput against the baseline's, (2) durable
//! `incrementMedalTally` throughput and checks the tally afterwards, and
//! (3) the time from `setScore` to the push at every tablet. Every process
//! it started is stopped at the end, also on error, panic, Ctrl-C or SIGTERM.
//!
//! ```text
//! cargo build --release -p herd -p facade -p clients
//! target/release/olympic-bench            # full run, under a minute
//! target/release/olympic-bench --quick    # smoke run, a few seconds
//! target/release/olympic-bench sweep      # pull versus push at 1 to 1,000 tablets, charts in docs/plots
//! target/release/olympic-bench plot --input DIR   # charts from tablets' latency files
//! ```

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, bail, ensure};
use clap::{Args, Parser, Subcommand};

use clients::flags::{seconds, seconds_or_zero};
use clients::harness::announce;
use clients::harness::baseline::WHO;
use clients::harness::binaries::binary;
use clients::harness::machine::Machine;
use clients::olympic_bench::report::Settings;
use clients::olympic_bench::stack::{Binaries, fs_type};
use clients::olympic_bench::sweep::{COUNTS, StepCounts, SweepSettings};
use clients::olympic_bench::{baseline, fds};
use clients::plot;

/// Benchmark the Olympic REST facade against a minimal axum server, with
/// durable increments and push fan-out to many tablets.
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
    /// Run only the baseline HTTP server (the benchmark starts this itself).
    BaselineServer {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:0")]
        addr: SocketAddr,
    },
    /// Measure pull and push latency at 1 to 1,000 tablets, a fresh herd
    /// and facade for each count, and draw the charts.
    Sweep(SweepArgs),
    /// Draw the charts from latency files already written: one directory
    /// per number of tablets, named by it, under --input.
    Plot(PlotArgs),
}

/// Where the sweep's charts go by default.
const CHARTS_DIR: &str = "docs/plots";

/// Where a quick sweep's charts go by default (not over the committed ones).
const QUICK_CHARTS_DIR: &str = "target/sweep-quick";

/// Where the sweep's latency files go by default.
const LATENCY_DIR: &str = "logs/sweep";

#[derive(Debug, Args)]
struct SweepArgs {
    /// Small settings for a smoke run of a few seconds (1 and 10 tablets).
    #[arg(long)]
    quick: bool,
    /// Numbers of tablets [default: 1,10,50,100,500,1000; quick: 1,10].
    #[arg(long, value_delimiter = ',')]
    counts: Option<Vec<usize>>,
    /// Seconds the pull tablets poll at each count [default: 10, quick: 1.5].
    #[arg(long)]
    pull_for: Option<f64>,
    /// Seconds between a pull tablet's polls, as `tablet pull --every`.
    #[arg(long, default_value_t = 1.0)]
    every: f64,
    /// Warm setScore rounds at each count, after a cold one [default: 20, quick: 3].
    #[arg(long)]
    rounds: Option<usize>,
    /// Where the latency files go, one directory per count; latency files
    /// already in those directories are removed first.
    #[arg(long, default_value = LATENCY_DIR)]
    latency_dir: PathBuf,
    /// Where the charts go [default: docs/plots; quick: target/sweep-quick].
    #[arg(long)]
    out: Option<PathBuf>,
    #[command(flatten)]
    stack: StackArgs,
}

#[derive(Debug, Args)]
struct PlotArgs {
    /// The directory of latency files, one subdirectory per number of tablets.
    #[arg(long, default_value = LATENCY_DIR)]
    input: PathBuf,
    /// Where the charts go.
    #[arg(long, default_value = CHARTS_DIR)]
    out: PathBuf,
    /// The line under each chart [default: the input directory].
    #[arg(long)]
    caption: Option<String>,
}

/// The processes a run starts.
#[derive(Debug, Args)]
struct StackArgs {
    /// The herd binary [default: `herd` next to this binary].
    #[arg(long, env = "HERD_BIN")]
    herd_bin: Option<PathBuf>,
    /// The facade binary [default: `facade` next to this binary].
    #[arg(long, env = "FACADE_BIN")]
    facade_bin: Option<PathBuf>,
    /// Keep the temporary directory (topology, journals, logs, output).
    #[arg(long)]
    keep_dir: bool,
}

impl StackArgs {
    fn binaries(&self) -> anyhow::Result<Binaries> {
        Ok(Binaries {
            herd: binary(self.herd_bin.as_deref(), "herd", "pass --herd-bin")?,
            facade: binary(self.facade_bin.as_deref(), "facade", "pass --facade-bin")?,
        })
    }
}

#[derive(Debug, Args)]
struct RunArgs {
    /// Small settings for a smoke run of a few seconds.
    #[arg(long)]
    quick: bool,
    /// Measured seconds of each load run [default: 5, quick: 0.5].
    #[arg(long)]
    duration: Option<f64>,
    /// Warm-up seconds before each load run [default: 1, quick: 0.2].
    #[arg(long)]
    warmup: Option<f64>,
    /// Keep-alive HTTP connections of each load run.
    #[arg(long, default_value_t = 32)]
    connections: usize,
    /// Push tablets, each its own listener [default: 1000, quick: 100].
    #[arg(long)]
    tablets: Option<usize>,
    /// Measured setScore rounds, after one cold round [default: 20, quick: 3].
    #[arg(long)]
    rounds: Option<usize>,
    #[command(flatten)]
    stack: StackArgs,
}

impl RunArgs {
    fn settings(&self, fds: fds::FdLimit) -> anyhow::Result<Settings> {
        ensure!(
            (1..=1024).contains(&self.connections),
            "--connections must be 1 to 1024"
        );
        let (duration, warmup, tablets, rounds) = if self.quick {
            (0.5, 0.2, 100, 3)
        } else {
            (5.0, 1.0, 1000, 20)
        };
        let tablets = self.tablets.unwrap_or(tablets);
        let rounds = self.rounds.unwrap_or(rounds);
        ensure!(
            (1..=10_000).contains(&tablets),
            "--tablets must be 1 to 10000"
        );
        ensure!(
            (1..=10_000).contains(&rounds),
            "--rounds must be 1 to 10000"
        );
        fds::check(fds, tablets, self.connections)?;
        Ok(Settings {
            connections: self.connections,
            duration: seconds(self.duration.unwrap_or(duration), "--duration")?,
            warmup: seconds_or_zero(self.warmup.unwrap_or(warmup), "--warmup")?,
            tablets,
            rounds,
            fds,
            journal_fs: fs_type(&std::env::temp_dir()),
        })
    }
}

async fn run(args: RunArgs) -> anyhow::Result<()> {
    let limit = fds::raise().context("reading the open-file limit")?;
    eprintln!("{limit}");
    let settings = args.settings(limit)?;
    let bins = args.stack.binaries()?;
    let report = clients::olympic_bench::run::run(settings, &bins, args.stack.keep_dir).await?;
    println!("{}", report.render());
    ensure!(
        report.problems.is_empty(),
        "the run is incomplete: {}",
        report.problems.join("; ")
    );
    Ok(())
}

impl SweepArgs {
    fn settings(&self) -> anyhow::Result<SweepSettings> {
        let (counts, pull_for, rounds) = match self.quick {
            true => (vec![1, 10], 1.5, 3),
            false => (COUNTS.to_vec(), 10.0, 20),
        };
        let counts = self.counts.clone().unwrap_or(counts);
        ensure!(
            !counts.is_empty() && counts.iter().all(|n| (1..=10_000).contains(n)),
            "--counts must be numbers of tablets from 1 to 10000"
        );
        let rounds = self.rounds.unwrap_or(rounds);
        ensure!(
            (1..=10_000).contains(&rounds),
            "--rounds must be 1 to 10000"
        );
        Ok(SweepSettings {
            counts,
            pull_for: seconds(self.pull_for.unwrap_or(pull_for), "--pull-for")?,
            every: seconds(self.every, "--every")?,
            rounds,
            latency_dir: self.latency_dir.clone(),
        })
    }
}

async fn sweep(args: SweepArgs) -> anyhow::Result<()> {
    let limit = fds::raise().context("reading the open-file limit")?;
    eprintln!("{limit}");
    let settings = args.settings()?;
    let most = settings.counts.iter().copied().max().unwrap_or(1);
    fds::check(limit, most, most)?;
    let bins = args.stack.binaries()?;
    let mut machine = Machine::now();
    let counted = clients::olympic_bench::sweep::run(&settings, &bins, args.stack.keep_dir).await?;
    machine.finish();
    let caption = format!(
        "{}; pull every {:?} for {:?}, push over {} warm rounds",
        machine.caption("olympic-bench sweep"),
        settings.every,
        settings.pull_for,
        settings.rounds
    );
    let out = args.out.unwrap_or_else(|| match args.quick {
        true => QUICK_CHARTS_DIR.into(),
        false => CHARTS_DIR.into(),
    });
    let charts = plot::write_charts(&settings.latency_dir, &out, &caption)?;
    print_charts(&caption, &charts);
    // Failed reads and missed pushes are part of the result, not a failed run.
    println!("{}", StepCounts::table(&counted));
    Ok(())
}

fn plot(args: PlotArgs) -> anyhow::Result<()> {
    let caption = args
        .caption
        .unwrap_or_else(|| format!("latency files under {}", args.input.display()));
    let charts = plot::write_charts(&args.input, &args.out, &caption)?;
    print_charts(&caption, &charts);
    Ok(())
}

/// The charts written and the table of their points.
fn print_charts(caption: &str, charts: &plot::Charts) {
    for file in &charts.files {
        eprintln!("wrote {}", file.display());
    }
    println!("_{caption}_\n\n{}", charts.table());
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::BaselineServer { addr }) => {
            let listener = announce::listen(WHO, addr).await?;
            baseline::serve(listener).await?;
            Ok(())
        }
        Some(Command::Plot(args)) => plot(args),
        // Dropping a run on a signal drops its process guards, which kill
        // every process it started.
        Some(Command::Sweep(args)) => tokio::select! {
            result = sweep(args) => result,
            () = clients::signal::shutdown() => bail!("interrupted; every process stopped"),
        },
        None => tokio::select! {
            result = run(cli.run) => result,
            () = clients::signal::shutdown() => bail!("interrupted; every process stopped"),
        },
    }
}
