//! Waiting for a quota slot or a `Retry-After` deadline: interruptible
//! (the interrupt check is polled every 100 ms) and reported to a callback.

use std::fmt;
use std::time::{Duration, SystemTime};

use super::clock::Clock;
use super::decision::Refusal;

/// How often a wait polls its interrupt check.
pub const WAIT_POLL_INTERVAL: Duration = Duration::from_millis(100);
/// How often a wait reports its progress.
pub const WAIT_REPORT_INTERVAL: Duration = Duration::from_secs(1);

/// Where a wait stands, as its progress callback sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Waiting {
    /// When the wait ends.
    pub until: SystemTime,
    /// Time left.
    pub remaining: Duration,
    /// Time waited so far.
    pub waited: Duration,
}

/// A wait stopped by its interrupt check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interrupted;

impl fmt::Display for Interrupted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("interrupted while waiting for the quota")
    }
}

impl std::error::Error for Interrupted {}

/// Why [`Account::ask_waiting`](super::Account::ask_waiting) gives no permit.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum WaitError {
    /// Refused without waiting: a lock-out, or a slot that frees later than
    /// the maximum wait allows.
    Refused(Refusal),
    /// The interrupt check stopped the wait.
    Interrupted,
}

impl fmt::Display for WaitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Refused(r) => r.fmt(f),
            Self::Interrupted => Interrupted.fmt(f),
        }
    }
}

impl std::error::Error for WaitError {}

impl From<Interrupted> for WaitError {
    fn from(_: Interrupted) -> Self {
        Self::Interrupted
    }
}

/// Sleeps on `clock` until `until`, polling `interrupt` every 100 ms and
/// calling `progress` when the wait starts and about once a second.
pub(crate) fn wait_until(
    clock: &dyn Clock,
    until: SystemTime,
    interrupt: &dyn Fn() -> bool,
    progress: &mut dyn FnMut(&Waiting),
) -> Result<(), Interrupted> {
    let started = clock.now();
    let mut next_report = Duration::ZERO;
    loop {
        if interrupt() {
            return Err(Interrupted);
        }
        let now = clock.now();
        let remaining = until.duration_since(now).unwrap_or_default();
        if remaining.is_zero() {
            return Ok(());
        }
        let waited = now.duration_since(started).unwrap_or_default();
        if waited >= next_report {
            progress(&Waiting {
                until,
                remaining,
                waited,
            });
            next_report = waited + WAIT_REPORT_INTERVAL;
        }
        clock.sleep(remaining.min(WAIT_POLL_INTERVAL));
    }
}
