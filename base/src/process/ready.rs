//! Waiting for a child to be ready, with a deadline: a probe (does it
//! accept connections, has it printed its address) is repeated until it
//! answers, and the wait ends early, with the reason, if a process exits.

use std::time::{Duration, Instant};

use super::ProcessError;

/// Pause between two probes.
pub const POLL: Duration = Duration::from_millis(20);

/// Processes that may die while something waits for them.
pub trait Watched {
    /// Fails, naming the process and quoting its stderr, if one has exited.
    fn check_running(&mut self) -> Result<(), ProcessError>;
}

/// Repeats `probe` every [`POLL`] until it returns a value; fails as soon
/// as a process of `watched` exits, or with `what` once `within` has passed.
pub async fn wait_ready<T>(
    what: &str,
    within: Duration,
    watched: &mut impl Watched,
    mut probe: impl AsyncFnMut() -> Option<T>,
) -> Result<T, ProcessError> {
    let patience = Patience::new(what, within);
    loop {
        if let Some(value) = probe().await {
            return Ok(value);
        }
        patience.after_miss(watched)?;
        tokio::time::sleep(POLL).await;
    }
}

/// [`wait_ready`] for code without a runtime: the probe blocks, and so
/// does the pause between probes.
pub fn wait_ready_blocking<T>(
    what: &str,
    within: Duration,
    watched: &mut impl Watched,
    mut probe: impl FnMut() -> Option<T>,
) -> Result<T, ProcessError> {
    let patience = Patience::new(what, within);
    loop {
        if let Some(value) = probe() {
            return Ok(value);
        }
        patience.after_miss(watched)?;
        std::thread::sleep(POLL);
    }
}

/// The deadline of one wait and what to say when it passes.
struct Patience<'a> {
    what: &'a str,
    within: Duration,
    deadline: Instant,
}

impl<'a> Patience<'a> {
    fn new(what: &'a str, within: Duration) -> Self {
        Self {
            what,
            within,
            deadline: Instant::now() + within,
        }
    }

    /// After a probe that did not answer: fails if a process has exited
    /// or the time is up.
    fn after_miss(&self, watched: &mut impl Watched) -> Result<(), ProcessError> {
        watched.check_running()?;
        if Instant::now() >= self.deadline {
            return Err(ProcessError::NotReady {
                what: self.what.to_owned(),
                within: self.within,
            });
        }
        Ok(())
    }
}
