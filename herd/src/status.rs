//! One server's health, as `STATUS` answers it: its links, its journal, its
//! load, and whether it is `degraded`.
//!
//! A server is degraded while a configured neighbour has been unreachable
//! for longer than `[limits] degraded_after_secs` (a neighbour never reached
//! counts from start), or while its journal refuses writes. Each cause is
//! spelled out in `reasons`, so an operator reading one line knows what to
//! fix. Times are POSIX seconds (wall clock) with millisecond precision; how
//! long a link has been in its state (`for_secs`) is measured on the
//! monotonic clock.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::peer::LinkView;
use crate::shared::Shared;

/// The word that starts the reply line.
pub const STATUS_VERB: &str = "STATUS";

/// A server's health.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Status {
    /// The server's name.
    pub server: String,
    /// Seconds since it started.
    pub uptime_secs: f64,
    /// True when a neighbour has been cut off longer than the threshold, or
    /// the journal has failed.
    pub degraded: bool,
    /// Why it is degraded, one cause each; empty when it is not.
    pub reasons: Vec<String>,
    /// The threshold for a cut-off neighbour, in seconds.
    pub degraded_after_secs: u64,
    /// Every configured neighbour, in name order.
    pub links: Vec<LinkStatus>,
    /// The Olympic journal.
    pub journal: JournalStatus,
    /// Clients whose location this server holds.
    pub clients: usize,
    /// Client connections open.
    pub connections: u64,
    /// The allocator's figures, when the server runs on jemalloc (the
    /// `herd` binary does).
    pub heap: Option<crate::heap::Heap>,
}

/// One neighbour's link.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinkStatus {
    /// The neighbour's name.
    pub peer: String,
    /// Whether an authenticated link is up.
    pub up: bool,
    /// When it came up or went down (or the server started, if never up).
    pub since: f64,
    /// Seconds in that state.
    pub for_secs: f64,
    /// When a full sync was last sent to the neighbour, if ever.
    pub last_sync: Option<f64>,
    /// Why the link last ended or failed to start, if it ever did.
    pub last_error: Option<String>,
}

/// The Olympic journal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JournalStatus {
    /// The journal file.
    pub path: String,
    /// False once a write, fsync or compaction failed: writes are refused.
    pub healthy: bool,
    /// Why it failed, if it did.
    pub error: Option<String>,
    /// The origin this server's own Olympic changes carry.
    pub origin: String,
    /// Records appended since start.
    pub records: u64,
    /// Batches made durable since start, one fsync each.
    pub fsyncs: u64,
    /// Records in the file now (a snapshot counts as one).
    pub records_in_file: u64,
}

impl Status {
    /// The health of the server that owns `shared`, now.
    pub fn of(shared: &Shared) -> Status {
        let after = shared.limits.degraded_after();
        let views = shared.peers.states().view();
        let journal = journal_status(shared);
        let reasons = reasons(&views, &journal, after);
        Status {
            server: shared.name.clone(),
            uptime_secs: millis(shared.metrics.uptime()),
            degraded: !reasons.is_empty(),
            reasons,
            degraded_after_secs: after.as_secs(),
            links: views.iter().map(link_status).collect(),
            journal,
            clients: shared.db.len(),
            connections: shared.metrics.connections_open(),
            heap: crate::heap::heap(),
        }
    }

    /// `STATUS <json>\n`: compact JSON, so the reply is one line.
    pub fn line(&self) -> Bytes {
        let mut out = Vec::with_capacity(512);
        out.extend_from_slice(STATUS_VERB.as_bytes());
        out.push(b' ');
        serde_json::to_writer(&mut out, self).expect("a status always serialises");
        out.push(b'\n');
        Bytes::from(out)
    }

    /// Reads a `STATUS <json>` line (terminator optional).
    pub fn parse_line(line: &str) -> Result<Status, serde_json::Error> {
        let json = line
            .strip_prefix(STATUS_VERB)
            .map(str::trim)
            .unwrap_or(line);
        serde_json::from_str(json)
    }
}

/// Why the server is degraded, if it is.
fn reasons(views: &[LinkView], journal: &JournalStatus, after: Duration) -> Vec<String> {
    let mut reasons: Vec<String> = views
        .iter()
        .filter(|view| view.cut_off(after))
        .map(|view| {
            let mut reason = format!("link to {} down for {} s", view.peer, view.for_.as_secs());
            if let Some(error) = &view.last_error {
                reason.push_str(": ");
                reason.push_str(error);
            }
            reason
        })
        .collect();
    if let Some(error) = &journal.error {
        reasons.push(format!("journal refuses writes: {error}"));
    }
    reasons
}

fn link_status(view: &LinkView) -> LinkStatus {
    LinkStatus {
        peer: view.peer.clone(),
        up: view.up,
        since: posix(view.since),
        for_secs: millis(view.for_),
        last_sync: view.last_sync.map(posix),
        last_error: view.last_error.clone(),
    }
}

fn journal_status(shared: &Shared) -> JournalStatus {
    let olympics = &shared.olympics;
    let stats = olympics.journal_stats();
    let error = olympics.journal_failure().map(str::to_owned);
    JournalStatus {
        path: olympics.journal_path().display().to_string(),
        healthy: error.is_none(),
        error,
        origin: olympics.origin().to_owned(),
        records: stats.records,
        fsyncs: stats.fsyncs,
        records_in_file: stats.records_in_file,
    }
}

/// `d` in seconds, rounded to milliseconds.
fn millis(d: Duration) -> f64 {
    d.as_millis() as f64 / 1000.0
}

/// `t` as POSIX seconds, rounded to milliseconds (0 before 1970).
fn posix(t: SystemTime) -> f64 {
    millis(t.duration_since(UNIX_EPOCH).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::peer::LinkStates;

    fn journal(error: Option<&str>) -> JournalStatus {
        JournalStatus {
            path: "data/A.journal".into(),
            healthy: error.is_none(),
            error: error.map(str::to_owned),
            origin: "A".into(),
            records: 0,
            fsyncs: 0,
            records_in_file: 0,
        }
    }

    #[test]
    fn a_neighbour_down_past_the_threshold_is_a_reason_with_its_error() {
        let states = LinkStates::new(&["B".into(), "C".into()]);
        states.note_up("C", 1);
        states.note_failure("B", &"handshake failed: authentication failed");
        std::thread::sleep(Duration::from_millis(20));
        let views = states.view();
        let got = reasons(&views, &journal(None), Duration::from_millis(10));
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(got[0].starts_with("link to B down for "), "{got:?}");
        assert!(got[0].ends_with(": handshake failed: authentication failed"));
        assert!(reasons(&views, &journal(None), Duration::from_secs(60)).is_empty());
    }

    #[test]
    fn a_failed_journal_is_a_reason() {
        let got = reasons(&[], &journal(Some("write: disk full")), Duration::ZERO);
        assert_eq!(got, ["journal refuses writes: write: disk full"]);
    }

    #[test]
    fn the_line_is_one_line_and_reads_back() {
        let status = Status {
            server: "A".into(),
            uptime_secs: 1.5,
            degraded: true,
            reasons: vec!["x\ny".into()],
            degraded_after_secs: 10,
            links: vec![],
            journal: journal(None),
            clients: 3,
            connections: 1,
            heap: None,
        };
        let line = status.line();
        let text = std::str::from_utf8(&line).unwrap();
        assert!(text.starts_with("STATUS {"), "{text}");
        assert_eq!(text.matches('\n').count(), 1, "{text}");
        assert_eq!(Status::parse_line(text).unwrap(), status);
    }
}
