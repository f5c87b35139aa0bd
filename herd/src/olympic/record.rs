//! The journal's byte layout: a file header, then length-prefixed,
//! checksummed records. Pure functions over bytes; the file handling is in
//! `storage.rs`.
//!
//! ```text
//! file   = header record*
//! header = "HERDOLYJ" (8 bytes) version (u32 LE, currently 1)
//! record = length (u32 LE) crc (u32 LE) payload (length bytes)
//! ```
//!
//! `crc` is the CRC-32 (IEEE, as in zlib and Ethernet) of the four length
//! bytes followed by the payload, so a damaged length is caught as surely as
//! a damaged payload. `length` is at least 1 and at most [`MAX_PAYLOAD`].
//! What a payload holds is described in `payload.rs`.
//!
//! Reading stops at the first record that is incomplete (the file ends inside
//! it: a torn write) or damaged (bad length or checksum). Everything before
//! it is good; everything from it on is discarded.

use super::error::OlympicError;

/// The first eight bytes of every journal.
pub const MAGIC: [u8; 8] = *b"HERDOLYJ";

/// The format version this build writes and reads.
pub const VERSION: u32 = 1;

/// Bytes in the file header: magic and version.
pub const HEADER_LEN: usize = 12;

/// Bytes before each payload: length and checksum.
pub const RECORD_HEADER_LEN: usize = 8;

/// Largest payload accepted. A snapshot of a herd with dozens of servers,
/// teams and events is a few kilobytes; a length above this is damage.
pub const MAX_PAYLOAD: usize = 16 * 1024 * 1024;

/// The file header.
pub fn header() -> [u8; HEADER_LEN] {
    let mut h = [0; HEADER_LEN];
    h[..8].copy_from_slice(&MAGIC);
    h[8..].copy_from_slice(&VERSION.to_le_bytes());
    h
}

/// What the start of a file says about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Header {
    /// A complete header of the current version.
    Good,
    /// No header, or the beginning of one: a file whose creation was torn.
    Missing,
    /// Something else entirely.
    NotAJournal,
    /// A journal of another format version.
    Version(u32),
}

/// Reads the header at the start of `bytes`.
pub fn check_header(bytes: &[u8]) -> Header {
    if bytes.len() < HEADER_LEN {
        let n = bytes.len().min(MAGIC.len());
        return if bytes[..n] == MAGIC[..n] {
            Header::Missing
        } else {
            Header::NotAJournal
        };
    }
    if bytes[..8] != MAGIC {
        return Header::NotAJournal;
    }
    match u32::from_le_bytes(bytes[8..12].try_into().expect("4 bytes")) {
        VERSION => Header::Good,
        other => Header::Version(other),
    }
}

/// Appends one record holding `payload` to `out`, or leaves `out` alone if
/// the payload is empty or longer than [`MAX_PAYLOAD`].
pub fn encode(payload: &[u8], out: &mut Vec<u8>) -> Result<(), OlympicError> {
    if !(1..=MAX_PAYLOAD).contains(&payload.len()) {
        return Err(OlympicError::RecordSize(payload.len()));
    }
    let len = (payload.len() as u32).to_le_bytes();
    let mut crc = crc32fast::Hasher::new();
    crc.update(&len);
    crc.update(payload);
    out.extend_from_slice(&len);
    out.extend_from_slice(&crc.finalize().to_le_bytes());
    out.extend_from_slice(payload);
    Ok(())
}

/// Why reading stopped before the end of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Damage {
    /// The file ends inside the record: a write that did not complete.
    Torn,
    /// The length is zero or above [`MAX_PAYLOAD`].
    BadLength(u32),
    /// The checksum does not match.
    BadChecksum,
}

/// One good record found by [`scan`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record<'a> {
    /// Byte offset of the record in the scanned slice.
    pub offset: usize,
    /// Its payload.
    pub payload: &'a [u8],
}

/// The result of reading records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scan<'a> {
    /// The good records, in order.
    pub records: Vec<Record<'a>>,
    /// Bytes of `records`, from the start of the slice: where to truncate.
    pub good_len: usize,
    /// Why reading stopped at `good_len`, if that is not the end.
    pub damage: Option<Damage>,
}

/// Reads records from `bytes` (the file after its header) up to the end or
/// the first incomplete or damaged one.
pub fn scan(bytes: &[u8]) -> Scan<'_> {
    let mut records = Vec::new();
    let mut at = 0;
    let damage = loop {
        let rest = &bytes[at..];
        if rest.is_empty() {
            break None;
        }
        if rest.len() < RECORD_HEADER_LEN {
            break Some(Damage::Torn);
        }
        let len_bytes: [u8; 4] = rest[..4].try_into().expect("4 bytes");
        let len = u32::from_le_bytes(len_bytes);
        if len == 0 || len as usize > MAX_PAYLOAD {
            break Some(Damage::BadLength(len));
        }
        let end = RECORD_HEADER_LEN + len as usize;
        if rest.len() < end {
            break Some(Damage::Torn);
        }
        let payload = &rest[RECORD_HEADER_LEN..end];
        let mut crc = crc32fast::Hasher::new();
        crc.update(&len_bytes);
        crc.update(payload);
        if crc.finalize().to_le_bytes() != rest[4..8] {
            break Some(Damage::BadChecksum);
        }
        records.push(Record {
            offset: at,
            payload,
        });
        at += end;
    };
    Scan {
        records,
        good_len: at,
        damage,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn two_records() -> Vec<u8> {
        let mut buf = Vec::new();
        encode(b"first", &mut buf).unwrap();
        encode(b"second record", &mut buf).unwrap();
        buf
    }

    #[test]
    fn records_read_back_in_order() {
        let buf = two_records();
        let scan = scan(&buf);
        assert_eq!(scan.damage, None);
        assert_eq!(scan.good_len, buf.len());
        let payloads: Vec<&[u8]> = scan.records.iter().map(|r| r.payload).collect();
        assert_eq!(payloads, [&b"first"[..], b"second record"]);
        assert_eq!(scan.records[1].offset, RECORD_HEADER_LEN + 5);
    }

    #[test]
    fn every_truncation_keeps_the_complete_records_only() {
        let buf = two_records();
        let first = RECORD_HEADER_LEN + 5;
        for cut in 0..buf.len() {
            let scan = scan(&buf[..cut]);
            let expect = if cut < first { 0 } else { first };
            assert_eq!(scan.good_len, expect, "cut at {cut}");
            assert_eq!(
                scan.damage.is_some(),
                cut != 0 && cut != first,
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn every_flipped_bit_is_caught() {
        let buf = two_records();
        let first = RECORD_HEADER_LEN + 5;
        for byte in first..buf.len() {
            for bit in 0..8 {
                let mut bad = buf.clone();
                bad[byte] ^= 1 << bit;
                let scan = scan(&bad);
                assert_eq!(scan.good_len, first, "byte {byte} bit {bit}");
                assert!(scan.damage.is_some());
            }
        }
    }

    #[test]
    fn empty_and_oversized_payloads_are_not_written() {
        let mut buf = Vec::new();
        assert!(encode(b"", &mut buf).is_err());
        assert!(encode(&vec![b'x'; MAX_PAYLOAD + 1], &mut buf).is_err());
        assert!(buf.is_empty());
    }

    #[test]
    fn zero_and_huge_lengths_are_damage() {
        let zero = [0u8; 8];
        assert_eq!(scan(&zero).damage, Some(Damage::BadLength(0)));
        let mut huge = (MAX_PAYLOAD as u32 + 1).to_le_bytes().to_vec();
        huge.extend_from_slice(&[0; 4]);
        assert!(matches!(scan(&huge).damage, Some(Damage::BadLength(_))));
    }

    #[test]
    fn headers_are_told_apart() {
        let h = header();
        assert_eq!(check_header(&h), Header::Good);
        assert_eq!(check_header(&h[..5]), Header::Missing);
        assert_eq!(check_header(&[]), Header::Missing);
        assert_eq!(check_header(b"hello world!"), Header::NotAJournal);
        assert_eq!(check_header(b"hel"), Header::NotAJournal);
        let mut v2 = h;
        v2[8] = 2;
        assert_eq!(check_header(&v2), Header::Version(2));
    }
}
