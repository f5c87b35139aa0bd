//! Peer links over TCP, the way servers reach each other in production.

use std::io;
use std::net::SocketAddr;

use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};

use super::{Listener, Transport};

/// The TCP transport. `TCP_NODELAY` is set on every connection: links
/// gather their own writes.
#[derive(Debug, Clone, Copy, Default)]
pub struct Tcp;

impl Transport for Tcp {
    type Read = OwnedReadHalf;
    type Write = OwnedWriteHalf;

    async fn connect(&self, to: SocketAddr) -> io::Result<(OwnedReadHalf, OwnedWriteHalf)> {
        let stream = TcpStream::connect(to).await?;
        stream.set_nodelay(true)?;
        Ok(stream.into_split())
    }
}

impl Listener for TcpListener {
    type Read = OwnedReadHalf;
    type Write = OwnedWriteHalf;

    async fn accept(&mut self) -> io::Result<(OwnedReadHalf, OwnedWriteHalf, SocketAddr)> {
        let (stream, from) = TcpListener::accept(self).await?;
        // A socket that refuses the option still works; the handshake
        // decides whether it is wanted.
        let _ = stream.set_nodelay(true);
        let (read, write) = stream.into_split();
        Ok((read, write, from))
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        TcpListener::local_addr(self)
    }
}
