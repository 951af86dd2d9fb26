//! The sync engine: keeps a table of calls current in SQLite or PostgreSQL
//! ([`crate::db`]), spending as few requests as the service allows.
//!
//! [`SyncJob`] names the account label and the selection;
//! [`SyncJob::run`] makes one run and returns a [`SyncReport`] (inserted,
//! updated, unchanged, list requests, lookups, requests sent, quota used).
//! `velip sync` and Python's `velip.sync` are this, translated.
//!
//! ```no_run
//! use velip_blocking::Client;
//! use velip_store::sync::SyncJob;
//!
//! let client = Client::builder().token("your-30-character-token-here00").build()?;
//! let mut store = velip_store::db::open("postgres://etl@db.internal/crm")?;
//! let since = velip_core::model::local_time::days_ago(30);
//! let report = SyncJob::new("acme")?.since(since).run(&client, &mut store)?;
//! println!("{report}");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Safe at any point
//!
//! - Each page's rows and the sync state (the walk's checkpoint, the
//!   calls in progress, the run's counts) commit in one transaction: a
//!   crash (`kill -9`) at any point leaves both or neither, and the next
//!   run resumes the interrupted one where its last page committed. No
//!   call is written twice (upserts are keyed by account and call id) and
//!   none is skipped.
//! - Two runs of the same account and database are serialised by the
//!   store's sync lock ([`Store::lock_account`](crate::db::Store::lock_account):
//!   a lock file beside a SQLite database, a session advisory lock in
//!   PostgreSQL, both released by a crash): the second waits (up to
//!   [`SyncJob::lock_timeout`]), says so ([`SyncEvent::WaitingForLock`],
//!   [`SyncReport::lock_waited`]), and then reads only what the first left.
//! - The database is checked when it is opened (unreachable, read-only,
//!   full, newer schema) and the selection before the lock: both before
//!   any request. Quota waits are the client's
//!   ([`RateLimitPolicy`](velip_blocking::RateLimitPolicy)); a run stopped
//!   by the quota resumes on the next run.
//!
//! # What each run reads, and why
//!
//! The service lists calls newest first (descending call id), and call ids
//! only grow: a call placed after a run has a higher id than every call
//! that run saw. A call is listed while in progress with an empty
//! `cd_status`, and later with its final values under the same id; once
//! final it does not change (except `cd_returl`, below). So a copy needs
//! two things from each run: the calls above the newest one it stores (the
//! *watermark*), and the calls it stored while they were in progress (the
//! *pending* calls, [`CallRecord::is_final`](velip_core::CallRecord::is_final)
//! false). The state remembers both.
//!
//! 1. **First run (backfill)**: the whole selection, from
//!    [`since`](SyncJob::since) when given (for a sync of every call, the
//!    last [`DEFAULT_SINCE_DAYS`] days by default), page by page.
//! 2. **Later runs, first leg**: from the newest call down to the
//!    watermark, stopping after the page that reaches it
//!    ([`CallIter::stop_at`](velip_blocking::CallIter::stop_at): the
//!    pipeline never requests a page below it). That costs
//!    `ceil(records read / page size)` list requests: an hour with 3,000
//!    new calls is one request, not a re-export of the period. Pending
//!    calls on those pages (usually all of them: a call is in progress for
//!    minutes, so it sits just below the watermark) are updated for free.
//! 3. **Pending calls below the first leg's reach** are either read by
//!    walking on (the same walk, down to the chosen one) or looked up one
//!    by one (`cd_id`), whichever is cheaper: the pages needed are
//!    estimated from the density of call ids in the first leg, and one list
//!    request is counted as [`DEFAULT_LOOKUPS_PER_LIST_REQUEST`] lookups
//!    ([`SyncJob::lookups_per_list_request`]), with at most
//!    [`DEFAULT_MAX_LOOKUPS`] lookups a run ([`SyncJob::max_lookups`]).
//!    Why lookups are cheap: the list quota (200 requests an hour) is
//!    shared by every export and sync of the IP, while point lookups have
//!    a cap of their own, per day, of `500 + 40 × (average calls per day +
//!    calls today)`: an account with calls in progress is placing calls,
//!    and each call placed adds 40 lookups to the cap, far more than a sync
//!    spends on it. In time, one page of 5,000 records (several MiB of
//!    JSON) costs about as much as ten round trips of a lookup
//!    (BENCHMARKS.md). So a handful of stragglers far below are looked up,
//!    and a crowd just below is walked to.
//! 4. **Pending calls a walk passed over without seeing** (no longer in the
//!    selection: a campaign ref now resolving to a newer campaign) are
//!    looked up; a lookup that no longer finds a call drops it from the
//!    pending set (its row stays; [`SyncReport::vanished`]).
//!
//! Never read again: final calls. Their `cd_returl` (the webhook delivery
//! outcome) may still change after the call ended; a sync does not follow
//! it (re-read those by a new selection, or receive them by webhook). A call
//! that never becomes final is read again by every run
//! ([`SyncReport::pending`] counts them).
//!
//! `only_dtmf` selections are special: the service does not list calls in
//! progress there at all, so a call appears only when final, below the
//! watermark. For them the first leg goes down to the newest call that was
//! dialed at least two hours before a run that read it final (every call
//! below it was over by then), re-reading the last hours of calls each run.
//!
//! # State
//!
//! One row of `velip_sync_state` per (account, [selection
//! key](SyncJob::selection_key)): `newest_call_id` (the watermark),
//! `pending_count`, `last_run` (the last finished run's summary, JSON:
//! counts, requests, the first 100 entries without a readable call id,
//! which cannot be stored as rows), and `state`, the engine's JSON
//! (`version`, `floor_date`, `newest`, `pending` ids newest first, the run
//! under way with its walk checkpoint). Delete the row to sync the
//! selection from scratch.

// "SQLite" and "PostgreSQL" are names in prose, not code.
#![allow(clippy::doc_markdown)]

mod error;
mod event;
mod job;
mod plan;
mod report;
mod selection;
mod state;

pub use error::SyncError;
pub use event::{EventCallback, SyncEvent};
pub use job::{DEFAULT_LOOKUPS_PER_LIST_REQUEST, DEFAULT_MAX_LOOKUPS, DEFAULT_SINCE_DAYS, SyncJob};
pub use report::{RunKind, SyncReport};
