//! `clock-bench`: how well the herd's Berkeley synchronisation brings
//! skewed clocks together, round by round, with the leader killed midway
//! ([`clients::clock_bench`]).
//!
//! ```text
//! cargo build --release -p herd -p clients
//! target/release/clock-bench                  # 5 servers, skews up to ±5 s, one at +1 h
//! target/release/clock-bench --rounds 20 --kill-after 8
//! target/release/clock-bench --target latest  # every sane clock steps forward
//! ```

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use base::topology::ClockTarget;
use clap::{Parser, ValueEnum};

use clients::clock_bench::{Settings, run};
use clients::harness::binaries::binary;
use clients::harness::run_dir::RunDir;

/// Measure clock synchronisation across a herd of five.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    /// The herd binary (default: beside this one).
    #[arg(long)]
    herd_bin: Option<PathBuf>,
    /// Samples to take, one per sync interval.
    #[arg(long, default_value_t = 10)]
    rounds: usize,
    /// Kill the leader after this sample (0: never).
    #[arg(long, default_value_t = 5)]
    kill_after: usize,
    /// `[clock] sync_interval_ms`.
    #[arg(long, default_value_t = 1000)]
    interval_ms: u64,
    /// `[clock] target`: `average` (Berkeley's mean) or `latest` (every
    /// sane clock steps forward to the latest one).
    #[arg(long, value_enum, default_value = "average")]
    target: Target,
    /// Keep the run directory (topology, logs) afterwards.
    #[arg(long)]
    keep: bool,
}

/// The `--target` choices, as `[clock] target` spells them.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum Target {
    Average,
    Latest,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let bin = binary(cli.herd_bin.as_deref(), "herd", "pass --herd-bin")?;
    let dir = RunDir::create("clock-bench", cli.keep)?;
    let skews_ms: BTreeMap<String, i64> = [
        ("Goloman", -5000),
        ("Hands", 4000),
        ("Holiday", 3_600_000),
        ("Welsh", -2000),
        ("Wilkes", 1000),
    ]
    .into_iter()
    .map(|(n, s)| (n.to_owned(), s))
    .collect();
    let settings = Settings {
        skews_ms,
        wild: Some("Holiday".to_owned()),
        interval: Duration::from_millis(cli.interval_ms),
        rounds: cli.rounds,
        kill_after: (cli.kill_after > 0).then_some(cli.kill_after),
        target: match cli.target {
            Target::Average => ClockTarget::Average,
            Target::Latest => ClockTarget::Latest,
        },
    };
    let report = tokio::select! {
        report = run(&bin, dir.path(), &settings) => report?,
        () = clients::signal::shutdown() => anyhow::bail!("interrupted"),
    };
    println!("{report}");
    if dir.kept() {
        eprintln!("run directory kept: {}", dir.path().display());
    }
    Ok(())
}
