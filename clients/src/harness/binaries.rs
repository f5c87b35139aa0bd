//! Finding the binaries a bench starts: as given on the command line, or
//! beside the bench's own executable, where Cargo builds them.

use std::path::{Path, PathBuf};

use anyhow::Context;

/// `given`, or the binary `name` beside this executable; either must be a
/// file. `otherwise` says what else the user can do (`pass --herd-bin`).
pub fn binary(given: Option<&Path>, name: &str, otherwise: &str) -> anyhow::Result<PathBuf> {
    let bin = match given {
        Some(bin) => bin.to_owned(),
        None => std::env::current_exe()
            .context("cannot find this executable")?
            .parent()
            .context("this executable has no directory")?
            .join(name),
    };
    anyhow::ensure!(
        bin.is_file(),
        "no {name} binary at {} (build it with `cargo build --release -p {name}`, or {otherwise})",
        bin.display()
    );
    Ok(bin)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_binary_says_how_to_build_it() {
        let err = binary(None, "no-such-binary", "pass --x-bin")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("no no-such-binary binary at "), "{err}");
        assert!(
            err.ends_with(
                "(build it with `cargo build --release -p no-such-binary`, or pass --x-bin)"
            ),
            "{err}"
        );
        let this = std::env::current_exe().unwrap();
        assert_eq!(binary(Some(&this), "x", "y").unwrap(), this);
    }
}
