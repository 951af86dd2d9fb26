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
/// Accounts given other limits by Velip configure them here. The rules
/// live here: [`checked_list_quota`](Self::checked_list_quota) and
/// [`checked_daily_lookups`](Self::checked_daily_lookups) refuse nonsense
/// (the client builder, and through it the CLI, Python and C, call them);
/// `with_*` clamp values already checked.
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

/// The longest list-quota window: a day.
pub const MAX_LIST_WINDOW: Duration = Duration::from_secs(86_400);

impl Limits {
    /// `requests` list requests per sliding `window`, checked: at least 1
    /// request, a window of 1 s to 24 h (sub-second parts are kept). The
    /// rule of the client builder's `list_quota` option, `--list-quota`
    /// and Python's `list_quota=`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use velip_blocking::ledger::Limits;
    /// assert!(Limits::default().checked_list_quota(10, Duration::from_secs(5)).is_ok());
    /// let e = Limits::default().checked_list_quota(0, Duration::from_secs(5)).unwrap_err();
    /// assert_eq!(e, "must allow at least 1 request per window");
    /// ```
    ///
    /// # Errors
    /// The rule broken, in words.
    pub fn checked_list_quota(self, requests: u32, window: Duration) -> Result<Self, String> {
        if requests == 0 {
            return Err("must allow at least 1 request per window".to_owned());
        }
        if window < Duration::from_secs(1) || window > MAX_LIST_WINDOW {
            return Err(format!(
                "the window must be from 1 s to 24 h, got {} ms",
                window.as_millis()
            ));
        }
        Ok(self.with_list_quota(requests, window))
    }

    /// The daily point-lookup cap, checked: at least 1 (the rule of the
    /// builder's `daily_lookup_cap` option).
    ///
    /// # Errors
    /// The rule broken, in words.
    pub fn checked_daily_lookups(self, cap: u32) -> Result<Self, String> {
        if cap == 0 {
            return Err("must be at least 1".to_owned());
        }
        Ok(self.with_daily_lookups(Some(cap)))
    }

    /// `requests` list requests per sliding `window`, clamped to at least 1
    /// and 1 s (for values already checked, such as a ledger's own; see
    /// [`checked_list_quota`](Self::checked_list_quota) for user input).
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
