//! Property tests of the journal's formats: payloads of every kind, framed
//! as records, scan back as the same payloads in order; any bytes survive
//! a record; a file cut anywhere keeps every record before the cut and
//! reports the one it tore.

use proptest::prelude::*;

use super::payload::{self, Payload, Snapshot};
use super::record;
use proto::strategies::{change, origin};

/// Any payload: an identity, a change, or a snapshot.
fn any_payload() -> impl Strategy<Value = Payload> {
    let seen = prop::collection::btree_map(origin(), any::<u64>(), 0..4);
    let changes = prop::collection::vec(change(), 0..4);
    let snapshot =
        (seen, changes).prop_map(|(seen, changes)| Payload::Snapshot(Snapshot { seen, changes }));
    prop_oneof![
        origin().prop_map(Payload::Identity),
        change().prop_map(Payload::Change),
        snapshot,
    ]
}

/// The text a record of `payload` holds, as the journal writes it.
fn text(payload: &Payload) -> String {
    match payload {
        Payload::Identity(origin) => payload::identity(origin),
        Payload::Change(change) => change.encode(),
        Payload::Snapshot(snapshot) => snapshot.encode(),
    }
}

proptest! {
    #[test]
    fn payloads_written_as_records_scan_back_the_same(payloads in prop::collection::vec(any_payload(), 0..6)) {
        let mut file = Vec::new();
        for payload in &payloads {
            record::encode(text(payload).as_bytes(), &mut file).unwrap();
        }
        let scan = record::scan(&file);
        prop_assert!(scan.is_clean());
        let read: Vec<Payload> = scan.records.iter().map(|r| Payload::parse(r.payload).unwrap()).collect();
        prop_assert_eq!(read, payloads);
    }

    #[test]
    fn any_bytes_survive_a_record_and_a_cut_tears_only_the_last(
        payloads in prop::collection::vec(prop::collection::vec(any::<u8>(), 1..200), 0..8),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut file = Vec::new();
        let mut offsets = Vec::new();
        for payload in &payloads {
            offsets.push(file.len());
            record::encode(payload, &mut file).unwrap();
        }
        let scan = record::scan(&file);
        prop_assert!(scan.is_clean());
        let read: Vec<&[u8]> = scan.records.iter().map(|r| r.payload).collect();
        prop_assert_eq!(&read, &payloads);

        let cut = cut.index(file.len() + 1);
        let scan = record::scan(&file[..cut]);
        let kept = offsets.iter().zip(&payloads).take_while(|(o, p)| *o + record::RECORD_HEADER_LEN + p.len() <= cut).count();
        prop_assert!(scan.skipped.is_empty());
        prop_assert_eq!(scan.records.len(), kept);
        let torn = offsets.get(kept).copied().filter(|&o| o < cut);
        prop_assert_eq!(scan.torn, torn);
    }
}
