//! Lines of code of each stack's herd, as `scripts/loc.py` counts them
//! (code lines only: no blank lines, comments, docstrings or tests).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use base::process::output_within;

/// Longest the count may take.
const LOC_TIMEOUT: Duration = Duration::from_secs(60);

/// Code lines by implementation (`herd`, `asyncio`, `node`, `java`), from
/// `python3 scripts/loc.py` in `repo`; or why there are none.
pub fn count_lines(repo: &Path) -> Result<BTreeMap<String, u64>, String> {
    let script = repo.join("scripts/loc.py");
    let mut command = Command::new("python3");
    command.arg(&script).current_dir(repo);
    let out = output_within("loc.py", &mut command, LOC_TIMEOUT)
        .map_err(|e| format!("lines of code not counted: {e}"))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        return Err(format!("{} failed: {}", script.display(), err.trim()));
    }
    parse(&String::from_utf8_lossy(&out.stdout))
}

/// The rows of `loc.py`'s tab-separated output, under its header.
fn parse(text: &str) -> Result<BTreeMap<String, u64>, String> {
    let mut lines = text.lines();
    let header = lines.next().unwrap_or_default();
    if header != "implementation\tlanguage\tfiles\tcode_lines" {
        return Err(format!("loc.py printed an unexpected header {header:?}"));
    }
    lines
        .map(|row| {
            let cells: Vec<&str> = row.split('\t').collect();
            match cells[..] {
                [name, _, _, count] => count
                    .parse()
                    .map(|n| (name.to_owned(), n))
                    .map_err(|_| format!("loc.py printed a bad count in {row:?}")),
                _ => Err(format!("loc.py printed a bad row {row:?}")),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_read_under_the_header_and_a_bad_one_is_named() {
        let text = "implementation\tlanguage\tfiles\tcode_lines\nherd\tRust\t90\t9000\njava\tJava\t1\t600\n";
        let lines = parse(text).unwrap();
        assert_eq!(lines["herd"], 9000);
        assert_eq!(lines["java"], 600);
        assert!(parse("x\n").unwrap_err().contains("header"));
        let bad = "implementation\tlanguage\tfiles\tcode_lines\nnode\tJS\t1\n";
        assert!(parse(bad).unwrap_err().contains("bad row"));
    }

    #[test]
    fn this_repository_counts_every_stack() {
        let lines = count_lines(&crate::herd_bench::peers::built_from()).unwrap();
        for key in ["herd", "asyncio", "node", "java"] {
            assert!(lines[key] > 100, "{key}: {lines:?}");
        }
    }
}
