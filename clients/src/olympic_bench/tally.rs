//! The check after the increment load: the tally must equal what it was
//! before plus the increments the facade acknowledged, through the facade
//! and at every herd server (read over the line protocol, so replication is
//! checked too). A request that got no good reply (a 503 for a lost
//! connection, a 504, a timeout) may or may not have been applied, so with
//! any such the check allows a range instead of one number.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use tokio::time::{Instant, sleep};

use super::{MEDAL, TEAM};
use crate::connection::Connection;
use crate::olympic::facade::Facade;
use proto::client::{Command, Name, TallyQuery};
use proto::medal::Medal;
use proto::reply::Reply;
use proto::reply::frame::Shape;

/// How long the other herd servers get to catch up with the increments.
pub const CONVERGE_WAIT: Duration = Duration::from_secs(5);

/// Pause between reads while waiting for them.
const POLL: Duration = Duration::from_millis(50);

/// Tallies before and after, and what the load counted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TallyCheck {
    /// The medal's count before the load, through the facade.
    pub before: u64,
    /// Increments acknowledged (200 with `"ok": true`).
    pub acked: u64,
    /// Increments with no good reply: each may or may not have been applied.
    pub unknown: u64,
    /// The count after the load, through the facade.
    pub facade_after: u64,
    /// The count after the load at each herd server, by name.
    pub servers: BTreeMap<String, u64>,
}

impl TallyCheck {
    /// The least and the most the tally may be.
    pub fn expected(&self) -> (u64, u64) {
        let low = self.before + self.acked;
        (low, low + self.unknown)
    }

    /// Whether the facade and every server hold a count in [`Self::expected`].
    pub fn holds(&self) -> bool {
        let (low, high) = self.expected();
        std::iter::once(&self.facade_after)
            .chain(self.servers.values())
            .all(|n| (low..=high).contains(n))
    }

    /// One line: the counts and the verdict.
    pub fn describe(&self) -> String {
        let (low, high) = self.expected();
        let want = if low == high {
            format!(
                "{low} = {} before + {} acknowledged",
                self.before, self.acked
            )
        } else {
            format!(
                "{low}..={high} = {} before + {} acknowledged + up to {} unanswered",
                self.before, self.acked, self.unknown
            )
        };
        let servers: Vec<String> = self
            .servers
            .iter()
            .map(|(name, n)| format!("{name} {n}"))
            .collect();
        format!(
            "{TEAM} {MEDAL}: facade {}, herd {}; expected {want}: {}",
            self.facade_after,
            servers.join(", "),
            if self.holds() { "ok" } else { "MISMATCH" }
        )
    }
}

/// The medal's count in a `TALLY <team> gold <n> silver <n> bronze <n>`
/// reply (terminator included or not), read by `proto`.
pub fn parse_count(reply: &[u8], medal: &str) -> Option<u64> {
    let line = reply.strip_suffix(b"\n").unwrap_or(reply);
    let Some(Reply::Tally(tally)) = Reply::parse(line) else {
        return None;
    };
    Some(tally.get(Medal::parse(medal)?))
}

/// The medal's count through the facade.
pub async fn via_facade(facade: &Facade) -> anyhow::Result<u64> {
    let tally = facade.tally(TEAM).await.context("reading the tally")?;
    tally
        .medals
        .get(MEDAL)
        .copied()
        .with_context(|| format!("the tally has no {MEDAL}: {tally:?}"))
}

/// The medal's count at the herd server at `addr`.
pub async fn at_server(addr: SocketAddr) -> anyhow::Result<u64> {
    let mut conn = Connection::connect(addr).await?;
    let team = Name::new(TEAM).context("the team is one field")?;
    let request = Command::Tally(TallyQuery { team }).to_bytes();
    let reply = conn.request(&request, Shape::Line).await?;
    parse_count(&reply, MEDAL).with_context(|| {
        let line = String::from_utf8_lossy(&reply);
        format!("{addr} answered TALLY with {line:?}")
    })
}

/// Reads the counts after the load, waiting up to [`CONVERGE_WAIT`] for
/// every server to reach the least expected count.
pub async fn after(
    mut check: TallyCheck,
    facade: &Facade,
    herd: &BTreeMap<String, SocketAddr>,
) -> anyhow::Result<TallyCheck> {
    let (low, _) = check.expected();
    let deadline = Instant::now() + CONVERGE_WAIT;
    loop {
        check.facade_after = via_facade(facade).await?;
        for (name, addr) in herd {
            check.servers.insert(name.clone(), at_server(*addr).await?);
        }
        let behind = check.servers.values().any(|n| *n < low) || check.facade_after < low;
        if !behind || Instant::now() > deadline {
            return Ok(check);
        }
        sleep(POLL).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tally_lines_give_each_medal_count() {
        let line = b"TALLY Gaul gold 12 silver 3 bronze 0\n";
        assert_eq!(parse_count(line, "gold"), Some(12));
        assert_eq!(parse_count(line, "bronze"), Some(0));
        assert_eq!(parse_count(line, "tin"), None);
        assert_eq!(parse_count(b"? TALLY Gaul", "gold"), None);
        assert_eq!(parse_count(b"TALLY Gaul gold x", "gold"), None);
    }

    #[test]
    fn the_check_needs_every_count_in_range() {
        let mut c = TallyCheck {
            before: 5,
            acked: 100,
            unknown: 0,
            facade_after: 105,
            servers: [("A".into(), 105), ("B".into(), 105)].into(),
        };
        assert!(c.holds());
        assert!(
            c.describe()
                .ends_with("expected 105 = 5 before + 100 acknowledged: ok")
        );
        c.servers.insert("B".into(), 104);
        assert!(!c.holds(), "a server behind");
        c.servers.insert("B".into(), 106);
        assert!(
            !c.holds(),
            "an increment counted that was never acknowledged"
        );
        c.unknown = 2;
        assert!(c.holds());
        assert_eq!(c.expected(), (105, 107));
        c.facade_after = 108;
        assert!(!c.holds());
        assert!(c.describe().contains("up to 2 unanswered: MISMATCH"));
    }
}
