//! The Redis store, for deployments that run Redis (`--redis URL`).
//!
//! Keys, under a prefix (`leaderboard` by default):
//! - `PREFIX:results`, a hash: result id -> the counted result as JSON;
//! - `PREFIX:athlete:NAME`, a hash per athlete: `team`, `points`, `results`;
//! - `PREFIX:averages`, a sorted set: athlete -> points / results.
//!
//! A result is applied by one Lua script (`apply.lua`): it checks the id,
//! adds to the athlete's sums and writes the new average, all in one
//! atomic step, so concurrent posts never leave a stale average and a
//! repeated id never counts twice. The board is read by another script
//! (`top.lua`) with `ZRANGE … REV`: the ten highest averages, plus every
//! athlete tied with the tenth (at most [`MAX_TIED`]), with their sums;
//! the tie-break (more results, then name) is done in Rust on exact
//! sums. The athletes' keys are built inside that script, so it needs a
//! standalone Redis, not a cluster.

use std::time::Duration;

use redis::Script;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use super::{Applied, Store, StoreError};
use crate::result::Recorded;
use crate::standing::{self, Standing, TOP};

/// The key prefix the binary uses.
pub const DEFAULT_PREFIX: &str = "leaderboard";

/// Most athletes read that share the tenth-highest average: ties beyond
/// that are broken among the first [`MAX_TIED`] by name only, so a read
/// stays bounded however many athletes share an average.
pub const MAX_TIED: usize = 1000;

/// How long one Redis command may take before it fails (and the request
/// gets a 503) rather than hang.
pub const RESPONSE_TIMEOUT: Duration = Duration::from_secs(2);

/// How long connecting (or reconnecting) may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// Reconnection attempts per failed command before it fails.
const RECONNECT_TRIES: usize = 3;

/// One line as `top.lua` returns it: athlete, team, points, results and
/// the stored average (`None` from `GET /athletes/{name}`, which reads no
/// average).
type Row = (
    String,
    Option<String>,
    Option<u64>,
    Option<u64>,
    Option<f64>,
);

/// The Redis store; clones share one connection manager.
#[derive(Clone)]
pub struct RedisStore {
    /// Reconnects by itself when Redis restarts.
    conn: ConnectionManager,
    /// Prefix of every key.
    prefix: String,
    /// `apply.lua`.
    apply: Script,
    /// `top.lua`.
    top: Script,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl RedisStore {
    /// Connects to `url` (`redis://host:port[/db]`), keeping keys under
    /// `prefix`. Fails if Redis does not answer.
    pub async fn connect(url: &str, prefix: &str) -> Result<Self, StoreError> {
        let client = redis::Client::open(url)?;
        let config = ConnectionManagerConfig::new()
            .set_response_timeout(Some(RESPONSE_TIMEOUT))
            .set_connection_timeout(Some(CONNECT_TIMEOUT))
            .set_number_of_retries(RECONNECT_TRIES);
        let conn = ConnectionManager::new_with_config(client, config).await?;
        Ok(Self {
            conn,
            prefix: prefix.to_owned(),
            apply: Script::new(include_str!("apply.lua")),
            top: Script::new(include_str!("top.lua")),
        })
    }

    fn key(&self, name: &str) -> String {
        format!("{}:{name}", self.prefix)
    }

    fn athlete_prefix(&self) -> String {
        self.key("athlete:")
    }

    /// The line of one row. A stored average that is not the sums'
    /// average would be a stale one: it is an error, never shown.
    fn line(row: Row) -> Result<Standing, StoreError> {
        let (athlete, team, points, results, stored) = row;
        let (Some(team), Some(points), Some(results @ 1..)) = (team, points, results) else {
            return Err(StoreError::Unexpected(format!(
                "athlete {athlete:?} is on the board without whole sums"
            )));
        };
        let line = Standing::new(athlete, team, points, results);
        match stored {
            Some(average) if average != line.average => Err(StoreError::Unexpected(format!(
                "athlete {:?} has the average {average} stored for {points} points over {results} results",
                line.athlete
            ))),
            _ => Ok(line),
        }
    }
}

impl Store for RedisStore {
    async fn apply(&self, result: Recorded) -> Result<Applied, StoreError> {
        let json = serde_json::to_string(&result).expect("a result always serialises");
        let (counted, stored): (i64, String) = self
            .apply
            .key(self.key("results"))
            .key(format!("{}{}", self.athlete_prefix(), result.athlete))
            .key(self.key("averages"))
            .arg(&result.id)
            .arg(&json)
            .arg(&result.athlete)
            .arg(&result.team)
            .arg(result.points)
            .invoke_async(&mut self.conn.clone())
            .await?;
        if counted == 1 {
            return Ok(Applied::New(result));
        }
        serde_json::from_str(&stored)
            .map(Applied::Seen)
            .map_err(|e| StoreError::Unexpected(format!("result {:?}: {e}", result.id)))
    }

    async fn top(&self) -> Result<Vec<Standing>, StoreError> {
        let rows: Vec<Row> = self
            .top
            .key(self.key("averages"))
            .arg(TOP)
            .arg(MAX_TIED)
            .arg(self.athlete_prefix())
            .invoke_async(&mut self.conn.clone())
            .await?;
        let lines = rows.into_iter().map(Self::line).collect::<Result<_, _>>()?;
        Ok(standing::top(lines))
    }

    async fn athlete(&self, name: &str) -> Result<Option<Standing>, StoreError> {
        let key = format!("{}{name}", self.athlete_prefix());
        let (team, points, results): (Option<String>, Option<u64>, Option<u64>) =
            redis::cmd("HMGET")
                .arg(key)
                .arg(&["team", "points", "results"])
                .query_async(&mut self.conn.clone())
                .await?;
        if team.is_none() && results.is_none() {
            return Ok(None);
        }
        Self::line((name.to_owned(), team, points, results, None)).map(Some)
    }

    async fn ping(&self) -> Result<(), StoreError> {
        let _: String = redis::cmd("PING")
            .query_async(&mut self.conn.clone())
            .await?;
        Ok(())
    }

    fn kind(&self) -> &'static str {
        "redis"
    }
}
