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
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail, ensure};
use clap::{Args, Parser, Subcommand};

use clients::herd_bench::report::load_average;
use clients::olympic::facade::Facade;
use clients::olympic_bench::http_load::{self, Expect, HttpLoadConfig};
use clients::olympic_bench::report::{Report, Settings};
use clients::olympic_bench::stack::{Baseline, Binaries, Stack, fs_type};
use clients::olympic_bench::tablets::Farm;
use clients::olympic_bench::tally::{self, TallyCheck};
use clients::olympic_bench::{MEDAL, TEAM, baseline, fds};

/// Pause between push rounds, so one round's stragglers do not crowd the next.
const ROUND_GAP: Duration = Duration::from_millis(100);

/// Pause after a load run so the servers drain before the next measurement.
const SETTLE: Duration = Duration::from_millis(300);

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

/// Seconds from the command line as a duration; only `--warmup` may be zero.
fn seconds(value: f64, flag: &str) -> anyhow::Result<Duration> {
    Duration::try_from_secs_f64(value)
        .ok()
        .filter(|d| !d.is_zero() || flag == "--warmup")
        .filter(|d| *d <= Duration::from_secs(3600))
        .with_context(|| format!("{flag} must be 0 to 3600 seconds, not {value}"))
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
            warmup: seconds(self.warmup.unwrap_or(warmup), "--warmup")?,
            tablets,
            rounds,
            fds,
            journal_fs: fs_type(&std::env::temp_dir()),
            load_before: load_average(),
            debug_build: cfg!(debug_assertions),
        })
    }

    fn binaries(&self) -> anyhow::Result<Binaries> {
        Ok(Binaries {
            herd: binary(self.herd_bin.as_deref(), "herd", "--herd-bin")?,
            facade: binary(self.facade_bin.as_deref(), "facade", "--facade-bin")?,
        })
    }
}

/// `given`, or `name` beside this executable; either must exist.
fn binary(given: Option<&Path>, name: &str, flag: &str) -> anyhow::Result<PathBuf> {
    let bin = match given {
        Some(bin) => bin.to_owned(),
        None => std::env::current_exe()?
            .parent()
            .context("this executable has no directory")?
            .join(name),
    };
    if !bin.is_file() {
        bail!(
            "no {name} binary at {} (build it with `cargo build --release -p {name}`, or pass {flag})",
            bin.display()
        );
    }
    Ok(bin)
}

fn load(settings: &Settings, path: String, expect: Expect) -> HttpLoadConfig {
    HttpLoadConfig {
        connections: settings.connections,
        warmup: settings.warmup,
        duration: settings.duration,
        path,
        expect,
    }
}

async fn run(args: RunArgs) -> anyhow::Result<()> {
    let limit = fds::raise().context("reading the open-file limit")?;
    eprintln!("{limit}");
    let settings = args.settings(limit)?;
    let bins = args.binaries()?;
    let exe = std::env::current_exe().context("cannot find this executable")?;
    let mut report = Report::new(settings.clone());
    let tally_path = format!("/getMedalTally/{TEAM}");

    let mut base = Baseline::start(&exe).await?;
    eprintln!("(1) getMedalTally against the baseline at {}", base.addr);
    let get = load(&settings, tally_path.clone(), Expect::Tally);
    report.baseline_get = Some(http_load::run(base.addr, &get).await?);
    base.check_alive()?;
    drop(base);

    let mut stack = Stack::start(&bins, args.keep_dir).await?;
    eprintln!(
        "herd listening: {:?}; facade on {}",
        stack.herd, stack.facade
    );
    let facade = Facade::new(&format!("http://{}", stack.facade));
    eprintln!("(1) getMedalTally against the facade");
    report.facade_get = Some(http_load::run(stack.facade, &get).await?);
    tokio::time::sleep(SETTLE).await;

    eprintln!("(2) incrementMedalTally against the facade");
    let before = tally::via_facade(&facade).await?;
    let path = format!("/incrementMedalTally/{TEAM}/{MEDAL}/{}", stack.cacofonix);
    let increments =
        http_load::run(stack.facade, &load(&settings, path, Expect::AckedIncrement)).await?;
    let check = TallyCheck {
        before,
        acked: increments.accepted_total,
        unknown: increments.refused + increments.lost,
        ..TallyCheck::default()
    };
    report.increments = Some(increments);
    let check = tally::after(check, &facade, &stack.herd).await?;
    eprintln!("    {}", check.describe());
    if !check.holds() {
        report
            .problems
            .push(format!("(2) the tally check failed: {}", check.describe()));
    }
    report.tally = Some(check);
    tokio::time::sleep(SETTLE).await;

    eprintln!("(3) starting {} tablets", settings.tablets);
    let farm = Farm::start(settings.tablets).await?;
    let registration = farm.register(&facade).await?;
    eprintln!(
        "    registered {}, refused {}",
        registration.registered, registration.refused
    );
    report.registration = Some(registration);
    eprintln!("(3) {} setScore rounds after a cold one", settings.rounds);
    for round in 0..=settings.rounds {
        // Scores no earlier round used, so each round's push is told apart.
        let (rome, gaul) = (round as i64 + 1, 1_000_000 + round as i64);
        let result = farm.round(&facade, &stack.cacofonix, rome, gaul).await?;
        if round == 0 {
            report.cold_round = Some(result);
        } else {
            report.rounds.push(result);
        }
        tokio::time::sleep(ROUND_GAP).await;
    }
    report.stale_pushes = farm.stale_and_malformed().0;
    let malformed = farm.stale_and_malformed().1;
    if malformed > 0 {
        report.problems.push(format!(
            "(3) tablets got {malformed} requests that were not pushes of the event"
        ));
    }
    if report.push_samples().is_empty() {
        report
            .problems
            .push("(3) no tablet was pushed any measured round".into());
    }
    drop(farm);

    stack.check_alive()?;
    if args.keep_dir {
        eprintln!(
            "topology, journals, logs and output kept in {}",
            stack.dir().display()
        );
    }
    drop(stack);
    report.load_after = load_average();
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
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .with_context(|| format!("cannot listen on {addr}"))?;
            baseline::serve(listener).await?;
            Ok(())
        }
        None => {
            // Dropping `run` on a signal drops its process guards, which
            // kill every process it started.
            tokio::select! {
                result = run(cli.run) => result,
                () = clients::signal::shutdown() => bail!("interrupted; every server stopped"),
            }
        }
    }
}
