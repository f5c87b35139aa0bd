//! `herd-client`: sends one command to a herd server, half-closes, and
//! prints the reply exactly as received, as a grader's client would see it.
//!
//! ```text
//! herd-client --server 127.0.0.1:12000 iamat kiwi.cs.ucla.edu +34.068930-118.445127
//! herd-client --server Goloman --topology topology.toml whatsat kiwi.cs.ucla.edu 10 5
//! herd-client --server 127.0.0.1:12000 raw 'ANY LINE'
//! ```

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};

use clients::exchange::{Timeouts, exchange};
use clients::flags::seconds;
use clients::topology;
use proto::client::{IAmAt, WhatsAt};
use proto::timestamp::{format_posix, now_nanos};

/// Send one command to a herd server and print its reply.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// The server: HOST:PORT, or a server name looked up in --topology.
    #[arg(long, short, env = "HERD_SERVER")]
    server: String,
    /// Topology file used when --server is a name.
    #[arg(long, env = "HERD_TOPOLOGY", default_value = "topology.toml")]
    topology: PathBuf,
    /// Seconds to wait for the connection.
    #[arg(long, default_value_t = 5.0)]
    connect_timeout: f64,
    /// Seconds to wait from sending until the server closes.
    #[arg(long, default_value_t = 10.0)]
    timeout: f64,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Report a location: IAMAT CLIENT COORDS TIME.
    Iamat {
        /// Client ID, any text without white space.
        client: String,
        /// ISO 6709 coordinates, e.g. +34.068930-118.445127.
        #[arg(allow_hyphen_values = true)]
        coords: String,
        /// POSIX time SECONDS.NANOS; now if omitted.
        time: Option<String>,
    },
    /// Ask for places near a client: WHATSAT CLIENT RADIUS_KM BOUND.
    Whatsat {
        /// Client whose location is the centre.
        client: String,
        /// Radius in km, at most 50.
        radius_km: String,
        /// Most results, at most 20.
        bound: String,
    },
    /// Send LINE as given (a newline is added).
    Raw {
        /// The line, e.g. 'IAMAT kiwi +1-2 3' or anything invalid.
        #[arg(allow_hyphen_values = true)]
        line: String,
    },
}

impl Command {
    /// The bytes to send, terminator included.
    fn request(&self) -> anyhow::Result<String> {
        Ok(match self {
            Command::Iamat {
                client,
                coords,
                time,
            } => {
                let time = time.clone().unwrap_or_else(|| format_posix(now_nanos()));
                check_fields(&[client, coords, &time])?;
                IAmAt::line(client, coords, &time)
            }
            Command::Whatsat {
                client,
                radius_km,
                bound,
            } => {
                check_fields(&[client, radius_km, bound])?;
                WhatsAt::line(client, radius_km, bound)
            }
            Command::Raw { line } => format!("{line}\n"),
        })
    }
}

/// Operands are single fields: white space inside one would change the command.
fn check_fields(fields: &[&String]) -> anyhow::Result<()> {
    for field in fields {
        if field.is_empty() || field.chars().any(char::is_whitespace) {
            bail!(
                "{field:?} must be one non-empty field without white space (use `raw` to send anything)"
            );
        }
    }
    Ok(())
}

/// Finds the server's address: literal, host name, or topology name.
async fn resolve(server: &str, topology_file: &std::path::Path) -> anyhow::Result<SocketAddr> {
    if let Ok(addr) = server.parse() {
        return Ok(addr);
    }
    if server.contains(':') {
        return tokio::net::lookup_host(server)
            .await
            .with_context(|| format!("cannot resolve {server}"))?
            .next()
            .with_context(|| format!("{server} resolves to no address"));
    }
    Ok(topology::lookup(topology_file, server)?)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let timeouts = Timeouts {
        connect: seconds(args.connect_timeout, "--connect-timeout")?,
        reply: seconds(args.timeout, "--timeout")?,
    };
    let request = args.command.request()?;
    let addr = resolve(&args.server, &args.topology).await?;
    let reply = exchange(addr, request.as_bytes(), timeouts).await?;
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(&reply).context("cannot write to stdout")?;
    stdout.flush().context("cannot write to stdout")?;
    if reply.is_empty() {
        bail!("{addr} closed the connection without replying");
    }
    Ok(())
}
