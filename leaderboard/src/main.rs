//! The `leaderboard` binary:
//! `leaderboard --listen ADDR [--redis redis://…] [--data-dir DIR]`.
//! Embedded storage in `--data-dir` unless `--redis` is given.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::Parser;
use facade::listener::{self, Limits};
use facade::server;
use leaderboard::Store;
use leaderboard::store::embedded::EmbeddedStore;
use leaderboard::store::redis::{DEFAULT_PREFIX, RedisStore};
use tokio_util::sync::CancellationToken;

#[derive(Debug, Parser)]
#[command(
    name = "leaderboard",
    version,
    about = "The Olympic leaderboard: results in, top 10 by average points out (see docs/REST.md)"
)]
struct Cli {
    /// Address to serve HTTP on (port 0 picks a free port).
    #[arg(long, env = "LEADERBOARD_LISTEN", default_value = "127.0.0.1:8090")]
    listen: String,
    /// Store results in Redis at this URL (redis://host:port[/db]) instead
    /// of the data directory.
    #[arg(long, env = "LEADERBOARD_REDIS", conflicts_with = "data_dir")]
    redis: Option<String>,
    /// Prefix of the Redis keys.
    #[arg(long, default_value = DEFAULT_PREFIX, requires = "redis")]
    redis_prefix: String,
    /// Where the embedded store keeps its results log (created if missing)
    /// [default: ./data/leaderboard].
    #[arg(long)]
    data_dir: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    let cli = Cli::parse();
    let (listener, _) = base::service::bind(&cli.listen).await?;
    match &cli.redis {
        Some(url) => {
            let store = RedisStore::connect(url, &cli.redis_prefix)
                .await
                .with_context(|| format!("cannot reach redis at {url}"))?;
            serve(listener, store, url).await
        }
        None => {
            let dir = cli
                .data_dir
                .clone()
                .unwrap_or_else(|| PathBuf::from("data/leaderboard"));
            let store = EmbeddedStore::open(&dir).context("opening the embedded store")?;
            serve(listener, store, &dir.display().to_string()).await
        }
    }
}

/// Serves `store` on `listener` until SIGINT or SIGTERM, through the
/// facade's accept loop with the facade's limits: a request head must
/// arrive within its header timeout, and past its connection limits the
/// longest-idle connection is shed, so slow clients cannot lock others out.
async fn serve<S: Store>(
    listener: tokio::net::TcpListener,
    store: S,
    place: &str,
) -> anyhow::Result<()> {
    let addr = listener
        .local_addr()
        .context("reading the listen address")?;
    println!(
        "leaderboard listening on http://{addr} ({} storage: {place})",
        store.kind()
    );
    base::fdlimit::raise_and_log();
    let app = leaderboard::api::router(Arc::new(store));
    let limits = Limits {
        max_connections: server::MAX_CONNECTIONS,
        max_per_source: server::MAX_PER_SOURCE,
        header_timeout: server::HEADER_TIMEOUT,
        stop_timeout: server::STOP_TIMEOUT,
    };
    let shutdown = CancellationToken::new();
    let serving = tokio::spawn(listener::serve(listener, app, limits, shutdown.clone()));
    base::signal::shutdown()
        .await
        .context("waiting for signals")?;
    tracing::info!("leaderboard stopping");
    shutdown.cancel();
    serving.await.context("the accept loop failed")
}
