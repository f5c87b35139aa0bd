//! The herd's shape: which servers exist, where they listen, who links to whom,
//! and the optional sections (places, limits, security, olympics, logs) that
//! tune a server.
//!
//! Loaded from `topology.toml`. Every optional section has a default, so the
//! minimal file is a `links` list and one `[servers.NAME]` table per server.
//! Validation happens here, once, so the rest of the code can trust the shape.

use std::collections::{BTreeMap, HashSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::logging::LogsConfig;
use crate::metrics::MetricsConfig;
use crate::olympic::OlympicsConfig;

/// Why a topology could not be used. Each variant renders as one line that
/// names the problem, which the binary prints before exiting with status 2.
#[derive(Debug, thiserror::Error)]
pub enum TopologyError {
    /// The file could not be read at all.
    #[error("cannot read topology file {path}: {source}")]
    Unreadable {
        /// The file we tried to read.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The file is not valid TOML of the expected shape.
    #[error("topology file {path} is malformed: {message}")]
    Malformed {
        /// The file we tried to parse.
        path: PathBuf,
        /// The parser's description, flattened to one line.
        message: String,
    },
    /// The file names no servers.
    #[error("topology defines no servers")]
    Empty,
    /// A server name that cannot be used on the wire.
    #[error(
        "server name {0:?} is not usable: names are 1 to {MAX_SERVER_NAME_LEN} bytes with no white space"
    )]
    BadName(String),
    /// A name asked for (on the command line) that the topology does not define.
    #[error("unknown server {name:?}; the topology defines: {known}")]
    UnknownServer {
        /// The name asked for.
        name: String,
        /// The names that do exist, comma separated.
        known: String,
    },
    /// A link mentions a server with no `[servers.NAME]` table.
    #[error("link {a:?} - {b:?} names unknown server {unknown:?}")]
    LinkToUnknown {
        /// First end of the link.
        a: String,
        /// Second end of the link.
        b: String,
        /// The end that is not defined.
        unknown: String,
    },
    /// A server linked to itself.
    #[error("server {0:?} is linked to itself")]
    SelfLink(String),
    /// `[metrics] listen` names a server the topology does not define.
    #[error("[metrics] listen names unknown server {0:?}")]
    MetricsForUnknown(String),
    /// Two listeners share one address.
    #[error("address {addr} is used twice ({first} and {second})")]
    DuplicateAddress {
        /// The shared address.
        addr: SocketAddr,
        /// The first user of the address, as `server.field`.
        first: String,
        /// The second user of the address, as `server.field`.
        second: String,
    },
    /// An option holds a value outside its allowed range.
    #[error("{field} = {value} is out of range: {reason}")]
    OutOfRange {
        /// The dotted path of the option.
        field: &'static str,
        /// The value found.
        value: String,
        /// The allowed range, in words.
        reason: &'static str,
    },
}

/// The topology used when none is named and [`DEFAULT_FILE`] does not
/// exist: five servers on 127.0.0.1 ports 12000-12004 (clients) and
/// 12100-12104 (links), local places. It is this repository's
/// `topology.toml`, so `herd Goloman` and `facade --herd Goloman` work from
/// any folder.
pub const BUILT_IN: &str = include_str!("../../topology.toml");

/// The topology file read when none is named, relative to the working
/// directory.
pub const DEFAULT_FILE: &str = "topology.toml";

/// The topology file to read: `named`, else [`DEFAULT_FILE`] if it exists;
/// `None` means the [`BUILT_IN`] one.
pub fn file_to_read(named: Option<&Path>) -> Option<PathBuf> {
    match named {
        Some(path) => Some(path.to_owned()),
        None => Path::new(DEFAULT_FILE)
            .exists()
            .then(|| PathBuf::from(DEFAULT_FILE)),
    }
}

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
/// most [`MAX_DIFF_LEN`](crate::timestamp::MAX_DIFF_LEN) (32) bytes: 95 bytes
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

/// One server of the herd.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSpec {
    /// Where clients (IAMAT / WHATSAT, `nc`, telnet) connect.
    pub addr: SocketAddr,
    /// Where other herd servers connect. Kept apart from `addr` so that
    /// killing a server by its client port never touches its neighbours.
    pub peer_addr: SocketAddr,
}

/// Which Places provider answers WHATSAT.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum ProviderKind {
    /// Offline GeoNames cities shipped with the binary.
    #[default]
    Local,
    /// Google Places legacy Nearby Search.
    Google,
    /// Google Places API (New) `places:searchNearby`, converted to the legacy shape.
    GoogleNew,
}

impl ProviderKind {
    /// The spelling in the topology and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Local => "local",
            Self::Google => "google",
            Self::GoogleNew => "google-new",
        }
    }
}

impl std::str::FromStr for ProviderKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "local" => Ok(Self::Local),
            "google" => Ok(Self::Google),
            "google-new" => Ok(Self::GoogleNew),
            other => Err(format!(
                "unknown places provider {other:?} (expected local, google or google-new)"
            )),
        }
    }
}

/// The `[places]` section.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PlacesConfig {
    /// The provider used for WHATSAT.
    pub provider: ProviderKind,
    /// Overrides the upstream base URL (scheme, host, port), so tests and
    /// proxies can stand in for Google. `None` means Google's own host.
    pub base_url: Option<String>,
    /// How long one upstream request may take before WHATSAT answers with an
    /// error status instead.
    pub timeout_ms: u64,
}

impl Default for PlacesConfig {
    fn default() -> Self {
        Self {
            provider: ProviderKind::Local,
            base_url: None,
            timeout_ms: 5_000,
        }
    }
}

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
    /// Messages queued per peer link before new ones are dropped (and counted).
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
            peer_queue: 4096,
            unknown_client_wait_ms: 50,
            max_clients: crate::db::DEFAULT_MAX_CLIENTS,
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
}

/// The `[security]` section.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct SecurityConfig {
    /// File holding the herd's shared link key. `HERD_KEY` in the environment
    /// wins over it; with neither, a documented local default is used with a
    /// warning. A relative path is taken relative to the topology file.
    pub key_file: Option<PathBuf>,
    /// File holding the Cacofonix id that authorises Olympic writes.
    /// `CACOFONIX_ID` in the environment wins over it; with neither, a
    /// documented local default is used with a warning. Relative to the
    /// topology file.
    pub cacofonix_file: Option<PathBuf>,
}

/// The whole file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTopology {
    #[serde(default)]
    links: Vec<(String, String)>,
    #[serde(default)]
    servers: BTreeMap<String, ServerSpec>,
    #[serde(default)]
    places: PlacesConfig,
    #[serde(default)]
    limits: Limits,
    #[serde(default)]
    security: SecurityConfig,
    #[serde(default)]
    olympics: OlympicsConfig,
    #[serde(default)]
    metrics: MetricsConfig,
    #[serde(default)]
    logs: LogsConfig,
}

/// A validated topology.
#[derive(Debug, Clone)]
pub struct Topology {
    /// Servers by name, in name order.
    pub servers: BTreeMap<String, ServerSpec>,
    /// Links, each listed once with its ends in the order written.
    pub links: Vec<(String, String)>,
    /// The `[places]` section.
    pub places: PlacesConfig,
    /// The `[limits]` section.
    pub limits: Limits,
    /// The `[security]` section, with file paths made absolute.
    pub security: SecurityConfig,
    /// The `[olympics]` section: teams and events.
    pub olympics: OlympicsConfig,
    /// The `[metrics]` section: which servers serve Prometheus metrics.
    pub metrics: MetricsConfig,
    /// The `[logs]` section: log file rotation.
    pub logs: LogsConfig,
}

impl Topology {
    /// Reads and validates a topology file.
    pub fn load(path: &Path) -> Result<Self, TopologyError> {
        let text = std::fs::read_to_string(path).map_err(|source| TopologyError::Unreadable {
            path: path.to_owned(),
            source,
        })?;
        let mut topology = Self::parse(&text).map_err(|e| match e {
            TopologyError::Malformed { message, .. } => TopologyError::Malformed {
                path: path.to_owned(),
                message,
            },
            other => other,
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        for file in [
            &mut topology.security.key_file,
            &mut topology.security.cacofonix_file,
        ] {
            if let Some(relative) = file.as_ref().filter(|p| p.is_relative()) {
                *file = Some(base.join(relative));
            }
        }
        Ok(topology)
    }

    /// Reads the topology [`file_to_read`] picks, or parses the built-in one.
    pub fn load_default(named: Option<&Path>) -> Result<Self, TopologyError> {
        match file_to_read(named) {
            Some(path) => Self::load(&path),
            None => Self::parse(BUILT_IN),
        }
    }

    /// Parses and validates topology text.
    pub fn parse(text: &str) -> Result<Self, TopologyError> {
        let raw: RawTopology = toml::from_str(text).map_err(|e| TopologyError::Malformed {
            path: PathBuf::from("<text>"),
            message: e.message().replace('\n', " "),
        })?;
        let topology = Self {
            servers: raw.servers,
            links: raw.links,
            places: raw.places,
            limits: raw.limits,
            security: raw.security,
            olympics: raw.olympics,
            metrics: raw.metrics,
            logs: raw.logs,
        };
        topology.validate()?;
        Ok(topology)
    }

    fn validate(&self) -> Result<(), TopologyError> {
        if self.servers.is_empty() {
            return Err(TopologyError::Empty);
        }
        for name in self.servers.keys() {
            if name.is_empty()
                || name.len() > MAX_SERVER_NAME_LEN
                || name.bytes().any(crate::parse::is_space)
            {
                return Err(TopologyError::BadName(name.clone()));
            }
        }
        for (a, b) in &self.links {
            for end in [a, b] {
                if !self.servers.contains_key(end) {
                    return Err(TopologyError::LinkToUnknown {
                        a: a.clone(),
                        b: b.clone(),
                        unknown: end.clone(),
                    });
                }
            }
            if a == b {
                return Err(TopologyError::SelfLink(a.clone()));
            }
        }
        if let Some(unknown) = (self.metrics.listen.keys()).find(|n| !self.servers.contains_key(*n))
        {
            return Err(TopologyError::MetricsForUnknown(unknown.clone()));
        }
        let mut seen: BTreeMap<SocketAddr, String> = BTreeMap::new();
        for (name, spec) in &self.servers {
            let metrics = self.metrics.listen_of(name).map(|addr| ("metrics", addr));
            for (field, addr) in [("addr", spec.addr), ("peer_addr", spec.peer_addr)]
                .into_iter()
                .chain(metrics)
            {
                let here = format!("{name}.{field}");
                // Port 0 asks the OS for a free port, so it can repeat.
                if addr.port() == 0 {
                    continue;
                }
                if let Some(first) = seen.insert(addr, here.clone()) {
                    return Err(TopologyError::DuplicateAddress {
                        addr,
                        first,
                        second: here,
                    });
                }
            }
        }
        self.validate_limits()
    }

    /// Every `[limits]` and `[logs]` value within its range, and the client
    /// ID limit within the line limit.
    fn validate_limits(&self) -> Result<(), TopologyError> {
        let limits = &self.limits;
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
        if let Some((field, value, reason)) = self.logs.out_of_range() {
            return Err(TopologyError::OutOfRange {
                field,
                value,
                reason,
            });
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
        self.validate_timeouts()
    }

    /// Every timeout is at least a second, and a subscriber is pinged
    /// before it could idle out.
    fn validate_timeouts(&self) -> Result<(), TopologyError> {
        let limits = &self.limits;
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

    /// Looks up one server, or says which names exist.
    pub fn server(&self, name: &str) -> Result<&ServerSpec, TopologyError> {
        self.servers
            .get(name)
            .ok_or_else(|| TopologyError::UnknownServer {
                name: name.to_owned(),
                known: self.servers.keys().cloned().collect::<Vec<_>>().join(", "),
            })
    }

    /// The neighbours of `name`, each once, in name order.
    pub fn neighbours(&self, name: &str) -> Vec<String> {
        let mut set = HashSet::new();
        for (a, b) in &self.links {
            if a == name {
                set.insert(b.clone());
            } else if b == name {
                set.insert(a.clone());
            }
        }
        let mut out: Vec<String> = set.into_iter().collect();
        out.sort();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIVE: &str = r#"
links = [["Goloman","Hands"], ["Goloman","Holiday"], ["Goloman","Wilkes"],
         ["Hands","Wilkes"], ["Holiday","Welsh"], ["Holiday","Wilkes"]]
[servers.Goloman]
addr = "127.0.0.1:12000"
peer_addr = "127.0.0.1:12100"
[servers.Hands]
addr = "127.0.0.1:12001"
peer_addr = "127.0.0.1:12101"
[servers.Holiday]
addr = "127.0.0.1:12002"
peer_addr = "127.0.0.1:12102"
[servers.Welsh]
addr = "127.0.0.1:12003"
peer_addr = "127.0.0.1:12103"
[servers.Wilkes]
addr = "127.0.0.1:12004"
peer_addr = "127.0.0.1:12104"
"#;

    #[test]
    fn five_server_topology_has_expected_neighbours() {
        let t = Topology::parse(FIVE).unwrap();
        assert_eq!(t.neighbours("Goloman"), ["Hands", "Holiday", "Wilkes"]);
        assert_eq!(t.neighbours("Welsh"), ["Holiday"]);
        assert_eq!(t.places.provider, ProviderKind::Local);
        assert_eq!(t.limits.max_line, 64 * 1024);
    }

    #[test]
    fn link_to_unknown_server_is_named() {
        let text = FIVE.replace(r#"["Holiday","Welsh"]"#, r#"["Holiday","Nobody"]"#);
        let err = Topology::parse(&text).unwrap_err().to_string();
        assert!(err.contains("\"Nobody\""), "{err}");
    }

    #[test]
    fn self_link_is_rejected() {
        let text = FIVE.replace(r#"["Hands","Wilkes"]"#, r#"["Hands","Hands"]"#);
        let err = Topology::parse(&text).unwrap_err();
        assert!(
            matches!(err, TopologyError::SelfLink(ref n) if n == "Hands"),
            "{err}"
        );
    }

    #[test]
    fn duplicate_address_is_rejected() {
        let text = FIVE.replace("127.0.0.1:12104", "127.0.0.1:12000");
        let err = Topology::parse(&text).unwrap_err().to_string();
        assert!(err.contains("127.0.0.1:12000"), "{err}");
        assert!(err.contains("Goloman.addr"), "{err}");
    }

    #[test]
    fn names_that_would_not_fit_a_peer_line_are_rejected() {
        let long = "W".repeat(MAX_SERVER_NAME_LEN + 1);
        let text = FIVE.replace("Welsh", &long);
        let err = Topology::parse(&text).unwrap_err();
        assert!(
            matches!(err, TopologyError::BadName(ref n) if *n == long),
            "{err}"
        );
        let text = format!("{FIVE}\n[limits]\nmax_line = 100\nmax_client_id = 87\n");
        assert_eq!(Topology::parse(&text).unwrap().limits.peer_max_line(), 356);
        let text = format!("{FIVE}\n[limits]\nmax_line = 100\nmax_client_id = 88\n");
        assert!(Topology::parse(&text).is_err());
    }

    #[test]
    fn unknown_server_lists_known_ones() {
        let t = Topology::parse(FIVE).unwrap();
        let err = t.server("Nope").unwrap_err().to_string();
        assert!(err.contains("Goloman, Hands"), "{err}");
    }

    #[test]
    fn malformed_file_is_one_line() {
        let err = Topology::parse("links = [").unwrap_err().to_string();
        assert!(!err.contains('\n'), "{err}");
    }

    #[test]
    fn metrics_listeners_are_opt_in_per_server() {
        let text = format!("{FIVE}\n[metrics]\nlisten = {{ Goloman = \"127.0.0.1:9100\" }}\n");
        let t = Topology::parse(&text).unwrap();
        assert_eq!(
            t.metrics.listen_of("Goloman"),
            Some("127.0.0.1:9100".parse().unwrap())
        );
        assert_eq!(t.metrics.listen_of("Hands"), None);
        assert_eq!(t.limits.degraded_after_secs, 10);
    }

    #[test]
    fn metrics_listener_of_an_unknown_server_or_on_a_used_address_is_rejected() {
        let unknown = format!("{FIVE}\n[metrics]\nlisten = {{ Nobody = \"127.0.0.1:9100\" }}\n");
        let err = Topology::parse(&unknown).unwrap_err();
        assert!(
            matches!(err, TopologyError::MetricsForUnknown(ref n) if n == "Nobody"),
            "{err}"
        );
        let clash = format!("{FIVE}\n[metrics]\nlisten = {{ Hands = \"127.0.0.1:12000\" }}\n");
        let err = Topology::parse(&clash).unwrap_err().to_string();
        assert!(err.contains("Hands.metrics"), "{err}");
    }

    #[test]
    fn zero_timeouts_and_a_ping_interval_past_the_idle_timeout_are_rejected() {
        for (limits, field) in [
            ("line_timeout_secs = 0", "limits.line_timeout_secs"),
            ("idle_timeout_secs = 0", "limits.idle_timeout_secs"),
            (
                "idle_timeout_secs = 30\nping_interval_secs = 30",
                "limits.ping_interval_secs",
            ),
            ("max_per_source = 0", "limits.max_per_source"),
        ] {
            let text = format!("{FIVE}\n[limits]\n{limits}\n");
            let err = Topology::parse(&text).unwrap_err().to_string();
            assert!(err.starts_with(field), "{limits}: {err}");
        }
    }

    #[test]
    fn provider_names_parse() {
        assert_eq!("google-new".parse(), Ok(ProviderKind::GoogleNew));
        let text = format!("{FIVE}\n[places]\nprovider = \"google\"\n");
        assert_eq!(
            Topology::parse(&text).unwrap().places.provider,
            ProviderKind::Google
        );
    }
}
