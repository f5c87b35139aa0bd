//! A response body that keeps its connection marked busy until the body is
//! written (or dropped), so the accept loop never counts a connection that
//! is streaming a response, such as server-sent events, as idle.

use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::Body;
use base::admission::InFlight;
use bytes::Bytes;
use http_body::{Frame, SizeHint};

/// An axum response body and the in-flight mark of its request.
pub struct TrackedBody {
    /// The body as the router built it.
    inner: Body,
    /// Held for as long as the body lives; dropping it ends the request.
    _in_flight: InFlight,
}

impl TrackedBody {
    /// Wraps `inner`, keeping `in_flight` until the body is done.
    pub fn new(inner: Body, in_flight: InFlight) -> Self {
        Self {
            inner,
            _in_flight: in_flight,
        }
    }
}

impl http_body::Body for TrackedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.get_mut().inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
