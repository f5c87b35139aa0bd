//! The reply to `STATUS`: `STATUS` and one server's health as compact JSON,
//! on one line (docs/PROTOCOL.md, "Health", says what every field means).
//! The server fills it in; this is only its shape on the wire.

use bytes::{BufMut, Bytes};
use serde::{Deserialize, Serialize};

use crate::fields::{fields, rest_after};

/// The first field of the line.
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
    pub heap: Option<Heap>,
    /// Leader, term, clock offset and majority (absent from servers that
    /// do not coordinate, read as the defaults).
    #[serde(flatten, default)]
    pub coordination: CoordStatus,
}

/// What the server knows of the election and its clock.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CoordStatus {
    /// The leader of this server's side, if known.
    #[serde(default)]
    pub leader: Option<String>,
    /// The newest election term the server knows.
    #[serde(default)]
    pub term: u64,
    /// What it adds to its system clock, in nanoseconds.
    #[serde(default)]
    pub offset_ns: i64,
    /// Whether its side holds a majority of the configured servers.
    #[serde(default)]
    pub majority: bool,
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

/// The allocator's figures, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Heap {
    /// Bytes the program has allocated and not freed.
    pub allocated: u64,
    /// Bytes of memory the allocator holds in physical pages.
    pub resident: u64,
}

impl Status {
    /// Appends `STATUS <json>`, without a terminator: compact JSON, so the
    /// reply is one line.
    pub fn write(&self, out: &mut impl BufMut) {
        out.put_slice(STATUS_VERB.as_bytes());
        out.put_u8(b' ');
        serde_json::to_writer(out.writer(), self).expect("a status always serialises");
    }

    /// `STATUS <json>\n` as one buffer.
    pub fn line(&self) -> Bytes {
        let mut out = Vec::with_capacity(512);
        self.write(&mut out);
        out.push(b'\n');
        Bytes::from(out)
    }

    /// The JSON text of a `STATUS <json>` line (terminator removed), for a
    /// reader that passes it on untyped; `None` if the line is not one.
    pub fn json_text(line: &[u8]) -> Option<&[u8]> {
        let mut it = fields(line);
        if it.next()? != STATUS_VERB.as_bytes() {
            return None;
        }
        rest_after(line, 1)
    }

    /// Reads a `STATUS <json>` line (terminator and the verb optional).
    pub fn parse_line(line: &str) -> Result<Status, serde_json::Error> {
        let json = line
            .strip_prefix(STATUS_VERB)
            .map(str::trim)
            .unwrap_or(line);
        serde_json::from_str(json)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_json_of_a_status_line_is_what_follows_the_verb() {
        assert_eq!(
            Status::json_text(b"STATUS {\"server\": \"A\"} "),
            Some(&b"{\"server\": \"A\"}"[..])
        );
        assert_eq!(Status::json_text(b"STATUS"), Some(&b""[..]));
        for other in [&b"STATUSX {}"[..], b"TALLY Gaul", b""] {
            assert_eq!(Status::json_text(other), None, "{other:?}");
        }
    }
}
