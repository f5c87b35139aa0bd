//! Child processes that cannot outlive the run: [`Children`] kills and
//! reaps every process it holds when dropped, so servers go away on
//! success, on error and on panic alike. Also the small helpers for
//! starting servers: a free loopback port, and waiting until one listens.

use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::path::Path;
use std::process::{Child, Command};
use std::time::Duration;

use anyhow::{Context, bail};
use tokio::time::{Instant, sleep};

/// How long servers get to listen and to link up before the run gives up.
pub const START_TIMEOUT: Duration = Duration::from_secs(15);

/// Pause between attempts while waiting for a server.
pub const RETRY: Duration = Duration::from_millis(20);

/// Child processes, killed and reaped when this is dropped.
#[derive(Debug, Default)]
pub struct Children {
    /// Each child with the name it is reported by.
    children: Vec<(String, Child)>,
}

impl Children {
    /// Starts `command` and keeps it under `name`.
    pub fn spawn(&mut self, name: &str, command: &mut Command) -> anyhow::Result<()> {
        let child = command
            .spawn()
            .with_context(|| format!("cannot start {name} ({command:?})"))?;
        self.children.push((name.to_owned(), child));
        Ok(())
    }

    /// The process id of the child named `name`.
    pub fn pid(&self, name: &str) -> Option<u32> {
        self.children
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, child)| child.id())
    }

    /// Fails if any child has exited, naming it; `log_dir` holds the
    /// `NAME.stderr` files whose tails are quoted.
    pub fn check_alive(&mut self, log_dir: Option<&Path>) -> anyhow::Result<()> {
        for (name, child) in &mut self.children {
            if let Some(status) = child.try_wait()? {
                let tail = log_dir
                    .and_then(|dir| {
                        std::fs::read_to_string(dir.join(format!("{name}.stderr"))).ok()
                    })
                    .map(|text| tail(&text, 10))
                    .unwrap_or_default();
                bail!("{name} exited with {status}{tail}");
            }
        }
        Ok(())
    }
}

impl Drop for Children {
    fn drop(&mut self) {
        for (_, child) in &mut self.children {
            // Already exited is fine; there is nothing else to do on failure.
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The last `n` lines of `text`, introduced for an error message.
fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.len().saturating_sub(n);
    if lines.is_empty() {
        return String::new();
    }
    format!("; its stderr ends:\n{}", lines[start..].join("\n"))
}

/// A loopback address with a port that was free a moment ago. The listener
/// is dropped so that a child process can bind the port.
pub fn free_addr() -> anyhow::Result<SocketAddr> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).context("cannot bind loopback")?;
    Ok(listener.local_addr()?)
}

/// Waits until `addr` accepts connections, failing early if a child died.
pub async fn wait_listening(
    addr: SocketAddr,
    children: &mut Children,
    log_dir: Option<&Path>,
) -> anyhow::Result<()> {
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        if tokio::net::TcpStream::connect(addr).await.is_ok() {
            return Ok(());
        }
        children.check_alive(log_dir)?;
        if Instant::now() > deadline {
            bail!("nothing listens on {addr} after {START_TIMEOUT:?}");
        }
        sleep(RETRY).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn dropping_children_kills_them() {
        let mut children = Children::default();
        children
            .spawn("sleeper", Command::new("sleep").arg("30"))
            .unwrap();
        let pid = children.children[0].1.id();
        children.check_alive(None).unwrap();
        drop(children);
        // Reaped by Drop, so the pid no longer names our child.
        let status = std::fs::read_to_string(format!("/proc/{pid}/status"));
        assert!(
            status.is_err() || !status.unwrap().contains("sleep"),
            "pid {pid} still running"
        );
    }
}
