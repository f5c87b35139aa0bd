//! The events logged for every line: `client_in`, `client_out`, `peer_in`
//! and `peer_out`.
//!
//! They are many (two or more per request), so they skip `tracing`'s
//! machinery: each connection and link formats them by hand into its own
//! buffer, in the same text format `tracing` writes, and hands the buffer to
//! the log writer once per batch ([`Events::flush`]). Every line still
//! carries the time it was logged. Before a connection or link logs
//! anything through `tracing`, it flushes, so its lines stay in order in
//! the file.
//!
//! Without an installed log file (the library used in-process, as tests
//! do) the same events go through `tracing` instead, to whatever subscriber
//! is set.

use std::time::SystemTime;

use super::clock::Clock;
use super::writer::{CHUNK_CAPACITY, Sink, sink};
use super::{Escaped, push_escaped};

/// A buffer is handed to the writer once it holds this much, even mid-batch.
const FLUSH_AT: usize = 64 * 1024;

/// Where events go.
#[derive(Debug)]
enum Mode {
    /// Formatted here, handed to the log writer.
    Buffered(&'static Sink),
    /// Through `tracing`, when no log file is installed.
    Tracing,
    /// `RUST_LOG` keeps `info` out of the log file.
    Off,
}

/// One connection's or link's per-line events, not yet handed to the log
/// writer. Dropping it flushes.
#[derive(Debug)]
pub struct Events {
    mode: Mode,
    buf: Vec<u8>,
    clock: Clock,
}

impl Default for Events {
    fn default() -> Self {
        Self::new()
    }
}

impl Events {
    /// An empty buffer writing to the installed log file, or to `tracing`.
    pub fn new() -> Self {
        let mode = match sink() {
            Some(sink) if sink.info => Mode::Buffered(sink),
            Some(_) => Mode::Off,
            None => Mode::Tracing,
        };
        Self {
            mode,
            buf: Vec::new(),
            clock: Clock::default(),
        }
    }

    /// `client_in`: a line read from client connection `conn`, stamped
    /// with the time it was `received` (the time its reply is computed from).
    pub fn client_in(&mut self, conn: u64, line: &[u8], received: SystemTime) {
        match self.mode {
            Mode::Buffered(_) => {
                self.head(b"client_in\" conn=", Some(received));
                self.conn_line(conn, b" line=", line);
            }
            Mode::Tracing => tracing::info!(event = "client_in", conn, line = %Escaped(line)),
            Mode::Off => {}
        }
    }

    /// `client_out`: a reply (or update) written to client connection `conn`.
    pub fn client_out(&mut self, conn: u64, reply: &[u8]) {
        match self.mode {
            Mode::Buffered(_) => {
                self.head(b"client_out\" conn=", None);
                self.conn_line(conn, b" reply=", reply);
            }
            Mode::Tracing => tracing::info!(event = "client_out", conn, reply = %Escaped(reply)),
            Mode::Off => {}
        }
    }

    /// `peer_in`: a line read from neighbour `peer`; for a location,
    /// whether it was `taken` (newer than what was held).
    pub fn peer_in(&mut self, peer: &str, line: &[u8], taken: Option<bool>) {
        match (&self.mode, taken) {
            (Mode::Buffered(_), _) => {
                self.peer_line(b"peer_in\" peer=", peer, line);
                if let Some(taken) = taken {
                    self.buf.truncate(self.buf.len() - 1);
                    self.buf.extend_from_slice(match taken {
                        true => b" taken=true\n",
                        false => b" taken=false\n",
                    });
                }
                self.flush_if_full();
            }
            (Mode::Tracing, Some(taken)) => {
                tracing::info!(event = "peer_in", peer = %peer, line = %Escaped(line), taken);
            }
            (Mode::Tracing, None) => {
                tracing::info!(event = "peer_in", peer = %peer, line = %Escaped(line));
            }
            (Mode::Off, _) => {}
        }
    }

    /// `peer_out`: a line written to neighbour `peer`.
    pub fn peer_out(&mut self, peer: &str, line: &[u8]) {
        match self.mode {
            Mode::Buffered(_) => {
                self.peer_line(b"peer_out\" peer=", peer, line);
                self.flush_if_full();
            }
            Mode::Tracing => {
                tracing::info!(event = "peer_out", peer = %peer, line = %Escaped(line))
            }
            Mode::Off => {}
        }
    }

    /// Hands what is buffered to the log writer (waiting for room if it is
    /// behind).
    pub fn flush(&mut self) {
        if let Mode::Buffered(sink) = self.mode
            && !self.buf.is_empty()
        {
            sink.send(std::mem::replace(&mut self.buf, sink.buffer()));
        }
    }

    /// After [`Events::head`]: `<n><field>"<text>"`, the end of the line.
    fn conn_line(&mut self, n: u64, field: &[u8], text: &[u8]) {
        self.buf
            .extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
        self.buf.extend_from_slice(field);
        push_escaped(&mut self.buf, text);
        self.buf.push(b'\n');
        self.flush_if_full();
    }

    /// `<time>  INFO event="<what><peer> line="<text>"`
    fn peer_line(&mut self, what: &[u8], peer: &str, text: &[u8]) {
        self.head(what, None);
        self.buf.extend_from_slice(peer.as_bytes());
        self.buf.extend_from_slice(b" line=");
        push_escaped(&mut self.buf, text);
        self.buf.push(b'\n');
    }

    /// The timestamp (`at`, or now), the level and the start of the
    /// `event` field.
    fn head(&mut self, what: &[u8], at: Option<SystemTime>) {
        if self.buf.capacity() == 0 {
            self.buf.reserve(CHUNK_CAPACITY);
        }
        match at {
            Some(time) => self.clock.stamp_time(time, &mut self.buf),
            None => self.clock.stamp(&mut self.buf),
        }
        self.buf.extend_from_slice(b"  INFO event=\"");
        self.buf.extend_from_slice(what);
    }

    fn flush_if_full(&mut self) {
        if self.buf.len() >= FLUSH_AT {
            self.flush();
        }
    }

    /// The buffered text, for tests.
    #[cfg(test)]
    fn buffered(&self) -> &[u8] {
        &self.buf
    }
}

impl Drop for Events {
    fn drop(&mut self) {
        self.flush();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::OnceLock;

    use super::*;

    /// A buffered `Events` whose flushes go nowhere (no sink is installed
    /// in unit tests; only the formatting is under test).
    fn buffered() -> Events {
        static NOWHERE: OnceLock<Sink> = OnceLock::new();
        let sink = NOWHERE.get_or_init(Sink::detached);
        Events {
            mode: Mode::Buffered(sink),
            buf: Vec::new(),
            clock: Clock::default(),
        }
    }

    /// The lines buffered, timestamps checked and cut off.
    fn lines(events: &Events) -> Vec<String> {
        String::from_utf8(events.buffered().to_vec())
            .unwrap()
            .lines()
            .map(|line| {
                let (stamp, rest) = line.split_at(27);
                assert!(
                    stamp.ends_with('Z') && stamp.as_bytes()[10] == b'T',
                    "{line}"
                );
                rest.to_owned()
            })
            .collect()
    }

    #[test]
    fn lines_have_the_documented_format() {
        let mut events = buffered();
        events.client_in(7, b"IAMAT kiwi +1+2 3", SystemTime::now());
        events.client_out(7, b"? JUNK \"x\x01\n");
        events.peer_in("Hands", b"AT S +0.000000000 c +1+2 5", Some(true));
        events.peer_in("Hands", b"MEDAL Goloman 1 Gaul gold 1", None);
        events.peer_out("Wilkes", b"AT S +0.000000000 c +1+2 5");
        assert_eq!(
            lines(&events),
            [
                r#"  INFO event="client_in" conn=7 line="IAMAT kiwi +1+2 3""#,
                r#"  INFO event="client_out" conn=7 reply="? JUNK \"x\x01\n""#,
                r#"  INFO event="peer_in" peer=Hands line="AT S +0.000000000 c +1+2 5" taken=true"#,
                r#"  INFO event="peer_in" peer=Hands line="MEDAL Goloman 1 Gaul gold 1""#,
                r#"  INFO event="peer_out" peer=Wilkes line="AT S +0.000000000 c +1+2 5""#,
            ]
        );
    }

    #[test]
    fn a_line_cannot_forge_another() {
        let mut events = buffered();
        let forged = b"x\n2026-01-01T00:00:00.000000Z  INFO event=\"forged\"";
        events.client_in(1, forged, SystemTime::now());
        assert_eq!(lines(&events).len(), 1);
    }
}
