//! [`SyncEvent`]: what a running sync tells its caller (progress lines, the
//! wait for another sync).

use std::sync::Arc;

use chrono::NaiveDate;

use crate::db::UpsertCounts;

use super::RunKind;

/// Something a sync run reports while it goes
/// ([`SyncJob::on_event`](super::SyncJob::on_event)).
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum SyncEvent<'a> {
    /// Another sync of this account holds the database's sync lock: this
    /// run waits for it (up to the lock timeout) before sending anything.
    WaitingForLock {
        /// The database, for messages.
        database: &'a str,
        /// The account label.
        account: &'a str,
    },
    /// The run begins (after the lock, before the first request).
    Started {
        /// Backfill or incremental.
        kind: RunKind,
        /// Whether it takes up an interrupted run.
        resumed: bool,
        /// The selection's first day (the first run's `since`).
        since: Option<NaiveDate>,
    },
    /// A page was committed.
    Page {
        /// Records read so far by the run's list requests.
        records: u64,
        /// List requests so far.
        pages: u64,
        /// Upserts so far.
        counts: UpsertCounts,
    },
    /// Calls in progress that the walk did not reach are looked up one by
    /// one.
    LookingUp {
        /// How many.
        calls: usize,
    },
}

/// The callback of [`SyncJob::on_event`](super::SyncJob::on_event).
pub type EventCallback = Arc<dyn Fn(&SyncEvent<'_>) + Send + Sync>;
