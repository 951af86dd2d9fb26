//! What the ledger knows about an account, for `velip quota` and the end of
//! a job ("27 list requests; 127 of 200 used this hour").

use std::time::{Duration, SystemTime};

use chrono::NaiveDate;

use super::Scope;
use super::clock::{self, from_ms, platform_day};
use super::fingerprint::{CredentialMode, Fingerprint};
use super::limits::Limits;
use super::record::HostRecord;

/// One account (service host and credential) in the ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AccountReport {
    /// `host:port` of the base URL.
    pub host: String,
    /// The kind of credential.
    pub mode: CredentialMode,
    /// The credential's fingerprint (a keyed hash; `Display` shows 12 hex
    /// digits).
    pub fingerprint: Fingerprint,
    /// When these credentials last asked to send (`None`: never, here).
    pub last_used: Option<SystemTime>,
    /// The list quota. Shared by every credential on the host: the service
    /// counts it per client IP.
    pub list: ListUsage,
    /// Point lookups today (also per host).
    pub lookups: LookupUsage,
    /// Pending `Retry-After` deadlines, by scope.
    pub retry_after: Vec<(Scope, SystemTime)>,
    /// The authentication lock-out of these credentials.
    pub lockout: Option<Lockout>,
}

impl AccountReport {
    /// The report as JSON, the shape of `velip quota --format json` and of
    /// the C API's `velip_client_quota_json`: `host`, `credentials`
    /// (`none`/`token`/`basic`), `fingerprint` (12 hex digits), `last_used`,
    /// `list` {`used`, `limit`, `window_seconds`, `oldest_expires_at`},
    /// `lookups` {`day` (São Paulo date), `used`, `limit` (`null` while
    /// unknown)}, `retry_after` [{`scope` (`list`/`lookup`), `until`}],
    /// `lockout` {`since`, `code`, `message`} or `null`. Times are RFC 3339
    /// in UTC, to the second.
    pub fn to_json(&self) -> serde_json::Value {
        let rfc = |t: SystemTime| {
            chrono::DateTime::<chrono::Utc>::from(t)
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        };
        serde_json::json!({
            "host": self.host,
            "credentials": self.mode.as_str(),
            "fingerprint": self.fingerprint.to_string(),
            "last_used": self.last_used.map(rfc),
            "list": {
                "used": self.list.used,
                "limit": self.list.limit,
                "window_seconds": self.list.window.as_secs(),
                "oldest_expires_at": self.list.oldest_expires_at.map(rfc),
            },
            "lookups": {
                "day": self.lookups.day.to_string(),
                "used": self.lookups.used,
                "limit": self.lookups.limit,
            },
            "retry_after": self
                .retry_after
                .iter()
                .map(|(s, t)| serde_json::json!({"scope": s.as_str(), "until": rfc(*t)}))
                .collect::<Vec<_>>(),
            "lockout": self.lockout.as_ref().map(|l| serde_json::json!({
                "since": rfc(l.since),
                "code": l.code,
                "message": l.message,
            })),
        })
    }
}

/// The list quota's sliding window now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ListUsage {
    /// List requests counted in the window ending now.
    pub used: u32,
    /// Allowed per window.
    pub limit: u32,
    /// The window.
    pub window: Duration,
    /// When the oldest counted request leaves the window (a slot frees).
    pub oldest_expires_at: Option<SystemTime>,
}

/// Point lookups on today's America/Sao_Paulo date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct LookupUsage {
    /// Today, in São Paulo.
    pub day: NaiveDate,
    /// Lookups counted today.
    pub used: u32,
    /// The cap in force now: configured, or learned from today's `429`
    /// (`None`: unknown).
    pub limit: Option<u32>,
    /// The last cap the service revealed, and on which day (the cap moves
    /// from day to day with the account's traffic).
    pub learned: Option<(NaiveDate, u32)>,
}

/// An authentication lock-out.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Lockout {
    /// When the failure was answered.
    pub since: SystemTime,
    /// The API code (`status_code`).
    pub code: String,
    /// The service's message, scrubbed of secrets.
    pub message: String,
}

/// The report of credential `fingerprint` (64 hex digits) on `rec`.
pub(crate) fn account_report(
    rec: &HostRecord,
    fingerprint: &Fingerprint,
    mode: CredentialMode,
    limits: &Limits,
    now: SystemTime,
) -> AccountReport {
    let now_ms = clock::to_ms(now);
    let window_ms = clock::duration_ms(limits.list_window());
    let (used, oldest) = rec.list_usage(now_ms, window_ms);
    let today = platform_day(now);
    let cred = rec.credentials.get(fingerprint.as_hex());
    let lookups_today = if rec.lookups.day == Some(today) {
        rec.lookups.used
    } else {
        0
    };
    AccountReport {
        host: rec.host.clone(),
        mode: cred.map_or(mode, |c| c.mode),
        fingerprint: fingerprint.clone(),
        last_used: cred.map(|c| from_ms(c.last_used_ms)),
        list: ListUsage {
            used,
            limit: limits.list_requests(),
            window: limits.list_window(),
            oldest_expires_at: oldest.map(|t| from_ms(t.saturating_add(window_ms))),
        },
        lookups: LookupUsage {
            day: today,
            used: lookups_today,
            limit: limits
                .daily_lookups()
                .or_else(|| rec.learned_cap_in_force(today, now_ms).map(|l| l.cap)),
            learned: rec.learned_cap.map(|l| (l.day, l.cap)),
        },
        retry_after: [Scope::List, Scope::Lookup]
            .into_iter()
            .filter_map(|s| {
                rec.retry_after
                    .get(s)
                    .filter(|&t| t > now_ms)
                    .map(|t| (s, from_ms(t)))
            })
            .collect(),
        // The host's IP ban stands for every credential.
        lockout: rec
            .ip_ban
            .as_ref()
            .or_else(|| cred.and_then(|c| c.lockout.as_ref()))
            .map(|l| Lockout {
                since: from_ms(l.since_ms),
                code: l.code.clone(),
                message: l.message.clone(),
            }),
    }
}

/// Reports of every credential on `rec`, with the limits last used there.
pub(crate) fn host_reports(rec: &HostRecord, now: SystemTime) -> Vec<AccountReport> {
    let limits = rec
        .limits
        .map(super::record::StoredLimits::to_limits)
        .unwrap_or_default();
    rec.credentials
        .iter()
        .filter_map(|(hex, c)| {
            let fp = Fingerprint::from_hex(hex)?;
            Some(account_report(rec, &fp, c.mode, &limits, now))
        })
        .collect()
}
