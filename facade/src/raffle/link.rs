//! One connection to the herd for the raffle's lines (`COUNT`, `RAFFLE`,
//! `DRAW`), one request at a time, reopened through [`Servers`] when it
//! drops; and [`relay`], the `RELAY` exchange every pooled herd
//! connection opens with.

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::sync::Mutex;

use proto::client::{RaffleCommand, RaffleReply};

use crate::servers::Servers;

/// Longest wait for one raffle exchange with the herd.
pub const RAFFLE_TIMEOUT: Duration = Duration::from_secs(5);

/// Longest reply line read (a `RAFFLE` reply lists every entry).
pub const MAX_RAFFLE_LINE: usize = 8 * 1024 * 1024;

/// Why a raffle exchange failed.
#[derive(Debug, thiserror::Error)]
pub enum RaffleError {
    /// No herd server could be reached.
    #[error("no herd server is reachable")]
    Unreachable,
    /// The exchange failed or timed out.
    #[error("the herd did not answer: {0}")]
    Io(#[from] std::io::Error),
    /// The herd answered something else.
    #[error("unexpected reply from the herd: {0}")]
    Unexpected(String),
}

/// The raffle's connection to the herd.
pub struct RaffleLink {
    servers: Arc<Servers>,
    conn: Mutex<Option<BufReader<TcpStream>>>,
}

impl RaffleLink {
    /// A link to the herd `servers` name; connects on first use.
    pub fn new(servers: Arc<Servers>) -> Self {
        Self {
            servers,
            conn: Mutex::new(None),
        }
    }

    /// Sends `command` and reads its reply.
    pub async fn call(&self, command: &RaffleCommand) -> Result<RaffleReply, RaffleError> {
        let mut line = Vec::new();
        command.write(&mut line);
        let mut conn = self.conn.lock().await;
        if conn.is_none() {
            let (stream, _) = self
                .servers
                .connect()
                .await
                .map_err(|_| RaffleError::Unreachable)?;
            *conn = Some(BufReader::new(stream));
        }
        let Some(stream) = conn.as_mut() else {
            return Err(RaffleError::Unreachable);
        };
        let exchanged = tokio::time::timeout(RAFFLE_TIMEOUT, exchange(stream, &line)).await;
        let reply = match exchanged {
            Ok(Ok(reply)) => reply,
            Ok(Err(e)) => {
                *conn = None;
                return Err(e.into());
            }
            Err(_) => {
                *conn = None;
                return Err(std::io::Error::from(std::io::ErrorKind::TimedOut).into());
            }
        };
        RaffleReply::parse(reply.trim_ascii_end())
            .ok_or_else(|| RaffleError::Unexpected(String::from_utf8_lossy(&reply).into_owned()))
    }
}

/// Writes `line` and reads one reply line, at most [`MAX_RAFFLE_LINE`].
async fn exchange(stream: &mut BufReader<TcpStream>, line: &[u8]) -> std::io::Result<Vec<u8>> {
    stream.get_mut().write_all(line).await?;
    let mut reply = Vec::new();
    let mut limited = (&mut *stream).take(MAX_RAFFLE_LINE as u64);
    let n = limited.read_until(b'\n', &mut reply).await?;
    if n == 0 || !reply.ends_with(b"\n") {
        return Err(std::io::Error::from(std::io::ErrorKind::UnexpectedEof));
    }
    Ok(reply)
}

/// Opens a pooled herd connection with `RELAY` and reads the one reply
/// line (whatever it says: a herd that does not know the verb answers
/// `? RELAY`, and then counts the forwarded verbs itself).
pub async fn relay(stream: &mut TcpStream) -> std::io::Result<()> {
    let mut line = Vec::new();
    RaffleCommand::Relay.write(&mut line);
    stream.write_all(&line).await?;
    // Byte by byte, so nothing after the reply line is consumed.
    let mut byte = [0u8; 1];
    for _ in 0..256 {
        tokio::time::timeout(
            RAFFLE_TIMEOUT,
            tokio::io::AsyncReadExt::read_exact(stream, &mut byte),
        )
        .await
        .map_err(|_| std::io::Error::from(std::io::ErrorKind::TimedOut))??;
        if byte[0] == b'\n' {
            return Ok(());
        }
    }
    Err(std::io::Error::from(std::io::ErrorKind::InvalidData))
}
