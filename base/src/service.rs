//! Starting and stopping a network service the same way in every binary
//! that runs one (the REST facade, the dispatcher, the leaderboard): bind
//! its listener with an error that names the address, and give a task a
//! deadline to finish before it is aborted.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// Why a listener could not be bound.
#[derive(Debug, thiserror::Error)]
#[error("cannot listen on {addr}")]
pub struct BindError {
    /// The address asked for, as given.
    addr: String,
    /// What the operating system said.
    #[source]
    source: io::Error,
}

/// Binds `addr` (`host:port`, port 0 for a free one) and returns the
/// listener with the address it is bound to.
pub async fn bind(addr: &str) -> Result<(TcpListener, SocketAddr), BindError> {
    let failed = |source| BindError {
        addr: addr.to_owned(),
        source,
    };
    let listener = TcpListener::bind(addr).await.map_err(failed)?;
    let bound = listener.local_addr().map_err(failed)?;
    Ok((listener, bound))
}

/// Waits up to `timeout` for `task` to end, then aborts it; true if it
/// ended in time.
pub async fn finish_within(task: JoinHandle<()>, timeout: Duration) -> bool {
    let abort = task.abort_handle();
    let ended = tokio::time::timeout(timeout, task).await.is_ok();
    if !ended {
        abort.abort();
    }
    ended
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_taken_address_is_named_in_the_error() {
        let (_held, addr) = bind("127.0.0.1:0").await.unwrap();
        assert_ne!(addr.port(), 0, "the bound port is reported");
        let error = bind(&addr.to_string()).await.unwrap_err();
        assert_eq!(error.to_string(), format!("cannot listen on {addr}"));
        assert!(std::error::Error::source(&error).is_some());
    }

    #[tokio::test]
    async fn a_task_past_its_deadline_is_aborted() {
        let quick = tokio::spawn(async {});
        assert!(finish_within(quick, Duration::from_secs(10)).await);
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let stuck = tokio::spawn(async move {
            let _tx = tx;
            std::future::pending::<()>().await;
        });
        assert!(!finish_within(stuck, Duration::from_millis(50)).await);
        // The aborted task dropped its sender.
        let closed = tokio::time::timeout(Duration::from_secs(10), rx).await;
        assert!(matches!(closed, Ok(Err(_))), "the task was aborted");
    }
}
