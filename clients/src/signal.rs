//! Waiting for the signals that should stop a client: Ctrl-C (SIGINT) and
//! SIGTERM (`kill`, `timeout`), so children and files are cleaned up either way.

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown() {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
