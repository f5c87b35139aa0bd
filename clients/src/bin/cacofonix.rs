//! `cacofonix`: the one authorised updater. Sends medal and score updates to
//! the REST facade in `random` or `testing` mode and logs what it sent;
//! with `--leaderboard URL`, also posts athletes' results there.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use clients::olympic::cacofonix::{Action, Mode, Plan};
use clients::olympic::facade::Facade;
use clients::olympic::leaderboard::{Leaderboard, Results};
use rand::SeedableRng;
use rand::rngs::StdRng;

/// The id used when none is configured; the herd's documented local default.
const LOCAL_DEFAULT_ID: &str = "cacofonix-local-default";

#[derive(Debug, Parser)]
#[command(name = "cacofonix", about = "Sends Olympic updates to the REST facade")]
struct Args {
    /// The facade's base URL.
    #[arg(long, default_value = "http://127.0.0.1:8080", env = "FACADE_URL")]
    facade: String,
    /// random: random updates at random intervals up to --rate; testing: Gaul wins a gold and leads curling by one every --rate seconds.
    #[arg(long, value_enum, default_value = "random")]
    mode: Mode,
    /// Seconds between updates (testing) or the longest pause (random).
    #[arg(long, default_value_t = 1.0)]
    rate: f64,
    /// Stop after this many rounds (default: run until Ctrl-C).
    #[arg(long)]
    count: Option<u64>,
    /// Events for random score updates.
    #[arg(long, value_delimiter = ',', default_value = "curling,skating,skiing")]
    events: Vec<String>,
    /// Seed for random mode, to repeat a run.
    #[arg(long)]
    seed: Option<u64>,
    /// File holding the Cacofonix id (CACOFONIX_ID wins; else the local default).
    #[arg(long)]
    auth_file: Option<PathBuf>,
    /// The leaderboard service's base URL: also post athletes' results
    /// there, every round (off when not given).
    #[arg(long, env = "LEADERBOARD_URL")]
    leaderboard: Option<String>,
    /// Where `cacofonix.log` goes.
    #[arg(long, default_value = "logs")]
    log_dir: PathBuf,
    /// At the end of the run, draw the raffle and print the winner.
    #[arg(long)]
    draw: bool,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    anyhow::ensure!(
        args.rate > 0.0 && args.rate.is_finite(),
        "--rate must be a positive number of seconds"
    );
    let auth = auth_id(&args)?;
    std::fs::create_dir_all(&args.log_dir).context("creating the log directory")?;
    let log_path = args.log_dir.join("cacofonix.log");
    let mut log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log_path)
        .with_context(|| format!("opening {}", log_path.display()))?;
    let rng = match args.seed {
        Some(seed) => StdRng::seed_from_u64(seed),
        None => StdRng::from_os_rng(),
    };
    let mut plan = Plan::new(
        args.mode,
        Duration::from_secs_f64(args.rate),
        args.events.clone(),
        rng,
    );
    let mut results = args.leaderboard.as_deref().map(|url| {
        let run = format!("{:x}", now().as_millis());
        let plan = Results::new(args.mode, args.events.clone(), run, args.seed);
        (plan, Leaderboard::new(url))
    });
    let facade = Facade::new(&args.facade);
    println!(
        "cacofonix: {:?} mode, rate {}s, facade {}",
        args.mode, args.rate, args.facade
    );
    let mut rounds = 0;
    while args.count.is_none_or(|n| rounds < n) {
        let (pause, actions) = plan.next_round();
        tokio::select! {
            () = tokio::time::sleep(pause) => {}
            () = clients::signal::shutdown() => break,
        }
        for action in actions {
            let line = send(&facade, &action, &auth).await;
            record(&mut log, &line)?;
        }
        if let Some((plan, board)) = &mut results {
            for result in plan.next_round() {
                record(&mut log, &board.post(&result).await)?;
            }
        }
        rounds += 1;
    }
    if args.draw {
        let line = draw(&facade, &auth).await;
        record(&mut log, &line)?;
    }
    Ok(())
}

/// How long `--draw` waits for the winner to be delivered.
const DRAW_WAIT: Duration = Duration::from_secs(10);

/// Draws the raffle and waits for the winner every replica names.
async fn draw(facade: &Facade, auth: &str) -> String {
    if let Err(e) = facade.draw(auth).await {
        return format!("FAILED draw: {e}");
    }
    let deadline = tokio::time::Instant::now() + DRAW_WAIT;
    loop {
        match facade.raffle().await {
            Ok(raffle) if !raffle["winner"].is_null() => {
                let w = &raffle["winner"];
                return format!(
                    "raffle winner: {} (request {} at position {}, via {}); {} entries of {} ordered",
                    w["tablet"].as_str().unwrap_or("?"),
                    w["request"].as_str().unwrap_or("?"),
                    w["position"],
                    w["server"].as_str().unwrap_or("?"),
                    raffle["entries"].as_array().map_or(0, Vec::len),
                    raffle["ordered"],
                );
            }
            Ok(raffle) if tokio::time::Instant::now() >= deadline => {
                return format!(
                    "draw queued; no winner yet after {DRAW_WAIT:?} ({} entries)",
                    raffle["entries"].as_array().map_or(0, Vec::len)
                );
            }
            Err(e) => return format!("FAILED reading the raffle: {e}"),
            Ok(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

/// Prints `line` and appends it to the log with the time.
fn record(log: &mut std::fs::File, line: &str) -> anyhow::Result<()> {
    println!("{line}");
    let now = now();
    writeln!(log, "{}.{:06} {line}", now.as_secs(), now.subsec_micros()).context("writing the log")
}

/// Time since the epoch.
fn now() -> Duration {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
}

/// Sends one update and describes it (never including the id).
async fn send(facade: &Facade, action: &Action, auth: &str) -> String {
    match action {
        Action::Medal { team, medal } => match facade.increment(team, medal, auth).await {
            Ok(t) => format!(
                "sent medal {medal} to {team} -> {} gold {} silver {} bronze {}",
                t.team,
                t.medals.get("gold").unwrap_or(&0),
                t.medals.get("silver").unwrap_or(&0),
                t.medals.get("bronze").unwrap_or(&0)
            ),
            Err(e) => format!("FAILED medal {medal} to {team}: {e}"),
        },
        Action::Score { event, rome, gaul } => {
            match facade.set_score(event, *rome, *gaul, auth).await {
                Ok(s) => format!(
                    "sent score {event} Rome {rome} Gaul {gaul} -> at {}",
                    s.updated_at.as_deref().unwrap_or("?")
                ),
                Err(e) => format!("FAILED score {event} Rome {rome} Gaul {gaul}: {e}"),
            }
        }
    }
}

/// The id: `CACOFONIX_ID`, else `--auth-file`, else the local default.
fn auth_id(args: &Args) -> anyhow::Result<String> {
    if let Ok(id) = std::env::var("CACOFONIX_ID") {
        return Ok(id.trim().to_owned());
    }
    if let Some(path) = &args.auth_file {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        return Ok(text.trim().to_owned());
    }
    eprintln!("cacofonix: no CACOFONIX_ID or --auth-file; using the local default id");
    Ok(LOCAL_DEFAULT_ID.to_owned())
}
