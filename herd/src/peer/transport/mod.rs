//! How peer links reach each other: a small trait with the real TCP
//! implementation ([`Tcp`]) and an in-memory twin ([`MemNet`]) that tests
//! and simulations use to cut links, drop, duplicate and reorder lines
//! deterministically from a seed.
//!
//! Everything above this trait (handshake, link, flooding, anti-entropy)
//! runs unchanged over either; only connecting and accepting differ.

mod memory;
mod tcp;

use std::future::Future;
use std::io;
use std::net::SocketAddr;

use tokio::io::{AsyncRead, AsyncWrite};

pub use memory::{Faults, MemListener, MemNet, MemTransport};
pub use tcp::Tcp;

/// Opens connections to other servers' peer ports.
pub trait Transport: Send + Sync + 'static {
    /// The read half of a connection.
    type Read: AsyncRead + Send + Unpin + 'static;
    /// The write half of a connection.
    type Write: AsyncWrite + Send + Unpin + 'static;

    /// Connects to the peer port at `to`.
    fn connect(
        &self,
        to: SocketAddr,
    ) -> impl Future<Output = io::Result<(Self::Read, Self::Write)>> + Send;
}

/// Accepts connections on this server's peer port.
pub trait Listener: Send + 'static {
    /// The read half of an accepted connection.
    type Read: AsyncRead + Send + Unpin + 'static;
    /// The write half of an accepted connection.
    type Write: AsyncWrite + Send + Unpin + 'static;

    /// The next connection and where it came from.
    fn accept(
        &mut self,
    ) -> impl Future<Output = io::Result<(Self::Read, Self::Write, SocketAddr)>> + Send;

    /// The address this listener answers on.
    fn local_addr(&self) -> io::Result<SocketAddr>;
}
