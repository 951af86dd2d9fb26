//! [`RetryPolicy`]: how many attempts, how long to back off, how long a
//! `Retry-After` may be; and the interruptible wait between attempts.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::transport::Phase;
use crate::{Error, TransportKind};

/// Whether an operation may be re-sent after it may have reached the
/// service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Operation {
    /// A read: retried per the policy.
    Read,
    /// A webhook push: retried only when it cannot have reached the service.
    Push,
}

/// A hook polled during waits and between pages; returning `true` stops the
/// call with [`Error::Interrupted`] (Python uses it for Ctrl-C).
pub type InterruptCheck = Arc<dyn Fn() -> bool + Send + Sync>;

/// How often the interrupt check is polled while waiting.
pub(crate) const POLL_INTERVAL: Duration = Duration::from_millis(100);

/// When and how a failed request is tried again.
///
/// Retried (while attempts remain): connection failures and timeouts before
/// an answer arrived, a connection reset, HTTP 500, 502, 503 and 504 — after a
/// jittered exponential backoff — and HTTP 429 when its `Retry-After`
/// (seconds or HTTP-date) is at most [`max_retry_wait`](Self::max_retry_wait)
/// — after exactly that delay. A 429 without a valid `Retry-After` (absent,
/// negative, garbage) or with a longer one is returned at once.
///
/// Never retried: authentication failures (see [`Error::Authentication`]),
/// validation, business and decode errors, a timeout while the body was
/// arriving (the deadline is already spent), and a webhook push once it may
/// have reached the service.
///
/// Backoff before retry `n` (1-based): `initial × 2^(n-1)`, capped at
/// `max_backoff`, multiplied by a random factor in `0.75..1.25` and clamped
/// to `initial..=max_backoff`.
///
/// ```
/// use std::time::Duration;
/// use velip_blocking::RetryPolicy;
/// let p = RetryPolicy::default();
/// assert_eq!(p.max_attempts(), 3);
/// assert_eq!(p.initial_backoff(), Duration::from_millis(500));
/// assert_eq!(p.max_backoff(), Duration::from_secs(8));
/// assert_eq!(p.max_retry_wait(), Duration::from_secs(60));
/// let fast = RetryPolicy::default().with_backoff(Duration::from_millis(10), Duration::from_millis(50));
/// assert!(fast.backoff(1) >= Duration::from_millis(10));
/// assert_eq!(RetryPolicy::no_retries().max_attempts(), 1);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
    max_retry_wait: Duration,
}

impl Default for RetryPolicy {
    /// 3 attempts in all, backoff 0.5 s..8 s, `Retry-After` honoured up to
    /// 60 s.
    fn default() -> Self {
        Self {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(8),
            max_retry_wait: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// One attempt, no retries.
    pub fn no_retries() -> Self {
        Self::default().with_max_attempts(1)
    }

    /// Attempts in all, including the first (at least 1).
    #[must_use]
    pub fn with_max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The backoff range: first delay and cap.
    #[must_use]
    pub fn with_backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.initial_backoff = initial;
        self.max_backoff = max.max(initial);
        self
    }

    /// The longest `Retry-After` waited for; a 429 asking for more is
    /// returned at once.
    #[must_use]
    pub fn with_max_retry_wait(mut self, wait: Duration) -> Self {
        self.max_retry_wait = wait;
        self
    }

    /// Attempts in all, including the first.
    pub fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The first backoff delay.
    pub fn initial_backoff(&self) -> Duration {
        self.initial_backoff
    }

    /// The longest backoff delay.
    pub fn max_backoff(&self) -> Duration {
        self.max_backoff
    }

    /// The longest `Retry-After` honoured.
    pub fn max_retry_wait(&self) -> Duration {
        self.max_retry_wait
    }

    /// The jittered delay before retry `retry` (1-based).
    pub fn backoff(&self, retry: u32) -> Duration {
        let exp = retry.saturating_sub(1).min(30);
        let base = self
            .initial_backoff
            .saturating_mul(1u32 << exp)
            .min(self.max_backoff);
        let jittered = base.mul_f64(0.75 + fastrand::f64() * 0.5);
        jittered.clamp(self.initial_backoff, self.max_backoff)
    }
}

/// How long to wait before attempt `attempt + 1` after `err`, or `None` to
/// give up (the rules of [`RetryPolicy`]).
pub(crate) fn delay(
    err: &Error,
    phase: Option<Phase>,
    op: Operation,
    attempt: u32,
    policy: &RetryPolicy,
) -> Option<Duration> {
    if attempt >= policy.max_attempts() {
        return None;
    }
    if op == Operation::Push {
        // Only when the request cannot have reached the service.
        return match (err, phase) {
            (
                Error::Transport {
                    kind: TransportKind::Connect | TransportKind::Timeout,
                    ..
                },
                Some(Phase::Connect),
            ) => Some(policy.backoff(attempt)),
            _ => None,
        };
    }
    match err {
        Error::Transport { kind, .. } => match (kind, phase) {
            // A deadline spent receiving the body is not spent again.
            (TransportKind::Timeout, Some(Phase::Body)) => None,
            (TransportKind::Connect | TransportKind::Reset | TransportKind::Timeout, _) => {
                Some(policy.backoff(attempt))
            }
            _ => None,
        },
        Error::Server(e) if matches!(e.http_status(), 500 | 502 | 503 | 504) => {
            Some(policy.backoff(attempt))
        }
        Error::RateLimited(e) => e.retry_after().filter(|d| *d <= policy.max_retry_wait()),
        _ => None,
    }
}

/// How long a walk waits before asking again after `err` was returned to
/// its caller (so a loop that skips errors cannot flood the service): the
/// `Retry-After` of a rate limit (60 s without one, as the service's list
/// window is counted), the longest backoff after a server or network
/// failure; `None` for errors that a new request cannot fix.
pub(crate) fn cooldown(err: &Error, policy: &RetryPolicy) -> Option<Duration> {
    match err {
        Error::RateLimited(e) => Some(e.retry_after().unwrap_or(Duration::from_secs(60))),
        Error::Server(_)
        | Error::Transport {
            kind: TransportKind::Connect | TransportKind::Reset | TransportKind::Timeout,
            ..
        } => Some(policy.max_backoff()),
        // A TLS failure (an untrusted certificate) is not fixed by asking
        // again soon; it is not a request to the service either.
        _ => None,
    }
}

/// Sleeps `total`, polling `interrupt` at least every 100 ms.
pub(crate) fn wait(total: Duration, interrupt: Option<&InterruptCheck>) -> Result<(), Error> {
    let end = Instant::now() + total;
    loop {
        if interrupt.is_some_and(|f| f()) {
            return Err(Error::Interrupted);
        }
        let now = Instant::now();
        if now >= end {
            return Ok(());
        }
        std::thread::sleep((end - now).min(POLL_INTERVAL));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[test]
    fn backoff_stays_in_range_and_grows() {
        let p = RetryPolicy::default();
        for retry in 1..=40 {
            let d = p.backoff(retry);
            assert!(
                d >= Duration::from_millis(500) && d <= Duration::from_secs(8),
                "{d:?}"
            );
        }
        assert!(p.backoff(10) >= Duration::from_secs(6));
    }

    #[test]
    fn retry_decisions() {
        use velip_core::ApiError;
        let p = RetryPolicy::default();
        let t = |kind| Error::Transport {
            kind,
            message: String::new(),
        };
        let read = Operation::Read;
        let push = Operation::Push;
        let connect = Some(Phase::Connect);
        let request = Some(Phase::Request);
        assert!(delay(&t(TransportKind::Connect), connect, read, 1, &p).is_some());
        assert!(delay(&t(TransportKind::Timeout), request, read, 1, &p).is_some());
        assert!(delay(&t(TransportKind::Timeout), Some(Phase::Body), read, 1, &p).is_none());
        assert!(delay(&t(TransportKind::Connect), connect, read, 3, &p).is_none());
        assert!(delay(&t(TransportKind::Reset), request, push, 1, &p).is_none());
        assert!(delay(&t(TransportKind::Connect), connect, push, 1, &p).is_some());
        let server = |status| Error::from(ApiError::from_parts(status, "", "", None));
        assert!(delay(&server(503), None, read, 1, &p).is_some());
        assert!(delay(&server(501), None, read, 1, &p).is_none());
        assert!(delay(&server(503), None, push, 1, &p).is_none());
        let rl = |secs: Option<u64>| {
            Error::from(ApiError::from_parts(
                429,
                "429",
                "Rate limit exceeded: x",
                secs.map(Duration::from_secs),
            ))
        };
        assert_eq!(
            delay(&rl(Some(1)), None, read, 1, &p),
            Some(Duration::from_secs(1))
        );
        assert_eq!(delay(&rl(Some(61)), None, read, 1, &p), None);
        assert_eq!(delay(&rl(None), None, read, 1, &p), None);
    }

    #[test]
    fn wait_is_interruptible() {
        let calls = Arc::new(AtomicU32::new(0));
        let c = Arc::clone(&calls);
        let check: InterruptCheck = Arc::new(move || c.fetch_add(1, Ordering::SeqCst) >= 2);
        let t = Instant::now();
        let r = wait(Duration::from_secs(10), Some(&check));
        assert_eq!(r, Err(Error::Interrupted));
        assert!(t.elapsed() < Duration::from_millis(500));
    }
}
