//! The Cacofonix id: the one secret that authorises Olympic writes.
//!
//! Read from `CACOFONIX_ID`, else from `[security] cacofonix_file`, else a
//! documented local default with a warning. It never appears in `Debug` or
//! `Display` output, and is compared in constant time.

use std::fmt;
use std::path::PathBuf;

use subtle::ConstantTimeEq;

use base::topology::SecurityConfig;

/// Environment variable holding the Cacofonix id.
pub const CACOFONIX_ENV: &str = "CACOFONIX_ID";

/// The id used when none is configured, for local trials only; documented in
/// the README so the quick start works, and announced with a warning.
pub const LOCAL_DEFAULT_CACOFONIX_ID: &str = "cacofonix-local-default";

/// What is logged when the local default id is used.
const DEFAULT_ID_WARNING: &str =
    "no CACOFONIX_ID and no [security] cacofonix_file: using the documented local default id";

/// Why the id could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// The configured file could not be read.
    #[error("cannot read the Cacofonix id file {path}: {source}")]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The configured id is empty or contains white space (it travels as one
    /// protocol field).
    #[error("the Cacofonix id from {0} is empty or contains white space")]
    Unusable(&'static str),
}

/// The Cacofonix id.
#[derive(Clone)]
pub struct CacofonixId(Vec<u8>);

impl CacofonixId {
    /// Wraps an id; `None` if it is empty or holds white space.
    pub fn new(id: &[u8]) -> Option<Self> {
        (!id.is_empty() && !id.iter().any(|&b| proto::fields::is_space(b)))
            .then(|| Self(id.to_vec()))
    }

    /// Loads the id: environment first, then the configured file, then the
    /// local default (with a warning).
    pub fn load(security: &SecurityConfig) -> Result<Self, AuthError> {
        if let Some(value) = std::env::var_os(CACOFONIX_ENV) {
            return Self::new(value.as_encoded_bytes().trim_ascii())
                .ok_or(AuthError::Unusable(CACOFONIX_ENV));
        }
        if let Some(path) = &security.cacofonix_file {
            let text = std::fs::read(path).map_err(|source| AuthError::Unreadable {
                path: path.clone(),
                source,
            })?;
            return Self::new(text.trim_ascii())
                .ok_or(AuthError::Unusable("the Cacofonix id file"));
        }
        // Under `herd up`, which prints one summary, only the file gets it.
        if crate::supervision::defaults_summarised_by_parent() {
            tracing::info!(
                event = "cacofonix_id",
                source = "local-default",
                "{DEFAULT_ID_WARNING}"
            );
        } else {
            tracing::warn!(
                event = "cacofonix_id",
                source = "local-default",
                "{DEFAULT_ID_WARNING}"
            );
        }
        Ok(Self(LOCAL_DEFAULT_CACOFONIX_ID.as_bytes().to_vec()))
    }

    /// True when `offered` is the id; takes the same time whatever the
    /// contents (length differences aside).
    pub fn matches(&self, offered: &[u8]) -> bool {
        self.0.ct_eq(offered).into()
    }
}

impl fmt::Debug for CacofonixId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CacofonixId(<redacted>)")
    }
}

impl fmt::Display for CacofonixId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_only_the_exact_id_and_never_prints_it() {
        let id = CacofonixId::new(b"s3cret").unwrap();
        assert!(id.matches(b"s3cret"));
        assert!(!id.matches(b"s3cre"));
        assert!(!id.matches(b"s3crett"));
        assert!(!id.matches(b""));
        assert!(!format!("{id:?} {id}").contains("s3cret"));
    }

    #[test]
    fn blank_or_spaced_ids_are_refused() {
        assert!(CacofonixId::new(b"").is_none());
        assert!(CacofonixId::new(b"a b").is_none());
    }
}
