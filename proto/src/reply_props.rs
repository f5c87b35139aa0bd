//! Property tests of the reply line form: every reply a server writes is
//! one line that reads back as the same reply, and writing is canonical.

use proptest::prelude::*;

use crate::reply::Reply;
use crate::strategies::reply::reply;

proptest! {
    #[test]
    fn every_reply_is_one_line_that_reads_back_the_same(reply in reply()) {
        let written = reply.to_bytes();
        let (last, line) = written.split_last().unwrap();
        prop_assert_eq!(*last, b'\n');
        prop_assert!(!line.contains(&b'\n'), "{:?}", written);
        let again = Reply::parse(line);
        prop_assert_eq!(again.as_ref(), Some(&reply), "{:?}", String::from_utf8_lossy(&written));
        prop_assert_eq!(again.unwrap().to_bytes(), written);
    }

    #[test]
    fn no_line_makes_the_reply_parser_panic(line in prop::collection::vec(any::<u8>(), 0..300)) {
        let _ = Reply::parse(&line);
    }
}
