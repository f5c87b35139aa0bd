//! Per-server log files.
//!
//! Each server writes one file, `<log-dir>/<NAME>.log`, through a
//! non-blocking writer that never drops lines (it applies back-pressure
//! instead). Warnings and errors are also copied to standard error, never to
//! a client. Line contents are written with [`Escaped`], so control bytes and
//! invalid UTF-8 cannot forge or break log lines.

use std::fmt;
use std::io::IsTerminal;
use std::path::Path;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::Layer;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::fmt::time::SystemTime;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// Lines buffered between the server and the writer thread before logging
/// callers wait for the writer.
const LOG_BUFFER_LINES: usize = 64 * 1024;

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

/// Installs the global subscriber: `<dir>/<name>.log` at `RUST_LOG` level
/// (default `info`), plus warnings on standard error. Keep the guard alive
/// for the life of the process; dropping it flushes the file.
pub fn init(dir: &Path, name: &str) -> Result<WorkerGuard, LoggingError> {
    let open_err = |source| LoggingError::Open {
        dir: dir.display().to_string(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(open_err)?;
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join(format!("{name}.log")))
        .map_err(open_err)?;
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .lossy(false)
        .buffered_lines_limit(LOG_BUFFER_LINES)
        .finish(file);
    let filter = EnvFilter::builder()
        .with_default_directive(LevelFilter::INFO.into())
        .from_env_lossy();
    let file_layer = tracing_subscriber::fmt::layer()
        .with_writer(writer)
        .with_ansi(false)
        .with_timer(SystemTime)
        .with_target(false)
        .with_filter(filter);
    let stderr_layer = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .with_filter(LevelFilter::WARN);
    tracing_subscriber::registry()
        .with(file_layer)
        .with(stderr_layer)
        .try_init()
        .map_err(|_| LoggingError::AlreadySet)?;
    Ok(guard)
}

/// Displays bytes as a quoted string: printable ASCII as is, everything else
/// (and `"` and `\`) escaped, so one protocol line is one log field.
pub struct Escaped<'a>(pub &'a [u8]);

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"")?;
        for &b in self.0 {
            for c in std::ascii::escape_default(b) {
                fmt::Write::write_char(f, char::from(c))?;
            }
        }
        f.write_str("\"")
    }
}

impl fmt::Debug for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaped_keeps_text_and_escapes_the_rest() {
        let shown = Escaped(b"AT a \"b\"\n\xff").to_string();
        assert_eq!(shown, r#""AT a \"b\"\n\xff""#);
    }
}
