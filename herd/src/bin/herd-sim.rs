//! `herd-sim`: a herd of many servers in one process on the in-memory
//! network ([`herd::sim`]): a seeded random connected graph, updates sent
//! one at a time from random servers, then a share of the links cut.
//! Prints a markdown table.
//!
//! ```text
//! cargo build --release -p herd
//! target/release/herd-sim                      # 50 servers, average degree 4
//! target/release/herd-sim --servers 200 --seed 3
//! ```

use anyhow::ensure;
use clap::Parser;
use herd::sim::{SimConfig, SimReport, run};

/// Simulate a large herd on the in-memory network.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    /// Servers.
    #[arg(long, default_value_t = 50)]
    servers: usize,
    /// Average links per server.
    #[arg(long, default_value_t = 4.0)]
    degree: f64,
    /// Seed of the graph, the origins and the cut.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Updates sent before measuring.
    #[arg(long, default_value_t = 100)]
    warmup: usize,
    /// Updates measured, one at a time.
    #[arg(long, default_value_t = 500)]
    updates: usize,
    /// Fraction of links cut before the convergence measurement.
    #[arg(long, default_value_t = 0.1)]
    cut: f64,
    /// Updates sent right after the cut.
    #[arg(long, default_value_t = 100)]
    after_cut: usize,
}

/// The `p`th percentile of sorted `samples`, ns, as ms.
fn percentile(sorted: &[u64], p: f64) -> String {
    if sorted.is_empty() {
        return "—".into();
    }
    let rank = ((sorted.len() - 1) as f64 * p).round() as usize;
    format!("{:.2} ms", sorted[rank] as f64 / 1e6)
}

fn render(config: &SimConfig, report: &SimReport) -> String {
    let mut spread = report.spread.clone();
    spread.sort_unstable();
    let receivers = report.servers.saturating_sub(1).max(1) as f64;
    let converged = match (report.still_connected, report.converged_after) {
        (false, _) => "no: the cut left the graph in pieces".to_owned(),
        (true, Some(t)) => format!("{:.2} s", t.as_secs_f64()),
        (true, None) => "not within 60 s".to_owned(),
    };
    format!(
        "herd-sim: {} servers, {} links (average degree {:.1}), seed {}, in-memory network, one process\n\n\
         | Measurement | Result |\n|---|---|\n\
         | update reaches every server, p50 / p99 ({} updates, one at a time, random origins) | {} / {} |\n\
         | updates that did not reach every server within 10 s | {} |\n\
         | location messages on links per update (at least {}) | {:.2} (redundancy {:+.2}) |\n\
         | after cutting {} links ({:.0}%) at random, {} updates sent at once reach every server in | {} |\n",
        report.servers,
        report.links,
        2.0 * report.links as f64 / report.servers as f64,
        config.seed,
        config.updates,
        percentile(&spread, 0.5),
        percentile(&spread, 0.99),
        report.lost,
        receivers,
        report.payloads_per_update,
        report.payloads_per_update / receivers - 1.0,
        report.cut,
        config.cut * 100.0,
        config.after_cut,
        converged,
    )
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    ensure!(
        (2..=10_000).contains(&cli.servers),
        "--servers must be 2 to 10000"
    );
    ensure!(
        cli.degree >= 1.0 && cli.degree.is_finite(),
        "--degree must be at least 1"
    );
    ensure!(
        (0.0..1.0).contains(&cli.cut),
        "--cut must be at least 0 and below 1"
    );
    ensure!(cli.updates >= 1, "--updates must be at least 1");
    let config = SimConfig {
        servers: cli.servers,
        degree: cli.degree,
        seed: cli.seed,
        warmup: cli.warmup,
        updates: cli.updates,
        cut: cli.cut,
        after_cut: cli.after_cut,
    };
    let report = run(&config).await?;
    print!("{}", render(&config, &report));
    ensure!(report.lost == 0, "some updates never reached every server");
    Ok(())
}
