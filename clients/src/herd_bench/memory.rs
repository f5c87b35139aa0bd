//! Memory per stored client: report many distinct clients at one server,
//! wait until every server holds them all, and divide each server's growth
//! in memory by their number, two ways:
//!
//! * *heap*: the bytes the server has allocated (its allocator's own count,
//!   from `STATUS`): what the server keeps for the clients;
//! * *resident*: the growth of its resident set (`VmRSS`, read by
//!   [`base::process::usage`]): that plus what the allocator has not given back.
//!
//! Both are read after the herd has settled, before and after the reports. Each client ID is
//! [`ID_LEN`] bytes long, so the figure can be read as "bytes plus the ID".

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Context, bail};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;

use super::COORDS;
use crate::connection::Connection;
use proto::client::{Command, IAmAt, StatusQuery};
use proto::reply::Status;
use proto::reply::frame::Shape;
use proto::timestamp::format_posix;

/// Nanoseconds in a second, to build each report's time.
const NANOS_PER_SEC: i128 = 1_000_000_000;

/// Bytes in each client ID this measurement reports.
pub const ID_LEN: usize = 24;

/// Connections the reports are spread over.
const CONNECTIONS: usize = 4;

/// How long the herd gets to hold every reported client everywhere.
const CONVERGE: Duration = Duration::from_secs(120);

/// Pause for the servers to finish what they were doing before reading
/// their memory: longer than the ten seconds in which the herd's allocator
/// (jemalloc, by default) gives freed pages back, so the figure is what the
/// servers keep, not what a burst left behind for a moment.
pub const SETTLE: Duration = Duration::from_secs(12);

/// One server's growth per stored client, bytes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PerClient {
    /// Growth of the bytes allocated.
    pub heap: f64,
    /// Growth of the resident set.
    pub resident: f64,
}

/// What one measurement found, per server.
#[derive(Debug, Clone)]
pub struct MemoryResult {
    /// Clients reported (all distinct, all new).
    pub clients: usize,
    /// Each server's growth per stored client.
    pub per_client: BTreeMap<String, PerClient>,
}

/// One server's count of stored clients and its memory, in bytes.
#[derive(Debug, Clone, Copy)]
struct Reading {
    clients: u64,
    heap: u64,
    resident: u64,
}

impl Reading {
    /// Reads the server at `addr`, process `pid`.
    async fn take(addr: SocketAddr, pid: u32) -> anyhow::Result<Self> {
        let status = status(addr).await?;
        Ok(Self {
            clients: status["clients"]
                .as_u64()
                .context("STATUS has no client count")?,
            heap: status["heap"]["allocated"]
                .as_u64()
                .context("STATUS has no heap figures: is the herd built with jemalloc?")?,
            resident: base::process::usage(pid)?.rss,
        })
    }
}

/// Reports `clients` distinct new clients at `target`, waits until every
/// server in `servers` (name, client address, pid) holds them, and measures.
pub async fn memory_per_client(
    target: SocketAddr,
    servers: &[(String, SocketAddr, u32)],
    clients: usize,
) -> anyhow::Result<MemoryResult> {
    tokio::time::sleep(SETTLE).await;
    let mut before = BTreeMap::new();
    for (name, addr, pid) in servers {
        before.insert(name.clone(), Reading::take(*addr, *pid).await?);
    }
    report(target, clients).await?;
    let deadline = Instant::now() + CONVERGE;
    for (name, addr, pid) in servers {
        let want = before[name].clients + clients as u64;
        while Reading::take(*addr, *pid).await?.clients < want {
            if Instant::now() > deadline {
                bail!("{name} did not hold all {clients} clients within {CONVERGE:?}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    tokio::time::sleep(SETTLE).await;
    let mut per_client = BTreeMap::new();
    for (name, addr, pid) in servers {
        let (was, now) = (before[name], Reading::take(*addr, *pid).await?);
        let per = |grown: u64| grown as f64 / clients as f64;
        let grown = PerClient {
            heap: per(now.heap.saturating_sub(was.heap)),
            resident: per(now.resident.saturating_sub(was.resident)),
        };
        per_client.insert(name.clone(), grown);
    }
    Ok(MemoryResult {
        clients,
        per_client,
    })
}

/// A client ID of exactly [`ID_LEN`] bytes.
pub(crate) fn client_id(n: usize) -> String {
    format!("mem-{n:0width$}", width = ID_LEN - 4)
}

/// Sends one IAMAT per client over [`CONNECTIONS`] connections, each
/// writing all its lines while a reader counts the replies.
pub(crate) async fn report(target: SocketAddr, clients: usize) -> anyhow::Result<()> {
    let mut tasks = Vec::new();
    for c in 0..CONNECTIONS {
        let mine: Vec<usize> = (c..clients).step_by(CONNECTIONS).collect();
        tasks.push(tokio::spawn(async move {
            let stream = TcpStream::connect(target).await?;
            stream.set_nodelay(true)?;
            let (mut read, mut write) = stream.into_split();
            let expect = mine.len();
            let reader = tokio::spawn(async move {
                let (mut lines, mut buf) = (0, vec![0u8; 64 * 1024]);
                while lines < expect {
                    let n = read.read(&mut buf).await?;
                    if n == 0 {
                        bail!("the server closed after {lines} of {expect} replies");
                    }
                    lines += buf[..n].iter().filter(|&&b| b == b'\n').count();
                }
                Ok(())
            });
            let mut chunk = String::new();
            for n in mine {
                let time = format_posix(1_000_000_000 * NANOS_PER_SEC + n as i128);
                chunk.push_str(&IAmAt::line(&client_id(n), COORDS, &time));
                if chunk.len() > 64 * 1024 {
                    write.write_all(chunk.as_bytes()).await?;
                    chunk.clear();
                }
            }
            write.write_all(chunk.as_bytes()).await?;
            reader.await.context("reply reader")?
        }));
    }
    for task in tasks {
        task.await.context("report task")??;
    }
    Ok(())
}

/// The server's `STATUS`, as JSON.
async fn status(addr: SocketAddr) -> anyhow::Result<serde_json::Value> {
    let mut conn = Connection::connect(addr).await?;
    let reply = conn
        .request(&Command::Status(StatusQuery).to_bytes(), Shape::Line)
        .await?;
    let line = reply.strip_suffix(b"\n").unwrap_or(&reply);
    let json = Status::json_text(line)
        .with_context(|| format!("not a STATUS reply: {:?}", String::from_utf8_lossy(&reply)))?;
    Ok(serde_json::from_slice(json)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_the_stated_length_and_are_distinct() {
        assert_eq!(client_id(7).len(), ID_LEN);
        assert_eq!(client_id(999_999).len(), ID_LEN);
        assert_ne!(client_id(1), client_id(10));
    }
}
