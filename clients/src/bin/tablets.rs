//! `tablets`: starts N `tablet` processes (each its own process, as the seed
//! asks), passes the rest of the command line to each, and stops them all on
//! Ctrl-C or when they have all finished.
//!
//!     tablets -n 5 -- --facade http://127.0.0.1:8080 pull --every 1
//!     tablets -n 5 -- push --events curling

use std::process::Stdio;

use anyhow::Context;
use clap::Parser;

#[derive(Debug, Parser)]
#[command(name = "tablets", about = "Starts N tablet processes")]
struct Args {
    /// How many tablets.
    #[arg(short = 'n', long, default_value_t = 3)]
    count: u32,
    /// Arguments for every tablet (after `--`); each also gets `--name <i>`.
    #[arg(last = true)]
    tablet_args: Vec<String>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    anyhow::ensure!(args.count >= 1, "-n must be at least 1");
    let exe = std::env::current_exe().context("finding this executable")?;
    let tablet = exe.with_file_name("tablet");
    let mut children = Vec::new();
    for i in 1..=args.count {
        let child = tokio::process::Command::new(&tablet)
            .arg("--name")
            .arg(i.to_string())
            .args(&args.tablet_args)
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {}", tablet.display()))?;
        children.push(child);
    }
    println!("tablets: started {} tablet processes", children.len());
    let all = futures::future::join_all(children.iter_mut().map(|c| c.wait()));
    tokio::select! {
        statuses = all => {
            let failed = statuses.iter().filter(|s| !matches!(s, Ok(s) if s.success())).count();
            anyhow::ensure!(failed == 0, "{failed} tablet(s) failed");
        }
        () = clients::signal::shutdown() => {
            for child in &mut children {
                let _ = child.kill().await;
            }
        }
    }
    Ok(())
}
