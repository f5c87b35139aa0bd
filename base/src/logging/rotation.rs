//! Log files that rotate by size: `NAME.log` grows to `[logs] max_bytes`,
//! then becomes `NAME.log.1` (the older ones move up to `NAME.log.<keep>`,
//! the oldest is deleted) and a new `NAME.log` is started.
//!
//! Only the writer thread ([`super::writer`]) writes, in chunks of whole
//! lines, and a file is cut only between two lines: no line is lost, split
//! or written twice. A single line longer than `max_bytes` gets a file of
//! its own.

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Default `[logs] max_bytes`: 64 MiB per file.
pub const DEFAULT_MAX_BYTES: u64 = 64 << 20;

/// Default `[logs] keep`: rotated files kept besides the current one.
pub const DEFAULT_KEEP: usize = 5;

/// Smallest `[logs] max_bytes`: a few lines per file.
pub const MIN_MAX_BYTES: u64 = 1024;

/// Largest `[logs] keep`.
pub const MAX_KEEP: usize = 1000;

/// Bytes gathered before a write to the file.
const FILE_BUFFER: usize = 1 << 20;

/// The `[logs]` section of the topology: how big a log file grows and how
/// many rotated ones are kept, so logs take at most about
/// `max_bytes * (keep + 1)` bytes of disk per process.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogsConfig {
    /// A file is rotated before it would grow past this many bytes.
    pub max_bytes: u64,
    /// Rotated files kept (`NAME.log.1` newest to `NAME.log.<keep>`
    /// oldest); 0 keeps none.
    pub keep: usize,
}

impl Default for LogsConfig {
    fn default() -> Self {
        Self {
            max_bytes: DEFAULT_MAX_BYTES,
            keep: DEFAULT_KEEP,
        }
    }
}

impl LogsConfig {
    /// The first value out of range, as (field, value, allowed range).
    pub fn out_of_range(&self) -> Option<(&'static str, String, &'static str)> {
        if self.max_bytes < MIN_MAX_BYTES {
            return Some((
                "logs.max_bytes",
                self.max_bytes.to_string(),
                "at least 1024 bytes",
            ));
        }
        if self.keep > MAX_KEEP {
            return Some(("logs.keep", self.keep.to_string(), "at most 1000"));
        }
        None
    }
}

/// The log file being written, and where its rotated predecessors go.
#[derive(Debug)]
pub(crate) struct RotatingFile {
    /// `<dir>/<NAME>.log`.
    path: PathBuf,
    /// When and how far to rotate.
    config: LogsConfig,
    /// The current file, buffered.
    out: BufWriter<File>,
    /// Bytes in the current file, buffered ones included.
    size: u64,
}

impl RotatingFile {
    /// Opens (appending to) `path`.
    pub(crate) fn open(path: &Path, config: LogsConfig) -> io::Result<Self> {
        let file = append(path)?;
        let size = file.metadata()?.len();
        Ok(Self {
            path: path.to_owned(),
            config,
            out: BufWriter::with_capacity(FILE_BUFFER, file),
            size,
        })
    }

    /// Appends whole lines, rotating between two lines whenever the next
    /// would take the file past `max_bytes`.
    pub(crate) fn write_lines(&mut self, mut lines: &[u8]) -> io::Result<()> {
        while !lines.is_empty() {
            let room = self.config.max_bytes.saturating_sub(self.size);
            let take = match usize::try_from(room) {
                Ok(room) if room < lines.len() => lines_within(lines, room),
                _ => lines.len(),
            };
            let take = match take {
                0 if self.size == 0 => first_line(lines),
                0 => {
                    self.rotate()?;
                    continue;
                }
                n => n,
            };
            self.out.write_all(&lines[..take])?;
            self.size += take as u64;
            lines = &lines[take..];
            if !lines.is_empty() {
                self.rotate()?;
            }
        }
        Ok(())
    }

    /// Writes out what is buffered.
    pub(crate) fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    /// The current file.
    pub(crate) fn file(&self) -> &File {
        self.out.get_ref()
    }

    /// `NAME.log.<keep-1>` → `NAME.log.<keep>`, …, `NAME.log` →
    /// `NAME.log.1`, and a new, empty `NAME.log`.
    fn rotate(&mut self) -> io::Result<()> {
        self.out.flush()?;
        let keep = self.config.keep;
        if keep == 0 {
            remove_if_there(&self.path)?;
        } else {
            remove_if_there(&self.rotated(keep))?;
            for n in (1..keep).rev() {
                rename_if_there(&self.rotated(n), &self.rotated(n + 1))?;
            }
            rename_if_there(&self.path, &self.rotated(1))?;
        }
        self.out = BufWriter::with_capacity(FILE_BUFFER, append(&self.path)?);
        self.size = 0;
        Ok(())
    }

    /// `NAME.log.<n>`.
    fn rotated(&self, n: usize) -> PathBuf {
        let mut name = self.path.clone().into_os_string();
        name.push(format!(".{n}"));
        PathBuf::from(name)
    }
}

/// Opens `path` for appending, creating it if missing.
fn append(path: &Path) -> io::Result<File> {
    OpenOptions::new().create(true).append(true).open(path)
}

/// Bytes of the whole lines that fit in the first `room` bytes of `lines`.
fn lines_within(lines: &[u8], room: usize) -> usize {
    lines[..room]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |at| at + 1)
}

/// Bytes of the first line of `lines`, its newline included.
fn first_line(lines: &[u8]) -> usize {
    lines
        .iter()
        .position(|&b| b == b'\n')
        .map_or(lines.len(), |at| at + 1)
}

fn remove_if_there(path: &Path) -> io::Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        other => other,
    }
}

fn rename_if_there(from: &Path, to: &Path) -> io::Result<()> {
    match std::fs::rename(from, to) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A rotating file at `path`.
    fn rotating(path: &Path, max_bytes: u64, keep: usize) -> RotatingFile {
        RotatingFile::open(path, LogsConfig { max_bytes, keep }).unwrap()
    }

    /// Every file of the log, oldest first, and its text.
    fn files(dir: &Path, keep: usize) -> Vec<(String, String)> {
        let mut names: Vec<String> = (1..=keep + 1).rev().map(|n| format!("x.log.{n}")).collect();
        names.push("x.log".into());
        names
            .into_iter()
            .filter_map(|name| {
                let text = std::fs::read_to_string(dir.join(&name)).ok()?;
                Some((name, text))
            })
            .collect()
    }

    #[test]
    fn files_rotate_at_line_boundaries_and_keep_every_line_once() {
        let dir = tempfile::tempdir().unwrap();
        let mut log = rotating(&dir.path().join("x.log"), 1024, 3);
        let all: Vec<String> = (0..200)
            .map(|i| format!("line {i} {}\n", "p".repeat(i % 37)))
            .collect();
        for chunk in all.chunks(7) {
            log.write_lines(chunk.concat().as_bytes()).unwrap();
        }
        log.flush().unwrap();
        let files = files(dir.path(), 3);
        assert_eq!(files.len(), 4, "x.log and 3 rotated, the oldest deleted");
        assert!(!dir.path().join("x.log.4").exists());
        for (name, text) in &files {
            assert!(text.len() <= 1024, "{name}: {} bytes", text.len());
            assert!(text.ends_with('\n'), "{name} ends mid-line");
        }
        let kept: String = files.iter().map(|(_, text)| text.as_str()).collect();
        let tail = all.concat();
        assert!(
            tail.ends_with(&kept),
            "the newest lines, in order, once each"
        );
        assert!(kept.len() > 3 * 900, "the rotated files are nearly full");
    }

    #[test]
    fn a_line_longer_than_max_bytes_gets_a_file_of_its_own() {
        let dir = tempfile::tempdir().unwrap();
        let mut log = rotating(&dir.path().join("x.log"), 1024, 2);
        let long = format!("{}\n", "L".repeat(3000));
        log.write_lines(format!("a\n{long}b\n").as_bytes()).unwrap();
        log.flush().unwrap();
        let files = files(dir.path(), 2);
        let texts: Vec<&str> = files.iter().map(|(_, t)| t.as_str()).collect();
        assert_eq!(texts, ["a\n", long.as_str(), "b\n"]);
    }

    #[test]
    fn keep_zero_keeps_only_the_current_file() {
        let dir = tempfile::tempdir().unwrap();
        let mut log = rotating(&dir.path().join("x.log"), 1024, 0);
        for i in 0..100 {
            log.write_lines(format!("line {i:040}\n").as_bytes())
                .unwrap();
        }
        log.flush().unwrap();
        assert!(!dir.path().join("x.log.1").exists());
        let text = std::fs::read_to_string(dir.path().join("x.log")).unwrap();
        assert!(text.ends_with(&format!("line {:040}\n", 99)), "{text}");
    }

    #[test]
    fn an_existing_file_counts_toward_its_size() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.log");
        std::fs::write(&path, "o".repeat(1000) + "\n").unwrap();
        let mut log = rotating(&path, 1024, 1);
        log.write_lines(format!("{}\n", "n".repeat(100)).as_bytes())
            .unwrap();
        log.flush().unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap().len(), 101);
        assert_eq!(
            std::fs::read_to_string(dir.path().join("x.log.1"))
                .unwrap()
                .len(),
            1001
        );
    }
}
