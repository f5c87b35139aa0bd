//! `tablet`: a stone tablet. `pull` polls tallies and scores every P seconds
//! and prints what changed; `push` listens, registers for events and teams'
//! medals, and prints each pushed update. Every pull or push latency goes to
//! the tablet's own file, `<log-dir>/tablet-<name>-<pull|push>.latency`.
//! With `--dispatcher URL` the tablet asks the dispatcher for its front end
//! (client ID `tablet-<name>`) and asks again when that front end fails.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand};
use clients::olympic::dispatcher::{self, Assigned, Dispatcher};
use clients::olympic::facade::Facade;
use clients::olympic::latency::LatencyLog;
use clients::olympic::{pull, push};

#[derive(Debug, Parser)]
#[command(name = "tablet", about = "A stone tablet showing Olympic scores")]
struct Args {
    /// The facade's base URL.
    #[arg(long, default_value = "http://127.0.0.1:8080", env = "FACADE_URL")]
    facade: String,
    /// The dispatcher's base URL: ask it for the front end (instead of
    /// --facade), and ask again when that front end fails.
    #[arg(long, env = "DISPATCHER_URL")]
    dispatcher: Option<String>,
    /// This tablet's name, for its output and latency file.
    #[arg(long, default_value = "1")]
    name: String,
    /// Where the latency file goes.
    #[arg(long, default_value = "logs")]
    log_dir: PathBuf,
    #[command(subcommand)]
    mode: Mode,
}

#[derive(Debug, Subcommand)]
enum Mode {
    /// Poll every --every seconds and print what changed.
    Pull {
        /// Seconds between polls.
        #[arg(long, default_value_t = 1.0)]
        every: f64,
        /// Teams to follow.
        #[arg(long, value_delimiter = ',', default_value = "Gaul,Rome")]
        teams: Vec<String>,
        /// Events to follow.
        #[arg(long, value_delimiter = ',', default_value = "curling,skating,skiing")]
        events: Vec<String>,
        /// Stop after this many polls.
        #[arg(long)]
        rounds: Option<u64>,
    },
    /// Listen for pushes and print each one.
    Push {
        /// Where to listen for pushes (port 0 picks a free one).
        #[arg(long, default_value = "127.0.0.1:0")]
        listen: SocketAddr,
        /// Events to register for [default: curling, unless --teams is given].
        #[arg(long, value_delimiter = ',')]
        events: Option<Vec<String>>,
        /// Teams whose medal tallies to register for.
        #[arg(long, value_delimiter = ',')]
        teams: Vec<String>,
    },
}

/// What either mode needs: where it reads, how it prints and logs.
struct Tablet {
    /// The dispatcher's assignment, with `--dispatcher`.
    assigned: Option<Assigned>,
    /// The facade it talks to (the assigned one, or `--facade`).
    facade: Facade,
    /// That facade's base URL, for what it prints.
    front_end: String,
    /// `[tablet NAME] `, before every line it prints.
    prefix: String,
    /// Its latency file.
    log: LatencyLog,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let assigned = match &args.dispatcher {
        Some(url) => {
            let client = format!("tablet-{}", args.name);
            let assigned = Assigned::connect(Dispatcher::new(url), &client)
                .await
                .with_context(|| format!("asking the dispatcher at {url}"))?;
            Some(assigned)
        }
        None => None,
    };
    let facade = match &assigned {
        Some(assigned) => assigned.facade().clone(),
        None => Facade::new(&args.facade),
    }
    .with_tablet(&format!("tablet-{}", args.name));
    let front_end = assigned
        .as_ref()
        .map_or(args.facade.clone(), |a| a.url().to_owned());
    let mode = match args.mode {
        Mode::Pull { .. } => "pull",
        Mode::Push { .. } => "push",
    };
    let log_path = args
        .log_dir
        .join(format!("tablet-{}-{mode}.latency", args.name));
    let log =
        LatencyLog::open(&log_path).with_context(|| format!("opening {}", log_path.display()))?;
    let tablet = Tablet {
        assigned,
        facade,
        front_end,
        prefix: format!("[tablet {}] ", args.name),
        log,
    };
    match args.mode {
        Mode::Pull {
            every,
            teams,
            events,
            rounds,
        } => {
            tablet
                .pull(every, pull::Follow { teams, events }, rounds)
                .await
        }
        Mode::Push {
            listen,
            events,
            teams,
        } => tablet.push(listen, events, teams).await,
    }
}

impl Tablet {
    /// Polls every `every` seconds until `rounds` are done or a signal.
    async fn pull(
        self,
        every: f64,
        follow: pull::Follow,
        rounds: Option<u64>,
    ) -> anyhow::Result<()> {
        anyhow::ensure!(
            every > 0.0 && every.is_finite(),
            "--every must be a positive number of seconds"
        );
        let prefix = self.prefix;
        println!("{prefix}pulling every {every}s from {}", self.front_end);
        let source = match self.assigned.clone() {
            Some(assigned) => pull::Source::Dispatched(assigned),
            None => pull::Source::Fixed(self.facade),
        };
        let period = Duration::from_secs_f64(every);
        tokio::select! {
            () = pull::run(source, follow, period, rounds, prefix, self.log) => {}
            () = clients::signal::shutdown() => {}
        }
        release(self.assigned.as_ref()).await
    }

    /// Listens on `listen`, registers for `events` (curling if neither
    /// events nor teams are given) and `teams`' medals, and prints each
    /// push until a signal.
    async fn push(
        self,
        listen: SocketAddr,
        events: Option<Vec<String>>,
        teams: Vec<String>,
    ) -> anyhow::Result<()> {
        let Tablet {
            assigned,
            facade,
            front_end,
            prefix,
            log,
        } = self;
        let events = events.unwrap_or_else(|| match teams.is_empty() {
            true => vec!["curling".to_owned()],
            false => Vec::new(),
        });
        let (listener, addr) = push::bind(listen)
            .await
            .context("binding the push listener")?;
        let serving = tokio::spawn(push::serve(listener, prefix.clone(), log));
        if let Some(given) = assigned.clone() {
            println!("{prefix}listening on {addr}; front end {front_end}");
            let follow = dispatcher::keep_registered(given, addr.to_string(), events, prefix);
            tokio::select! {
                result = serving => result.context("push listener")?.context("serving pushes")?,
                () = follow => {}
                () = clients::signal::shutdown() => {}
            }
            return release(assigned.as_ref()).await;
        }
        for event in &events {
            facade
                .register(&addr.to_string(), event)
                .await
                .with_context(|| format!("registering for {event}"))?;
        }
        for team in &teams {
            facade
                .register_medals(&addr.to_string(), team)
                .await
                .with_context(|| format!("registering for {team}'s medals"))?;
        }
        let followed: Vec<String> = events
            .iter()
            .cloned()
            .chain(teams.iter().map(|t| format!("medals of {t}")))
            .collect();
        println!(
            "{prefix}listening on {addr} for pushes of {}",
            followed.join(", ")
        );
        tokio::select! {
            result = serving => result.context("push listener")?.context("serving pushes")?,
            () = clients::signal::shutdown() => {}
        }
        Ok(())
    }
}

/// Frees the tablet's assignment at the dispatcher, if it has one.
async fn release(assigned: Option<&Assigned>) -> anyhow::Result<()> {
    if let Some(assigned) = assigned {
        assigned
            .release()
            .await
            .context("releasing the front end")?;
    }
    Ok(())
}
