//! How a child the harness starts on port 0 tells it where it listens:
//! its first line of standard output, `<who> listening on <ADDR> ...`. The
//! baselines print it through [`listen`]; the facade prints its own
//! (`facade listening on http://ADDR (herd ...)`); [`wait_announced`]
//! reads it.

use std::io::Write as _;
use std::net::SocketAddr;

use anyhow::Context;
use base::process::Supervised;
use tokio::net::TcpListener;

use super::START_TIMEOUT;

/// Binds `addr`, then prints `<who> listening on <ADDR>` with the address
/// bound, as the first line of standard output, flushed at once.
pub async fn listen(who: &str, addr: SocketAddr) -> anyhow::Result<TcpListener> {
    let listener = TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    let bound = listener.local_addr()?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{who} listening on {bound}").context("cannot write to stdout")?;
    stdout.flush().context("cannot write to stdout")?;
    Ok(listener)
}

/// Waits up to [`START_TIMEOUT`] for `process` (started with its output
/// in files, [`Supervised::spawn_logged`]) to print its first line, and
/// reads the address after `prefix` in it; fails at once, quoting its
/// stderr, if the process exits.
pub async fn wait_announced(process: &mut Supervised, prefix: &str) -> anyhow::Result<SocketAddr> {
    let line = process.first_line(START_TIMEOUT).await?;
    listening_addr(&line, prefix).with_context(|| {
        format!(
            "{}'s first line is not an address: {line:?}",
            process.name()
        )
    })
}

/// The address in `<prefix><ADDR>[ anything]`, where `prefix` is
/// everything before the address (`baseline listening on `,
/// `facade listening on http://`).
pub fn listening_addr(line: &str, prefix: &str) -> Option<SocketAddr> {
    line.strip_prefix(prefix)?
        .split_ascii_whitespace()
        .next()?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_address_is_read_after_its_prefix() {
        let facade = "facade listening on http://";
        assert_eq!(
            listening_addr(
                "facade listening on http://127.0.0.1:41234 (herd 127.0.0.1:1,B)",
                facade
            ),
            Some("127.0.0.1:41234".parse().unwrap())
        );
        assert_eq!(listening_addr("facade: cannot listen", facade), None);
        assert_eq!(
            listening_addr("facade listening on http://nowhere", facade),
            None
        );
        assert_eq!(
            listening_addr(
                "baseline listening on 127.0.0.1:9",
                "baseline listening on "
            ),
            Some("127.0.0.1:9".parse().unwrap())
        );
    }

    fn sh(script: &str) -> std::process::Command {
        let mut command = std::process::Command::new("sh");
        command.arg("-c").arg(script);
        command
    }

    #[tokio::test]
    async fn the_announced_address_is_read_while_the_process_runs() {
        let dir = tempfile::tempdir().unwrap();
        let script = "echo 'x listening on 127.0.0.1:9 (more)'; exec sleep 30";
        let mut process = Supervised::spawn_logged("x", &mut sh(script), dir.path()).unwrap();
        let addr = wait_announced(&mut process, "x listening on ")
            .await
            .unwrap();
        assert_eq!(addr, "127.0.0.1:9".parse().unwrap());
    }

    #[tokio::test]
    async fn a_process_that_dies_before_announcing_is_named_with_its_stderr() {
        let dir = tempfile::tempdir().unwrap();
        let script = "echo 'cannot bind' >&2; exit 1";
        let mut process = Supervised::spawn_logged("x", &mut sh(script), dir.path()).unwrap();
        let err = wait_announced(&mut process, "x listening on ")
            .await
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("x exited with exit status: 1"), "{err}");
        assert!(err.ends_with("cannot bind"), "{err}");
    }

    #[tokio::test]
    async fn a_first_line_without_an_address_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let mut process =
            Supervised::spawn_logged("x", &mut sh("echo hello; exec sleep 30"), dir.path())
                .unwrap();
        let err = wait_announced(&mut process, "x listening on ")
            .await
            .unwrap_err()
            .to_string();
        assert_eq!(err, "x's first line is not an address: \"hello\"");
    }
}
