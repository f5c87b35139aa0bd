//! The `[limits]` section: every bound a client or peer could otherwise
//! push, with its default and its allowed range.

use std::time::Duration;

use serde::Deserialize;

use super::TopologyError;

/// Clients a server stores when the topology does not say
/// (`[limits] max_clients`).
pub const DEFAULT_MAX_CLIENTS: usize = 1_000_000;

/// Messages a peer link holds pending when the topology does not say
/// (`[limits] peer_queue`). A link keeps one pending location per client,
/// so a link that falls behind drops nothing while fewer clients than this
/// report; past it, what is dropped waits for anti-entropy. A pending
/// location is a shared handle to the stored one, about 40 bytes of queue
/// (2.5 MB for a full link).
pub const DEFAULT_PEER_QUEUE: usize = 65_536;

/// Longest server name, in bytes. Names travel in every `AT` line and in
/// the link handshake, so bounding them bounds the peer line limit
/// ([`Limits::peer_max_line`]).
pub const MAX_SERVER_NAME_LEN: usize = 64;

/// Default longest client ID, in bytes: DNS names, the usual IDs, are at
/// most 253.
pub const DEFAULT_MAX_CLIENT_ID: usize = 256;

/// What a peer line may hold beyond the longest client line. An `AT` line
/// made from an IAMAT of `n` bytes is at most `n + name + diff - 1` bytes
/// (`AT <name> <diff> ` replaces `IAMAT `; the rest is copied, single-spaced),
/// where the name is at most [`MAX_SERVER_NAME_LEN`] (64) and the diff at
/// most [`MAX_DIFF_LEN`](proto::timestamp::MAX_DIFF_LEN) (32) bytes: 95 bytes
/// more. A `HELLO` is at most 64 + 104 bytes. 256 covers both, with room
/// for the origin, sequence and stamp an Olympic change adds.
pub const PEER_LINE_SLACK: usize = 256;

/// Largest `limits.max_line`: keeps every line buffer, and the peer line
/// limit derived from it, within a sane bound.
pub const MAX_LINE_CEILING: usize = 16 << 20;

/// Bytes of the shortest IAMAT besides its client ID: `IAMAT`, three
/// spaces, `+0+0` and `0`. An IAMAT with the longest allowed ID must fit
/// in `limits.max_line`.
const SHORTEST_IAMAT_REST: usize = 13;

/// The `[limits]` section: every bound a client or peer could otherwise push.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Longest accepted client line in bytes, terminator excluded. Peer
    /// links accept [`Limits::peer_max_line`], a little more, so that every
    /// location taken from a client can flood.
    pub max_line: usize,
    /// Longest client ID in IAMAT and WHATSAT, in bytes: bounds the memory
    /// each stored client costs. A longer one is answered `? ` and nothing
    /// is stored.
    pub max_client_id: usize,
    /// Client connections held at once. A new client is always accepted;
    /// past this limit the connection idle the longest is closed to make
    /// room. Lowered at start if the open-file limit cannot hold it.
    pub max_connections: usize,
    /// A client connection that completes no line for this long is closed,
    /// subscribers included (they are sent `PING` first, see `ping_interval_secs`).
    pub idle_timeout_secs: u64,
    /// A reply that cannot be written within this time drops the connection.
    pub write_timeout_secs: u64,
    /// Messages queued per peer link before new ones are dropped (and
    /// counted); locations count once per client (see [`DEFAULT_PEER_QUEUE`]).
    pub peer_queue: usize,
    /// How long a WHATSAT for a client this server does not know waits for
    /// a flood to bring it before answering `?`: a client may report to one
    /// server and at once ask another, a few hops away.
    pub unknown_client_wait_ms: u64,
    /// Most clients whose location a server stores. At the cap a report
    /// for a new client is refused (`? `) while known clients keep
    /// updating; see the memory budget in `db.rs`.
    pub max_clients: usize,
    /// How often each end of a peer link compares digests of what the two
    /// servers hold and repairs what differs (anti-entropy), in ms.
    pub anti_entropy_ms: u64,
    /// A configured neighbour unreachable for longer than this makes the
    /// server `degraded` (STATUS, the facade's `/health`).
    pub degraded_after_secs: u64,
    // Holding connections: shedding, slow lines, silent subscribers.
    /// Client connections held at once from one source address; past it,
    /// that address's longest-idle connection is closed, so one address
    /// cannot shed everyone else's. Loopback is not special.
    pub max_per_source: usize,
    /// A line must be complete within this many seconds of its first byte,
    /// else the connection is closed: a client trickling bytes without a
    /// newline (slowloris) cannot hold a connection.
    pub line_timeout_secs: u64,
    /// A subscribed connection that sends nothing for this long is sent a
    /// `PING` line, which any line answers; below `idle_timeout_secs`.
    pub ping_interval_secs: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_line: 64 * 1024,
            max_client_id: DEFAULT_MAX_CLIENT_ID,
            max_connections: 1024,
            idle_timeout_secs: 300,
            write_timeout_secs: 30,
            peer_queue: DEFAULT_PEER_QUEUE,
            unknown_client_wait_ms: 50,
            max_clients: DEFAULT_MAX_CLIENTS,
            anti_entropy_ms: 1000,
            degraded_after_secs: 10,
            max_per_source: 256,
            line_timeout_secs: 10,
            ping_interval_secs: 60,
        }
    }
}

impl Limits {
    /// Longest line a peer link accepts: [`Limits::max_line`] plus
    /// [`PEER_LINE_SLACK`], so any `AT` line made from an accepted IAMAT fits.
    pub fn peer_max_line(&self) -> usize {
        self.max_line + PEER_LINE_SLACK
    }

    /// Idle timeout as a duration.
    pub fn idle_timeout(&self) -> Duration {
        Duration::from_secs(self.idle_timeout_secs)
    }

    /// The unknown-client wait as a duration.
    pub fn unknown_client_wait(&self) -> Duration {
        Duration::from_millis(self.unknown_client_wait_ms)
    }

    /// The anti-entropy interval as a duration.
    pub fn anti_entropy(&self) -> Duration {
        Duration::from_millis(self.anti_entropy_ms)
    }

    /// The degraded threshold as a duration.
    pub fn degraded_after(&self) -> Duration {
        Duration::from_secs(self.degraded_after_secs)
    }

    /// Write timeout as a duration.
    pub fn write_timeout(&self) -> Duration {
        Duration::from_secs(self.write_timeout_secs)
    }

    /// Line timeout as a duration.
    pub fn line_timeout(&self) -> Duration {
        Duration::from_secs(self.line_timeout_secs)
    }

    /// Ping interval as a duration.
    pub fn ping_interval(&self) -> Duration {
        Duration::from_secs(self.ping_interval_secs)
    }

    /// Every value within its range, and the client ID limit within the
    /// line limit.
    pub(super) fn validate(&self) -> Result<(), TopologyError> {
        let limits = self;
        let checks: [(&'static str, usize, usize, &'static str); 7] = [
            ("limits.max_line", limits.max_line, 64, "at least 64 bytes"),
            (
                "limits.max_client_id",
                limits.max_client_id,
                1,
                "at least 1",
            ),
            (
                "limits.max_connections",
                limits.max_connections,
                1,
                "at least 1",
            ),
            ("limits.peer_queue", limits.peer_queue, 1, "at least 1"),
            ("limits.max_clients", limits.max_clients, 1, "at least 1"),
            (
                "limits.anti_entropy_ms",
                usize::try_from(limits.anti_entropy_ms).unwrap_or(usize::MAX),
                10,
                "at least 10 ms",
            ),
            (
                "limits.max_per_source",
                limits.max_per_source,
                1,
                "at least 1",
            ),
        ];
        for (field, value, min, reason) in checks {
            if value < min {
                return Err(TopologyError::OutOfRange {
                    field,
                    value: value.to_string(),
                    reason,
                });
            }
        }
        if limits.max_line > MAX_LINE_CEILING {
            return Err(TopologyError::OutOfRange {
                field: "limits.max_line",
                value: limits.max_line.to_string(),
                reason: "at most 16777216 bytes",
            });
        }
        if limits.max_client_id + SHORTEST_IAMAT_REST > limits.max_line {
            return Err(TopologyError::OutOfRange {
                field: "limits.max_client_id",
                value: limits.max_client_id.to_string(),
                reason: "an IAMAT with the longest client ID must fit in limits.max_line \
                         (max_client_id + 13 <= max_line)",
            });
        }
        limits.validate_timeouts()
    }

    /// Every timeout is at least a second, and a subscriber is pinged
    /// before it could idle out.
    fn validate_timeouts(&self) -> Result<(), TopologyError> {
        let limits = self;
        let out_of_range = |field, value: u64, reason| {
            Err(TopologyError::OutOfRange {
                field,
                value: value.to_string(),
                reason,
            })
        };
        for (field, value) in [
            ("limits.idle_timeout_secs", limits.idle_timeout_secs),
            ("limits.write_timeout_secs", limits.write_timeout_secs),
            ("limits.line_timeout_secs", limits.line_timeout_secs),
            ("limits.ping_interval_secs", limits.ping_interval_secs),
        ] {
            if value == 0 {
                return out_of_range(field, value, "at least 1");
            }
        }
        if limits.ping_interval_secs >= limits.idle_timeout_secs {
            return out_of_range(
                "limits.ping_interval_secs",
                limits.ping_interval_secs,
                "less than limits.idle_timeout_secs",
            );
        }
        Ok(())
    }
}
