//! One client connection: read lines, answer each in order, close cleanly.
//!
//! Replies to the commands found in one read are gathered and written
//! together, so every reply leaves whole in a single write and pipelined
//! input costs one system call per batch. A command that may wait on an
//! upstream (WHATSAT) first flushes what is already answered. After the
//! client half-closes, the last unterminated line is still a command; every
//! pending reply is written before the server closes its side.

use std::net::SocketAddr;
use std::time::Duration;

use bytes::BytesMut;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_util::codec::Decoder;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use crate::cmd::Command;
use crate::codec::{Line, LineCodec};
use crate::logging::Escaped;
use crate::shared::Shared;

/// Bytes read per system call; also bounds how many replies are gathered
/// before a write.
const READ_CHUNK: usize = 16 * 1024;

/// Gathered replies are written once they pass this size, even mid-batch.
const FLUSH_AT: usize = 64 * 1024;

/// Why a connection ended, for the log.
#[derive(Debug)]
enum Ended {
    /// The client half-closed and every reply was written.
    Finished,
    /// No input for the idle timeout.
    Idle,
    /// A line passed the length limit; earlier replies were written first.
    LineTooLong,
    /// A reply could not be written within the write timeout.
    SlowReader,
    /// The server is shutting down.
    Shutdown,
    /// The socket failed.
    Io(std::io::Error),
}

/// Serves one client until it leaves, idles out, misbehaves or the server stops.
pub async fn serve(
    shared: &Shared,
    stream: TcpStream,
    peer: SocketAddr,
    id: u64,
    shutdown: CancellationToken,
) {
    info!(event = "client_connected", conn = id, from = %peer);
    let ended = Connection {
        shared,
        stream,
        id,
        codec: LineCodec::new(shared.limits.max_line),
        input: BytesMut::with_capacity(READ_CHUNK),
        output: BytesMut::new(),
    }
    .run(&shutdown)
    .await;
    match ended {
        Ended::Io(error) => warn!(event = "client_closed", conn = id, from = %peer, error = %error),
        reason => info!(event = "client_closed", conn = id, from = %peer, reason = ?reason),
    }
}

/// The state of one connection.
struct Connection<'a> {
    shared: &'a Shared,
    stream: TcpStream,
    /// Connection number, for correlating log lines.
    id: u64,
    codec: LineCodec,
    /// Bytes read but not yet framed.
    input: BytesMut,
    /// Whole replies not yet written.
    output: BytesMut,
}

impl Connection<'_> {
    async fn run(&mut self, shutdown: &CancellationToken) -> Ended {
        let idle = self.shared.limits.idle_timeout();
        let mut eof = false;
        loop {
            if let Err(ended) = self.answer_buffered(eof).await {
                return ended;
            }
            if let Err(ended) = self.flush().await {
                return ended;
            }
            if eof {
                let _ = self.stream.shutdown().await;
                return Ended::Finished;
            }
            self.input.reserve(READ_CHUNK);
            let read = tokio::select! {
                read = tokio::time::timeout(idle, self.stream.read_buf(&mut self.input)) => read,
                () = shutdown.cancelled() => return Ended::Shutdown,
            };
            match read {
                Err(_) => return Ended::Idle,
                Ok(Err(e)) => return Ended::Io(e),
                Ok(Ok(0)) => eof = true,
                Ok(Ok(_)) => {}
            }
        }
    }

    /// Answers every complete line in the input buffer (and, at end of
    /// stream, the unterminated rest), gathering replies in `output`.
    async fn answer_buffered(&mut self, eof: bool) -> Result<(), Ended> {
        loop {
            let frame = if eof {
                self.codec.decode_eof(&mut self.input)
            } else {
                self.codec.decode(&mut self.input)
            };
            let line = match frame {
                Ok(Some(Line::Complete(line))) => line,
                Ok(Some(Line::TooLong)) => {
                    warn!(
                        event = "client_line_too_long",
                        conn = self.id,
                        limit = self.shared.limits.max_line
                    );
                    self.flush().await?;
                    return Err(Ended::LineTooLong);
                }
                Ok(None) => return Ok(()),
                Err(crate::codec::CodecError::Io(e)) => return Err(Ended::Io(e)),
            };
            info!(event = "client_in", conn = self.id, line = %Escaped(&line));
            let command = Command::parse(line.clone());
            if command.may_wait() {
                self.flush().await?;
            }
            let reply = command.apply(self.shared, &line).await;
            info!(event = "client_out", conn = self.id, reply = %Escaped(&reply));
            self.output.extend_from_slice(&reply);
            if self.output.len() >= FLUSH_AT {
                self.flush().await?;
            }
        }
    }

    /// Writes all gathered replies in one write, within the write timeout.
    async fn flush(&mut self) -> Result<(), Ended> {
        if self.output.is_empty() {
            return Ok(());
        }
        let limit: Duration = self.shared.limits.write_timeout();
        match tokio::time::timeout(limit, self.stream.write_all(&self.output)).await {
            Err(_) => Err(Ended::SlowReader),
            Ok(Err(e)) => Err(Ended::Io(e)),
            Ok(Ok(())) => {
                self.output.clear();
                Ok(())
            }
        }
    }
}
