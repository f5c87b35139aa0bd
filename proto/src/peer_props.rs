//! Property tests of the peer message line form: every message of every
//! variant is written as one line that reads back as the same message,
//! however a peer spaces its fields, and writing is canonical.

use proptest::prelude::*;

use crate::peer::Message;
use crate::strategies::{self, space};

proptest! {
    #[test]
    fn every_message_is_one_line_that_reads_back_the_same(msg in strategies::message()) {
        let written = msg.to_bytes();
        let (last, line) = written.split_last().unwrap();
        prop_assert_eq!(*last, b'\n');
        prop_assert!(!line.contains(&b'\n'), "{:?}", written);
        let again = Message::parse(line).unwrap();
        prop_assert_eq!(&again, &msg);
        prop_assert_eq!(again.to_bytes(), written);
    }

    #[test]
    fn known_verbs_read_the_same_however_their_fields_are_spaced(
        msg in strategies::message().prop_filter("kept verbatim", |m| !matches!(m, Message::Unknown(_))),
        spaces in prop::collection::vec(space(), 1..8),
        lead in proptest::option::of(space()),
        trail in proptest::option::of(space()),
    ) {
        let written = msg.to_bytes();
        let line = std::str::from_utf8(&written[..written.len() - 1]).unwrap();
        let mut spaces = spaces.iter().cycle();
        let padded = line.split(' ').enumerate().fold(String::new(), |mut out, (i, field)| {
            if i > 0 {
                out.push_str(spaces.next().unwrap());
            }
            out.push_str(field);
            out
        });
        let padded = format!("{}{padded}{}", lead.unwrap_or_default(), trail.unwrap_or_default());
        prop_assert_eq!(Message::parse(padded.as_bytes()).unwrap(), msg, "{:?}", padded);
    }

    #[test]
    fn no_line_makes_the_parser_panic(line in prop::collection::vec(any::<u8>(), 0..300)) {
        let _ = Message::parse(&line);
    }
}
