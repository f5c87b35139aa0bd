//! The challenge–response that opens every link: both ends prove they hold
//! the herd's [`LinkKey`] without sending it, and agree on who is who.
//!
//! ```text
//! dialer   -> HELLO <dialer> <nonce_d>
//! acceptor -> HELLO <acceptor> <nonce_a> <tag_a>   tag_a = MAC("accept", ...)
//! dialer   -> AUTH <tag_d>                         tag_d = MAC("dial", ...)
//! ```
//!
//! What the tags cover, and why that defeats replay and reflection, is in
//! `peer::proof`.
//!
//! The acceptor refuses a name before answering unless its caller allows it
//! (a neighbour whose turn it is to dial). Nothing a connection sends is
//! applied before the handshake succeeds: this module only ever returns a
//! verdict. After it, the link's integrity rests on TCP: this stops a stranger
//! on the peer port, not an attacker who can rewrite packets in flight.

use std::future::Future;

use futures::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_util::codec::{FramedRead, FramedWrite};

use super::HANDSHAKE_TIMEOUT;
use super::key::LinkKey;
use super::proof::{Role, Transcript};
use proto::codec::{CodecError, Line, LineCodec};
use proto::peer::{Message, MessageError, Nonce};

/// Longest name quoted back in an error; the rest is cut off so a stranger
/// cannot fill the log.
const MAX_QUOTED_NAME: usize = 64;

/// Why a handshake failed. No variant carries key material or tags.
#[derive(Debug, thiserror::Error)]
pub enum HandshakeError {
    /// The whole exchange did not finish within [`HANDSHAKE_TIMEOUT`].
    #[error("handshake timed out")]
    Timeout,
    /// The other end closed the connection.
    #[error("connection closed during handshake")]
    Closed,
    /// The socket failed.
    #[error(transparent)]
    Io(#[from] CodecError),
    /// A line passed the length limit.
    #[error("overlong line during handshake")]
    TooLong,
    /// A line that cannot be read.
    #[error(transparent)]
    Malformed(#[from] MessageError),
    /// A well-formed message that does not belong at this step.
    #[error("expected {expected}, got {got}")]
    Unexpected {
        /// What this step needs.
        expected: &'static str,
        /// The verb that came instead.
        got: &'static str,
    },
    /// The dialer's name is not one allowed to dial this server.
    #[error("{0:?} is not a neighbour that dials this server")]
    NotAllowed(String),
    /// The server that answered is not the neighbour that was dialed.
    #[error("dialed {expected:?} but {got:?} answered")]
    WrongPeer {
        /// The neighbour we meant to reach.
        expected: String,
        /// The name it gave.
        got: String,
    },
    /// A tag did not verify: the other end does not hold our key, or is
    /// replaying or reflecting someone else's handshake.
    #[error("authentication failed")]
    BadTag,
}

/// A link's read half, framed into lines.
pub(crate) type Reader<R> = FramedRead<R, LineCodec>;

/// A link's write half; every item is one or more whole lines.
pub(crate) type Writer<W> = FramedWrite<W, LineCodec>;

/// Runs the dialer's side against the neighbour `them`. `Ok` means the link
/// is authenticated in both directions.
pub(crate) async fn dial<R, W>(
    reader: &mut Reader<R>,
    writer: &mut Writer<W>,
    key: &LinkKey,
    me: &str,
    them: &str,
) -> Result<(), HandshakeError>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    within_timeout(async {
        let dialer_nonce = Nonce::random();
        send(
            writer,
            Message::Hello {
                name: me.to_owned(),
                nonce: dialer_nonce,
                tag: None,
            },
        )
        .await?;
        let (name, acceptor_nonce, tag) = match next(reader).await? {
            Message::Hello {
                name,
                nonce,
                tag: Some(tag),
            } => (name, nonce, tag),
            other => return Err(unexpected("HELLO with a tag", &other)),
        };
        if name != them {
            return Err(HandshakeError::WrongPeer {
                expected: them.to_owned(),
                got: quoted(&name),
            });
        }
        let transcript = Transcript {
            dialer: me,
            acceptor: them,
            dialer_nonce,
            acceptor_nonce,
        };
        if !transcript.verifies(key, Role::Acceptor, &tag) {
            return Err(HandshakeError::BadTag);
        }
        let tag = transcript.tag(key, Role::Dialer);
        send(writer, Message::Auth { tag }).await
    })
    .await
}

/// Runs the acceptor's side. `allowed` says whether a claimed dialer name may
/// dial here; it is asked before anything is sent back. Returns the dialer's
/// name once it has proved it holds the key.
pub(crate) async fn accept<R, W>(
    reader: &mut Reader<R>,
    writer: &mut Writer<W>,
    key: &LinkKey,
    me: &str,
    allowed: impl Fn(&str) -> bool,
) -> Result<String, HandshakeError>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    within_timeout(async {
        let (dialer, dialer_nonce) = match next(reader).await? {
            Message::Hello {
                name,
                nonce,
                tag: None,
            } => (name, nonce),
            other => return Err(unexpected("HELLO", &other)),
        };
        if !allowed(&dialer) {
            return Err(HandshakeError::NotAllowed(quoted(&dialer)));
        }
        let transcript = Transcript {
            dialer: &dialer,
            acceptor: me,
            dialer_nonce,
            acceptor_nonce: Nonce::random(),
        };
        let hello = Message::Hello {
            name: me.to_owned(),
            nonce: transcript.acceptor_nonce,
            tag: Some(transcript.tag(key, Role::Acceptor)),
        };
        send(writer, hello).await?;
        match next(reader).await? {
            Message::Auth { tag } if transcript.verifies(key, Role::Dialer, &tag) => {}
            Message::Auth { .. } => return Err(HandshakeError::BadTag),
            other => return Err(unexpected("AUTH", &other)),
        }
        Ok(dialer)
    })
    .await
}

/// Bounds a whole handshake by [`HANDSHAKE_TIMEOUT`].
async fn within_timeout<T>(
    exchange: impl Future<Output = Result<T, HandshakeError>>,
) -> Result<T, HandshakeError> {
    tokio::time::timeout(HANDSHAKE_TIMEOUT, exchange)
        .await
        .unwrap_or(Err(HandshakeError::Timeout))
}

/// Reads and parses the next line.
async fn next<R: AsyncRead + Unpin>(reader: &mut Reader<R>) -> Result<Message, HandshakeError> {
    match reader.next().await {
        None => Err(HandshakeError::Closed),
        Some(Err(e)) => Err(e.into()),
        Some(Ok(Line::TooLong)) => Err(HandshakeError::TooLong),
        Some(Ok(Line::Complete(line))) => Ok(Message::parse(&line)?),
    }
}

/// Writes one message and flushes it.
async fn send<W: AsyncWrite + Unpin>(
    writer: &mut Writer<W>,
    msg: Message,
) -> Result<(), HandshakeError> {
    tracing::debug!(event = "handshake_out", verb = msg.verb());
    writer.send(msg.to_bytes()).await?;
    Ok(())
}

fn unexpected(expected: &'static str, got: &Message) -> HandshakeError {
    HandshakeError::Unexpected {
        expected,
        got: got.verb(),
    }
}

/// A name from the network, cut to [`MAX_QUOTED_NAME`] characters.
fn quoted(name: &str) -> String {
    name.chars().take(MAX_QUOTED_NAME).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{DuplexStream, ReadHalf, WriteHalf};

    type End = (
        Reader<ReadHalf<DuplexStream>>,
        Writer<WriteHalf<DuplexStream>>,
    );

    fn pipe() -> (End, End) {
        let (a, b) = tokio::io::duplex(4096);
        let framed = |s: DuplexStream| {
            let (r, w) = tokio::io::split(s);
            (
                FramedRead::new(r, LineCodec::new(1024)),
                FramedWrite::new(w, LineCodec::new(1024)),
            )
        };
        (framed(a), framed(b))
    }

    fn key(s: &str) -> LinkKey {
        LinkKey::new(s.as_bytes()).unwrap()
    }

    /// The dialer's side on one end of a pipe, closing that end afterwards.
    async fn dial_end(
        (mut r, mut w): End,
        key: LinkKey,
        me: &str,
        them: &str,
    ) -> Result<(), HandshakeError> {
        dial(&mut r, &mut w, &key, me, them).await
    }

    /// The acceptor's side on one end of a pipe, allowing only `allowed`,
    /// closing that end afterwards.
    async fn accept_end(
        (mut r, mut w): End,
        key: LinkKey,
        me: &str,
        allowed: &str,
    ) -> Result<String, HandshakeError> {
        accept(&mut r, &mut w, &key, me, |n| n == allowed).await
    }

    #[tokio::test]
    async fn matching_keys_authenticate_both_ends() {
        let (d, a) = pipe();
        let (dialed, accepted) = tokio::join!(
            dial_end(d, key("shared"), "Goloman", "Hands"),
            accept_end(a, key("shared"), "Hands", "Goloman"),
        );
        dialed.unwrap();
        assert_eq!(accepted.unwrap(), "Goloman");
    }

    #[tokio::test]
    async fn wrong_key_fails_on_both_ends() {
        let (d, a) = pipe();
        let (dialed, accepted) = tokio::join!(
            dial_end(d, key("ours"), "Goloman", "Hands"),
            accept_end(a, key("theirs"), "Hands", "Goloman"),
        );
        assert!(matches!(dialed, Err(HandshakeError::BadTag)), "{dialed:?}");
        assert!(
            matches!(accepted, Err(HandshakeError::Closed)),
            "{accepted:?}"
        );
    }

    #[tokio::test]
    async fn acceptor_refuses_names_it_does_not_allow_before_answering() {
        let (d, a) = pipe();
        let (dialed, accepted) = tokio::join!(
            dial_end(d, key("shared"), "Mallory", "Hands"),
            accept_end(a, key("shared"), "Hands", "Goloman"),
        );
        assert!(matches!(accepted, Err(HandshakeError::NotAllowed(ref n)) if n == "Mallory"));
        assert!(matches!(dialed, Err(HandshakeError::Closed)), "{dialed:?}");
    }

    #[tokio::test]
    async fn dialer_refuses_an_acceptor_with_another_name() {
        let (d, a) = pipe();
        let (dialed, accepted) = tokio::join!(
            dial_end(d, key("shared"), "Goloman", "Hands"),
            accept_end(a, key("shared"), "Wilkes", "Goloman"),
        );
        assert!(
            matches!(dialed, Err(HandshakeError::WrongPeer { .. })),
            "{dialed:?}"
        );
        assert!(accepted.is_err());
    }

    #[tokio::test]
    async fn reflecting_the_acceptor_tag_back_fails() {
        let ((mut dr, mut dw), (mut ar, mut aw)) = pipe();
        let k = key("shared");
        let attacker = async {
            send(
                &mut dw,
                Message::Hello {
                    name: "Goloman".into(),
                    nonce: Nonce::random(),
                    tag: None,
                },
            )
            .await
            .unwrap();
            let Message::Hello { tag: Some(tag), .. } = next(&mut dr).await.unwrap() else {
                panic!("acceptor did not answer HELLO");
            };
            send(&mut dw, Message::Auth { tag }).await.unwrap();
        };
        let (_, accepted) = tokio::join!(attacker, accept(&mut ar, &mut aw, &k, "Hands", |_| true));
        assert!(
            matches!(accepted, Err(HandshakeError::BadTag)),
            "{accepted:?}"
        );
    }

    #[tokio::test]
    async fn silent_dialer_times_out() {
        let ((_dr, _dw), (mut ar, mut aw)) = pipe();
        let started = std::time::Instant::now();
        let r = accept(&mut ar, &mut aw, &key("k"), "Hands", |_| true).await;
        assert!(matches!(r, Err(HandshakeError::Timeout)), "{r:?}");
        assert!(started.elapsed() >= HANDSHAKE_TIMEOUT);
    }
}
