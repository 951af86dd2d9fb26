//! Before a request is sent: may it go? [`Refusal`] says why not; the check
//! and the count are one step on the host record, under its lock, so two
//! processes racing for the last slot never both get it.

use std::fmt;
use std::time::SystemTime;

use chrono::{DateTime, SecondsFormat, Utc};

use super::clock::{self, from_ms, next_platform_midnight, platform_day};
use super::fingerprint::{CredentialMode, Fingerprint};
use super::limits::Limits;
use super::record::{
    AUTH_FAILURE_LIMIT, AUTH_FAILURE_WINDOW_MS, CredentialRecord, HostRecord, StoredLimits,
};
use super::scope::{Counted, Scope};

/// Why the ledger refuses to send a request.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Refusal {
    /// These credentials failed authentication (here or in another process)
    /// and are locked out until they change or the lock-out is cleared
    /// ([`Account::reset_lockout`](super::Account::reset_lockout)): one more
    /// failure counts towards the service's permanent IP ban.
    LockedOut {
        /// When the failure was answered.
        since: SystemTime,
        /// The API code (`status_code`), e.g. `102`.
        code: String,
        /// The service's message, scrubbed of secrets.
        message: String,
    },
    /// The service answered code `199` on this host: it banned this
    /// machine's IP permanently (lifted only by Velip staff). Every
    /// credential is refused until the lock-out is cleared.
    IpBanned {
        /// When the `199` was answered.
        since: SystemTime,
        /// The service's message, scrubbed of secrets.
        message: String,
    },
    /// `failures` authentication failures were answered on this host, with
    /// any credentials, within the last `window`: the service bans the IP
    /// after 15 in 10 minutes, so nothing more is sent there, with any
    /// credentials, until the oldest leaves the window (`free_at`) or the
    /// lock-out is cleared.
    TooManyAuthFailures {
        /// Failures counted in the window.
        failures: u32,
        /// The window (10 minutes).
        window: std::time::Duration,
        /// When the oldest failure leaves the window.
        free_at: SystemTime,
    },
    /// The quota of `scope` is used up: `used` of `limit` in the current
    /// window (list) or day (lookups); the next request fits at `free_at`
    /// (when the oldest counted list request leaves the window, or the
    /// daily cap resets).
    QuotaExhausted {
        /// The quota.
        scope: Scope,
        /// Requests counted.
        used: u32,
        /// Requests allowed.
        limit: u32,
        /// When one more fits.
        free_at: SystemTime,
    },
    /// The service answered `429` for `scope` and its `Retry-After` has not
    /// passed yet.
    RetryAfterPending {
        /// The quota the `429` was about.
        scope: Scope,
        /// The `Retry-After` deadline.
        until: SystemTime,
    },
}

impl Refusal {
    /// When asking again may succeed; `None` for a lock-out (it does not
    /// pass by itself).
    pub fn free_at(&self) -> Option<SystemTime> {
        match self {
            Self::LockedOut { .. } | Self::IpBanned { .. } | Self::TooManyAuthFailures { .. } => {
                None
            }
            Self::QuotaExhausted { free_at, .. } => Some(*free_at),
            Self::RetryAfterPending { until, .. } => Some(*until),
        }
    }

    /// The quota concerned (`None` for a lock-out).
    pub fn scope(&self) -> Option<Scope> {
        match self {
            Self::LockedOut { .. } | Self::IpBanned { .. } | Self::TooManyAuthFailures { .. } => {
                None
            }
            Self::QuotaExhausted { scope, .. } | Self::RetryAfterPending { scope, .. } => {
                Some(*scope)
            }
        }
    }

    /// Whether this is an authentication lock-out (of these credentials,
    /// or of every credential on the host).
    pub fn is_locked_out(&self) -> bool {
        matches!(
            self,
            Self::LockedOut { .. } | Self::IpBanned { .. } | Self::TooManyAuthFailures { .. }
        )
    }
}

/// An instant as RFC 3339 UTC, to the second.
fn utc(t: SystemTime) -> String {
    DateTime::<Utc>::from(t).to_rfc3339_opts(SecondsFormat::Secs, true)
}

impl fmt::Display for Refusal {
    /// `these credentials failed authentication at 2026-11-20T18:02:00Z
    /// (code 102: SID not found); nothing is sent with them until they
    /// change or the lock-out is cleared`;
    /// `quota of list requests used (200/200); the next request fits at
    /// 2026-11-20T19:02:00Z`;
    /// `the service asked to wait (Retry-After) for list requests until
    /// 2026-11-20T19:02:00Z`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::LockedOut {
                since,
                code,
                message,
            } => write!(
                f,
                "these credentials failed authentication at {} (code {code}: {message}); nothing is \
                 sent with them until they change or the lock-out is cleared",
                utc(*since)
            ),
            Self::IpBanned { since, message } => write!(
                f,
                "the service banned this machine's IP at {} (code 199: {message}); nothing is sent to it \
                 with any credentials until Velip lifts the ban and the lock-out is cleared",
                utc(*since)
            ),
            Self::TooManyAuthFailures {
                failures,
                window,
                free_at,
            } => write!(
                f,
                "{failures} authentication failures from this machine in the last {} minutes (any \
                 credentials; the service bans the IP after 15): nothing is sent to it until {} or until \
                 the lock-out is cleared",
                window.as_secs() / 60,
                utc(*free_at)
            ),
            Self::QuotaExhausted {
                scope,
                used,
                limit,
                free_at,
            } => write!(
                f,
                "quota of {scope} used ({used}/{limit}); the next request fits at {}",
                utc(*free_at)
            ),
            Self::RetryAfterPending { scope, until } => write!(
                f,
                "the service asked to wait (Retry-After) for {scope} until {}",
                utc(*until)
            ),
        }
    }
}

impl std::error::Error for Refusal {}

/// Who is asking.
pub(crate) struct Asker<'a> {
    pub(crate) fingerprint: &'a Fingerprint,
    pub(crate) mode: CredentialMode,
    pub(crate) limits: &'a Limits,
}

/// Decides whether one request of `scope` may be sent at `now` and, when
/// it may, counts it. Order: lock-out, pending `Retry-After`, quota.
pub(crate) fn decide(
    rec: &mut HostRecord,
    now: SystemTime,
    who: &Asker<'_>,
    scope: Scope,
) -> Result<Counted, Refusal> {
    let now_ms = clock::to_ms(now);
    let window_ms = clock::duration_ms(who.limits.list_window());
    rec.prune(now_ms, window_ms);
    rec.limits = Some(StoredLimits::from(who.limits));

    if let Some(b) = &rec.ip_ban {
        return Err(Refusal::IpBanned {
            since: from_ms(b.since_ms),
            message: b.message.clone(),
        });
    }
    let cred = rec
        .credentials
        .entry(who.fingerprint.as_hex().to_owned())
        .or_insert(CredentialRecord {
            mode: who.mode,
            last_used_ms: now_ms,
            lockout: None,
        });
    if let Some(l) = &cred.lockout {
        return Err(Refusal::LockedOut {
            since: from_ms(l.since_ms),
            code: l.code.clone(),
            message: l.message.clone(),
        });
    }
    cred.last_used_ms = now_ms;
    if rec.auth_failures_ms.len() >= AUTH_FAILURE_LIMIT {
        let oldest = rec.auth_failures_ms.iter().copied().min().unwrap_or(now_ms);
        return Err(Refusal::TooManyAuthFailures {
            failures: u32::try_from(rec.auth_failures_ms.len()).unwrap_or(u32::MAX),
            window: std::time::Duration::from_millis(AUTH_FAILURE_WINDOW_MS),
            free_at: from_ms(oldest.saturating_add(AUTH_FAILURE_WINDOW_MS)),
        });
    }

    if let Some(until) = rec.retry_after.get(scope) {
        // `prune` dropped passed deadlines.
        return Err(Refusal::RetryAfterPending {
            scope,
            until: from_ms(until),
        });
    }

    let today = platform_day(now);
    match scope {
        Scope::List => {
            let limit = who.limits.list_requests();
            let (used, oldest) = rec.list_usage(now_ms, window_ms);
            if used >= limit {
                let oldest = oldest.unwrap_or(now_ms);
                return Err(Refusal::QuotaExhausted {
                    scope,
                    used,
                    limit,
                    free_at: from_ms(oldest.saturating_add(window_ms)),
                });
            }
            rec.add_list(now_ms);
        }
        Scope::Lookup => {
            let learned = rec.learned_cap_in_force(today, now_ms);
            let (limit, free_at) = match (who.limits.daily_lookups(), learned) {
                (Some(cap), _) => (Some(cap), next_platform_midnight(today)),
                (None, Some(l)) => (Some(l.cap), from_ms(l.until_ms)),
                (None, None) => (None, next_platform_midnight(today)),
            };
            let used = rec.lookups_on(today);
            if let Some(limit) = limit
                && *used >= limit
            {
                return Err(Refusal::QuotaExhausted {
                    scope,
                    used: *used,
                    limit,
                    free_at,
                });
            }
            *used += 1;
        }
    }
    Ok(Counted {
        scope,
        at_ms: now_ms,
        day: today,
    })
}
