//! The embedded store's results log: one line per counted result,
//! `CRC JSON\n`, where CRC is the CRC-32 of the JSON in eight hex digits.
//!
//! The log is only ever appended to, and each append is flushed to disk
//! (`fdatasync`) before the result is acknowledged. Opening it replays
//! every line. A crash can leave the last line torn (no newline, or a
//! checksum that does not match): that line was never acknowledged, so it
//! is cut off and the log goes on from the line before. Damage anywhere
//! else is refused, so a bad disk is noticed instead of silently losing
//! results. An append that fails half-way is cut off the same way, at once.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::fcntl::{Flock, FlockArg};

use super::StoreError;
use crate::result::Recorded;

/// The log's name in the data directory.
pub const FILE_NAME: &str = "results.log";

/// Longest line read back: far above the largest result (four fields of
/// at most `MAX_FIELD_LEN` bytes, escaped), so a longer one is damage.
const MAX_LINE: usize = 16 * 1024;

/// Hex digits of the checksum, and the space after them.
const CRC_LEN: usize = 8;

/// The open log, locked against a second process.
#[derive(Debug)]
pub struct Log {
    /// The file, under an exclusive `flock` held as long as this lives.
    file: Flock<File>,
    /// Its path, for messages.
    path: PathBuf,
    /// Bytes of whole, good lines: where the next append goes, and where
    /// a failed append is cut back to.
    len: u64,
}

/// Formats one line of the log.
pub fn encode(result: &Recorded) -> Vec<u8> {
    let json = serde_json::to_vec(result).expect("a result always serialises");
    let mut line = Vec::with_capacity(CRC_LEN + 2 + json.len());
    line.extend_from_slice(format!("{:08x} ", crc32fast::hash(&json)).as_bytes());
    line.extend_from_slice(&json);
    line.push(b'\n');
    line
}

/// Reads one line back (without its newline), or says what is wrong.
fn decode(line: &[u8]) -> Result<Recorded, String> {
    let (crc, json) = match (line.get(..CRC_LEN), line.get(CRC_LEN + 1..)) {
        (Some(crc), Some(json)) if line[CRC_LEN] == b' ' => (crc, json),
        _ => return Err("too short".to_owned()),
    };
    let crc = std::str::from_utf8(crc)
        .ok()
        .and_then(|c| u32::from_str_radix(c, 16).ok())
        .ok_or("no checksum")?;
    if crc32fast::hash(json) != crc {
        return Err("checksum mismatch".to_owned());
    }
    serde_json::from_slice(json).map_err(|e| format!("not a result: {e}"))
}

impl Log {
    /// Opens (creating) the log in `dir`, locks it, and returns it with
    /// every result it holds, oldest first.
    pub fn open(dir: &Path) -> Result<(Self, Vec<Recorded>), StoreError> {
        let io = |path: &Path| {
            let path = path.to_owned();
            move |source| StoreError::Io { path, source }
        };
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        let path = dir.join(FILE_NAME);
        let file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(&path)
            .map_err(io(&path))?;
        let file = match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
            Ok(file) => file,
            Err((_, Errno::EWOULDBLOCK)) => return Err(StoreError::Locked(dir.to_owned())),
            Err((_, errno)) => return Err(io(&path)(errno.into())),
        };
        let mut log = Self { file, path, len: 0 };
        let results = log.replay()?;
        Ok((log, results))
    }

    /// Reads every good line; cuts off a torn last line.
    fn replay(&mut self) -> Result<Vec<Recorded>, StoreError> {
        let io = |source| StoreError::Io {
            path: self.path.clone(),
            source,
        };
        let mut reader = BufReader::new(&*self.file);
        reader.seek(SeekFrom::Start(0)).map_err(io)?;
        let mut results = Vec::new();
        let mut line = Vec::new();
        let mut number = 0;
        let mut torn = None;
        loop {
            line.clear();
            let n = (&mut reader)
                .take(MAX_LINE as u64 + 1)
                .read_until(b'\n', &mut line)
                .map_err(io)?;
            if n == 0 {
                break;
            }
            number += 1;
            if let Some((at, why)) = torn.take() {
                // Something follows the bad line: it was not the last.
                return Err(StoreError::Corrupt {
                    path: self.path.clone(),
                    line: at,
                    why,
                });
            }
            let decoded = match line.strip_suffix(b"\n") {
                Some(body) => decode(body),
                None => Err("no newline at its end".to_owned()),
            };
            match decoded {
                Ok(result) => {
                    results.push(result);
                    self.len += n as u64;
                }
                Err(why) => torn = Some((number, why)),
            }
        }
        if let Some((at, why)) = torn {
            tracing::warn!(log = %self.path.display(), line = at, why, "cutting off a torn last line");
            self.cut_back()?;
        }
        Ok(results)
    }

    /// Appends `results` with one write and flushes them to disk with one
    /// `fdatasync`; on failure cuts the log back to its last good line.
    pub fn append(&mut self, results: &[Recorded]) -> Result<(), StoreError> {
        let lines: Vec<u8> = results.iter().flat_map(encode).collect();
        let written = (&*self.file)
            .write_all(&lines)
            .and_then(|()| self.file.sync_data());
        if let Err(source) = written {
            // Best effort: if even the cut fails, the next open finds a
            // torn last line and cuts it then.
            let _ = self.cut_back();
            return Err(StoreError::Io {
                path: self.path.clone(),
                source,
            });
        }
        self.len += lines.len() as u64;
        Ok(())
    }

    /// Truncates the file to its good lines.
    fn cut_back(&mut self) -> Result<(), StoreError> {
        self.file
            .set_len(self.len)
            .and_then(|()| self.file.sync_data())
            .map_err(|source| StoreError::Io {
                path: self.path.clone(),
                source,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(id: &str, place: u8) -> Recorded {
        Recorded {
            id: id.into(),
            athlete: "Asterix".into(),
            team: "Gaul".into(),
            event: "curling".into(),
            place: Some(place),
            points: crate::result::points(Some(place)),
        }
    }

    fn append_raw(dir: &Path, bytes: &[u8]) {
        let mut file = OpenOptions::new()
            .append(true)
            .open(dir.join(FILE_NAME))
            .unwrap();
        file.write_all(bytes).unwrap();
    }

    #[test]
    fn appended_results_are_replayed_in_order() {
        let dir = tempfile::tempdir().unwrap();
        {
            let (mut log, old) = Log::open(dir.path()).unwrap();
            assert!(old.is_empty());
            log.append(&[result("a", 1)]).unwrap();
            log.append(&[result("b", 2)]).unwrap();
        }
        let (_, old) = Log::open(dir.path()).unwrap();
        assert_eq!(old, [result("a", 1), result("b", 2)]);
    }

    #[test]
    fn a_torn_last_line_is_cut_off_and_the_log_goes_on() {
        let dir = tempfile::tempdir().unwrap();
        {
            let (mut log, _) = Log::open(dir.path()).unwrap();
            log.append(&[result("a", 1)]).unwrap();
        }
        let whole = encode(&result("b", 2));
        append_raw(dir.path(), &whole[..whole.len() / 2]);
        {
            let (mut log, old) = Log::open(dir.path()).unwrap();
            assert_eq!(old, [result("a", 1)]);
            log.append(&[result("c", 3)]).unwrap();
        }
        let (_, old) = Log::open(dir.path()).unwrap();
        assert_eq!(old, [result("a", 1), result("c", 3)]);
    }

    #[test]
    fn a_damaged_line_before_the_last_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        {
            let (mut log, _) = Log::open(dir.path()).unwrap();
            log.append(&[result("a", 1)]).unwrap();
        }
        let mut bad = encode(&result("b", 2));
        bad[CRC_LEN + 5] ^= 1;
        append_raw(dir.path(), &bad);
        append_raw(dir.path(), &encode(&result("c", 3)));
        let err = Log::open(dir.path()).unwrap_err();
        assert!(matches!(err, StoreError::Corrupt { line: 2, .. }), "{err}");
    }

    #[test]
    fn a_second_open_of_one_directory_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let _first = Log::open(dir.path()).unwrap();
        let err = Log::open(dir.path()).unwrap_err();
        assert!(matches!(err, StoreError::Locked(_)), "{err}");
    }
}
