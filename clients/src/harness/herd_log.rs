//! What the harness reads from the herd servers' log files (`NAME.log` in
//! the run directory; see the README's Logs section): the client address
//! a server started on, links coming up, and totals over the whole run.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;

/// How a log line says a server started listening.
pub const SERVER_STARTED: &str = "event=\"server_started\"";

/// How a log line says a link came up.
pub const PEER_UP: &str = "event=\"peer_up\"";

/// The field of [`SERVER_STARTED`] that holds the client address.
const CLIENTS_FIELD: &str = "clients=";

/// The field of [`SERVER_STARTED`] that holds the metrics address, or `none`.
const METRICS_FIELD: &str = "metrics=";

/// Bytes read from the start of a log to find [`SERVER_STARTED`], which
/// is among its first lines.
const START_SCAN: u64 = 64 * 1024;

/// Where a server said it listens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Started {
    /// The client address.
    pub clients: SocketAddr,
    /// The metrics address, if it serves metrics.
    pub metrics: Option<SocketAddr>,
}

/// The addresses in the [`SERVER_STARTED`] line of `text`, once it has a
/// client address.
pub fn started(text: &str) -> Option<Started> {
    let line = text.lines().find(|line| line.contains(SERVER_STARTED))?;
    let field = |name: &str| -> Option<SocketAddr> {
        let value = (line.split_ascii_whitespace()).find_map(|field| field.strip_prefix(name))?;
        value.trim_matches('"').parse().ok()
    };
    Some(Started {
        clients: field(CLIENTS_FIELD)?,
        metrics: field(METRICS_FIELD),
    })
}

/// The addresses server `name` logged in `dir`, once it has.
pub fn read_started(dir: &Path, name: &str) -> Option<Started> {
    let file = File::open(dir.join(format!("{name}.log"))).ok()?;
    let mut text = String::new();
    file.take(START_SCAN).read_to_string(&mut text).ok()?;
    started(&text)
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
    for path in log_files(dir, names)? {
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

/// The total size of the log files of the servers `names` in `dir`,
/// without reading them.
pub fn log_bytes<S: AsRef<str>>(dir: &Path, names: &[S]) -> anyhow::Result<u64> {
    let mut bytes = 0;
    for path in log_files(dir, names)? {
        let meta =
            std::fs::metadata(&path).with_context(|| format!("reading {}", path.display()))?;
        bytes += meta.len();
    }
    Ok(bytes)
}

/// The log files of the servers `names` in `dir`, rotated ones included.
fn log_files<S: AsRef<str>>(dir: &Path, names: &[S]) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        let Some(file_name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if names.iter().any(|n| is_log_of(file_name, n.as_ref())) {
            files.push(path);
        }
    }
    Ok(files)
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
                    origin=\"Hands-1\" clients=127.0.0.1:41234 peers=127.0.0.1:12101 metrics=none\n";
        let addr = |text: &str| started(text).map(|s| s.clients);
        assert_eq!(addr(text), Some("127.0.0.1:41234".parse().unwrap()));
        assert_eq!(started(text).unwrap().metrics, None);
        let with_metrics =
            "INFO event=\"server_started\" clients=127.0.0.1:1 metrics=127.0.0.1:2\n";
        let metrics = started(with_metrics).unwrap().metrics;
        assert_eq!(metrics, Some("127.0.0.1:2".parse().unwrap()));
        assert_eq!(addr("INFO event=\"peer_up\" clients=127.0.0.1:1\n"), None);
        assert_eq!(
            addr("INFO event=\"server_started\" clients=nowhere\n"),
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
        assert_eq!(log_bytes(dir.path(), &["A", "B"]).unwrap(), stats.bytes);
        assert_eq!(stats.files, 3);
        assert_eq!(stats.matching_lines, 2);
        assert_eq!(stats.bytes, 20 + 16 + 18);
    }
}
