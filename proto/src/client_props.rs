//! Property tests of the client command line form: every command is
//! written as one line that reads back as the same command, writing is
//! canonical, and the log form of a write shows all of it but its id.

use bytes::Bytes;
use proptest::prelude::*;

use crate::client::{Command, MedalWrite, SetScoreWrite, redact};
use crate::fields::fields;
use crate::strategies::client::{MAX_CLIENT_ID, command};

proptest! {
    #[test]
    fn every_command_is_one_line_that_reads_back_the_same(cmd in command()) {
        let written = cmd.to_bytes();
        let (last, line) = written.split_last().unwrap();
        prop_assert_eq!(*last, b'\n');
        prop_assert!(!line.contains(&b'\n'), "{:?}", written);
        let again = Command::parse(Bytes::copy_from_slice(line), MAX_CLIENT_ID);
        prop_assert_eq!(&again, &cmd);
        prop_assert_eq!(again.to_bytes(), written);
    }

    #[test]
    fn a_logged_write_shows_every_field_but_its_id(cmd in command()) {
        let secret = match &cmd {
            Command::Medal(_) => MedalWrite::AUTH_FIELD,
            Command::SetScore(_) => SetScoreWrite::AUTH_FIELD,
            _ => usize::MAX,
        };
        let written = cmd.to_bytes();
        let logged = redact(&written);
        let want: Vec<&[u8]> = fields(&written)
            .enumerate()
            .map(|(i, field)| if i == secret { &b"<redacted>"[..] } else { field })
            .collect();
        prop_assert_eq!(fields(&logged).collect::<Vec<_>>(), want);
    }

    #[test]
    fn no_line_makes_the_command_parser_panic(line in prop::collection::vec(any::<u8>(), 0..300)) {
        let _ = Command::parse(Bytes::from(line), 256);
    }
}
