//! Property tests for parsing and framing client lines: no input panics,
//! valid commands always parse whatever the white space, invalid ones
//! always echo exactly, an IAMAT's `AT` reply reads back as the location
//! it stores, times and differences survive their text form, and framing
//! does not depend on how the input was split.

use std::time::{Duration, UNIX_EPOCH};

use bytes::{Bytes, BytesMut};
use proptest::prelude::*;
use tokio_util::codec::Decoder;

use crate::client::Command;
use crate::codec::{Line, LineCodec};
use crate::coords::Coords;
use crate::location::Location;
use crate::strategies::{client_id, client_time, degrees, server_name, space};
use crate::timestamp::{format_diff, format_posix, nanos_since_epoch, parse_posix_nanos};

/// The client ID limit of a server with default limits.
const MAX_CLIENT_ID: usize = 256;

/// One past the largest client time: twenty digits of seconds.
const TIME_LIMIT_NANOS: i128 = 100_000_000_000_000_000_000 * 1_000_000_000;

proptest! {
    #[test]
    fn valid_iamat_parses_whatever_the_spacing(
        client in client_id(), lat in degrees(90), lng in degrees(180), time in client_time(),
        s0 in proptest::option::of(space()), s1 in space(), s2 in space(), s3 in space(),
        s4 in proptest::option::of(space()),
    ) {
        let line = format!("{}IAMAT{s1}{client}{s2}{lat}{lng}{s3}{time}{}", s0.unwrap_or_default(), s4.unwrap_or_default());
        let parsed = Command::parse(Bytes::from(line.clone()), MAX_CLIENT_ID);
        prop_assert!(matches!(parsed, Command::IAmAt(_)), "{line:?} -> {parsed:?}");
    }

    #[test]
    fn an_iamat_reply_reads_back_as_the_location_it_stores(
        client in client_id(), lat in degrees(90), lng in degrees(180), time in client_time(),
        server in server_name(), received in any::<u64>(),
    ) {
        let line = format!("IAMAT {client} {lat}{lng} {time}");
        let Command::IAmAt(cmd) = Command::parse(Bytes::from(line.clone()), MAX_CLIENT_ID) else {
            panic!("{line:?} is a valid IAMAT");
        };
        let received = UNIX_EPOCH + Duration::from_nanos(received);
        let location = cmd.answer(&server, received);
        let reply = [location.at_line(), b"\n"].concat();
        let read = Location::from_at_line(&reply[..reply.len() - 1]).unwrap();
        prop_assert_eq!(&read, &location);
        prop_assert_eq!(read.client(), client.as_str());
        let client_time = parse_posix_nanos(time.as_bytes()).unwrap();
        prop_assert_eq!(read.client_time(), client_time);
        prop_assert_eq!(Some(read.coords()), Coords::parse(format!("{lat}{lng}").as_bytes()));
        let want = format!(
            "AT {server} {} {client} {lat}{lng} {time}\n",
            format_diff(nanos_since_epoch(received) - client_time)
        );
        prop_assert_eq!(reply, want.into_bytes());
    }

    #[test]
    fn any_bytes_parse_without_panic(line in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = Command::parse(Bytes::from(line), MAX_CLIENT_ID);
    }

    #[test]
    fn time_parses_exactly(secs in 0u64..u64::MAX / 4, frac in "[0-9]{1,9}") {
        let text = format!("{secs}.{frac}");
        let scaled: i128 = format!("{frac:0<9}").parse().unwrap();
        prop_assert_eq!(parse_posix_nanos(text.as_bytes()), Some(i128::from(secs) * 1_000_000_000 + scaled));
    }

    #[test]
    fn canonical_times_format_back_to_their_text(secs in "0|[1-9][0-9]{0,19}", frac in "[0-9]{9}") {
        let text = format!("{secs}.{frac}");
        prop_assert_eq!(format_posix(parse_posix_nanos(text.as_bytes()).unwrap()), text);
    }

    #[test]
    fn formatted_times_parse_back_to_the_same_nanoseconds(nanos in 0..TIME_LIMIT_NANOS) {
        prop_assert_eq!(parse_posix_nanos(format_posix(nanos).as_bytes()), Some(nanos));
    }

    #[test]
    fn diff_formats_back_to_the_same_nanoseconds(nanos in -(1i128 << 80)..(1i128 << 80)) {
        let text = format_diff(nanos);
        let (sign, magnitude) = text.split_at(1);
        prop_assert!(sign == "+" || sign == "-");
        prop_assert!(!text.contains('e'));
        let parsed = parse_posix_nanos(magnitude.as_bytes()).unwrap();
        prop_assert_eq!(if sign == "-" { -parsed } else { parsed }, nanos);
    }

    #[test]
    fn coords_in_range_parse_and_out_of_range_do_not(lat in -120.0f64..120.0, lng in -200.0f64..200.0) {
        let text = format!("{lat:+.6}{lng:+.6}");
        let parsed = Coords::parse(text.as_bytes());
        let lat_r: f64 = format!("{lat:.6}").parse().unwrap();
        let lng_r: f64 = format!("{lng:.6}").parse().unwrap();
        prop_assert_eq!(parsed.is_some(), lat_r.abs() <= 90.0 && lng_r.abs() <= 180.0, "{}", text);
    }

    #[test]
    fn framing_is_independent_of_read_boundaries(
        lines in proptest::collection::vec("[ -~]{0,30}", 1..20),
        crlf in any::<bool>(),
        cuts in proptest::collection::vec(1usize..50, 1..30),
    ) {
        let sep = if crlf { "\r\n" } else { "\n" };
        let input = lines.iter().map(|l| format!("{l}{sep}")).collect::<String>();
        let mut codec = LineCodec::new(1024);
        let mut buf = BytesMut::new();
        let mut got = Vec::new();
        let mut rest = input.as_bytes();
        let mut cuts = cuts.into_iter().cycle();
        while !rest.is_empty() {
            let n = cuts.next().unwrap().min(rest.len());
            buf.extend_from_slice(&rest[..n]);
            rest = &rest[n..];
            while let Some(line) = codec.decode(&mut buf).unwrap() {
                got.push(line);
            }
        }
        while let Some(line) = codec.decode_eof(&mut buf).unwrap() {
            got.push(line);
        }
        let want: Vec<Line> = lines
            .iter()
            .map(|l| {
                // A line that itself ends in \r loses it, as `\r\n` would.
                let l = if !crlf { l.strip_suffix('\r').unwrap_or(l) } else { l };
                Line::Complete(Bytes::from(l.to_owned()))
            })
            .collect();
        prop_assert_eq!(got, want);
    }
}

#[test]
fn invalid_lines_echo_exactly() {
    proptest!(|(line in proptest::collection::vec(any::<u8>().prop_filter("no newline", |b| *b != b'\n'), 0..100))| {
        let line = Bytes::from(line);
        if let Command::Invalid(invalid) = Command::parse(line.clone(), MAX_CLIENT_ID) {
            let mut want = b"? ".to_vec();
            want.extend_from_slice(&line);
            want.push(b'\n');
            prop_assert_eq!(&invalid.reply()[..], &want[..]);
        }
    });
}
