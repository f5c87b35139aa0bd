//! What `clock-bench` measures: how far apart the herd's synchronised
//! clocks are before synchronisation, after each Berkeley round, and after
//! the leader is killed midway.
//!
//! Five `herd` processes run on loopback with simulated skews
//! (`[servers.NAME] clock_skew_ms`), one of them wild (an hour ahead by
//! default). Once per sync interval the bench asks every live server `TIME`
//! and `LEADER`; a server's offset is its reading minus this process's
//! clock at the middle of the round trip (Cristian's correction), so the
//! figures are as good as loopback round trips are short. The spread is
//! the largest minus the smallest offset over the servers that are not
//! wild; the wild one's distance from their mean is shown apart.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, bail};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use crate::harness::herd::Herd;
use crate::harness::layout::Layout;
use base::topology::ClockTarget;
use proto::reply::{LeaderReply, Reply, TimeReply};
use proto::timestamp::now_nanos;

/// How long one `TIME` or `LEADER` may take before the run gives up on it.
const ASK_TIMEOUT: Duration = Duration::from_secs(2);

/// What a run does.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Skew of each server, in milliseconds.
    pub skews_ms: BTreeMap<String, i64>,
    /// The server whose skew is wild (left out of the spread).
    pub wild: Option<String>,
    /// `[clock] sync_interval_ms`.
    pub interval: Duration,
    /// Samples taken, one per interval.
    pub rounds: usize,
    /// The sample after which the leader is killed, if any.
    pub kill_after: Option<usize>,
    /// `[clock] target`: the average or the latest sane clock.
    pub target: ClockTarget,
}

/// One sample of every live server.
#[derive(Debug)]
struct Sample {
    leader: Option<LeaderReply>,
    /// Offset from this process's clock, in nanoseconds, by server.
    offsets: BTreeMap<String, i128>,
}

/// Asks `line` of the server at `addr`; the reply line, and this process's
/// clock at the middle of the round trip.
async fn ask(addr: SocketAddr, line: &str) -> anyhow::Result<(Reply, i128)> {
    let round = async {
        let mut stream = TcpStream::connect(addr).await?;
        let sent = now_nanos();
        stream.write_all(line.as_bytes()).await?;
        let mut reader = BufReader::new(stream);
        let mut reply = String::new();
        reader.read_line(&mut reply).await?;
        let middle = (sent + now_nanos()) / 2;
        anyhow::Ok((reply, middle))
    };
    let (reply, middle) = tokio::time::timeout(ASK_TIMEOUT, round)
        .await
        .with_context(|| format!("{addr} did not answer {line:?} in time"))??;
    let parsed = Reply::parse(reply.trim_end().as_bytes())
        .with_context(|| format!("{addr} answered {reply:?}"))?;
    Ok((parsed, middle))
}

async fn sample(herd: &Herd) -> anyhow::Result<Sample> {
    let mut offsets = BTreeMap::new();
    let mut leader = None;
    for (name, addr, _) in herd.servers() {
        let (reply, middle) = ask(addr, "TIME\n").await?;
        let Reply::Time(TimeReply { clock_ns, .. }) = reply else {
            bail!("{name} did not answer TIME with TIME");
        };
        offsets.insert(name.clone(), clock_ns - middle);
        if leader.is_none()
            && let (Reply::Leader(reply), _) = ask(addr, "LEADER\n").await?
        {
            leader = Some(reply);
        }
    }
    Ok(Sample { leader, offsets })
}

/// The topology keys that give every server its skew and set the interval.
pub fn skew_sections(settings: &Settings) -> String {
    let mut text = String::new();
    for (name, skew) in &settings.skews_ms {
        let _ = writeln!(text, "[servers.{name}]\nclock_skew_ms = {skew}");
    }
    let target = match settings.target {
        ClockTarget::Average => "average",
        ClockTarget::Latest => "latest",
    };
    let _ = writeln!(
        text,
        "[clock]\nsync_interval_ms = {}\ntarget = \"{target}\"",
        settings.interval.as_millis()
    );
    text
}

/// Starts the herd, samples it, and returns the report as markdown.
pub async fn run(bin: &Path, dir: &Path, settings: &Settings) -> anyhow::Result<String> {
    let layout = Layout::five();
    let text = base::topology::merge_toml(&layout.topology()?, &skew_sections(settings))
        .context("the skews do not merge into the topology")?;
    let mut herd = Herd::start_with_topology(bin, &layout, &text, dir, &[]).await?;
    let mut report = header(&layout, settings);
    let first = sample(&herd).await?;
    report.push_str(&row("start", &layout, settings, &first));
    herd.wait_links_up().await?;
    for round in 1..=settings.rounds {
        tokio::time::sleep(settings.interval).await;
        herd.check_alive()?;
        let now = sample(&herd).await?;
        report.push_str(&row(&round.to_string(), &layout, settings, &now));
        if settings.kill_after == Some(round)
            && let Some(name) = now.leader.as_ref().and_then(|l| l.leader.clone())
        {
            herd.kill(&name)?;
            let _ = writeln!(report, "| killed {name} (SIGKILL) | | | | | | | | |");
        }
    }
    Ok(report)
}

fn header(layout: &Layout, settings: &Settings) -> String {
    let mut text = String::from("skews (ms): ");
    for (name, skew) in &settings.skews_ms {
        let _ = write!(text, "{name} {skew:+}, ");
    }
    let _ = writeln!(
        text,
        "sync every {} ms, target {:?}; offsets in ms from the bench's clock\n",
        settings.interval.as_millis(),
        settings.target
    );
    text.push_str("| round | leader (term) |");
    for name in &layout.servers {
        let _ = write!(text, " {name} |");
    }
    text.push_str(" spread, not wild (ms) | wild from mean (ms) |\n|---|---|");
    text.push_str(&"---|".repeat(layout.servers.len() + 2));
    text.push('\n');
    text
}

fn ms(ns: i128) -> String {
    format!("{:.3}", ns as f64 / 1e6)
}

fn row(label: &str, layout: &Layout, settings: &Settings, sample: &Sample) -> String {
    let leader = match &sample.leader {
        Some(LeaderReply {
            leader: Some(name),
            term,
        }) => format!("{name} ({term})"),
        _ => "-".to_owned(),
    };
    let mut text = format!("| {label} | {leader} |");
    for name in &layout.servers {
        match sample.offsets.get(name) {
            Some(offset) => {
                let _ = write!(text, " {} |", ms(*offset));
            }
            None => text.push_str(" dead |"),
        }
    }
    let sane: Vec<i128> = (sample.offsets.iter())
        .filter(|(n, _)| Some(*n) != settings.wild.as_ref())
        .map(|(_, o)| *o)
        .collect();
    let spread = sane.iter().max().zip(sane.iter().min()).map(|(a, b)| a - b);
    let mean = (!sane.is_empty()).then(|| sane.iter().sum::<i128>() / sane.len() as i128);
    let wild = (settings.wild.as_ref())
        .and_then(|w| sample.offsets.get(w))
        .zip(mean)
        .map(|(w, m)| w - m);
    let _ = writeln!(
        text,
        " {} | {} |",
        spread.map_or("-".into(), ms),
        wild.map_or("-".into(), ms)
    );
    text
}
