//! A persistent connection to one server, for request after request or for
//! many pipelined requests: writes whole buffers, and cuts the replies out of
//! what it reads using [`Shape`].
//!
//! Every network wait has [`IO_TIMEOUT`] and the read buffer has
//! [`MAX_BUFFERED`], so a silent or babbling server ends in an error.

use std::net::SocketAddr;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

use proto::reply::frame::{Shape, reply_len};

/// Longest any single connect, write or read may take.
pub const IO_TIMEOUT: Duration = Duration::from_secs(5);

/// Most bytes held while waiting for the end of a reply.
pub const MAX_BUFFERED: usize = 16 * 1024 * 1024;

/// Why a connection failed.
#[derive(Debug, thiserror::Error)]
pub enum ConnectionError {
    /// Connecting failed.
    #[error("cannot connect to {addr}")]
    Connect {
        /// The server.
        addr: SocketAddr,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// A wait passed [`IO_TIMEOUT`].
    #[error("{what} on {addr} timed out after {IO_TIMEOUT:?}")]
    Timeout {
        /// The server.
        addr: SocketAddr,
        /// Which wait: connect, write or read.
        what: &'static str,
    },
    /// Reading or writing failed.
    #[error("i/o error on {addr}")]
    Io {
        /// The server.
        addr: SocketAddr,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The server closed before a reply was complete.
    #[error("{addr} closed the connection with {pending} bytes of an unfinished reply")]
    Closed {
        /// The server.
        addr: SocketAddr,
        /// Bytes of the unfinished reply.
        pending: usize,
    },
    /// A reply grew past [`MAX_BUFFERED`].
    #[error("reply from {addr} exceeds {MAX_BUFFERED} bytes")]
    TooLong {
        /// The server.
        addr: SocketAddr,
    },
}

/// An open connection and the bytes read from it but not yet taken.
#[derive(Debug)]
pub struct Connection {
    /// The socket, with Nagle off.
    stream: TcpStream,
    /// Read but not yet handed out as a reply.
    buf: BytesMut,
    /// The server, for error messages.
    addr: SocketAddr,
}

impl Connection {
    /// Connects with [`IO_TIMEOUT`] and turns Nagle off.
    pub async fn connect(addr: SocketAddr) -> Result<Self, ConnectionError> {
        let stream = match timeout(IO_TIMEOUT, TcpStream::connect(addr)).await {
            Err(_) => {
                return Err(ConnectionError::Timeout {
                    addr,
                    what: "connect",
                });
            }
            Ok(Err(source)) => return Err(ConnectionError::Connect { addr, source }),
            Ok(Ok(s)) => s,
        };
        stream
            .set_nodelay(true)
            .map_err(|source| ConnectionError::Io { addr, source })?;
        Ok(Self {
            stream,
            buf: BytesMut::with_capacity(16 * 1024),
            addr,
        })
    }

    /// The server this connection talks to.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Writes `bytes` whole, in one call.
    pub async fn send(&mut self, bytes: &[u8]) -> Result<(), ConnectionError> {
        let addr = self.addr;
        match timeout(IO_TIMEOUT, self.stream.write_all(bytes)).await {
            Err(_) => Err(ConnectionError::Timeout {
                addr,
                what: "write",
            }),
            Ok(r) => r.map_err(|source| ConnectionError::Io { addr, source }),
        }
    }

    /// Takes the first complete reply out of what has been read, if any.
    pub fn next_reply(&mut self, shape: Shape) -> Option<Bytes> {
        let len = reply_len(&self.buf, shape)?;
        Some(self.buf.split_to(len).freeze())
    }

    /// Reads once more from the socket; fails if the server closed.
    pub async fn read_more(&mut self) -> Result<(), ConnectionError> {
        let addr = self.addr;
        if self.buf.len() >= MAX_BUFFERED {
            return Err(ConnectionError::TooLong { addr });
        }
        let n = match timeout(IO_TIMEOUT, self.stream.read_buf(&mut self.buf)).await {
            Err(_) => return Err(ConnectionError::Timeout { addr, what: "read" }),
            Ok(r) => r.map_err(|source| ConnectionError::Io { addr, source })?,
        };
        if n == 0 {
            return Err(ConnectionError::Closed {
                addr,
                pending: self.buf.len(),
            });
        }
        Ok(())
    }

    /// Waits for the next complete reply.
    pub async fn read_reply(&mut self, shape: Shape) -> Result<Bytes, ConnectionError> {
        loop {
            if let Some(reply) = self.next_reply(shape) {
                return Ok(reply);
            }
            self.read_more().await?;
        }
    }

    /// Sends one request and waits for its reply.
    pub async fn request(&mut self, line: &[u8], shape: Shape) -> Result<Bytes, ConnectionError> {
        self.send(line).await?;
        self.read_reply(shape).await
    }
}
