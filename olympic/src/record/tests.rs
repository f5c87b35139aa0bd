//! Journal records: round trips, checksums, and what damage costs.

use super::*;

/// `n` records `record 0`, `record 1`, ... and their offsets.
fn records(n: usize) -> (Vec<u8>, Vec<usize>) {
    let mut buf = Vec::new();
    let mut offsets = Vec::new();
    for i in 0..n {
        offsets.push(buf.len());
        encode(format!("record {i}").as_bytes(), &mut buf).unwrap();
    }
    (buf, offsets)
}

/// The payloads `scan` found, as text.
fn payloads(scan: &Scan) -> Vec<String> {
    scan.records
        .iter()
        .map(|r| String::from_utf8_lossy(r.payload).into_owned())
        .collect()
}

/// `record i` for every `i` of `range` except `lost`.
fn expected(range: std::ops::Range<usize>, lost: &[usize]) -> Vec<String> {
    range
        .filter(|i| !lost.contains(i))
        .map(|i| format!("record {i}"))
        .collect()
}

#[test]
fn records_read_back_in_order() {
    let (buf, offsets) = records(2);
    let scan = scan(&buf);
    assert!(scan.is_clean());
    assert_eq!(payloads(&scan), expected(0..2, &[]));
    assert_eq!(scan.records[1].offset, offsets[1]);
}

#[test]
fn every_truncation_is_a_torn_tail_after_the_complete_records() {
    let (buf, offsets) = records(2);
    for cut in 0..buf.len() {
        let scan = scan(&buf[..cut]);
        assert!(scan.skipped.is_empty(), "cut at {cut}");
        let started = offsets.iter().filter(|&&o| o < cut).count();
        let (kept, torn) = if cut == 0 || offsets.contains(&cut) {
            (started, None)
        } else {
            (started - 1, Some(offsets[started - 1]))
        };
        assert_eq!(scan.records.len(), kept, "cut at {cut}");
        assert_eq!(scan.torn, torn, "cut at {cut}");
    }
}

#[test]
fn a_flipped_byte_in_the_middle_costs_exactly_that_record() {
    let (buf, offsets) = records(40);
    let victim = 17;
    for at in offsets[victim]..offsets[victim + 1] {
        for bit in 0..8 {
            let mut bad = buf.clone();
            bad[at] ^= 1 << bit;
            let scan = scan(&bad);
            assert_eq!(payloads(&scan), expected(0..40, &[victim]), "byte {at}");
            assert_eq!(scan.torn, None, "byte {at} bit {bit}");
            let skipped = [Skipped {
                offset: offsets[victim],
                len: offsets[victim + 1] - offsets[victim],
                damage: scan.skipped[0].damage,
            }];
            assert_eq!(scan.skipped, skipped, "byte {at} bit {bit}");
        }
    }
}

#[test]
fn a_damaged_length_is_skipped_whether_it_shrinks_or_grows() {
    let (buf, offsets) = records(10);
    let len_at = offsets[4];
    for (len, damage) in [
        (0, Damage::BadLength(0)),
        (3, Damage::BadChecksum),
        (40, Damage::BadChecksum),
        (100_000, Damage::Overrun(100_000)),
        (u32::MAX, Damage::BadLength(u32::MAX)),
    ] {
        let mut bad = buf.clone();
        bad[len_at..len_at + 4].copy_from_slice(&len.to_le_bytes());
        let scan = scan(&bad);
        assert_eq!(payloads(&scan), expected(0..10, &[4]), "length {len}");
        assert_eq!(scan.skipped.len(), 1);
        assert_eq!(scan.skipped[0].damage, damage, "length {len}");
    }
}

#[test]
fn a_garbage_run_between_records_is_skipped_and_reported() {
    let (buf, offsets) = records(8);
    let garbage: Vec<u8> = (0..300u32).map(|i| (i * 7 + 3) as u8).collect();
    let mut bad = buf[..offsets[5]].to_vec();
    bad.extend_from_slice(&garbage);
    bad.extend_from_slice(&buf[offsets[5]..]);
    let scan = scan(&bad);
    assert_eq!(payloads(&scan), expected(0..8, &[]));
    assert_eq!(scan.skipped.len(), 1);
    assert_eq!(scan.skipped[0].offset, offsets[5]);
    assert_eq!(scan.skipped[0].len, garbage.len());
    assert_eq!(scan.torn, None);
}

#[test]
fn damage_to_the_last_record_is_not_mistaken_for_a_torn_tail() {
    let (buf, offsets) = records(3);
    let last = offsets[2];
    for at in last..buf.len() {
        for bit in 0..8 {
            let mut bad = buf.clone();
            bad[at] ^= 1 << bit;
            let scan = scan(&bad);
            assert_eq!(payloads(&scan), expected(0..2, &[]), "byte {at} bit {bit}");
            assert_eq!(scan.torn, None, "byte {at} bit {bit}");
            assert_eq!(scan.skipped.len(), 1, "byte {at} bit {bit}");
            assert_eq!(scan.skipped[0].offset, last);
        }
    }
}

#[test]
fn a_zeroed_or_garbage_tail_is_damage() {
    let (mut buf, offsets) = records(3);
    buf.extend_from_slice(&[0; 64]);
    let scan = scan(&buf);
    assert_eq!(scan.records.len(), 3);
    assert_eq!(scan.torn, None);
    assert_eq!(
        scan.skipped,
        [Skipped {
            offset: offsets[2] + RECORD_HEADER_LEN + 8,
            len: 64,
            damage: Damage::BadLength(0),
        }]
    );
}

#[test]
fn empty_and_oversized_payloads_are_not_written() {
    let mut buf = Vec::new();
    assert!(encode(b"", &mut buf).is_err());
    assert!(encode(&vec![b'x'; MAX_PAYLOAD + 1], &mut buf).is_err());
    assert!(buf.is_empty());
}

#[test]
fn headers_are_told_apart() {
    let h = header();
    assert_eq!(check_header(&h), Header::Good(VERSION));
    assert_eq!(check_header(&h[..5]), Header::Missing);
    assert_eq!(check_header(&[]), Header::Missing);
    assert_eq!(check_header(b"hello world!"), Header::NotAJournal);
    assert_eq!(check_header(b"hel"), Header::NotAJournal);
    let mut v1 = h;
    v1[8] = 1;
    assert_eq!(check_header(&v1), Header::Good(1));
    let mut v3 = h;
    v3[8] = 3;
    assert_eq!(check_header(&v3), Header::Version(3));
}
