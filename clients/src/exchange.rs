//! One round as a grader does it: connect, write the command, half-close the
//! write side, read every byte the server sends until it closes.
//!
//! Every wait has a deadline and the reply has a size cap, so a server that
//! never answers or never stops answering cannot hang or exhaust the client.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{Instant, timeout, timeout_at};

/// Largest reply kept; a 20-result WHATSAT is a few tens of kilobytes.
pub const MAX_REPLY: usize = 16 * 1024 * 1024;

/// How long to wait for the connection and for the whole reply.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    /// Until the TCP connection is established.
    pub connect: Duration,
    /// From the first write until the server closes its side.
    pub reply: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(5),
            reply: Duration::from_secs(10),
        }
    }
}

/// Why a round failed.
#[derive(Debug, thiserror::Error)]
pub enum ExchangeError {
    /// No connection within the connect timeout.
    #[error("connecting to {addr} timed out after {after:?}")]
    ConnectTimeout {
        /// The server asked for.
        addr: SocketAddr,
        /// The timeout that passed.
        after: Duration,
    },
    /// The connection was refused or failed.
    #[error("cannot connect to {addr}")]
    Connect {
        /// The server asked for.
        addr: SocketAddr,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// Writing, half-closing or reading failed.
    #[error("i/o error talking to {addr}")]
    Io {
        /// The server asked for.
        addr: SocketAddr,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The server did not close within the reply timeout.
    #[error("no end of reply from {addr} within {after:?} ({received} bytes received)")]
    ReplyTimeout {
        /// The server asked for.
        addr: SocketAddr,
        /// The timeout that passed.
        after: Duration,
        /// Bytes received before giving up.
        received: usize,
    },
    /// The server sent more than [`MAX_REPLY`] bytes.
    #[error("reply from {addr} exceeds {MAX_REPLY} bytes")]
    TooLong {
        /// The server asked for.
        addr: SocketAddr,
    },
}

/// Sends `request` (terminators included, as given) and returns everything
/// the server wrote before closing.
pub async fn exchange(
    addr: SocketAddr,
    request: &[u8],
    timeouts: Timeouts,
) -> Result<Vec<u8>, ExchangeError> {
    let mut stream = match timeout(timeouts.connect, TcpStream::connect(addr)).await {
        Err(_) => {
            return Err(ExchangeError::ConnectTimeout {
                addr,
                after: timeouts.connect,
            });
        }
        Ok(Err(source)) => return Err(ExchangeError::Connect { addr, source }),
        Ok(Ok(stream)) => stream,
    };
    let io = |source| ExchangeError::Io { addr, source };
    stream.set_nodelay(true).map_err(io)?;
    let deadline = Instant::now() + timeouts.reply;
    let mut reply = Vec::new();
    let round = async {
        stream.write_all(request).await.map_err(io)?;
        stream.shutdown().await.map_err(io)?;
        let mut chunk = [0u8; 16 * 1024];
        loop {
            let n = stream.read(&mut chunk).await.map_err(io)?;
            if n == 0 {
                return Ok(());
            }
            if reply.len() + n > MAX_REPLY {
                return Err(ExchangeError::TooLong { addr });
            }
            reply.extend_from_slice(&chunk[..n]);
        }
    };
    let outcome = timeout_at(deadline, round).await;
    match outcome {
        Ok(Ok(())) => Ok(reply),
        Ok(Err(e)) => Err(e),
        Err(_) => Err(ExchangeError::ReplyTimeout {
            addr,
            after: timeouts.reply,
            received: reply.len(),
        }),
    }
}
