//! What the ledger remembers about one service host, as stored in its file
//! (`<state>/ledger/<host>_<port>.json`, JSON, `0600`).
//!
//! The service counts its quotas and its brute-force failures per client IP,
//! so the usage (list requests, lookups, `Retry-After` deadlines) is shared
//! by every credential used against the host; lock-outs belong to one
//! credential, by fingerprint. Times are milliseconds since the Unix epoch.
//! Nothing here is secret: fingerprints are keyed hashes, messages are
//! scrubbed before they are stored.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::Scope;
use super::fingerprint::CredentialMode;
use super::limits::Limits;

/// The file format's version; a file with another one is rebuilt.
pub(crate) const FORMAT_VERSION: u32 = 1;

/// List-request times older than this are dropped even when a caller's
/// window is shorter (another process may use the default hour).
const MIN_RETENTION_MS: u64 = 3_600_000;
/// At most this many list-request times are kept (the oldest go first).
const MAX_LIST_ENTRIES: usize = 100_000;
/// A credential unused this long, and not locked out, is forgotten.
const FORGET_CREDENTIAL_MS: u64 = 90 * 86_400_000;

/// One host's record.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct HostRecord {
    pub(crate) version: u32,
    /// `host:port` of the base URL.
    pub(crate) host: String,
    /// The limits of the last process that asked (for reports of every host).
    #[serde(default)]
    pub(crate) limits: Option<StoredLimits>,
    /// When each list request of the retention period was counted (sorted).
    #[serde(default)]
    pub(crate) list_sent_ms: Vec<u64>,
    /// Point lookups counted on one America/Sao_Paulo day.
    #[serde(default)]
    pub(crate) lookups: LookupDay,
    /// The daily lookup cap the service revealed with a `429`.
    #[serde(default)]
    pub(crate) learned_cap: Option<LearnedCap>,
    /// `Retry-After` deadlines of the last `429` per scope.
    #[serde(default)]
    pub(crate) retry_after: Deadlines,
    /// Credentials seen on this host, by fingerprint (64 hex digits).
    #[serde(default)]
    pub(crate) credentials: BTreeMap<String, CredentialRecord>,
    /// When authentication failures were answered on this host, with any
    /// credentials, in the last [`AUTH_FAILURE_WINDOW_MS`] (the service's
    /// ban counters are per IP, not per credential).
    #[serde(default)]
    pub(crate) auth_failures_ms: Vec<u64>,
    /// A code `199` answer: the service banned this machine's IP; every
    /// credential is refused until the lock-out is cleared.
    #[serde(default)]
    pub(crate) ip_ban: Option<LockoutRecord>,
}

/// The window of [`HostRecord::auth_failures_ms`]: the service's shortest
/// ban window (15 code-`102` answers in 10 minutes ban the IP for good).
pub(crate) const AUTH_FAILURE_WINDOW_MS: u64 = 600_000;
/// Authentication failures on one host, any credentials, within
/// [`AUTH_FAILURE_WINDOW_MS`] after which nothing more is sent there: well
/// below the service's 15 (permanent ban) and 20 (temporary block).
pub(crate) const AUTH_FAILURE_LIMIT: usize = 5;

/// [`Limits`] as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct StoredLimits {
    pub(crate) list_requests: u32,
    pub(crate) list_window_ms: u64,
    pub(crate) daily_lookups: Option<u32>,
}

/// Point lookups counted on `day`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct LookupDay {
    pub(crate) day: Option<NaiveDate>,
    pub(crate) used: u32,
}

/// A daily cap learned on `day`, enforced until `until_ms` (the `429`'s
/// deadline, at most that day's end).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct LearnedCap {
    pub(crate) cap: u32,
    pub(crate) day: NaiveDate,
    pub(crate) until_ms: u64,
}

/// `Retry-After` deadlines.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Deadlines {
    pub(crate) list_until_ms: Option<u64>,
    pub(crate) lookup_until_ms: Option<u64>,
}

impl Deadlines {
    pub(crate) fn get(&self, scope: Scope) -> Option<u64> {
        match scope {
            Scope::List => self.list_until_ms,
            Scope::Lookup => self.lookup_until_ms,
        }
    }

    pub(crate) fn slot(&mut self, scope: Scope) -> &mut Option<u64> {
        match scope {
            Scope::List => &mut self.list_until_ms,
            Scope::Lookup => &mut self.lookup_until_ms,
        }
    }
}

/// One credential on the host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct CredentialRecord {
    pub(crate) mode: CredentialMode,
    pub(crate) last_used_ms: u64,
    #[serde(default)]
    pub(crate) lockout: Option<LockoutRecord>,
}

/// An authentication lock-out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct LockoutRecord {
    pub(crate) since_ms: u64,
    /// The API code (`status_code`), e.g. `102`.
    pub(crate) code: String,
    /// The service's message, scrubbed of secrets.
    pub(crate) message: String,
}

impl From<&Limits> for StoredLimits {
    fn from(l: &Limits) -> Self {
        Self {
            list_requests: l.list_requests(),
            list_window_ms: super::clock::duration_ms(l.list_window()),
            daily_lookups: l.daily_lookups(),
        }
    }
}

impl StoredLimits {
    pub(crate) fn to_limits(self) -> Limits {
        Limits::default()
            .with_list_quota(
                self.list_requests,
                std::time::Duration::from_millis(self.list_window_ms),
            )
            .with_daily_lookups(self.daily_lookups)
    }
}

impl HostRecord {
    /// An empty record for `host`.
    pub(crate) fn new(host: &str) -> Self {
        Self {
            version: FORMAT_VERSION,
            host: host.to_owned(),
            ..Self::default()
        }
    }

    /// Parses a stored record of `host`; `Err` says why it cannot be used.
    pub(crate) fn parse(bytes: &[u8], host: &str) -> Result<Self, String> {
        let r: Self = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
        if r.version != FORMAT_VERSION {
            return Err(format!(
                "format version {} (expected {FORMAT_VERSION})",
                r.version
            ));
        }
        if r.host != host {
            return Err(format!("it belongs to {:?}", r.host));
        }
        Ok(r)
    }

    /// The stored form.
    pub(crate) fn to_bytes(&self) -> Vec<u8> {
        let mut v = serde_json::to_vec(self).expect("a ledger record always serializes");
        v.push(b'\n');
        v
    }

    /// Drops what no longer matters at `now_ms`: list requests older than
    /// the retention, passed deadlines, stale credentials.
    pub(crate) fn prune(&mut self, now_ms: u64, window_ms: u64) {
        let keep_after = now_ms.saturating_sub(window_ms.max(MIN_RETENTION_MS));
        self.list_sent_ms.retain(|&t| t > keep_after);
        if self.list_sent_ms.len() > MAX_LIST_ENTRIES {
            let extra = self.list_sent_ms.len() - MAX_LIST_ENTRIES;
            self.list_sent_ms.drain(..extra);
        }
        for scope in [Scope::List, Scope::Lookup] {
            let slot = self.retry_after.slot(scope);
            if slot.is_some_and(|until| until <= now_ms) {
                *slot = None;
            }
        }
        let failures_after = now_ms.saturating_sub(AUTH_FAILURE_WINDOW_MS);
        self.auth_failures_ms.retain(|&t| t > failures_after);
        self.credentials.retain(|_, c| {
            c.lockout.is_some() || now_ms.saturating_sub(c.last_used_ms) < FORGET_CREDENTIAL_MS
        });
    }

    /// List requests counted in the window ending at `now_ms`, and the
    /// oldest of them.
    pub(crate) fn list_usage(&self, now_ms: u64, window_ms: u64) -> (u32, Option<u64>) {
        let start = now_ms.saturating_sub(window_ms);
        let first = self.list_sent_ms.partition_point(|&t| t <= start);
        let in_window = &self.list_sent_ms[first..];
        (
            u32::try_from(in_window.len()).unwrap_or(u32::MAX),
            in_window.first().copied(),
        )
    }

    /// Counts a list request at `at_ms`, keeping the times sorted.
    pub(crate) fn add_list(&mut self, at_ms: u64) {
        let i = self.list_sent_ms.partition_point(|&t| t <= at_ms);
        self.list_sent_ms.insert(i, at_ms);
    }

    /// Removes one list request counted at `at_ms`; false when it is gone.
    pub(crate) fn remove_list(&mut self, at_ms: u64) -> bool {
        match self.list_sent_ms.binary_search(&at_ms) {
            Ok(i) => {
                self.list_sent_ms.remove(i);
                true
            }
            Err(_) => false,
        }
    }

    /// Point lookups counted on `today` (resets the count on a new day).
    pub(crate) fn lookups_on(&mut self, today: NaiveDate) -> &mut u32 {
        if self.lookups.day != Some(today) {
            self.lookups = LookupDay {
                day: Some(today),
                used: 0,
            };
        }
        &mut self.lookups.used
    }

    /// The learned cap in force on `today` at `now_ms`.
    pub(crate) fn learned_cap_in_force(&self, today: NaiveDate, now_ms: u64) -> Option<LearnedCap> {
        self.learned_cap
            .filter(|c| c.day == today && now_ms < c.until_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_counts_and_expiry_are_exclusive_at_the_edge() {
        let mut r = HostRecord::new("h:1");
        for t in [1_000, 2_000, 3_000] {
            r.add_list(t);
        }
        // Window of 2 s ending at 3 s: (1 s, 3 s] holds 2 and 3.
        assert_eq!(r.list_usage(3_000, 2_000), (2, Some(2_000)));
        assert_eq!(r.list_usage(2_999, 2_000), (3, Some(1_000)));
        assert!(r.remove_list(2_000));
        assert!(!r.remove_list(2_000));
        assert_eq!(r.list_sent_ms, vec![1_000, 3_000]);
    }

    #[test]
    fn round_trip_and_rejections() {
        let mut r = HostRecord::new("h:1");
        r.add_list(5);
        let bytes = r.to_bytes();
        assert_eq!(HostRecord::parse(&bytes, "h:1").unwrap(), r);
        assert!(HostRecord::parse(&bytes, "other:1").is_err());
        assert!(HostRecord::parse(b"{\"version\":1,\"ho", "h:1").is_err());
        assert!(HostRecord::parse(b"{\"version\":9,\"host\":\"h:1\"}", "h:1").is_err());
    }
}
