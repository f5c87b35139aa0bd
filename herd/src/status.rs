//! One server's health, as `STATUS` answers it: its links, its journal, its
//! load, and whether it is `degraded`. The shape of the reply is
//! [`proto::reply::status`]; this module fills it in.
//!
//! A server is degraded while a configured neighbour has been unreachable
//! for longer than `[limits] degraded_after_secs` (a neighbour never reached
//! counts from start), or while its journal refuses writes. Each cause is
//! spelled out in `reasons`, so an operator reading one line knows what to
//! fix. Times are POSIX seconds (wall clock) with millisecond precision; how
//! long a link has been in its state (`for_secs`) is measured on the
//! monotonic clock.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::peer::LinkView;
use crate::shared::Shared;

pub use proto::reply::status::{CoordStatus, JournalStatus, LinkStatus, STATUS_VERB, Status};

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
        coordination: coord_status(shared),
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

fn coord_status(shared: &Shared) -> CoordStatus {
    let view = shared.coord.view();
    CoordStatus {
        leader: view.leader,
        term: view.term,
        offset_ns: view.offset_ns,
        majority: view.majority,
    }
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
}
