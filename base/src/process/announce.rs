//! What a child prints first: a server started on port 0 tells where it
//! listens in its first line of standard output (`facade listening on
//! http://ADDR ...`, `dispatcher listening on ...`), and whoever started it
//! waits for that line.

use std::fs::File;
use std::io::Read;
use std::path::Path;
use std::time::Duration;

use super::{ProcessError, Supervised, wait_ready};

/// Bytes read from the start of an output file to find its first line.
pub const FIRST_LINE_SCAN: u64 = 4 * 1024;

impl Supervised {
    /// Waits up to `within` for a process started with
    /// [`Supervised::spawn_logged`] to print a whole first line on its
    /// standard output, and returns it (without its newline); fails at
    /// once, quoting its stderr, if it exits first.
    pub async fn first_line(&mut self, within: Duration) -> Result<String, ProcessError> {
        let what = format!("{} printed no first line", self.name());
        let Some(stdout) = self.stdout_path().map(Path::to_owned) else {
            return Err(ProcessError::NotReady { what, within });
        };
        wait_ready(&what, within, self, async || first_line(&stdout)).await
    }
}

/// The first line of the file at `path`, once it is complete.
pub fn first_line(path: &Path) -> Option<String> {
    let mut text = String::new();
    File::open(path)
        .ok()?
        .take(FIRST_LINE_SCAN)
        .read_to_string(&mut text)
        .ok()?;
    let (line, _) = text.split_once('\n')?;
    Some(line.to_owned())
}
