//! A connection wrapper that gives hyper's automatic error replies a JSON
//! body. hyper answers a request it cannot parse (a malformed request line
//! or header: 400; a URI over 64 KiB: 414; a head over its buffer: 431)
//! itself, with an empty body, before axum sees anything. Those replies are
//! the only error heads with `content-length: 0` the facade ever writes
//! (every other error carries JSON, see [`crate::api::json_errors`]), so
//! the stream recognises them by that and writes the same head with a JSON
//! body instead ([`replacement`]).
//!
//! The stream turns off vectored writes, so hyper hands over each response
//! head whole, in one buffer.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::api::json_errors::replacement;

/// One connection. Reads pass through; a write that is an automatic error
/// reply is taken whole and its replacement written before anything else.
pub struct JsonRejectionStream<T> {
    inner: T,
    /// The rest of a replacement reply, not yet written. It only ever holds
    /// one small response head and body.
    pending: Vec<u8>,
}

impl<T> JsonRejectionStream<T> {
    /// Wraps one accepted connection.
    pub fn new(inner: T) -> Self {
        Self {
            inner,
            pending: Vec::new(),
        }
    }
}

impl<T: AsyncWrite + Unpin> JsonRejectionStream<T> {
    /// Writes out `pending`; ready once it is empty.
    fn poll_pending(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while !self.pending.is_empty() {
            let n = ready!(Pin::new(&mut self.inner).poll_write(cx, &self.pending))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.pending.drain(..n);
        }
        Poll::Ready(Ok(()))
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for JsonRejectionStream<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for JsonRejectionStream<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        ready!(self.poll_pending(cx))?;
        if let Some(json) = replacement(buf) {
            self.pending = json;
            return Poll::Ready(Ok(buf.len()));
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_pending(cx))?;
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_pending(cx))?;
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn is_write_vectored(&self) -> bool {
        false
    }
}
