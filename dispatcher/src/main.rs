//! The `dispatcher` binary: `dispatcher --listen ADDR --frontends URL,URL,...`.

use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use dispatcher::config::Cli;
use dispatcher::server::{self, Config};
use tracing_subscriber::EnvFilter;

/// Exit status for an unusable command line.
const EXIT_BAD_CONFIG: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match cli.config() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("dispatcher: {e}");
            return ExitCode::from(EXIT_BAD_CONFIG);
        }
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    match run(&cli.listen, config) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("dispatcher: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(listen: &str, config: Config) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Runtime::new().context("starting the runtime")?;
    runtime.block_on(async {
        let (listener, addr) = base::service::bind(listen).await?;
        let frontends = config.frontends.join(",");
        let running = server::start(listener, config).await?;
        println!("dispatcher listening on http://{addr} (front ends {frontends})");
        base::signal::shutdown()
            .await
            .context("installing the signal handlers")?;
        running.stop().await;
        Ok(())
    })
}
