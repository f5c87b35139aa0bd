//! Per-server log files.
//!
//! Each server writes one file, `<log-dir>/<NAME>.log`, through one writer
//! thread fed by a bounded queue ([`writer`]): non-blocking for the server,
//! but never lossy (a sender waits for room instead). The file rotates by
//! size, keeping a bounded number of old ones ([`LogsConfig`]). The per-line events
//! are formatted by hand per connection ([`Events`]); everything else goes
//! through `tracing`, into the same file. Warnings and errors are also
//! copied to standard error, never to a client. Line contents are written
//! escaped ([`Escaped`]), so control bytes and invalid UTF-8 cannot forge or
//! break log lines.

mod clock;
mod events;
mod rotation;
mod writer;

pub use clock::{now, use_clock};
pub use events::Events;
pub use rotation::{DEFAULT_KEEP, DEFAULT_MAX_BYTES, LogsConfig};
pub use writer::LogGuard;

use std::fmt;
use std::io::IsTerminal;
use std::path::Path;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::Layer;
use tracing_subscriber::filter::LevelFilter;
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
    /// A pinned filter directive does not parse.
    #[error("bad log filter directive {0:?}")]
    BadDirective(String),
}

/// Installs the log file `<dir>/<name>.log`, rotated as `logs` says, at
/// `RUST_LOG` level (default `info`), plus warnings on standard error.
/// `pinned` holds filter directives (`"hyper=info"`) that apply whatever
/// `RUST_LOG` says, for libraries that must never log more. Keep the guard
/// alive for the life of the process; dropping it writes out what is
/// queued and stops the writer.
pub fn init(
    dir: &Path,
    name: &str,
    pinned: &[&str],
    logs: &LogsConfig,
) -> Result<LogGuard, LoggingError> {
    let open_err = |source| LoggingError::Open {
        dir: dir.display().to_string(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(open_err)?;
    let file = rotation::RotatingFile::open(&dir.join(format!("{name}.log")), logs.clone())
        .map_err(open_err)?;
    let mut filter = EnvFilter::builder()
        .with_default_directive(LevelFilter::INFO.into())
        .from_env_lossy();
    for directive in pinned {
        let directive = directive
            .parse()
            .map_err(|_| LoggingError::BadDirective((*directive).to_owned()))?;
        filter = filter.add_directive(directive);
    }
    // The hand-written events are all `info`: wanted if any directive lets
    // `info` through.
    let info = filter
        .max_level_hint()
        .is_none_or(|most| most >= LevelFilter::INFO);
    let guard = writer::install(file, info).ok_or(LoggingError::AlreadySet)?;
    let file_layer = tracing_subscriber::fmt::layer()
        .with_writer(writer::TracingWriter)
        .with_ansi(false)
        .with_timer(clock::SyncedTimer)
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
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    let mut rest = bytes;
    loop {
        let run = plain_run(rest);
        out.extend_from_slice(&rest[..run]);
        match rest.get(run) {
            Some(&special) => {
                out.extend(std::ascii::escape_default(special));
                rest = &rest[run + 1..];
            }
            None => break,
        }
    }
    out.push(b'"');
}

/// Length of the plain prefix of `bytes`. Lines are almost all plain (a
/// reply's only special byte is its final newline), so this tests eight
/// bytes at a time, then finds the exact place byte by byte.
fn plain_run(bytes: &[u8]) -> usize {
    let mut at = 0;
    while let Some(word) = bytes.get(at..at + 8) {
        let word = u64::from_le_bytes(word.try_into().expect("eight bytes"));
        if has_special(word) {
            break;
        }
        at += 8;
    }
    at + bytes[at..]
        .iter()
        .take_while(|&&b| PLAIN[usize::from(b)])
        .count()
}

/// True when some byte of `word` is not plain. Each test is the exact
/// "some byte is zero / below / above" bit trick, so there is no false
/// negative (and a false positive would only cost the byte-by-byte look).
fn has_special(word: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let has_zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
    let below_space = word.wrapping_sub(ONES * 0x20) & !word & HIGH;
    let above_tilde = (word.wrapping_add(ONES) | word) & HIGH;
    (below_space
        | above_tilde
        | has_zero(word ^ (ONES * u64::from(b'"')))
        | has_zero(word ^ (ONES * u64::from(b'\'')))
        | has_zero(word ^ (ONES * u64::from(b'\\'))))
        != 0
}

/// [`is_plain`] for every byte value.
const PLAIN: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = is_plain(b as u8);
        b += 1;
    }
    table
};

/// True for the bytes [`push_escaped`] copies as they are.
const fn is_plain(b: u8) -> bool {
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

    #[test]
    fn a_word_with_any_special_byte_anywhere_is_special() {
        for b in 0..=255u8 {
            for at in 0..8 {
                for fill in [b'a', b' ', b'~', b'!'] {
                    let mut word = [fill; 8];
                    word[at] = b;
                    assert_eq!(
                        has_special(u64::from_le_bytes(word)),
                        !is_plain(b),
                        "byte {b:#x} at {at} among {fill:#x}"
                    );
                }
            }
        }
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

        #[test]
        fn push_escaped_handles_mostly_plain_lines_like_escaped(
            line in "[ -~]{0,60}[\"\\\n\r\x01\u{e9}]?[ -~]{0,40}\n?"
        ) {
            let mut out = Vec::new();
            push_escaped(&mut out, line.as_bytes());
            proptest::prop_assert_eq!(out, Escaped(line.as_bytes()).to_string().into_bytes());
        }
    }
}
