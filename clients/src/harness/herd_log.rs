//! What the harness reads from the herd servers' log files (`NAME.log` in
//! the run directory; see the README's Logs section): the client address
//! a server started on, links coming up, and totals over the whole run.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::Path;

use anyhow::Context;

/// How a log line says a server started listening.
pub const SERVER_STARTED: &str = "event=\"server_started\"";

/// How a log line says a link came up.
pub const PEER_UP: &str = "event=\"peer_up\"";

/// The field of [`SERVER_STARTED`] that holds the client address.
const CLIENTS_FIELD: &str = "clients=";

/// Bytes read from the start of a log to find [`SERVER_STARTED`], which
/// is among its first lines.
const START_SCAN: u64 = 64 * 1024;

/// The client address in the [`SERVER_STARTED`] line of `text`.
pub fn started_addr(text: &str) -> Option<SocketAddr> {
    let line = text.lines().find(|line| line.contains(SERVER_STARTED))?;
    let value = line
        .split_ascii_whitespace()
        .find_map(|field| field.strip_prefix(CLIENTS_FIELD))?;
    value.trim_matches('"').parse().ok()
}

/// The client address server `name` logged in `dir`, once it has.
pub fn read_started_addr(dir: &Path, name: &str) -> Option<SocketAddr> {
    let file = File::open(dir.join(format!("{name}.log"))).ok()?;
    let mut text = String::new();
    file.take(START_SCAN).read_to_string(&mut text).ok()?;
    started_addr(&text)
}

/// What the herd's log files hold.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LogStats {
    /// Log files found, rotated ones included.
    pub files: usize,
    /// Their total size.
    pub bytes: u64,
    /// Lines that mention the event asked for.
    pub matching_lines: u64,
}

/// Totals over the log files of the servers `names` in `dir`: `NAME.log`
/// and the rotated `NAME.log.N` still there. Counts the lines that
/// mention `needle` (an event such as [`PEER_UP`]).
pub fn log_stats<S: AsRef<str>>(dir: &Path, names: &[S], needle: &str) -> anyhow::Result<LogStats> {
    let mut stats = LogStats::default();
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        let Some(file_name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if !names.iter().any(|n| is_log_of(file_name, n.as_ref())) {
            continue;
        }
        let file = File::open(&path).with_context(|| format!("opening {}", path.display()))?;
        stats.files += 1;
        stats.bytes += file.metadata()?.len();
        for line in BufReader::new(file).split(b'\n') {
            let line = line.with_context(|| format!("reading {}", path.display()))?;
            if line.windows(needle.len()).any(|w| w == needle.as_bytes()) {
                stats.matching_lines += 1;
            }
        }
    }
    Ok(stats)
}

/// Whether `file_name` is `NAME.log` or a rotated `NAME.log.N` of `name`.
fn is_log_of(file_name: &str, name: &str) -> bool {
    let Some(rest) = file_name
        .strip_prefix(name)
        .and_then(|r| r.strip_prefix(".log"))
    else {
        return false;
    };
    rest.is_empty()
        || rest
            .strip_prefix('.')
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_address_is_read_from_the_started_line() {
        let text = "2026-11-22T03:41:51.600000Z  INFO event=\"fd_limit\" soft=1024\n\
                    2026-11-22T03:41:51.657170Z  INFO event=\"server_started\" server=\"Hands\" \
                    origin=\"Hands-1\" clients=127.0.0.1:41234 peers=127.0.0.1:12101 metrics=None\n";
        assert_eq!(started_addr(text), Some("127.0.0.1:41234".parse().unwrap()));
        assert_eq!(
            started_addr("INFO event=\"peer_up\" clients=127.0.0.1:1\n"),
            None
        );
        assert_eq!(
            started_addr("INFO event=\"server_started\" clients=nowhere\n"),
            None
        );
    }

    #[test]
    fn stats_count_rotated_logs_of_the_named_servers_only() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: &str| std::fs::write(dir.path().join(name), text).unwrap();
        write("A.log", "x event=\"peer_up\"\ny\n");
        write("A.log.1", "event=\"peer_up\"\n");
        write("A.log.x", "event=\"peer_up\"\n");
        write("AB.log", "event=\"peer_up\"\n");
        write("A.stderr", "event=\"peer_up\"\n");
        write("B.log", "event=\"peer_down\"\n");
        let stats = log_stats(dir.path(), &["A", "B"], PEER_UP).unwrap();
        assert_eq!(stats.files, 3);
        assert_eq!(stats.matching_lines, 2);
        assert_eq!(stats.bytes, 20 + 16 + 18);
    }
}
