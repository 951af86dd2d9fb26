//! After the answer: what it changes in the ledger. A `429` stores its
//! `Retry-After` deadline (and, for the daily cap, the cap it revealed); an
//! authentication failure locks the credentials out; a request that never
//! left this machine gives its slot back.

use std::time::{Duration, SystemTime};

use velip_core::{ApiError, ApiErrorKind, Secret};

use super::clock::{self, next_platform_midnight, platform_day};
use super::decision::Asker;
use super::record::{CredentialRecord, HostRecord, LearnedCap, LockoutRecord};
use super::scope::{Counted, Permit, Scope};
use super::scrub::scrub;

/// A list `429` without a usable `Retry-After` blocks the scope this long.
pub const DEFAULT_LIST_RETRY_AFTER: Duration = Duration::from_secs(60);
/// Longer `Retry-After` values are cut to this (a garbage header must not
/// block an account for years).
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(48 * 3600);

/// How a request ended, as the ledger needs to know it.
///
/// ```
/// use std::time::Duration;
/// use velip_blocking::ledger::Answer;
/// use velip_core::ApiError;
///
/// let e = ApiError::from_parts(401, "102", "SID not found", None);
/// assert!(matches!(Answer::from_api_error(&e), Answer::AuthenticationFailed { code: "102", .. }));
/// let e = ApiError::from_parts(429, "429", "Rate limit exceeded: 200 list requests per hour",
///                              Some(Duration::from_secs(30)));
/// assert!(matches!(Answer::from_api_error(&e), Answer::RateLimited { .. }));
/// let e = ApiError::from_parts(400, "7", "invalid date", None);
/// assert!(matches!(Answer::from_api_error(&e), Answer::Ok));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Answer<'a> {
    /// Any answer that is not one of the others: a page, a business or
    /// server error, a transport failure after the request may have reached
    /// the service. The request stays counted.
    Ok,
    /// HTTP `429`. `scope`: the quota the message names (`None`: the
    /// permit's scope); `retry_after`: the parsed header (absent: 60 s for
    /// list requests, the next São Paulo midnight for lookups; cut to 48 h).
    /// The service does not count a refused request, so neither does the
    /// ledger.
    RateLimited {
        /// The quota the `429` is about.
        scope: Option<Scope>,
        /// The `Retry-After` delay, from the answer.
        retry_after: Option<Duration>,
    },
    /// An authentication failure (HTTP 401, codes 100–199 except 105):
    /// the credentials are locked out. `message` is scrubbed of the
    /// credentials' secrets (and their 10-character prefix) before it is
    /// stored.
    AuthenticationFailed {
        /// The API code (`status_code`).
        code: &'a str,
        /// The service's message (`status`).
        message: &'a str,
    },
    /// The request never left this machine (a connection that could not be
    /// made, an interrupt before sending): its slot is given back.
    NotSent,
}

impl<'a> Answer<'a> {
    /// The answer an error answer of the service gives (core's
    /// classification: authentication, rate limit, or anything else).
    pub fn from_api_error(error: &'a ApiError) -> Self {
        match error.kind() {
            ApiErrorKind::Authentication => Self::AuthenticationFailed {
                code: error.code(),
                message: error.message(),
            },
            ApiErrorKind::RateLimited(scope) => Self::RateLimited {
                scope: Scope::of_rate_limit(scope),
                retry_after: error.retry_after(),
            },
            _ => Self::Ok,
        }
    }
}

/// Records `answer` to the request of `permit`, answered at `now`.
pub(crate) fn apply(
    rec: &mut HostRecord,
    now: SystemTime,
    who: &Asker<'_>,
    permit: &Permit,
    answer: Answer<'_>,
    secrets: &[Secret],
) {
    let Some(counted) = permit.counted else {
        return;
    };
    let now_ms = clock::to_ms(now);
    match answer {
        Answer::NotSent => uncount(rec, counted),
        Answer::RateLimited { scope, retry_after } => {
            uncount(rec, counted);
            let scope = scope.unwrap_or(permit.scope);
            let today = platform_day(now);
            let midnight = next_platform_midnight(today);
            let delay = retry_after
                .unwrap_or_else(|| match scope {
                    Scope::List => DEFAULT_LIST_RETRY_AFTER,
                    Scope::Lookup => midnight.duration_since(now).unwrap_or_default(),
                })
                .min(MAX_RETRY_AFTER);
            let until_ms = now_ms.saturating_add(clock::duration_ms(delay));
            let slot = rec.retry_after.slot(scope);
            *slot = Some(slot.map_or(until_ms, |t| t.max(until_ms)));
            if scope == Scope::Lookup {
                // The service counted exactly the lookups it served today:
                // as far as this host's ledger knows, that is the cap.
                let cap = *rec.lookups_on(today);
                rec.learned_cap = Some(LearnedCap {
                    cap,
                    day: today,
                    until_ms: until_ms.min(clock::to_ms(midnight)),
                });
                log::info!(target: "velip", "daily point-lookup cap reached; learned it as {cap} for {today}");
            }
        }
        Answer::Ok | Answer::AuthenticationFailed { .. } => {
            if counted.scope == permit.scope {
                if counted.scope == Scope::List && rec.remove_list(counted.at_ms) {
                    // The service counted it somewhere between sending and
                    // answering: the answer's time is when it surely leaves
                    // the service's window too.
                    rec.add_list(now_ms.max(counted.at_ms));
                }
            } else {
                uncount(rec, counted);
                match permit.scope {
                    Scope::List => rec.add_list(now_ms),
                    Scope::Lookup => *rec.lookups_on(platform_day(now)) += 1,
                }
            }
            if let Answer::AuthenticationFailed { code, message } = answer {
                rec.auth_failures_ms.push(now_ms);
                if code.trim() == "199" && rec.ip_ban.is_none() {
                    rec.ip_ban = Some(LockoutRecord {
                        since_ms: now_ms,
                        code: "199".to_owned(),
                        message: scrub(message, secrets),
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
                // Two processes may both have sent before either was told:
                // the first failure stays.
                if cred.lockout.is_none() {
                    cred.lockout = Some(LockoutRecord {
                        since_ms: now_ms,
                        code: scrub(code, secrets),
                        message: scrub(message, secrets),
                    });
                }
            }
        }
    }
}

/// Gives a counted request back.
fn uncount(rec: &mut HostRecord, counted: Counted) {
    match counted.scope {
        Scope::List => {
            rec.remove_list(counted.at_ms);
        }
        Scope::Lookup => {
            if rec.lookups.day == Some(counted.day) {
                rec.lookups.used = rec.lookups.used.saturating_sub(1);
            }
        }
    }
}
