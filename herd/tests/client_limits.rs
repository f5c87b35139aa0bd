//! No client can lock others out of a herd server: idle, slowloris and
//! subscribed connections held by the thousand never keep a new client
//! from being answered within a second; at a connection limit the
//! longest-idle connection is shed (one source only ever sheds its own); an
//! unfinished line is cut off after the line timeout; a subscriber is
//! pinged, and closed only if it stays silent for the idle timeout.

mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use common::sockets::{closed_within, connect_from, enough_descriptors};
use common::{TestHerd, WAIT};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::time::timeout;

/// The deadline for a new client's answer.
const ANSWERED_WITHIN: Duration = Duration::from_secs(1);

/// Connections held against the server in the lockout test.
const HELD: usize = 2000;

/// Descriptors this process needs for [`HELD`] connections and the rest.
const FDS_NEEDED: u64 = HELD as u64 + 256;

/// Sends `line` and reads one reply line, or panics after `limit`.
async fn ask(stream: &mut BufReader<TcpStream>, line: &str, limit: Duration) -> String {
    let exchange = async {
        stream.get_mut().write_all(line.as_bytes()).await?;
        let mut reply = String::new();
        stream.read_line(&mut reply).await?;
        Ok::<_, std::io::Error>(reply)
    };
    match timeout(limit, exchange).await {
        Ok(Ok(reply)) => reply,
        Ok(Err(e)) => panic!("{line:?} failed: {e}"),
        Err(_) => panic!("{line:?} was not answered within {limit:?}"),
    }
}

/// A new client from `source` sends an IAMAT and must be answered in time.
async fn new_client_is_answered(source: u8, addr: SocketAddr) -> BufReader<TcpStream> {
    let started = Instant::now();
    let stream = timeout(ANSWERED_WITHIN, connect_from(source, addr))
        .await
        .expect("connected within the deadline");
    let mut stream = BufReader::new(stream);
    let left = ANSWERED_WITHIN.saturating_sub(started.elapsed());
    let reply = ask(&mut stream, "IAMAT newcomer +1+1 1\n", left).await;
    assert!(reply.starts_with("AT Goloman "), "{reply:?}");
    stream
}

/// Polls the log of Goloman until it contains `wanted`.
fn log_shows(herd: &TestHerd, wanted: &str) {
    let deadline = Instant::now() + WAIT;
    while !herd.log("Goloman").contains(wanted) {
        assert!(Instant::now() < deadline, "the log never showed {wanted}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_client_is_answered_within_a_second_while_2000_idle_slowloris_and_subscribed_connections_are_held()
 {
    if !enough_descriptors(FDS_NEEDED) {
        return;
    }
    // Default limits (1,024 connections, 256 per source) and a line timeout
    // longer than the test, so the tricklers are held, not timed out.
    let herd = TestHerd::start(&["Goloman"], &[], "[limits]\nline_timeout_secs = 600\n");
    let addr = herd.client("Goloman");
    let (mut held, mut tricklers) = (Vec::new(), Vec::new());
    for i in 0..HELD {
        // Eight sources of 250, under the per-source limit: the whole
        // listener fills, not one source's share.
        let mut stream = connect_from(2 + (i % 8) as u8, addr).await;
        match i % 3 {
            0 => held.push(stream),
            1 => tricklers.push(stream),
            _ => {
                let _ = stream.write_all(b"SUBSCRIBE curling\n").await;
                held.push(stream);
            }
        }
    }
    let trickling = tokio::spawn(async move {
        loop {
            for stream in &mut tricklers {
                let _ = stream.try_write(b"I");
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    });
    for _ in 0..3 {
        new_client_is_answered(1, addr).await;
    }
    trickling.abort();
    log_shows(&herd, "event=\"client_shed\"");
    log_shows(&herd, "reason=max_connections");
    drop(held);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_max_connections_the_longest_idle_connections_are_shed_not_an_active_client() {
    let herd = TestHerd::start(
        &["Goloman"],
        &[],
        "[limits]\nmax_connections = 20\nmax_per_source = 100\n",
    );
    let addr = herd.client("Goloman");
    let mut idle = Vec::new();
    for _ in 0..18 {
        idle.push(connect_from(2, addr).await);
    }
    // An active client: a command every 50 ms, each answered.
    let mut active = BufReader::new(connect_from(3, addr).await);
    let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
    let activity = tokio::spawn(async move {
        let mut answered = 0;
        loop {
            let reply = ask(&mut active, "EVENTS\n", WAIT).await;
            assert!(reply.starts_with("EVENTS "), "{reply:?}");
            answered += 1;
            tokio::select! {
                _ = &mut stopped => return answered,
                () = tokio::time::sleep(Duration::from_millis(50)) => {}
            }
        }
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    // Each newcomer past the limit takes the place of an old idle one.
    let mut newcomers = Vec::new();
    for _ in 0..10 {
        newcomers.push(new_client_is_answered(4, addr).await);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for (i, stream) in idle.iter_mut().take(9).enumerate() {
        assert!(
            closed_within(stream, WAIT).await,
            "idle connection {i} was not shed"
        );
    }
    let _ = stop.send(());
    let answered = activity.await.expect("the active client was never cut off");
    assert!(answered > 10, "{answered}");
    log_shows(&herd, "reason=max_connections");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_source_address_at_its_limit_sheds_only_its_own_connections() {
    let herd = TestHerd::start(
        &["Goloman"],
        &[],
        "[limits]\nmax_connections = 60\nmax_per_source = 20\n",
    );
    let addr = herd.client("Goloman");
    // Others' connections, idle and older than any of the flood.
    let mut others = Vec::new();
    for _ in 0..10 {
        others.push(BufReader::new(connect_from(2, addr).await));
    }
    let mut flood = Vec::new();
    for _ in 0..200 {
        flood.push(connect_from(3, addr).await);
    }
    new_client_is_answered(4, addr).await;
    for other in &mut others {
        let reply = ask(other, "EVENTS\n", WAIT).await;
        assert!(reply.starts_with("EVENTS "), "{reply:?}");
    }
    assert!(closed_within(&mut flood[0], WAIT).await);
    log_shows(&herd, "reason=max_per_source");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_line_left_unfinished_past_the_line_timeout_closes_the_connection() {
    let herd = TestHerd::start(&["Goloman"], &[], "[limits]\nline_timeout_secs = 1\n");
    let mut slow = connect_from(1, herd.client("Goloman")).await;
    let started = Instant::now();
    let mut closed = false;
    while started.elapsed() < Duration::from_secs(8) {
        // A byte every 200 ms, never a newline.
        let _ = slow.write_all(b"I").await;
        if closed_within(&mut slow, Duration::from_millis(200)).await {
            closed = true;
            break;
        }
    }
    assert!(closed, "a slowloris line held the connection for 8 s");
    assert!(started.elapsed() >= Duration::from_millis(800));
    log_shows(&herd, "reason=SlowLine");
}

/// Limits for the subscriber tests: pinged after 1 s, closed after 3 s.
const PINGED: &str = "[limits]\nidle_timeout_secs = 3\nping_interval_secs = 1\n";

/// A connection subscribed to curling, past its `SUBSCRIBED` line.
async fn subscriber(herd: &TestHerd) -> BufReader<TcpStream> {
    let mut stream = BufReader::new(connect_from(1, herd.client("Goloman")).await);
    let reply = ask(&mut stream, "SUBSCRIBE curling\n", WAIT).await;
    assert_eq!(reply, "SUBSCRIBED curling\n");
    stream
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscriber_that_never_answers_ping_is_closed_after_the_idle_timeout() {
    let herd = TestHerd::start(&["Goloman"], &[], PINGED);
    let mut stream = subscriber(&herd).await;
    let started = Instant::now();
    let mut pings = 0;
    loop {
        let mut line = String::new();
        match timeout(WAIT, stream.read_line(&mut line)).await {
            Err(_) => panic!("a silent subscriber was still open after {WAIT:?}"),
            Ok(Ok(0) | Err(_)) => break,
            Ok(Ok(_)) => {
                assert_eq!(line, "PING\n");
                pings += 1;
            }
        }
    }
    assert!(pings >= 1, "closed without a PING");
    assert!(started.elapsed() >= Duration::from_secs(2));
    log_shows(&herd, "reason=Idle");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscriber_that_answers_ping_stays_open_and_pong_gets_no_reply() {
    let herd = TestHerd::start(&["Goloman"], &[], PINGED);
    // `next_line` is cancel-safe, so a read may time out mid-line.
    let mut lines = subscriber(&herd).await.lines();
    let started = Instant::now();
    let mut pings = 0;
    // Twice the idle timeout, answering every PING with PONG.
    while started.elapsed() < Duration::from_secs(7) {
        match timeout(Duration::from_millis(200), lines.next_line()).await {
            Err(_) => continue,
            Ok(Ok(None) | Err(_)) => panic!("a subscriber answering PING was closed"),
            Ok(Ok(Some(line))) => {
                assert_eq!(line, "PING");
                pings += 1;
                lines
                    .get_mut()
                    .get_mut()
                    .write_all(b"PONG\n")
                    .await
                    .unwrap();
            }
        }
    }
    assert!(pings >= 3, "{pings} pings in 7 s");
    let mut stream = lines.into_inner();
    let reply = ask(&mut stream, "EVENTS\n", WAIT).await;
    assert!(reply.starts_with("EVENTS "), "{reply:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_ping_is_answered_pong() {
    let herd = TestHerd::start(&["Goloman"], &[], "");
    let mut stream = BufReader::new(connect_from(1, herd.client("Goloman")).await);
    assert_eq!(ask(&mut stream, "PING\n", WAIT).await, "PONG\n");
    assert_eq!(
        ask(&mut stream, "PING extra\n", WAIT).await,
        "? PING extra\n"
    );
}
