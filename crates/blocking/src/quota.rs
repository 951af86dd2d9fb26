//! What a client does when the ledger says a request would be refused
//! ([`RateLimitPolicy`]), and how a wait is reported ([`WaitNotice`]).

use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// What happens when the ledger knows the service would refuse a request
/// (the list quota is used up, or a `Retry-After` has not passed).
///
/// ```
/// use std::time::Duration;
/// use velip_blocking::{Client, RateLimitPolicy};
/// let client = Client::builder()
///     .token("SBXFULL000sandbox0full0numbers")
///     .on_rate_limit(RateLimitPolicy::Wait { max_wait: Duration::from_secs(3700) })
///     .build()?;
/// # Ok::<(), velip_blocking::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum RateLimitPolicy {
    /// Return the rate-limit error kind at once, with
    /// [`Error::retry_after`](crate::Error::retry_after) and nothing sent
    /// (the library's default).
    #[default]
    Fail,
    /// Sleep until a slot frees or the deadline passes (interruptible,
    /// reported to [`ClientBuilder::on_wait`](crate::ClientBuilder::on_wait)),
    /// when that is within `max_wait`; else fail as `Fail` does.
    Wait {
        /// The longest single wait (at most 24 h).
        max_wait: Duration,
    },
}

impl RateLimitPolicy {
    /// The longest wait when none is given: one hourly window of the list
    /// quota plus 100 s of margin (3700 s).
    pub const DEFAULT_MAX_WAIT: Duration = Duration::from_secs(3700);

    /// The policy's name: `"fail"` or `"wait"`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Fail => "fail",
            Self::Wait { .. } => "wait",
        }
    }

    /// The policy named `"fail"` or `"wait"` (waiting at most `max_wait`,
    /// default [`DEFAULT_MAX_WAIT`](Self::DEFAULT_MAX_WAIT)), as bindings
    /// and configuration name it. A `max_wait` with `"fail"` is ignored.
    ///
    /// # Errors
    /// [`Error::Config`](crate::Error::Config) on option `on_rate_limit`
    /// for another name.
    pub fn from_name(name: &str, max_wait: Option<Duration>) -> Result<Self, crate::Error> {
        match name {
            "fail" => Ok(Self::Fail),
            "wait" => Ok(Self::Wait {
                max_wait: max_wait.unwrap_or(Self::DEFAULT_MAX_WAIT),
            }),
            other => Err(crate::Error::config(
                "on_rate_limit",
                format!("must be \"fail\" or \"wait\", not {other:?}"),
            )),
        }
    }
}

/// A wait for the quota, as [`ClientBuilder::on_wait`](crate::ClientBuilder::on_wait)
/// sees it: when it starts and about once a second.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct WaitNotice {
    /// Why: `quota of list requests used (200/200); ...`.
    pub reason: String,
    /// When the wait ends.
    pub until: SystemTime,
    /// Time left.
    pub remaining: Duration,
    /// Time waited so far.
    pub waited: Duration,
}

/// The callback of [`ClientBuilder::on_wait`](crate::ClientBuilder::on_wait).
pub type WaitCallback = Arc<dyn Fn(&WaitNotice) + Send + Sync>;
