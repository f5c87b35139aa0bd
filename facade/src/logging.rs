//! The facade's log file, `<log-dir>/facade-<port>.log`, set up by the
//! herd's own logging ([`base::logging`]): a writer thread that never drops
//! lines (it applies back-pressure instead), warnings also on standard error.
//!
//! Nothing the facade logs holds a Cacofonix id: request paths are redacted
//! ([`crate::api::log`]) and herd request lines are never logged, only verbs.

use std::path::Path;

pub use base::logging::{LogGuard, LoggingError, LogsConfig};

/// Libraries kept at `info` whatever `RUST_LOG` says: at debug and trace
/// levels they may log raw request URIs, which hold the Cacofonix id.
const QUIET_LIBRARIES: [&str; 5] = [
    "hyper=info",
    "hyper_util=info",
    "axum=info",
    "tower_http=info",
    "h2=info",
];

/// Installs the global subscriber writing `<dir>/facade-<port>.log`, rotated
/// as `logs` says, at `RUST_LOG` level (default `info`), through the herd's
/// log writer, with [`QUIET_LIBRARIES`] pinned. Keep the guard alive for
/// the life of the process; dropping it writes out what is queued.
pub fn init(dir: &Path, port: u16, logs: &LogsConfig) -> Result<LogGuard, LoggingError> {
    base::logging::init(dir, &format!("facade-{port}"), &QUIET_LIBRARIES, logs)
}
