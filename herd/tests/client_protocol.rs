//! The client protocol, byte for byte, against a real `herd` process.

mod common;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::process::output_within_wait;
use common::*;

const KIWI: &str = "IAMAT kiwi.cs.ucla.edu +34.068930-118.445127 1520023934.918963997";

fn one() -> TestHerd {
    TestHerd::start(&["Goloman"], &[], "")
}

#[test]
fn iamat_gets_exact_at_reply_with_signed_nanosecond_diff() {
    let herd = one();
    let reply = exchange_str(herd.client("Goloman"), &format!("{KIWI}\n"));
    assert!(
        reply.ends_with('\n') && reply.matches('\n').count() == 1,
        "{reply:?}"
    );
    let pattern = at_pattern(
        "Goloman",
        "kiwi.cs.ucla.edu",
        "+34.068930-118.445127",
        "1520023934.918963997",
    );
    assert!(pattern.is_match(first_line(&reply)), "{reply:?}");
    // The client time is in 2018, so the difference is large and positive.
    assert!(reply.starts_with("AT Goloman +"), "{reply:?}");
}

#[test]
fn diff_is_small_for_now_and_negative_for_the_future() {
    let herd = one();
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    let reply = exchange_str(
        herd.client("Goloman"),
        &format!("IAMAT a +1+1 {}.{:09}\n", now.as_secs(), now.subsec_nanos()),
    );
    let diff: f64 = reply.split(' ').nth(2).unwrap().parse().unwrap();
    assert!((0.0..5.0).contains(&diff), "{reply:?}");
    let future = now.as_secs() + 1000;
    let reply = exchange_str(herd.client("Goloman"), &format!("IAMAT b +1+1 {future}\n"));
    let diff = reply.split(' ').nth(2).unwrap();
    assert!(
        diff.starts_with("-99") && diff.len() == "-999.123456789".len(),
        "{reply:?}"
    );
}

#[test]
fn whatsat_returns_stored_at_line_then_json_then_blank_line() {
    let herd = one();
    let addr = herd.client("Goloman");
    let at = exchange_str(addr, &format!("{KIWI}\n"));
    let reply = exchange_str(addr, "WHATSAT kiwi.cs.ucla.edu 10 5\n");
    assert!(reply.starts_with(&at), "{reply:?}");
    assert!(reply.ends_with("}\n\n"), "{reply:?}");
    assert!(
        !reply[at.len()..reply.len() - 2].contains("\n\n"),
        "{reply:?}"
    );
    let json: serde_json::Value = serde_json::from_str(&reply[at.len()..]).expect("valid JSON");
    assert!(json["results"].as_array().unwrap().len() <= 5);
    assert!(json["status"].is_string());
}

#[test]
fn any_protocol_white_space_and_crlf_are_accepted() {
    let herd = one();
    let reply = exchange_str(
        herd.client("Goloman"),
        " \t IAMAT\x0bkiwi\x0c +34.068930-118.445127\t\t1520023934.918963997 \r\n",
    );
    assert!(
        at_pattern(
            "Goloman",
            "kiwi",
            "+34.068930-118.445127",
            "1520023934.918963997"
        )
        .is_match(first_line(&reply)),
        "{reply:?}"
    );
}

#[test]
fn last_line_without_newline_before_half_close_is_answered() {
    let herd = one();
    let reply = exchange_str(herd.client("Goloman"), KIWI);
    assert!(reply.starts_with("AT Goloman "), "{reply:?}");
    let reply = exchange_str(herd.client("Goloman"), "WHATSAT");
    assert_eq!(reply, "? WHATSAT\n");
}

#[test]
fn pipelined_commands_are_answered_in_order() {
    let herd = one();
    let mut input = String::new();
    for i in 0..200 {
        input.push_str(&format!("IAMAT c{i} +1+1 {i}\n"));
        if i % 10 == 0 {
            input.push_str(&format!("BAD {i}\n"));
        }
    }
    let reply = exchange_str(herd.client("Goloman"), &input);
    let lines: Vec<&str> = reply.lines().collect();
    assert_eq!(lines.len(), 220);
    let mut n = 0;
    for i in 0..200 {
        assert!(
            lines[n].starts_with("AT Goloman ") && lines[n].ends_with(&format!(" c{i} +1+1 {i}")),
            "{}",
            lines[n]
        );
        n += 1;
        if i % 10 == 0 {
            assert_eq!(lines[n], format!("? BAD {i}"));
            n += 1;
        }
    }
}

#[test]
fn every_invalid_form_is_echoed_after_question_mark() {
    let herd = one();
    let addr = herd.client("Goloman");
    exchange_str(addr, &format!("{KIWI}\n"));
    let cases = [
        "HELLO",
        "iamat kiwi +34-118 1",
        "IAMAT kiwi +34-118",
        "IAMAT kiwi +34-118 1 2",
        "IAMAT kiwi 34-118 1",
        "IAMAT kiwi +91-118 1",
        "IAMAT kiwi +34-181 1",
        "IAMAT kiwi +34-118 abc",
        "IAMAT kiwi +34-118 1.1234567890",
        "IAMAT kiwi +34-118 -1",
        "WHATSAT kiwi.cs.ucla.edu 10",
        "WHATSAT kiwi.cs.ucla.edu 10 5 5",
        "WHATSAT kiwi.cs.ucla.edu 0 5",
        "WHATSAT kiwi.cs.ucla.edu 51 5",
        "WHATSAT kiwi.cs.ucla.edu 50.5 5",
        "WHATSAT kiwi.cs.ucla.edu -1 5",
        "WHATSAT kiwi.cs.ucla.edu 10 0",
        "WHATSAT kiwi.cs.ucla.edu 10 21",
        "WHATSAT kiwi.cs.ucla.edu 10 2.5",
        "WHATSAT kiwi.cs.ucla.edu ten 5",
        "WHATSAT unknown.client 10 5",
        "AT Goloman +0.263873386 kiwi.cs.ucla.edu +34.068930-118.445127 1520023934.918963997",
        "  spaced   out  ",
        "",
    ];
    for case in cases {
        let reply = exchange_str(addr, &format!("{case}\r\n"));
        assert_eq!(reply, format!("? {case}\n"), "input {case:?}");
    }
    // The connection stays open after an error.
    let reply = exchange_str(addr, &format!("NOPE\n{KIWI}\n"));
    assert!(reply.starts_with("? NOPE\nAT Goloman "), "{reply:?}");
}

#[test]
fn decimal_radius_and_bound_limits_are_accepted() {
    let herd = one();
    let addr = herd.client("Goloman");
    exchange_str(addr, &format!("{KIWI}\n"));
    for ok in [
        "WHATSAT kiwi.cs.ucla.edu 23.7 20",
        "WHATSAT kiwi.cs.ucla.edu 50 1",
        "WHATSAT kiwi.cs.ucla.edu 0.5 20",
    ] {
        let reply = exchange_str(addr, &format!("{ok}\n"));
        assert!(reply.starts_with("AT Goloman "), "{ok}: {reply:?}");
    }
}

#[test]
fn older_iamat_is_answered_but_does_not_replace_newer() {
    let herd = one();
    let addr = herd.client("Goloman");
    let first = exchange_str(addr, "IAMAT c +10+10 200\n");
    let reply = exchange_str(addr, "IAMAT c +20+20 100\n");
    assert!(
        at_pattern("Goloman", "c", "+20+20", "100").is_match(first_line(&reply)),
        "{reply:?}"
    );
    let reply = exchange_str(addr, "WHATSAT c 10 1\n");
    assert!(first_line(&reply).ends_with(" c +10+10 200"), "{reply:?}");
    // An equal time is decided by the AT line's bytes, the same rule on
    // every server, so replicas keep one winner.
    let second = exchange_str(addr, "IAMAT c +30+30 200\n");
    assert!(second.starts_with("AT "), "{second:?}");
    let winner = first_line(&first).max(first_line(&second));
    let reply = exchange_str(addr, "WHATSAT c 10 1\n");
    assert_eq!(first_line(&reply), winner, "the greater line wins a tie");
}

#[test]
fn binary_junk_and_invalid_utf8_get_echo_and_connection_survives() {
    let herd = one();
    let mut input = b"\xff\xfe\x00junk\x01\n".to_vec();
    input.extend_from_slice(b"IAMAT \xc3\x28 +1+1 1\n");
    input.extend_from_slice(format!("{KIWI}\n").as_bytes());
    let reply = exchange(herd.client("Goloman"), &input);
    let expected_prefix = b"? \xff\xfe\x00junk\x01\n? IAMAT \xc3\x28 +1+1 1\nAT Goloman ";
    assert!(
        reply.starts_with(expected_prefix),
        "{:?}",
        String::from_utf8_lossy(&reply)
    );
}

#[test]
fn overlong_line_closes_connection_after_earlier_replies() {
    let herd = TestHerd::start(&["Goloman"], &[], "[limits]\nmax_line = 1024\n");
    let addr = herd.client("Goloman");
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(WAIT)).unwrap();
    stream.write_all(format!("{KIWI}\n").as_bytes()).unwrap();
    // Far more than the limit, never terminated: the server must not buffer it.
    let junk = vec![b'x'; 64 * 1024];
    let mut written = 0;
    for _ in 0..64 {
        match stream.write(&junk) {
            Ok(n) => written += n,
            Err(_) => break,
        }
    }
    assert!(written > 1024);
    let mut out = Vec::new();
    let _ = stream.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out);
    assert!(
        text.starts_with("AT Goloman ") && text.matches('\n').count() == 1,
        "{text:?}"
    );
    // The server is still serving others.
    assert!(exchange_str(addr, &format!("{KIWI}\n")).starts_with("AT Goloman "));
}

#[test]
fn a_reply_arrives_whole_in_one_read() {
    let herd = one();
    let addr = herd.client("Goloman");
    exchange_str(addr, &format!("{KIWI}\n"));
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(WAIT)).unwrap();
    stream
        .write_all(b"WHATSAT kiwi.cs.ucla.edu 50 20\n")
        .unwrap();
    let mut buf = vec![0u8; 1 << 20];
    let n = stream.read(&mut buf).unwrap();
    let text = String::from_utf8_lossy(&buf[..n]);
    assert!(
        text.starts_with("AT Goloman ") && text.ends_with("}\n\n"),
        "{text:?}"
    );
    stream.shutdown(Shutdown::Write).unwrap();
}

#[test]
fn nothing_but_replies_is_written_to_a_client() {
    let herd = one();
    let mut stream = TcpStream::connect(herd.client("Goloman")).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let mut buf = [0u8; 64];
    // No banner: a silent client reads nothing.
    assert!(stream.read(&mut buf).is_err());
}

#[test]
fn bad_topology_exits_2_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "unknown name",
            "links = []\n[servers.A]\naddr = \"127.0.0.1:1\"\npeer_addr = \"127.0.0.1:2\"\n",
            "B",
        ),
        (
            "link to unknown",
            "links = [[\"A\",\"Z\"]]\n[servers.A]\naddr = \"127.0.0.1:1\"\npeer_addr = \"127.0.0.1:2\"\n",
            "A",
        ),
        (
            "self link",
            "links = [[\"A\",\"A\"]]\n[servers.A]\naddr = \"127.0.0.1:1\"\npeer_addr = \"127.0.0.1:2\"\n",
            "A",
        ),
        (
            "duplicate address",
            "links = []\n[servers.A]\naddr = \"127.0.0.1:1\"\npeer_addr = \"127.0.0.1:1\"\n",
            "A",
        ),
        ("malformed", "links = [\n", "A"),
    ];
    for (what, text, name) in cases {
        let path = dir.path().join("t.toml");
        std::fs::write(&path, text).unwrap();
        let out = output_within_wait(
            std::process::Command::new(herd_bin())
                .arg(name)
                .arg("--topology")
                .arg(&path)
                .arg("--log-dir")
                .arg(dir.path()),
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{what}: {stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{what}: {stderr}");
    }
    let out = output_within_wait(
        std::process::Command::new(herd_bin())
            .args(["A", "--topology"])
            .arg(dir.path().join("missing.toml")),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing.toml"));
}

#[test]
fn log_records_lines_in_and_replies_out() {
    let herd = one();
    exchange_str(herd.client("Goloman"), &format!("{KIWI}\nJUNK\n"));
    let wanted = [
        "event=\"client_connected\"".to_owned(),
        format!("event=\"client_in\" conn=2 line=\"{KIWI}\""),
        "event=\"client_out\" conn=2 reply=\"? JUNK\\n\"".to_owned(),
        "event=\"client_closed\" conn=2".to_owned(),
    ];
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let log = herd.log("Goloman");
        if wanted.iter().all(|w| log.contains(w.as_str())) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "log lacks one of {wanted:?}:\n{log}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_client_that_never_reads_is_dropped_and_stalls_no_one() {
    let herd = TestHerd::start(&["Goloman"], &[], "[limits]\nwrite_timeout_secs = 1\n");
    let addr = herd.client("Goloman");
    exchange_str(addr, &format!("{KIWI}\n"));
    // Ask for far more than the socket buffers hold, and never read.
    let mut hog = TcpStream::connect(addr).unwrap();
    hog.set_write_timeout(Some(Duration::from_secs(5))).unwrap();
    let request = "WHATSAT kiwi.cs.ucla.edu 50 20\n".repeat(4000);
    let _ = hog.write_all(request.as_bytes());
    // Meanwhile everyone else is served.
    for i in 0..20 {
        let reply = exchange_str(addr, &format!("IAMAT other{i} +1+1 1\n"));
        assert!(reply.starts_with("AT Goloman "), "{reply:?}");
    }
    // And the hog is cut off once a write has waited past the timeout.
    let deadline = std::time::Instant::now() + WAIT;
    while !herd.log("Goloman").contains("reason=SlowReader") {
        assert!(
            std::time::Instant::now() < deadline,
            "the slow reader was never dropped"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    drop(hog);
}
