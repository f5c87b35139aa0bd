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
//! ```

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, bail, ensure};
use clap::{Args, Parser, Subcommand};

use clients::flags::{seconds, seconds_or_zero};
use clients::harness::announce;
use clients::harness::baseline::WHO;
use clients::harness::binaries::binary;
use clients::olympic_bench::report::Settings;
use clients::olympic_bench::stack::{Binaries, fs_type};
use clients::olympic_bench::{baseline, fds};

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

    fn binaries(&self) -> anyhow::Result<Binaries> {
        Ok(Binaries {
            herd: binary(self.herd_bin.as_deref(), "herd", "pass --herd-bin")?,
            facade: binary(self.facade_bin.as_deref(), "facade", "pass --facade-bin")?,
        })
    }
}

async fn run(args: RunArgs) -> anyhow::Result<()> {
    let limit = fds::raise().context("reading the open-file limit")?;
    eprintln!("{limit}");
    let settings = args.settings(limit)?;
    let bins = args.binaries()?;
    let report = clients::olympic_bench::run::run(settings, &bins, args.keep_dir).await?;
    println!("{}", report.render());
    ensure!(
        report.problems.is_empty(),
        "the run is incomplete: {}",
        report.problems.join("; ")
    );
    Ok(())
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
        None => {
            // Dropping `run` on a signal drops its process guards, which
            // kill every process it started.
            tokio::select! {
                result = run(cli.run) => result,
                () = clients::signal::shutdown() => bail!("interrupted; every process stopped"),
            }
        }
    }
}
