//! The facade's log file, `<log-dir>/facade-<port>.log`, written through a
//! non-blocking writer that never drops lines (it applies back-pressure
//! instead). Warnings and errors are also copied to standard error.
//!
//! Nothing the facade logs holds a Cacofonix id: request paths are redacted
//! ([`crate::api::log`]) and herd request lines are never logged, only verbs.

use std::path::Path;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::Layer;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::fmt::time::SystemTime;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// Lines buffered for the writer thread before logging callers wait.
const LOG_BUFFER_LINES: usize = 64 * 1024;

/// Libraries kept at `info` whatever `RUST_LOG` says: at debug and trace
/// levels they may log raw request URIs, which hold the Cacofonix id.
const QUIET_LIBRARIES: [&str; 5] = [
    "hyper=info",
    "hyper_util=info",
    "axum=info",
    "tower_http=info",
    "h2=info",
];

/// Errors setting up logging.
#[derive(Debug, thiserror::Error)]
pub enum LoggingError {
    /// The log directory could not be created or the file opened.
    #[error("cannot open log file in {dir}: {source}")]
    Open {
        /// The log directory.
        dir: String,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// A global subscriber was already installed.
    #[error("logging is already initialised")]
    AlreadySet,
}

/// Installs the global subscriber writing `<dir>/facade-<port>.log` at
/// `RUST_LOG` level (default `info`). Keep the guard alive for the life of the
/// process; dropping it flushes the file.
pub fn init(dir: &Path, port: u16) -> Result<WorkerGuard, LoggingError> {
    let open_err = |source| LoggingError::Open {
        dir: dir.display().to_string(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(open_err)?;
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join(format!("facade-{port}.log")))
        .map_err(open_err)?;
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .lossy(false)
        .buffered_lines_limit(LOG_BUFFER_LINES)
        .finish(file);
    let mut filter = EnvFilter::builder()
        .with_default_directive(LevelFilter::INFO.into())
        .from_env_lossy();
    for directive in QUIET_LIBRARIES {
        filter = filter.add_directive(directive.parse().expect("a valid directive"));
    }
    let file_layer = tracing_subscriber::fmt::layer()
        .with_writer(writer)
        .with_ansi(false)
        .with_timer(SystemTime)
        .with_target(false)
        .with_filter(filter);
    let stderr_layer = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_filter(LevelFilter::WARN);
    tracing_subscriber::registry()
        .with(file_layer)
        .with(stderr_layer)
        .try_init()
        .map_err(|_| LoggingError::AlreadySet)?;
    Ok(guard)
}
