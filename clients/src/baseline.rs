//! The baseline: the least a server can do for IAMAT, to measure the herd
//! against. It parses an IAMAT and formats the `AT` reply with the herd's
//! own grammar (`proto`), but keeps no state, floods nothing and logs
//! nothing.
//! Everything else, WHATSAT included, gets `? <line>`.
//!
//! Its connection loop has the herd's shape: read into a buffer, cut out
//! every complete line, answer them all into one buffer, write it once; after
//! the client half-closes, answer what is left and close.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::{Buf, Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::time::timeout;

use base::topology::DEFAULT_MAX_CLIENT_ID;
use proto::client::{IAmAt, Invalid};
use proto::fields::fields;

/// Longest line accepted; a longer one ends the connection.
pub const MAX_LINE: usize = 64 * 1024;

/// Connections served at once; more wait in the backlog (the herd's default).
pub const MAX_CONNECTIONS: usize = 1024;

/// A connection silent this long is closed.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(300);

/// A reply not written within this time drops the connection.
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(30);

/// Accepts connections forever, answering as server `name`.
pub async fn serve(listener: TcpListener, name: Arc<str>) -> std::io::Result<()> {
    let limit = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    loop {
        let permit = Arc::clone(&limit)
            .acquire_owned()
            .await
            .expect("the semaphore is never closed");
        let (stream, _) = listener.accept().await?;
        let name = Arc::clone(&name);
        tokio::spawn(async move {
            // A failed connection only ends itself; the baseline has no log.
            let _ = connection(stream, &name).await;
            drop(permit);
        });
    }
}

/// Serves one client until it closes, goes idle or misbehaves.
async fn connection(mut stream: TcpStream, name: &str) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    let mut buf = BytesMut::with_capacity(16 * 1024);
    let mut out = Vec::with_capacity(16 * 1024);
    loop {
        buf.reserve(4 * 1024);
        let n = match timeout(IDLE_TIMEOUT, stream.read_buf(&mut buf)).await {
            Err(_) => return Ok(()),
            Ok(n) => n?,
        };
        while let Some(end) = buf.iter().position(|&b| b == b'\n') {
            let line = &buf[..end];
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            reply(line, name, SystemTime::now(), &mut out);
            buf.advance(end + 1);
        }
        let eof = n == 0;
        if eof && !buf.is_empty() {
            let line = buf.split();
            reply(
                line.strip_suffix(b"\r").unwrap_or(&line),
                name,
                SystemTime::now(),
                &mut out,
            );
        }
        if !out.is_empty() {
            timeout(WRITE_TIMEOUT, stream.write_all(&out))
                .await
                .map_err(|_| std::io::ErrorKind::TimedOut)??;
            out.clear();
        }
        if eof {
            return stream.shutdown().await;
        }
        if buf.len() > MAX_LINE {
            return Ok(());
        }
    }
}

/// Appends the reply to one line (terminator removed) to `out`, read and
/// written with the herd's own grammar (`proto`): the `AT` line of a valid
/// IAMAT received at `now`, `? line` for anything else.
pub fn reply(line: &[u8], name: &str, now: SystemTime, out: &mut Vec<u8>) {
    let mut it = fields(line);
    let iamat = match it.next() {
        Some(IAmAt::VERB) => IAmAt::parse(it, DEFAULT_MAX_CLIENT_ID),
        _ => None,
    };
    match iamat {
        Some(iamat) => out.extend_from_slice(iamat.answer(name, now).at_line()),
        None => Invalid::new(Bytes::copy_from_slice(line)).write_reply(out),
    }
    out.push(b'\n');
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;

    const KIWI: &[u8] = b"IAMAT kiwi.cs.ucla.edu +34.068930-118.445127 1520023934.918963997";

    /// True when `line` is `AT <name> <+|->S.NNNNNNNNN <rest>\n`.
    fn is_at_reply(line: &str, name: &str, rest: &str) -> bool {
        let Some(body) = line.strip_suffix('\n') else {
            return false;
        };
        let fields: Vec<&str> = body.split(' ').collect();
        let [at, server, diff, tail @ ..] = fields.as_slice() else {
            return false;
        };
        let Some((secs, nanos)) = diff[1..].split_once('.') else {
            return false;
        };
        *at == "AT"
            && *server == name
            && (diff.starts_with('+') || diff.starts_with('-'))
            && !secs.is_empty()
            && secs.bytes().all(|b| b.is_ascii_digit())
            && nanos.len() == 9
            && nanos.bytes().all(|b| b.is_ascii_digit())
            && tail.join(" ") == rest
    }

    fn reply_str(line: &[u8], now_nanos: u64) -> String {
        let mut out = Vec::new();
        let now = UNIX_EPOCH + std::time::Duration::from_nanos(now_nanos);
        reply(line, "Goloman", now, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn spec_example_gets_spec_reply() {
        let got = reply_str(KIWI, 1_520_023_935_182_837_383);
        assert_eq!(
            got,
            "AT Goloman +0.263873386 kiwi.cs.ucla.edu +34.068930-118.445127 1520023934.918963997\n"
        );
        assert!(is_at_reply(
            &got,
            "Goloman",
            "kiwi.cs.ucla.edu +34.068930-118.445127 1520023934.918963997"
        ));
    }

    #[test]
    fn client_ahead_of_server_gets_negative_diff() {
        let got = reply_str(b"IAMAT c +1-2 10.5", 9_000_000_000);
        assert_eq!(got, "AT Goloman -1.500000000 c +1-2 10.5\n");
    }

    #[test]
    fn padded_iamat_is_answered_with_single_spaces() {
        let got = reply_str(b" \tIAMAT  c\x0b+1-2 7 ", 7_000_000_000);
        assert_eq!(got, "AT Goloman +0.000000000 c +1-2 7\n");
    }

    #[test]
    fn invalid_lines_are_echoed_after_question_mark() {
        for bad in [
            &b"IAMAT c +1-2"[..],
            b"IAMAT c +1-2 7 8",
            b"IAMAT c 1-2 7",
            b"IAMAT c +91-2 7",
            b"IAMAT c +1-2 7.0000000001",
            b"IAMAT c +1-2 -7",
            b"WHATSAT kiwi 10 5",
            b"",
            b"\xff junk",
        ] {
            let mut out = Vec::new();
            reply(bad, "Goloman", UNIX_EPOCH, &mut out);
            assert_eq!(out, [&b"? "[..], bad, b"\n"].concat());
        }
    }

    #[tokio::test]
    async fn pipelined_lines_are_answered_in_order_then_closed() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(serve(listener, Arc::from("Baseline")));
        let mut request = Vec::new();
        request.extend_from_slice(KIWI);
        request.extend_from_slice(b"\r\nbogus\nIAMAT last +0+0 1");
        let reply = crate::exchange::exchange(addr, &request, Default::default())
            .await
            .unwrap();
        let reply = String::from_utf8(reply).unwrap();
        let lines: Vec<String> = reply.split_inclusive('\n').map(str::to_owned).collect();
        assert_eq!(lines.len(), 3, "{reply:?}");
        assert!(is_at_reply(
            &lines[0],
            "Baseline",
            "kiwi.cs.ucla.edu +34.068930-118.445127 1520023934.918963997"
        ));
        assert_eq!(lines[1], "? bogus\n");
        assert!(
            is_at_reply(&lines[2], "Baseline", "last +0+0 1"),
            "{reply:?}"
        );
        server.abort();
    }
}
