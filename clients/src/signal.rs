//! Waiting for the signals that should stop a client: Ctrl-C (SIGINT) and
//! SIGTERM (`kill`, `timeout`), so children and files are cleaned up either way.

/// Resolves on SIGINT or SIGTERM; on Ctrl-C alone if the SIGTERM handler
/// cannot be set up.
pub async fn shutdown() {
    if base::signal::shutdown().await.is_err() {
        let _ = tokio::signal::ctrl_c().await;
    }
}
