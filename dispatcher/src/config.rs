//! The command line: `dispatcher --listen ADDR --frontends URL,URL,...`.

use std::time::Duration;

use clap::Parser;

use crate::server::{CHECK_EVERY, Config, LEASE};

/// Longest lease accepted, in seconds (a day).
pub const MAX_LEASE_SECS: u64 = 86_400;

/// The dispatcher's flags.
#[derive(Debug, Parser)]
#[command(
    name = "dispatcher",
    version,
    about = "Assigns each tablet the healthy front end with the fewest clients (see docs/REST.md)"
)]
pub struct Cli {
    /// Address to serve HTTP on (port 0 picks a free port).
    #[arg(long, env = "DISPATCHER_LISTEN", default_value = "127.0.0.1:8090")]
    pub listen: String,
    /// Front end base URLs, e.g. http://127.0.0.1:8080 (`host:port` means
    /// http://host:port); ties go to the earlier one.
    #[arg(
        long,
        env = "DISPATCHER_FRONTENDS",
        value_delimiter = ',',
        required = true
    )]
    pub frontends: Vec<String>,
    /// Seconds an assignment lasts unless its client asks again.
    #[arg(long, default_value_t = LEASE.as_secs(),
          value_parser = clap::value_parser!(u64).range(1..=MAX_LEASE_SECS))]
    pub lease: u64,
    /// Milliseconds between health checks of every front end.
    #[arg(long, default_value_t = CHECK_EVERY.as_millis() as u64,
          value_parser = clap::value_parser!(u64).range(50..=60_000))]
    pub check_every_ms: u64,
}

/// Why the front-end list is unusable.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A front end is not an `http://host:port` URL.
    #[error("front end {0:?} is not an http://host:port URL: {1}")]
    BadUrl(String, &'static str),
    /// The same front end twice.
    #[error("front end {0} is listed twice")]
    Duplicate(String),
}

impl Cli {
    /// The dispatcher's configuration, the front ends checked and normalised.
    pub fn config(&self) -> Result<Config, ConfigError> {
        let mut frontends: Vec<String> = Vec::new();
        for given in &self.frontends {
            let url = normalise(given)?;
            if frontends.contains(&url) {
                return Err(ConfigError::Duplicate(url));
            }
            frontends.push(url);
        }
        let mut config = Config::new(frontends);
        config.lease = Duration::from_secs(self.lease);
        config.check_every = Duration::from_millis(self.check_every_ms);
        Ok(config)
    }
}

/// `host:port` or `http(s)://host:port[/]` as `scheme://host:port`.
pub fn normalise(given: &str) -> Result<String, ConfigError> {
    let given = given.trim();
    let url = if given.contains("://") {
        given.trim_end_matches('/').to_owned()
    } else {
        format!("http://{given}")
    };
    let bad = |why| ConfigError::BadUrl(given.to_owned(), why);
    let parsed = reqwest::Url::parse(&url).map_err(|_| bad("does not parse"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(bad("the scheme must be http or https"));
    }
    if parsed.host_str().is_none() || parsed.port_or_known_default().is_none() {
        return Err(bad("no host"));
    }
    if parsed.path() != "/" || parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(bad("a front end is a base URL, without a path or query"));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn front_ends_are_normalised_and_checked() {
        assert_eq!(
            normalise("127.0.0.1:8080").unwrap(),
            "http://127.0.0.1:8080"
        );
        assert_eq!(normalise("http://a:1/").unwrap(), "http://a:1");
        assert!(normalise("ftp://a:1").is_err());
        assert!(normalise("http://a:1/x").is_err());
        assert!(normalise("http://a:1?q").is_err());
        assert!(normalise("http://").is_err());
    }

    #[test]
    fn a_front_end_listed_twice_is_refused() {
        let cli = Cli::parse_from(["dispatcher", "--frontends", "a:1,http://a:1/"]);
        assert!(matches!(cli.config(), Err(ConfigError::Duplicate(_))));
    }
}
