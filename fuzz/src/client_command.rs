//! The client command parser, with the server's default limits: any line
//! parses to some command without panicking; an invalid one is answered
//! `? ` and the line exactly; a valid IAMAT is answered with an `AT` line
//! that reads back as the same location.

use std::time::{Duration, SystemTime};

use bytes::Bytes;
use base::topology::Limits;
use proto::client::Command;
use proto::location::Location;

/// The server that answers in [`check`].
const SERVER: &str = "Goloman";

/// When that server took the report: fixed, so a crash reproduces.
const RECEIVED_SECS: u64 = 1_520_023_935;

/// Parses `line` (as the codec yields it, terminator removed) and checks
/// the reply of what it parses to.
pub fn check(line: &[u8]) {
    let line = Bytes::copy_from_slice(line);
    match Command::parse(line.clone(), Limits::default().max_client_id) {
        Command::Invalid(invalid) => {
            let echo = [&b"? "[..], &line, b"\n"].concat();
            assert_eq!(&invalid.reply()[..], &echo[..], "the echo is the line");
        }
        Command::IAmAt(iamat) => {
            let client = iamat.client().to_owned();
            let received = SystemTime::UNIX_EPOCH + Duration::from_secs(RECEIVED_SECS);
            let location = iamat.answer(SERVER, received);
            let read_back = Location::from_at_line(location.at_line())
                .expect("the AT reply to a valid IAMAT parses as a location");
            assert_eq!(read_back, location);
            assert_eq!(location.client(), client);
        }
        _ => {}
    }
}
