//! The journal's byte layout: a file header, then length-prefixed,
//! checksummed records. Pure functions over bytes; the file handling is in
//! `storage.rs`.
//!
//! ```text
//! file   = header record*
//! header = "HERDOLYJ" (8 bytes) version (u32 LE, 2; 1 is still read)
//! record = length (u32 LE) crc (u32 LE) payload (length bytes)
//! ```
//!
//! `crc` is the CRC-32 (IEEE, as in zlib and Ethernet) of the four length
//! bytes followed by the payload, so a damaged length is caught as surely as
//! a damaged payload. `length` is at least 1 and at most [`MAX_PAYLOAD`].
//! What a payload holds is described in `payload.rs`.
//!
//! [`scan`] reads every valid record. A damaged record (bad length or
//! checksum) costs that record only: reading resynchronises on the next
//! *valid frame*, the next offset where a length in range is followed by
//! that many bytes and a matching checksum, and the bytes in between are
//! reported as a [`Skipped`] region. The one thing that is not damage is a
//! *torn tail*: the file ends inside its last record and no valid frame
//! follows, which is what a crash during an append leaves.

use super::error::OlympicError;

/// The first eight bytes of every journal.
pub const MAGIC: [u8; 8] = *b"HERDOLYJ";

/// The format version this build writes. Version 2 starts every file with
/// an `IDENTITY` record.
pub const VERSION: u32 = 2;

/// The oldest format version this build still reads: version 1, the same
/// records without `IDENTITY` (its server wrote under its bare name).
pub const OLDEST_VERSION: u32 = 1;

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
    /// A complete header of a version this build reads.
    Good(u32),
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
        v @ OLDEST_VERSION..=VERSION => Header::Good(v),
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
    out.extend_from_slice(&len);
    out.extend_from_slice(&checksum(&len, payload));
    out.extend_from_slice(payload);
    Ok(())
}

/// What is wrong at the start of a skipped region.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Damage {
    /// The length is zero or above [`MAX_PAYLOAD`].
    BadLength(u32),
    /// The checksum does not match.
    BadChecksum,
    /// The length runs past the end of the file, yet a valid record follows
    /// (or the bytes present make a complete record under another length):
    /// not a torn write but a damaged length.
    Overrun(u32),
}

/// One good record found by [`scan`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record<'a> {
    /// Byte offset of the record in the scanned slice.
    pub offset: usize,
    /// Its payload.
    pub payload: &'a [u8],
}

/// Bytes between valid records that [`scan`] could not read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Skipped {
    /// Byte offset of the region in the scanned slice.
    pub offset: usize,
    /// Its length in bytes: up to the next valid record, or to the end.
    pub len: usize,
    /// What was wrong with the record that should have started there.
    pub damage: Damage,
}

/// The result of reading records.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scan<'a> {
    /// The good records, in order.
    pub records: Vec<Record<'a>>,
    /// Damaged regions, in order; empty for an undamaged file.
    pub skipped: Vec<Skipped>,
    /// Where a torn last record starts, if the file ends inside one.
    pub torn: Option<usize>,
}

impl Scan<'_> {
    /// True if nothing was skipped and nothing is torn.
    pub fn is_clean(&self) -> bool {
        self.skipped.is_empty() && self.torn.is_none()
    }
}

/// Reads every valid record of `bytes` (the file after its header),
/// skipping damaged regions and stopping at a torn tail.
pub fn scan(bytes: &[u8]) -> Scan<'_> {
    let mut scan = Scan::default();
    let mut at = 0;
    while at < bytes.len() {
        let damage = match frame(&bytes[at..]) {
            Ok(end) => {
                let payload = &bytes[at + RECORD_HEADER_LEN..at + end];
                scan.records.push(Record {
                    offset: at,
                    payload,
                });
                at += end;
                continue;
            }
            Err(damage) => damage,
        };
        let next = next_frame(bytes, at + 1);
        let damage = match (damage, next) {
            (Frame::Incomplete(_), None) if !complete_under_another_length(&bytes[at..]) => {
                scan.torn = Some(at);
                break;
            }
            (Frame::Incomplete(len), _) => Damage::Overrun(len),
            (Frame::Damaged(damage), _) => damage,
        };
        let end = next.unwrap_or(bytes.len());
        scan.skipped.push(Skipped {
            offset: at,
            len: end - at,
            damage,
        });
        at = end;
    }
    scan
}

/// Why no valid frame starts at some offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Frame {
    /// The bytes end before the frame does (with the length read, or 0 if
    /// not even the record header is there).
    Incomplete(u32),
    /// The frame is there, and wrong.
    Damaged(Damage),
}

/// The length of the valid frame at the start of `rest`, header included.
fn frame(rest: &[u8]) -> Result<usize, Frame> {
    if rest.len() < RECORD_HEADER_LEN {
        return Err(Frame::Incomplete(0));
    }
    let len_bytes: [u8; 4] = rest[..4].try_into().expect("4 bytes");
    let len = u32::from_le_bytes(len_bytes);
    if len == 0 || len as usize > MAX_PAYLOAD {
        return Err(Frame::Damaged(Damage::BadLength(len)));
    }
    let end = RECORD_HEADER_LEN + len as usize;
    if rest.len() < end {
        return Err(Frame::Incomplete(len));
    }
    if checksum(&len_bytes, &rest[RECORD_HEADER_LEN..end]) != rest[4..8] {
        return Err(Frame::Damaged(Damage::BadChecksum));
    }
    Ok(end)
}

/// The offset of the first valid frame at or after `from`. Payloads are
/// text, whose bytes never make a length in range, so inside them this
/// rejects each offset after reading four bytes.
fn next_frame(bytes: &[u8], from: usize) -> Option<usize> {
    (from..bytes.len()).find(|&at| frame(&bytes[at..]).is_ok())
}

/// True if `rest`, whose length field runs past its end, is nevertheless a
/// complete record once the length is taken as the bytes present: a record
/// whose length was damaged, not a torn one.
fn complete_under_another_length(rest: &[u8]) -> bool {
    let present = rest.len().saturating_sub(RECORD_HEADER_LEN);
    if present == 0 || present > MAX_PAYLOAD {
        return false;
    }
    let len_bytes = (present as u32).to_le_bytes();
    checksum(&len_bytes, &rest[RECORD_HEADER_LEN..]) == rest[4..8]
}

/// The CRC-32 of a record's length bytes and payload, as stored.
fn checksum(len_bytes: &[u8; 4], payload: &[u8]) -> [u8; 4] {
    let mut crc = crc32fast::Hasher::new();
    crc.update(len_bytes);
    crc.update(payload);
    crc.finalize().to_le_bytes()
}

#[cfg(test)]
mod tests;
