//! The service's rules, one module per concept.

pub(crate) mod auth;
pub(crate) mod limits;
pub(crate) mod masking;
pub(crate) mod paging;
pub(crate) mod selection;

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

/// A clock tests can move forward (windows, bans and quotas read it).
#[derive(Debug, Default)]
pub(crate) struct Clock {
    offset_ms: AtomicU64,
}

impl Clock {
    pub(crate) fn offset(&self) -> Duration {
        Duration::from_millis(self.offset_ms.load(Ordering::Relaxed))
    }

    pub(crate) fn now(&self) -> Instant {
        Instant::now() + self.offset()
    }

    pub(crate) fn wall(&self) -> SystemTime {
        SystemTime::now() + self.offset()
    }

    pub(crate) fn reset(&self) {
        self.offset_ms.store(0, Ordering::Relaxed);
    }

    pub(crate) fn advance(&self, by: Duration) {
        let ms = u64::try_from(by.as_millis()).unwrap_or(u64::MAX);
        self.offset_ms.fetch_add(ms, Ordering::Relaxed);
    }
}

/// An error answer: HTTP status, `status_code`, message, optional `Retry-After`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub(crate) http: u16,
    pub(crate) code: &'static str,
    pub(crate) message: String,
    pub(crate) retry_after: Option<u64>,
}

impl ApiError {
    pub(crate) fn new(http: u16, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            http,
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    /// A `401` with one of the authentication codes.
    pub(crate) fn auth(code: &'static str) -> Self {
        Self::new(401, code, auth::message(code))
    }
}

/// Drops the entries older than `window` from the front of a time queue.
pub(crate) fn prune(
    queue: &mut std::collections::VecDeque<Instant>,
    now: Instant,
    window: Duration,
) {
    while let Some(&t) = queue.front() {
        if now.saturating_duration_since(t) >= window {
            queue.pop_front();
        } else {
            break;
        }
    }
}
