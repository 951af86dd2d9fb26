//! [`Limits`]: the quota numbers the ledger enforces for an account.

use std::time::Duration;

/// The list quota of the spec: 200 list requests...
pub const DEFAULT_LIST_REQUESTS: u32 = 200;
/// ...per sliding hour.
pub const DEFAULT_LIST_WINDOW: Duration = Duration::from_secs(3600);

/// The quotas the ledger holds an account to.
///
/// - List requests: at most [`list_requests`](Self::list_requests) in any
///   sliding [`list_window`](Self::list_window) (default 200 per 3600 s, the
///   service's published quota).
/// - Point lookups: at most [`daily_lookups`](Self::daily_lookups) per
///   America/Sao_Paulo day when configured. By default the cap is unknown
///   (the service computes it from the account's traffic); the ledger learns
///   it from the first daily `429` and holds the account to it for the rest
///   of that day.
///
/// Accounts given other limits by Velip configure them here. Values are
/// clamped to at least 1 request and 1 s (the client builder rejects
/// nonsense before it gets here).
///
/// ```
/// use std::time::Duration;
/// use velip_blocking::ledger::Limits;
/// let l = Limits::default();
/// assert_eq!((l.list_requests(), l.list_window()), (200, Duration::from_secs(3600)));
/// assert_eq!(l.daily_lookups(), None);
/// let small = l.with_list_quota(10, Duration::from_secs(5)).with_daily_lookups(Some(500));
/// assert_eq!(small.list_requests(), 10);
/// assert_eq!(small.daily_lookups(), Some(500));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Limits {
    list_requests: u32,
    list_window: Duration,
    daily_lookups: Option<u32>,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            list_requests: DEFAULT_LIST_REQUESTS,
            list_window: DEFAULT_LIST_WINDOW,
            daily_lookups: None,
        }
    }
}

impl Limits {
    /// `requests` list requests per sliding `window` (at least 1 and 1 s;
    /// sub-second parts are kept).
    #[must_use]
    pub fn with_list_quota(mut self, requests: u32, window: Duration) -> Self {
        self.list_requests = requests.max(1);
        self.list_window = window.max(Duration::from_secs(1));
        self
    }

    /// The daily point-lookup cap, or `None` to learn it from the service's
    /// first daily `429`.
    #[must_use]
    pub fn with_daily_lookups(mut self, cap: Option<u32>) -> Self {
        self.daily_lookups = cap;
        self
    }

    /// List requests allowed per window.
    pub fn list_requests(&self) -> u32 {
        self.list_requests
    }

    /// The sliding window of the list quota.
    pub fn list_window(&self) -> Duration {
        self.list_window
    }

    /// The configured daily point-lookup cap (`None`: learned).
    pub fn daily_lookups(&self) -> Option<u32> {
        self.daily_lookups
    }
}
