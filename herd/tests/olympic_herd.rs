//! The Olympic verbs against real herd processes: replies, errors, auth,
//! subscriptions across the herd, exact tallies under concurrent writes,
//! and kill -9 in the middle of a stream of writes.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use common::*;

/// A persistent line-at-a-time connection.
struct Session {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Session {
    fn open(addr: SocketAddr) -> Self {
        let stream = TcpStream::connect(addr).unwrap();
        stream.set_read_timeout(Some(WAIT)).unwrap();
        Self {
            reader: BufReader::new(stream.try_clone().unwrap()),
            writer: stream,
        }
    }

    fn send(&mut self, line: &str) {
        self.writer
            .write_all(format!("{line}\n").as_bytes())
            .unwrap();
    }

    fn line(&mut self) -> String {
        let mut line = String::new();
        self.reader
            .read_line(&mut line)
            .expect("a line within the wait");
        line
    }

    fn ask(&mut self, line: &str) -> String {
        self.send(line);
        self.line()
    }
}

fn tally(addr: SocketAddr, team: &str) -> String {
    exchange_str(addr, &format!("TALLY {team}\n"))
}

#[test]
fn olympic_verbs_reply_as_documented() {
    let herd = TestHerd::start(&["Goloman"], &[], "");
    let mut s = Session::open(herd.client("Goloman"));
    assert_eq!(s.ask("TEAMS"), "TEAMS Gaul Rome\n");
    assert_eq!(s.ask("EVENTS"), "EVENTS curling skating skiing\n");
    assert_eq!(s.ask("TALLY gaul"), "TALLY Gaul gold 0 silver 0 bronze 0\n");
    assert_eq!(
        s.ask("SCORE CURLING"),
        "SCORE curling Gaul 0 Rome 0 at - by -\n"
    );
    assert_eq!(
        s.ask(&format!("MEDAL gaul GOLD {CACOFONIX}")),
        "OK TALLY Gaul gold 1 silver 0 bronze 0\n"
    );
    let reply = s.ask(&format!("SETSCORE curling {CACOFONIX} rome 2 gaul 3"));
    let pattern =
        regex::Regex::new(r"^OK SCORE curling Gaul 3 Rome 2 at [0-9]+\.[0-9]{9} by Goloman\n$")
            .unwrap();
    assert!(pattern.is_match(&reply), "{reply:?}");
    assert_eq!(s.ask("SCORE curling"), reply.trim_start_matches("OK "));
    for bad in [
        "TALLY Nobody",
        "TALLY",
        "SCORE bobsleigh",
        "MEDAL Gaul platinum x",
        "MEDAL Atlantis gold x",
        "SETSCORE curling x Gaul 1",
        "SETSCORE curling x Gaul 1 Gaul 2",
        "SETSCORE curling x Gaul 1 Rome two",
        "SUBSCRIBE bobsleigh",
        "TEAMS extra",
    ] {
        assert_eq!(s.ask(bad), format!("? {bad}\n"), "{bad}");
    }
}

#[test]
fn wrong_cacofonix_id_is_denied_and_never_logged() {
    let herd = TestHerd::start(&["Goloman"], &[], "");
    let addr = herd.client("Goloman");
    let mut s = Session::open(addr);
    assert_eq!(
        s.ask("MEDAL Gaul gold guessed-id"),
        "DENIED MEDAL Gaul gold\n"
    );
    assert_eq!(
        s.ask("SETSCORE skiing guessed-id Gaul 1 Rome 1"),
        "DENIED SETSCORE skiing\n"
    );
    // One field after the id is an idempotency key; two are one too many.
    assert_eq!(
        s.ask(&format!("MEDAL Gaul gold {CACOFONIX} key extra")),
        format!("? MEDAL Gaul gold {CACOFONIX} key extra\n")
    );
    assert_eq!(tally(addr, "Gaul"), "TALLY Gaul gold 0 silver 0 bronze 0\n");
    assert!(
        s.ask(&format!("MEDAL Gaul gold {CACOFONIX}"))
            .starts_with("OK ")
    );
    drop(s);
    let deadline = Instant::now() + WAIT;
    loop {
        let log = herd.log("Goloman");
        if log.matches("<redacted>").count() >= 4 {
            assert!(
                !log.contains(CACOFONIX),
                "the id leaked into the log:\n{log}"
            );
            assert!(
                !log.contains("guessed-id"),
                "an offered id leaked into the log:\n{log}"
            );
            break;
        }
        assert!(
            Instant::now() < deadline,
            "log never showed the writes:\n{log}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn set_score_reaches_a_subscriber_on_the_farthest_server() {
    let herd = TestHerd::five();
    let mut sub = Session::open(herd.client("Welsh"));
    assert_eq!(
        sub.ask("SUBSCRIBE curling gaul"),
        "SUBSCRIBED curling Gaul\n"
    );
    // Give the links a moment after start-up, then write at Hands (three hops away).
    assert!(whatsat_until_known_after_iamat(&herd));
    let reply = exchange_str(
        herd.client("Hands"),
        &format!("SETSCORE curling {CACOFONIX} Gaul 5 Rome 4\n"),
    );
    assert!(
        reply.starts_with("OK SCORE curling Gaul 5 Rome 4 at "),
        "{reply}"
    );
    let update = sub.line();
    assert_eq!(
        update,
        format!("UPDATE {}", reply.trim_start_matches("OK "))
    );
    exchange_str(
        herd.client("Goloman"),
        &format!("MEDAL Gaul silver {CACOFONIX}\n"),
    );
    assert_eq!(sub.line(), "UPDATE TALLY Gaul gold 0 silver 1 bronze 0\n");
    // Other events and teams are not streamed; replies still work on the same connection.
    exchange_str(
        herd.client("Hands"),
        &format!("SETSCORE skiing {CACOFONIX} Gaul 1 Rome 1\n"),
    );
    exchange_str(
        herd.client("Hands"),
        &format!("MEDAL Rome gold {CACOFONIX}\n"),
    );
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        sub.ask("TALLY Rome"),
        "TALLY Rome gold 1 silver 0 bronze 0\n"
    );
}

/// Waits until the herd's links are up by flooding a location end to end.
fn whatsat_until_known_after_iamat(herd: &TestHerd) -> bool {
    exchange_str(herd.client("Hands"), "IAMAT warmup +1+1 1\n");
    whatsat_until_known(herd.client("Welsh"), "warmup").is_some()
}

#[test]
fn concurrent_increments_on_two_servers_give_exact_tallies_everywhere() {
    let herd = TestHerd::five();
    assert!(whatsat_until_known_after_iamat(&herd));
    let per_thread = 125;
    let threads: Vec<_> = (0..8)
        .map(|i| {
            let addr = herd.client(if i % 2 == 0 { "Hands" } else { "Welsh" });
            std::thread::spawn(move || {
                let mut s = Session::open(addr);
                for _ in 0..per_thread {
                    assert!(
                        s.ask(&format!("MEDAL Gaul bronze {CACOFONIX}"))
                            .starts_with("OK ")
                    );
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let want = "TALLY Gaul gold 0 silver 0 bronze 1000\n";
    let deadline = Instant::now() + WAIT;
    for name in FIVE {
        loop {
            let got = tally(herd.client(name), "Gaul");
            if got == want {
                break;
            }
            assert!(Instant::now() < deadline, "{name}: {got}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

#[test]
fn kill_9_during_writes_loses_no_acknowledged_write_and_converges() {
    let mut herd = TestHerd::start(&["A", "B"], &[("A", "B")], "");
    exchange_str(herd.client("A"), "IAMAT warm +1+1 1\n");
    assert!(whatsat_until_known(herd.client("B"), "warm").is_some());
    let addr = herd.client("A");
    let writer = std::thread::spawn(move || {
        let mut acked = 0u64;
        let Ok(stream) = TcpStream::connect(addr) else {
            return acked;
        };
        stream
            .set_read_timeout(Some(Duration::from_secs(2)))
            .unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut writer = stream;
        for _ in 0..100_000 {
            if writer
                .write_all(format!("MEDAL Rome gold {CACOFONIX}\n").as_bytes())
                .is_err()
            {
                break;
            }
            let mut line = String::new();
            match reader.read_line(&mut line) {
                Ok(n) if n > 0 && line.starts_with("OK ") => acked += 1,
                _ => break,
            }
        }
        acked
    });
    std::thread::sleep(Duration::from_millis(700));
    herd.kill9("A");
    let acked = writer.join().unwrap();
    assert!(acked > 0, "no write was acknowledged before the kill");
    herd.spawn("A");
    herd.wait_ready("A");
    // Every acknowledged write survived on A, and both replicas agree.
    let deadline = Instant::now() + WAIT;
    loop {
        let a = tally(herd.client("A"), "Rome");
        let b = tally(herd.client("B"), "Rome");
        let gold = |t: &str| {
            t.split(' ')
                .nth(3)
                .and_then(|n| n.parse::<u64>().ok())
                .unwrap_or(0)
        };
        if a == b && gold(&a) >= acked {
            // A write may have become durable after its reply was lost, never fewer.
            assert!(gold(&a) <= acked + 1, "{a} vs {acked} acknowledged");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "A {a} B {b} acknowledged {acked}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
