//! The peer message parser: any line parses or is refused without
//! panicking, and whatever parses is written back as one line that parses
//! to the same message and is written back identically.

use proto::peer::Message;

/// Checks every line of `input` (split at `\n`, as the codec does).
pub fn check(input: &[u8]) {
    for line in input.split(|&b| b == b'\n') {
        check_line(line);
    }
}

/// Checks one line, terminator removed.
fn check_line(line: &[u8]) {
    let Ok(message) = Message::parse(line) else {
        return;
    };
    let written = message.to_bytes();
    let (last, body) = written.split_last().expect("a message is never empty");
    assert_eq!(*last, b'\n', "a message ends its line");
    assert!(!body.contains(&b'\n'), "a message is one line: {written:?}");
    let again = Message::parse(body).expect("a written message parses");
    assert_eq!(again, message);
    assert_eq!(again.to_bytes(), written, "writing is canonical");
}
