//! Waiting for the signals that stop a process: SIGINT (Ctrl-C) and SIGTERM
//! (`kill PID`, `timeout`, `lsof -ti:PORT | xargs kill`). Shared by the
//! herd, the facade and the clients, so each stops cleanly either way.

/// Resolves on SIGINT or SIGTERM. Fails only if the handlers cannot be set up.
pub async fn shutdown() -> std::io::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    tokio::select! {
        result = tokio::signal::ctrl_c() => result,
        _ = term.recv() => Ok(()),
    }
}
