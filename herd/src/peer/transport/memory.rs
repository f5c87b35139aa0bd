//! The in-memory twin of TCP for peer links: a simulated network in one
//! process, for tests and simulations that must not depend on timing.
//!
//! Servers listen on made-up addresses ([`MemNet::listen`]) and dial through
//! a [`MemTransport`] that knows who they are. Every connection runs through
//! a relay that can, line by line, drop, duplicate or hold back (reorder) what
//! passes, with probabilities from [`Faults`] and decisions drawn from a
//! random generator seeded from the network's seed and the connection's
//! number, so one seed gives one sequence of faults. The first
//! [`HANDSHAKE_LINES`] lines each way are never touched, so links still
//! authenticate. [`MemNet::cut`] closes the connections between two servers
//! and refuses new ones until [`MemNet::heal`]: a partition.

use std::collections::{HashMap, HashSet};
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::{BufMut, Bytes, BytesMut};
use futures::{SinkExt, StreamExt};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::io::{DuplexStream, ReadHalf, WriteHalf};
use tokio::sync::mpsc;
use tokio::task::AbortHandle;
use tokio_util::codec::{FramedRead, FramedWrite};

use super::{Listener, Transport};
use proto::codec::{Line, LineCodec};

/// Lines each way that pass untouched at the start of a connection: the
/// handshake's.
pub const HANDSHAKE_LINES: usize = 2;

/// Bytes buffered in each direction of a simulated connection.
const PIPE_BYTES: usize = 256 * 1024;

/// Longest line a relay passes on.
const MAX_RELAYED_LINE: usize = 1024 * 1024;

/// Connections waiting to be accepted per listener.
const BACKLOG: usize = 64;

/// How long a relay holds a line back for reordering when nothing follows.
const HOLD: Duration = Duration::from_millis(20);

/// Per-line fault probabilities, each in `[0, 1]`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Faults {
    /// A line is lost.
    pub drop: f64,
    /// A line arrives twice.
    pub duplicate: f64,
    /// A line is held back and arrives after the next one.
    pub reorder: f64,
}

/// One end of a simulated connection.
type Half = (ReadHalf<DuplexStream>, WriteHalf<DuplexStream>);

/// A connection waiting to be accepted, and who dialed it.
type Incoming = (ReadHalf<DuplexStream>, WriteHalf<DuplexStream>, SocketAddr);

/// The relays of one connection, and the two servers it joins.
#[derive(Debug)]
struct Wire {
    ends: (SocketAddr, SocketAddr),
    relays: [AbortHandle; 2],
}

/// Everything the network knows, behind one lock held only for short
/// synchronous sections.
#[derive(Debug, Default)]
struct State {
    seed: u64,
    faults: Faults,
    listeners: HashMap<SocketAddr, mpsc::Sender<Incoming>>,
    /// Pairs that cannot reach each other, smaller address first.
    cut: HashSet<(SocketAddr, SocketAddr)>,
    wires: Vec<Wire>,
    /// Connections made so far; numbers each relay's random generator.
    connections: u64,
}

/// A simulated network. Cheap to clone; clones are the same network.
#[derive(Debug, Clone, Default)]
pub struct MemNet {
    state: Arc<Mutex<State>>,
}

/// Dials on a [`MemNet`] as the server listening at `me`.
#[derive(Debug, Clone)]
pub struct MemTransport {
    net: MemNet,
    me: SocketAddr,
}

/// Accepts the connections dialed to one address of a [`MemNet`].
#[derive(Debug)]
pub struct MemListener {
    net: MemNet,
    addr: SocketAddr,
    incoming: mpsc::Receiver<Incoming>,
}

/// `(a, b)` with the smaller address first.
fn pair(a: SocketAddr, b: SocketAddr) -> (SocketAddr, SocketAddr) {
    if a <= b { (a, b) } else { (b, a) }
}

impl MemNet {
    /// A network with no faults whose fault decisions derive from `seed`.
    pub fn new(seed: u64) -> Self {
        let net = Self::default();
        net.lock().seed = seed;
        net
    }

    /// Starts listening at `addr` (any address; nothing is bound). A
    /// listener already there is replaced.
    pub fn listen(&self, addr: SocketAddr) -> MemListener {
        let (tx, incoming) = mpsc::channel(BACKLOG);
        self.lock().listeners.insert(addr, tx);
        MemListener {
            net: self.clone(),
            addr,
            incoming,
        }
    }

    /// A transport that dials as the server listening at `me`.
    pub fn transport(&self, me: SocketAddr) -> MemTransport {
        MemTransport {
            net: self.clone(),
            me,
        }
    }

    /// Sets the fault probabilities of connections made from now on.
    pub fn set_faults(&self, faults: Faults) {
        self.lock().faults = faults;
    }

    /// Closes every connection between `a` and `b` and refuses new ones.
    pub fn cut(&self, a: SocketAddr, b: SocketAddr) {
        let ends = pair(a, b);
        let mut state = self.lock();
        state.cut.insert(ends);
        state.wires.retain(|wire| {
            let joins = wire.ends == ends;
            if joins {
                wire.relays.iter().for_each(AbortHandle::abort);
            }
            !joins
        });
    }

    /// Lets `a` and `b` connect again.
    pub fn heal(&self, a: SocketAddr, b: SocketAddr) {
        self.lock().cut.remove(&pair(a, b));
    }

    /// Lets every pair connect again.
    pub fn heal_all(&self) {
        self.lock().cut.clear();
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().expect("network lock poisoned")
    }

    /// Makes a connection from `from` to `to` through two relays.
    fn connect(&self, from: SocketAddr, to: SocketAddr) -> io::Result<Half> {
        let refused = || io::Error::from(io::ErrorKind::ConnectionRefused);
        let mut state = self.lock();
        state.wires.retain(|w| !w.relays[0].is_finished());
        if state.cut.contains(&pair(from, to)) {
            return Err(refused());
        }
        let listener = state.listeners.get(&to).ok_or_else(refused)?.clone();
        let (dialer, dialer_relay) = tokio::io::duplex(PIPE_BYTES);
        let (acceptor_relay, acceptor) = tokio::io::duplex(PIPE_BYTES);
        let (from_dialer, to_dialer) = tokio::io::split(dialer_relay);
        let (from_acceptor, to_acceptor) = tokio::io::split(acceptor_relay);
        let (acceptor_read, acceptor_write) = tokio::io::split(acceptor);
        listener
            .try_send((acceptor_read, acceptor_write, from))
            .map_err(|_| refused())?;
        state.connections += 1;
        let seed = state.seed ^ state.connections.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        let faults = state.faults;
        let relays = [
            tokio::spawn(relay(from_dialer, to_acceptor, faults, seed)).abort_handle(),
            tokio::spawn(relay(from_acceptor, to_dialer, faults, seed ^ 1)).abort_handle(),
        ];
        state.wires.push(Wire {
            ends: pair(from, to),
            relays,
        });
        Ok(tokio::io::split(dialer))
    }
}

/// Passes lines from `from` to `to`, with faults, until either side
/// closes; then closes `to`, so its reader sees the end as over TCP.
async fn relay(
    from: ReadHalf<DuplexStream>,
    to: WriteHalf<DuplexStream>,
    faults: Faults,
    seed: u64,
) {
    let mut lines = FramedRead::new(from, LineCodec::new(MAX_RELAYED_LINE));
    let mut out = FramedWrite::new(to, LineCodec::new(MAX_RELAYED_LINE));
    pass_lines(&mut lines, &mut out, faults, seed).await;
    let _ = out.close().await;
}

/// The body of [`relay`]: returns when either side is done.
async fn pass_lines(
    lines: &mut FramedRead<ReadHalf<DuplexStream>, LineCodec>,
    out: &mut FramedWrite<WriteHalf<DuplexStream>, LineCodec>,
    faults: Faults,
    seed: u64,
) {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut held: Option<Bytes> = None;
    let mut passed = 0;
    loop {
        let next = match held {
            Some(_) => tokio::time::timeout(HOLD, lines.next()).await,
            None => Ok(lines.next().await),
        };
        let line = match next {
            Err(_) => {
                // Nothing followed the held line: let it go.
                let send = held.take().map(|line| out.send(line));
                if let Some(send) = send
                    && send.await.is_err()
                {
                    return;
                }
                continue;
            }
            Ok(Some(Ok(Line::Complete(line)))) => line,
            Ok(Some(Ok(Line::TooLong))) => continue,
            Ok(None | Some(Err(_))) => return,
        };
        let mut framed = BytesMut::with_capacity(line.len() + 1);
        framed.put_slice(&line);
        framed.put_u8(b'\n');
        let framed = framed.freeze();
        passed += 1;
        let mut send = vec![];
        if passed <= HANDSHAKE_LINES {
            send.push(framed);
        } else if rng.random_bool(faults.drop.clamp(0.0, 1.0)) {
        } else if held.is_none() && rng.random_bool(faults.reorder.clamp(0.0, 1.0)) {
            held = Some(framed);
            continue;
        } else {
            if rng.random_bool(faults.duplicate.clamp(0.0, 1.0)) {
                send.push(framed.clone());
            }
            send.push(framed);
        }
        send.extend(held.take());
        for line in send {
            if out.send(line).await.is_err() {
                return;
            }
        }
    }
}

impl Transport for MemTransport {
    type Read = ReadHalf<DuplexStream>;
    type Write = WriteHalf<DuplexStream>;

    async fn connect(&self, to: SocketAddr) -> io::Result<Half> {
        self.net.connect(self.me, to)
    }
}

impl Listener for MemListener {
    type Read = ReadHalf<DuplexStream>;
    type Write = WriteHalf<DuplexStream>;

    async fn accept(&mut self) -> io::Result<Incoming> {
        self.incoming
            .recv()
            .await
            .ok_or_else(|| io::Error::from(io::ErrorKind::NotConnected))
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        Ok(self.addr)
    }
}

impl Drop for MemListener {
    fn drop(&mut self) {
        // Closing our end first tells our sender from a newer listener's.
        self.incoming.close();
        let mut state = self.net.lock();
        let mine = state
            .listeners
            .get(&self.addr)
            .is_some_and(|tx| tx.is_closed());
        if mine {
            state.listeners.remove(&self.addr);
        }
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

    use super::*;

    fn addr(last: u8) -> SocketAddr {
        SocketAddr::from(([10, 0, 0, last], 9000))
    }

    /// Sends `lines` from a dialer to a listener and returns what arrives.
    async fn pass(net: &MemNet, lines: usize) -> Vec<String> {
        let mut listener = net.listen(addr(2));
        let (_, mut write) = net.transport(addr(1)).connect(addr(2)).await.unwrap();
        let (read, _, from) = listener.accept().await.unwrap();
        assert_eq!(from, addr(1));
        for i in 0..lines {
            write
                .write_all(format!("line {i}\n").as_bytes())
                .await
                .unwrap();
        }
        drop(write);
        let mut got = Vec::new();
        let mut read = BufReader::new(read).lines();
        while let Some(line) = read.next_line().await.unwrap() {
            got.push(line);
        }
        got
    }

    #[tokio::test]
    async fn a_clean_network_passes_every_line_in_order() {
        let got = pass(&MemNet::new(1), 100).await;
        let want: Vec<String> = (0..100).map(|i| format!("line {i}")).collect();
        assert_eq!(got, want);
    }

    #[tokio::test]
    async fn the_same_seed_gives_the_same_faults_and_the_handshake_is_spared() {
        let faults = Faults {
            drop: 0.2,
            duplicate: 0.1,
            reorder: 0.1,
        };
        let run = |seed| {
            let net = MemNet::new(seed);
            net.set_faults(faults);
            async move { pass(&net, 200).await }
        };
        let (first, again, other) = (run(7).await, run(7).await, run(8).await);
        assert_eq!(first, again);
        assert_ne!(first, other);
        assert_eq!(first[..HANDSHAKE_LINES], ["line 0", "line 1"]);
        assert!(first.len() != 200 || first.windows(2).any(|w| w[0] == w[1]));
    }

    #[tokio::test]
    async fn a_cut_closes_open_connections_and_refuses_new_ones_until_healed() {
        let net = MemNet::new(1);
        let mut listener = net.listen(addr(2));
        let dialer = net.transport(addr(1));
        let (mut read, _write) = dialer.connect(addr(2)).await.unwrap();
        let _accepted = listener.accept().await.unwrap();
        net.cut(addr(2), addr(1));
        let mut buf = [0u8; 8];
        let n = tokio::io::AsyncReadExt::read(&mut read, &mut buf)
            .await
            .unwrap_or(0);
        assert_eq!(n, 0, "the cut connection ends");
        let refused = dialer.connect(addr(2)).await.unwrap_err();
        assert_eq!(refused.kind(), io::ErrorKind::ConnectionRefused);
        net.heal(addr(1), addr(2));
        assert!(dialer.connect(addr(2)).await.is_ok());
        drop(listener);
        assert!(dialer.connect(addr(2)).await.is_err(), "nobody listens");
    }
}
