//! The herd's shape: which servers exist, where they listen, who links to whom,
//! and the optional sections (places, limits, security, olympics, logs) that
//! tune a server.
//!
//! Loaded from `topology.toml`; [`to_toml`] writes one for benchmarks and
//! tests. Every optional section has a default, so the
//! minimal file is a `links` list and one `[servers.NAME]` table per server.
//! Validation happens here, once, so the rest of the code can trust the shape.

mod clock;
mod limits;
mod raffle;
pub mod random;
mod sections;
#[cfg(test)]
mod tests;
mod write;

use std::collections::{BTreeMap, HashSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use clock::{
    ClockConfig, ClockTarget, DEFAULT_MAX_DEVIATION_MS, DEFAULT_SYNC_INTERVAL_MS, MAX_CLOCK_SKEW_MS,
};
pub use limits::{
    DEFAULT_MAX_CLIENT_ID, DEFAULT_MAX_CLIENTS, DEFAULT_PEER_QUEUE, Limits, MAX_LINE_CEILING,
    MAX_SERVER_NAME_LEN, PEER_LINE_SLACK,
};
pub use raffle::{
    DEFAULT_RAFFLE_EVERY, DEFAULT_SUSPECT_MS, MAX_SUSPECT_MS, MIN_SUSPECT_MS, RaffleConfig,
};
pub use sections::{MetricsConfig, PlacesConfig, ProviderKind, SecurityConfig};
pub use write::{merge_toml, to_toml};

use crate::logging::LogsConfig;
use olympic::OlympicsConfig;

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
pub const BUILT_IN: &str = include_str!("../../../topology.toml");

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

/// One server of the herd.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSpec {
    /// Where clients (IAMAT / WHATSAT, `nc`, telnet) connect.
    pub addr: SocketAddr,
    /// Where other herd servers connect. Kept apart from `addr` so that
    /// killing a server by its client port never touches its neighbours.
    pub peer_addr: SocketAddr,
    /// Rank in leader election: greater leads; ties go to the name that
    /// sorts last. Absent means 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<i64>,
    /// A simulated skew added to this server's system clock, in
    /// milliseconds, for tests and demos of clock synchronisation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clock_skew_ms: Option<i64>,
}

impl ServerSpec {
    /// A server at `addr` and `peer_addr`, with no priority or skew.
    pub fn new(addr: SocketAddr, peer_addr: SocketAddr) -> Self {
        Self {
            addr,
            peer_addr,
            priority: None,
            clock_skew_ms: None,
        }
    }
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
    #[serde(default)]
    clock: ClockConfig,
    #[serde(default)]
    raffle: RaffleConfig,
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
    /// The `[clock]` section: clock synchronisation.
    pub clock: ClockConfig,
    /// The `[raffle]` section: the ordered count of requests.
    pub raffle: RaffleConfig,
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
            clock: raw.clock,
            raffle: raw.raffle,
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
                || name.bytes().any(proto::fields::is_space)
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
        for spec in self.servers.values() {
            if let Some(skew) = spec.clock_skew_ms.filter(|s| s.abs() > MAX_CLOCK_SKEW_MS) {
                return Err(TopologyError::OutOfRange {
                    field: "servers.NAME.clock_skew_ms",
                    value: skew.to_string(),
                    reason: "must be within a year (31536000000 ms) either way",
                });
            }
        }
        if let Some((field, value, reason)) = self
            .clock
            .out_of_range()
            .or_else(|| self.raffle.out_of_range())
        {
            return Err(TopologyError::OutOfRange {
                field,
                value,
                reason,
            });
        }
        if let Some((field, value, reason)) = self.logs.out_of_range() {
            return Err(TopologyError::OutOfRange {
                field,
                value,
                reason,
            });
        }
        self.limits.validate()
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
