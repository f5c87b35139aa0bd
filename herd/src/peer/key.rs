//! The herd's shared link key: where it comes from, and the rule that it is
//! never printed.
//!
//! Every server of a herd holds the same key; links prove knowledge of it in
//! the handshake (see [`super::handshake`]). Sources, first match wins:
//!
//! 1. the `HERD_KEY` environment variable;
//! 2. the file named by `[security] key_file` in the topology;
//! 3. [`LOCAL_DEFAULT_KEY`], a published constant that only keeps a herd on
//!    one machine working out of the box. It authenticates nothing, so using
//!    it logs a warning (once per process; under `herd up`, which prints one
//!    summary for the herd, it is logged at `info` in the server's file).
//!
//! Keys from the environment or a file have surrounding white space trimmed,
//! so a trailing newline in the file does not change the key.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use base::topology::SecurityConfig;

/// The environment variable that holds the key; it wins over the topology.
pub const KEY_ENV: &str = "HERD_KEY";

/// The key used when neither `HERD_KEY` nor `[security] key_file` gives one.
/// It is public knowledge: fine for a herd on loopback, worthless elsewhere.
pub const LOCAL_DEFAULT_KEY: &str = "herd-local-default-key-do-not-use-in-production";

/// What is logged when the local default key is used.
const DEFAULT_KEY_WARNING: &str = "no HERD_KEY and no [security] key_file: using the built-in \
     local default key, which authenticates nothing";

/// Set once the local-default warning has been logged.
static WARNED_DEFAULT: AtomicBool = AtomicBool::new(false);

/// Why no key could be loaded. No variant carries key material.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// `HERD_KEY` is set but holds only white space.
    #[error("{KEY_ENV} is set but empty")]
    EmptyEnv,
    /// The key file could not be read.
    #[error("cannot read key file {path}: {source}")]
    Unreadable {
        /// The file named in the topology.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The key file holds only white space.
    #[error("key file {path} is empty")]
    EmptyFile {
        /// The file named in the topology.
        path: PathBuf,
    },
}

/// Where a key was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeySource {
    /// The `HERD_KEY` environment variable.
    Env,
    /// `[security] key_file`.
    File,
    /// [`LOCAL_DEFAULT_KEY`].
    LocalDefault,
}

/// The shared secret that authenticates links. Cheap to clone; its `Debug`
/// and `Display` print `<redacted>`, so it cannot leak through a log line.
#[derive(Clone)]
pub struct LinkKey(Arc<[u8]>);

impl LinkKey {
    /// A key from raw bytes, white space trimmed; `None` if nothing is left.
    pub fn new(bytes: &[u8]) -> Option<Self> {
        let trimmed = bytes.trim_ascii();
        (!trimmed.is_empty()).then(|| Self(Arc::from(trimmed)))
    }

    /// Loads the key from `HERD_KEY`, else `security.key_file`, else the local
    /// default (with a warning). Logs which source was used, never the key.
    pub fn load(security: &SecurityConfig) -> Result<Self, KeyError> {
        let env = std::env::var_os(KEY_ENV).map(|v| v.into_encoded_bytes());
        let (key, source) = Self::resolve(env.as_deref(), security)?;
        if source == KeySource::LocalDefault {
            if !WARNED_DEFAULT.swap(true, Ordering::Relaxed) {
                // Under `herd up`, which prints one summary, only the file gets it.
                if crate::supervision::defaults_summarised_by_parent() {
                    tracing::info!(event = "link_key", source = ?source, "{DEFAULT_KEY_WARNING}");
                } else {
                    tracing::warn!(event = "link_key", source = ?source, "{DEFAULT_KEY_WARNING}");
                }
            }
        } else {
            tracing::info!(event = "link_key", source = ?source, "link key loaded");
        }
        Ok(key)
    }

    /// The source-picking rule of [`LinkKey::load`], with the environment
    /// value passed in so it can be tested without touching the process.
    pub fn resolve(
        env: Option<&[u8]>,
        security: &SecurityConfig,
    ) -> Result<(Self, KeySource), KeyError> {
        if let Some(value) = env {
            let key = Self::new(value).ok_or(KeyError::EmptyEnv)?;
            return Ok((key, KeySource::Env));
        }
        if let Some(path) = &security.key_file {
            let bytes = std::fs::read(path).map_err(|source| KeyError::Unreadable {
                path: path.clone(),
                source,
            })?;
            let key =
                Self::new(&bytes).ok_or_else(|| KeyError::EmptyFile { path: path.clone() })?;
            return Ok((key, KeySource::File));
        }
        let key = Self::new(LOCAL_DEFAULT_KEY.as_bytes()).expect("the default key is not blank");
        Ok((key, KeySource::LocalDefault))
    }

    /// The key material, for keying the MAC. Never log this.
    pub(crate) fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for LinkKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LinkKey(<redacted>)")
    }
}

impl fmt::Display for LinkKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_file(name: &str, contents: &[u8]) -> PathBuf {
        let path = std::env::temp_dir().join(format!("herd-key-{}-{name}", std::process::id()));
        std::fs::write(&path, contents).unwrap();
        path
    }

    #[test]
    fn env_wins_over_file() {
        let path = temp_file("env-wins", b"from-file\n");
        let security = SecurityConfig {
            key_file: Some(path.clone()),
            ..SecurityConfig::default()
        };
        let (key, source) = LinkKey::resolve(Some(b"from-env"), &security).unwrap();
        assert_eq!(source, KeySource::Env);
        assert_eq!(key.expose(), b"from-env");
        std::fs::remove_file(path).unwrap();
    }

    #[test]
    fn file_is_read_and_trimmed() {
        let path = temp_file("trimmed", b"  s3cret \n");
        let security = SecurityConfig {
            key_file: Some(path.clone()),
            ..SecurityConfig::default()
        };
        let (key, source) = LinkKey::resolve(None, &security).unwrap();
        assert_eq!(source, KeySource::File);
        assert_eq!(key.expose(), b"s3cret");
        std::fs::remove_file(path).unwrap();
    }

    #[test]
    fn blank_sources_and_missing_file_are_errors() {
        assert!(matches!(
            LinkKey::resolve(Some(b" \n"), &SecurityConfig::default()),
            Err(KeyError::EmptyEnv)
        ));
        let path = temp_file("blank", b"\n\n");
        let security = SecurityConfig {
            key_file: Some(path.clone()),
            ..SecurityConfig::default()
        };
        assert!(matches!(
            LinkKey::resolve(None, &security),
            Err(KeyError::EmptyFile { .. })
        ));
        std::fs::remove_file(&path).unwrap();
        assert!(matches!(
            LinkKey::resolve(None, &security),
            Err(KeyError::Unreadable { .. })
        ));
    }

    #[test]
    fn nothing_configured_falls_back_to_local_default() {
        let (key, source) = LinkKey::resolve(None, &SecurityConfig::default()).unwrap();
        assert_eq!(source, KeySource::LocalDefault);
        assert_eq!(key.expose(), LOCAL_DEFAULT_KEY.as_bytes());
    }

    #[test]
    fn debug_and_display_never_show_the_key() {
        let key = LinkKey::new(b"hunter2").unwrap();
        for shown in [format!("{key:?}"), format!("{key}"), format!("{key:#?}")] {
            assert!(!shown.contains("hunter2"), "{shown}");
            assert!(shown.contains("<redacted>"), "{shown}");
        }
    }
}
