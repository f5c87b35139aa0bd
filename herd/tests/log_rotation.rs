//! `[logs] max_bytes` and `[logs] keep`: a server's log rotates by size,
//! keeps at most `keep` old files, and cuts only between lines.

mod common;

use std::time::{Duration, Instant};

use common::*;

/// Every file of `name`'s log that exists, oldest first.
fn log_files(herd: &TestHerd, name: &str, up_to: usize) -> Vec<(String, String)> {
    let dir = herd.log_dir();
    let mut names: Vec<String> = (1..=up_to)
        .rev()
        .map(|n| format!("{name}.log.{n}"))
        .collect();
    names.push(format!("{name}.log"));
    names
        .into_iter()
        .filter_map(|file| Some((file.clone(), std::fs::read_to_string(dir.join(file)).ok()?)))
        .collect()
}

#[test]
fn a_busy_log_rotates_keeps_at_most_keep_files_and_never_splits_or_repeats_a_line() {
    let herd = TestHerd::start(&["A"], &[], "[logs]\nmax_bytes = 2048\nkeep = 3\n");
    let reports = 60;
    let input: String = (0..reports)
        .map(|i| format!("IAMAT rot{i:03} +1+1 {}\n", i + 1))
        .collect();
    let replies = exchange_str(herd.client("A"), &input);
    assert_eq!(replies.lines().count(), reports);
    let last = format!("line=\"IAMAT rot{:03} ", reports - 1);
    let deadline = Instant::now() + WAIT;
    while !herd.log("A").contains(&last) {
        assert!(
            Instant::now() < deadline,
            "the last report was never logged"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let files = log_files(&herd, "A", 10);
    let names: Vec<&str> = files.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(names, ["A.log.3", "A.log.2", "A.log.1", "A.log"]);
    for (name, text) in &files {
        assert!(text.len() <= 2048, "{name} has {} bytes", text.len());
        for line in text.lines() {
            assert!(
                line.len() > 27 && line.as_bytes()[10] == b'T' && line.as_bytes()[26] == b'Z',
                "{name} has a split line: {line:?}"
            );
        }
    }
    // What is kept is the newest reports, each exactly once.
    let all: String = files.iter().map(|(_, text)| text.as_str()).collect();
    let seen: Vec<usize> = (0..reports)
        .filter(|i| {
            let count = all.matches(&format!("line=\"IAMAT rot{i:03} ")).count();
            assert!(count <= 1, "report {i} logged {count} times");
            count == 1
        })
        .collect();
    let first = seen[0];
    assert_eq!(
        seen,
        (first..reports).collect::<Vec<_>>(),
        "a gap in the kept lines"
    );
    assert!(
        first > 0,
        "nothing was rotated away: the test wrote too little"
    );
}

#[test]
fn with_room_to_keep_them_all_every_line_is_in_exactly_one_file() {
    let herd = TestHerd::start(&["A"], &[], "[logs]\nmax_bytes = 1024\nkeep = 100\n");
    let reports = 40;
    let input: String = (0..reports)
        .map(|i| format!("IAMAT all{i:03} +1+1 {}\n", i + 1))
        .collect();
    let replies = exchange_str(herd.client("A"), &input);
    let last = "reply=\"AT A ";
    let deadline = Instant::now() + WAIT;
    loop {
        let all: String = log_files(&herd, "A", 100)
            .into_iter()
            .map(|(_, t)| t)
            .collect();
        if all.matches(last).count() == reports {
            break;
        }
        assert!(Instant::now() < deadline, "not every reply was logged");
        std::thread::sleep(Duration::from_millis(20));
    }
    let files = log_files(&herd, "A", 100);
    assert!(files.len() > 5, "only {} files", files.len());
    let all: String = files.iter().map(|(_, text)| text.as_str()).collect();
    for (i, reply) in replies.lines().enumerate() {
        let line = format!("line=\"IAMAT all{i:03} +1+1 {}\"", i + 1);
        assert_eq!(all.matches(&line).count(), 1, "{line}");
        let out = format!("reply=\"{reply}\\n\"");
        assert_eq!(all.matches(&out).count(), 1, "{out}");
    }
}
