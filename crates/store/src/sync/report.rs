//! [`SyncReport`]: what one run of a sync did, and [`RunKind`].

use std::fmt;
use std::time::Duration;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use velip_blocking::ledger::AccountReport;
use velip_core::CallId;

use crate::db::UpsertCounts;

/// Which kind of run a sync made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RunKind {
    /// The first run of a selection: the whole selection (from `since`),
    /// newest first.
    Backfill,
    /// A later run: what is new since the last run, and the calls that
    /// were still in progress.
    Incremental,
}

impl RunKind {
    /// `backfill` or `incremental`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Backfill => "backfill",
            Self::Incremental => "incremental",
        }
    }
}

impl fmt::Display for RunKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What one run of a sync did ([`SyncJob::run`](super::SyncJob::run)).
///
/// Counts, records and list requests are the run's own, summed over its
/// interruptions (a run resumed after a crash reports what the crashed
/// process did too); [`requests_sent`](Self::requests_sent) and
/// [`quota`](Self::quota) are this process's.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SyncReport {
    /// The account label the rows were written under.
    pub account: String,
    /// The selection key (`velip_sync_state.selection_key`; empty: every call).
    pub selection: String,
    /// The database, for messages (never a password).
    pub database: String,
    /// Backfill or incremental.
    pub kind: RunKind,
    /// Whether this run took up an interrupted one.
    pub resumed: bool,
    /// The selection's first day, when the first run was given `since`.
    pub since: Option<NaiveDate>,
    /// Rows inserted, updated (content changed: a call that became final,
    /// a late `cd_returl`), unchanged (not written).
    pub counts: UpsertCounts,
    /// Records read by list requests.
    pub records_read: u64,
    /// List requests (pages) of the run's walk.
    pub list_requests: u64,
    /// Point lookups (`cd_id`) of calls in progress the walk did not reach.
    pub lookups: u64,
    /// Requests this process sent for the run, retries included.
    pub requests_sent: u64,
    /// Calls stored while still in progress, read again by the next run.
    pub pending: u64,
    /// Calls in progress that a lookup no longer found (their row is kept,
    /// and no longer read again).
    pub vanished: u64,
    /// Entries without a readable call id (not stored; the first 100 are
    /// kept in `velip_sync_state.last_run`).
    pub rejected: u64,
    /// The newest call stored (the next run starts above it).
    pub newest_call_id: Option<CallId>,
    /// How long the run waited for another sync of the same account and
    /// database to finish ([`Duration::ZERO`]: it did not).
    pub lock_waited: Duration,
    /// Wall time of the run, waits included.
    pub elapsed: Duration,
    /// Whether the service masked phone numbers (`xxxxx877`).
    pub numbers_masked: bool,
    /// The distinct `return.warning` texts the service sent.
    pub warnings: Vec<String>,
    /// The quota ledger's view after the run (`None`: ledger off).
    pub quota: Option<AccountReport>,
}

impl SyncReport {
    /// The summary kept in `velip_sync_state.last_run`.
    pub(crate) fn to_json(&self, rejected: &[super::state::Rejected]) -> serde_json::Value {
        serde_json::json!({
            "kind": self.kind,
            "resumed": self.resumed,
            "inserted": self.counts.inserted,
            "updated": self.counts.updated,
            "unchanged": self.counts.unchanged,
            "superseded": self.counts.superseded,
            "records_read": self.records_read,
            "list_requests": self.list_requests,
            "lookups": self.lookups,
            "requests_sent": self.requests_sent,
            "pending": self.pending,
            "vanished": self.vanished,
            "rejected": self.rejected,
            "rejected_entries": rejected,
            "newest_call_id": self.newest_call_id.as_ref().map(ToString::to_string),
            "lock_waited_seconds": self.lock_waited.as_secs_f64(),
            "elapsed_seconds": self.elapsed.as_secs_f64(),
            "numbers_masked": self.numbers_masked,
            "warnings": self.warnings,
            "finished_at": chrono::Utc::now(),
        })
    }
}

/// `incremental: 12 inserted, 3 updated, 4985 unchanged; 5000 records in 1
/// list request, 0 lookups; 2 still in progress`.
impl fmt::Display for SyncReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let plural =
            |n: u64, one: &'static str, many: &'static str| if n == 1 { one } else { many };
        write!(
            f,
            "{}{}: {}; {} records in {} {}, {} {}; {} still in progress",
            self.kind,
            if self.resumed { " (resumed)" } else { "" },
            self.counts,
            self.records_read,
            self.list_requests,
            plural(self.list_requests, "list request", "list requests"),
            self.lookups,
            plural(self.lookups, "lookup", "lookups"),
            self.pending,
        )?;
        if self.vanished > 0 {
            write!(f, "; {} in progress no longer found", self.vanished)?;
        }
        if self.rejected > 0 {
            write!(f, "; {} entries without a readable call id", self.rejected)?;
        }
        Ok(())
    }
}
