//! Per-server log files.
//!
//! Each server writes one file, `<log-dir>/<NAME>.log`, through one writer
//! thread fed by a bounded queue ([`writer`]): non-blocking for the server,
//! but never lossy (a sender waits for room instead). The per-line events
//! are formatted by hand per connection ([`Events`]); everything else goes
//! through `tracing`, into the same file. Warnings and errors are also
//! copied to standard error, never to a client. Line contents are written
//! escaped ([`Escaped`]), so control bytes and invalid UTF-8 cannot forge or
//! break log lines.

mod clock;
mod events;
mod writer;

pub use events::Events;
pub use writer::LogGuard;

use std::fmt;
use std::io::IsTerminal;
use std::path::Path;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::Layer;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::fmt::time::SystemTime;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

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

/// Installs the log file `<dir>/<name>.log` at `RUST_LOG` level (default
/// `info`), plus warnings on standard error. Keep the guard alive for the
/// life of the process; dropping it writes out what is queued and stops
/// the writer.
pub fn init(dir: &Path, name: &str) -> Result<LogGuard, LoggingError> {
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
    let filter = EnvFilter::builder()
        .with_default_directive(LevelFilter::INFO.into())
        .from_env_lossy();
    // The hand-written events are all `info`: wanted if any directive lets
    // `info` through.
    let info = filter
        .max_level_hint()
        .is_none_or(|most| most >= LevelFilter::INFO);
    let guard = writer::install(file, info).ok_or(LoggingError::AlreadySet)?;
    let file_layer = tracing_subscriber::fmt::layer()
        .with_writer(writer::TracingWriter)
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

/// Appends `bytes` quoted: printable ASCII as is, everything else (and `"`,
/// `'` and `\`) escaped as [`std::ascii::escape_default`] does, so one
/// protocol line is one log field. Runs of plain bytes are copied whole.
pub(crate) fn push_escaped(out: &mut Vec<u8>, bytes: &[u8]) {
    out.push(b'"');
    // Almost every line is plain: one branch-free pass (which the compiler
    // vectorises) finds that out, and the line is copied whole.
    if !bytes
        .iter()
        .fold(false, |special, &b| special | !is_plain(b))
    {
        out.extend_from_slice(bytes);
        out.push(b'"');
        return;
    }
    let mut plain_from = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if is_plain(b) {
            continue;
        }
        out.extend_from_slice(&bytes[plain_from..i]);
        plain_from = i + 1;
        out.extend(std::ascii::escape_default(b));
    }
    out.extend_from_slice(&bytes[plain_from..]);
    out.push(b'"');
}

/// True for the bytes [`push_escaped`] copies as they are.
fn is_plain(b: u8) -> bool {
    matches!(b, b' '..=b'~') && !matches!(b, b'"' | b'\'' | b'\\')
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

    proptest::proptest! {
        #[test]
        fn push_escaped_writes_what_escaped_displays(
            bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..64)
        ) {
            let mut out = Vec::new();
            push_escaped(&mut out, &bytes);
            proptest::prop_assert_eq!(out, Escaped(&bytes).to_string().into_bytes());
        }
    }
}
