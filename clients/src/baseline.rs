//! The baseline: the least a server can do for IAMAT, to measure the herd
//! against. It parses an IAMAT as strictly as the herd does and formats the
//! same `AT` reply, but keeps no state, floods nothing and logs nothing.
//! Everything else, WHATSAT included, gets `? <line>`.
//!
//! Its connection loop has the herd's shape: read into a buffer, cut out
//! every complete line, answer them all into one buffer, write it once; after
//! the client half-closes, answer what is left and close.

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Buf, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::time::timeout;

use crate::protocol::now_nanos;

/// Longest line accepted; a longer one ends the connection.
pub const MAX_LINE: usize = 64 * 1024;

/// Connections served at once; more wait in the backlog (the herd's default).
pub const MAX_CONNECTIONS: usize = 1024;

/// A connection silent this long is closed.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(300);

/// A reply not written within this time drops the connection.
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(30);

/// Nanoseconds per second.
const NANOS: u128 = 1_000_000_000;

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
            reply(line, name, now_nanos(), &mut out);
            buf.advance(end + 1);
        }
        let eof = n == 0;
        if eof && !buf.is_empty() {
            let line = buf.split();
            reply(
                line.strip_suffix(b"\r").unwrap_or(&line),
                name,
                now_nanos(),
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

/// Appends the reply to one line (terminator removed) to `out`:
/// `AT name diff client coords time\n` for a valid IAMAT, `? line\n` else.
pub fn reply(line: &[u8], name: &str, now_nanos: u128, out: &mut Vec<u8>) {
    let Some(iamat) = Iamat::parse(line) else {
        out.extend_from_slice(b"? ");
        out.extend_from_slice(line);
        out.push(b'\n');
        return;
    };
    let diff = now_nanos as i128 - iamat.time_nanos as i128;
    let sign = if diff < 0 { '-' } else { '+' };
    let magnitude = diff.unsigned_abs();
    // Writing into a Vec cannot fail.
    let _ = write!(
        out,
        "AT {name} {sign}{}.{:09} ",
        magnitude / NANOS,
        magnitude % NANOS
    );
    for field in [iamat.client, iamat.coords] {
        out.extend_from_slice(field);
        out.push(b' ');
    }
    out.extend_from_slice(iamat.time);
    out.push(b'\n');
}

/// The operands of a valid IAMAT, borrowed from the line.
struct Iamat<'a> {
    client: &'a [u8],
    coords: &'a [u8],
    time: &'a [u8],
    time_nanos: u128,
}

impl<'a> Iamat<'a> {
    /// `IAMAT client coords time`: exactly four fields, ISO 6709 coordinates
    /// within range, and a POSIX time with at most nine fraction digits.
    fn parse(line: &'a [u8]) -> Option<Self> {
        let mut it = line
            .split(|&b| matches!(b, b' ' | b'\t' | b'\r' | b'\n' | 0x0b | 0x0c))
            .filter(|f| !f.is_empty());
        let (verb, client, coords, time) = (it.next()?, it.next()?, it.next()?, it.next()?);
        if verb != b"IAMAT" || it.next().is_some() || !valid_coords(coords) {
            return None;
        }
        let time_nanos = parse_time(time)?;
        Some(Self {
            client,
            coords,
            time,
            time_nanos,
        })
    }
}

/// `±DD[.D+]±DDD[.D+]` with latitude within ±90 and longitude within ±180.
fn valid_coords(text: &[u8]) -> bool {
    let Some((lat, rest)) = signed_decimal(text) else {
        return false;
    };
    let Some((lng, rest)) = signed_decimal(rest) else {
        return false;
    };
    rest.is_empty() && lat.abs() <= 90.0 && lng.abs() <= 180.0
}

/// One `±digits[.digits]` from the front of `text`, and the rest.
fn signed_decimal(text: &[u8]) -> Option<(f64, &[u8])> {
    if !matches!(text.first(), Some(b'+' | b'-')) {
        return None;
    }
    let digits = |from: usize| {
        text[from..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count()
    };
    let int = digits(1);
    if int == 0 {
        return None;
    }
    let mut end = 1 + int;
    if text.get(end) == Some(&b'.') {
        let frac = digits(end + 1);
        if frac == 0 {
            return None;
        }
        end += 1 + frac;
    }
    let value = std::str::from_utf8(&text[..end]).ok()?.parse().ok()?;
    Some((value, &text[end..]))
}

/// `SECONDS[.FRACTION]`, at most 20 second digits and 9 fraction digits,
/// as nanoseconds.
fn parse_time(text: &[u8]) -> Option<u128> {
    let (secs, frac) = match text.iter().position(|&b| b == b'.') {
        Some(dot) => (&text[..dot], &text[dot + 1..]),
        None => (text, &b"0"[..]),
    };
    let all_digits = |s: &[u8]| !s.is_empty() && s.iter().all(u8::is_ascii_digit);
    if !all_digits(secs) || !all_digits(frac) || secs.len() > 20 || frac.len() > 9 {
        return None;
    }
    let number = |s: &[u8]| s.iter().fold(0u128, |n, &d| n * 10 + u128::from(d - b'0'));
    Some(number(secs) * NANOS + number(frac) * 10u128.pow(9 - frac.len() as u32))
}

#[cfg(test)]
mod tests {
    use super::*;

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

    fn reply_str(line: &[u8], now: u128) -> String {
        let mut out = Vec::new();
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
            reply(bad, "Goloman", 0, &mut out);
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
