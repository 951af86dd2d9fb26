//! [`StoreSink`] (feature `store`): deliveries upserted into the `calls`
//! table of a `velip-store` database, the table `velip sync` keeps.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use chrono::SecondsFormat;
use velip_core::{CallRecord, Secret};
use velip_store::db::{
    Backend, DbError, DbErrorKind, OpenOptions, Source, Store, UpsertCounts, WriteMeta,
};

use crate::delivery::Delivery;
use crate::error::SinkError;
use crate::jsonl::{rejected_path_for, render_rejected, write_rejected};
use crate::sink::Sink;

/// Stores deliveries in a SQLite or PostgreSQL database of `velip-store`
/// ([`velip_store::db`]): each batch of deliveries (group commit) is
/// upserted by call id in **one transaction**, with `source = push`, into
/// the same `calls` table that `velip sync` fills by pulling. A call
/// delivered twice is stored once; a later delivery with other content (a
/// final status after an in-progress one, a changed `cd_returl`) rewrites
/// the row; an unchanged repeat writes nothing. The receiver answers 2xx
/// only after the transaction committed (SQLite: WAL with
/// `synchronous = FULL`; PostgreSQL: its own commit).
///
/// Rows are keyed by (`account`, `call_id`): give the account label the
/// pulling side uses (`velip sync --account`), so a pushed and a pulled
/// copy of a call are one row. Deliveries do not say which account they
/// belong to.
///
/// Unreadable entries of a JSON delivery (no readable `cd_id`) have no row
/// to go to: they are appended, with their raw text and problem, to a
/// JSON-lines file ([`rejected_entries`](Self::rejected_entries); for a
/// SQLite database by default `calls.rejected.jsonl` beside `calls.db`),
/// synced before the batch's transaction commits. A PostgreSQL store
/// without such a file logs a warning per entry (never the raw text).
///
/// After a failed transaction on PostgreSQL (a lost connection, a
/// restarted server) the next batch reconnects first. The failed batch is
/// answered 503 and retried by its senders.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
/// use velip_core::query::WebhookMethod;
/// use velip_webhook::{Delivery, Sink, StoreSink};
/// let dir = tempfile::tempdir()?;
/// let url = format!("sqlite:{}", dir.path().join("calls.db").display());
/// let mut sink = StoreSink::open(&url, "acme")?;
/// let totals = sink.totals();
/// let d = Delivery::decode(WebhookMethod::Post, None, "cd_id=42_7&cd_status=OK".into())?;
/// sink.commit(&[d.clone()])?;
/// sink.commit(&[d])?; // a platform retry: stored once
/// assert_eq!((totals.get().inserted, totals.get().unchanged), (1, 1));
/// assert_eq!(velip_store::db::open(&url)?.count(Some("acme"))?, 1);
/// # Ok(()) }
/// ```
pub struct StoreSink {
    store: Option<Store>,
    /// How to reconnect (a PostgreSQL URL may hold a password).
    reopen: Option<(Secret, OpenOptions)>,
    name: String,
    backend: Backend,
    meta: WriteMeta,
    rejected_path: Option<PathBuf>,
    rejected_file: Option<File>,
    totals: StoreTotals,
    records: Vec<CallRecord>,
    buf: Vec<u8>,
}

impl std::fmt::Debug for StoreSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreSink")
            .field("database", &self.name)
            .field("account", &self.meta.account())
            .field("rejected_entries", &self.rejected_path)
            .finish_non_exhaustive()
    }
}

/// The upsert counts of a [`StoreSink`] so far, readable while the receiver
/// owns the sink (cheap to clone).
#[derive(Debug, Clone, Default)]
pub struct StoreTotals(Arc<Mutex<UpsertCounts>>);

impl StoreTotals {
    /// Inserted, updated, unchanged and superseded calls so far (committed
    /// batches only).
    pub fn get(&self) -> UpsertCounts {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn add(&self, counts: UpsertCounts) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) += counts;
    }
}

impl StoreSink {
    /// Opens the database at `url` (see [`velip_store::db::open`] for the
    /// forms: `sqlite:calls.db`, `postgres://user@host/db`; migrations run
    /// now) and stores deliveries as calls of `account`.
    ///
    /// # Errors
    /// [`DbError`]: the database cannot be opened, is read-only, full or of
    /// a newer schema; `account` breaks the label rule
    /// ([`DbErrorKind::InvalidInput`]).
    pub fn open(url: &str, account: &str) -> Result<Self, DbError> {
        Self::open_with(url, &OpenOptions::default(), account)
    }

    /// [`open`](Self::open) with [`OpenOptions`] (busy timeout, free space).
    ///
    /// # Errors
    /// As [`open`](Self::open).
    pub fn open_with(url: &str, options: &OpenOptions, account: &str) -> Result<Self, DbError> {
        let meta = WriteMeta::new(account, Source::Push)?;
        let store = Store::open_with(url, options)?;
        let mut sink = Self::with_meta(store, meta);
        sink.reopen = Some((Secret::from(url), options.clone()));
        Ok(sink)
    }

    /// Stores into an open `store`, as calls of `account` (no reconnection
    /// after a failure).
    ///
    /// # Errors
    /// [`DbErrorKind::InvalidInput`] when `account` breaks the label rule.
    pub fn new(store: Store, account: &str) -> Result<Self, DbError> {
        Ok(Self::with_meta(
            store,
            WriteMeta::new(account, Source::Push)?,
        ))
    }

    fn with_meta(store: Store, meta: WriteMeta) -> Self {
        let name = store.name().to_owned();
        let backend = store.backend();
        let rejected_path = match backend {
            Backend::Sqlite => Some(rejected_path_for(Path::new(&name))),
            _ => None,
        };
        Self {
            store: Some(store),
            reopen: None,
            name,
            backend,
            meta,
            rejected_path,
            rejected_file: None,
            totals: StoreTotals::default(),
            records: Vec::new(),
            buf: Vec::new(),
        }
    }

    /// Where unreadable entries of JSON deliveries are appended (JSON
    /// lines: `index`, `raw`, `problem`, `delivery`, as
    /// [`JsonLinesSink`](crate::JsonLinesSink) writes them). Created on
    /// the first such entry.
    #[must_use]
    pub fn rejected_entries(mut self, path: impl Into<PathBuf>) -> Self {
        self.rejected_path = Some(path.into());
        self.rejected_file = None;
        self
    }

    /// The file unreadable entries go to, when there is one.
    pub fn rejected_entries_path(&self) -> Option<&Path> {
        self.rejected_path.as_deref()
    }

    /// The database, for messages (never a password): the SQLite file's
    /// absolute path or `postgres://user@host:port/db`.
    pub fn database(&self) -> &str {
        &self.name
    }

    /// The database engine.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The account label the calls are stored under.
    pub fn account(&self) -> &str {
        self.meta.account()
    }

    /// A handle on the upsert counts, to read while the receiver runs or
    /// after it stopped.
    pub fn totals(&self) -> StoreTotals {
        self.totals.clone()
    }

    /// The store, reconnecting first when the last transaction failed on
    /// PostgreSQL.
    fn store(&mut self) -> Result<&mut Store, SinkError> {
        if self.store.is_none() {
            let (url, options) = self
                .reopen
                .as_ref()
                .ok_or_else(|| format!("{}: the connection was lost", self.name))?;
            log::info!("reconnecting to {}", self.name);
            self.store = Some(Store::open_with(url.expose(), options)?);
        }
        self.store
            .as_mut()
            .ok_or_else(|| format!("{}: not open", self.name).into())
    }

    /// Keeps the batch's unreadable entries (durable before the rows
    /// commit, so none is lost once the batch is acknowledged).
    fn keep_unreadable(&mut self, batch: &[Delivery]) -> Result<(), SinkError> {
        self.buf.clear();
        let mut count = 0;
        for d in batch.iter().filter(|d| !d.payload.rejected.is_empty()) {
            count += d.payload.rejected.len();
            let received_at = d.received_at.to_rfc3339_opts(SecondsFormat::Millis, true);
            render_rejected(d, &received_at, &mut self.buf)?;
        }
        if count == 0 {
            return Ok(());
        }
        if let Some(path) = &self.rejected_path {
            return write_rejected(path, &mut self.rejected_file, &self.buf)
                .map_err(|e| format!("{}: {e}", path.display()).into());
        }
        for d in batch {
            for r in &d.payload.rejected {
                log::warn!(
                    "delivery #{}: entry {} has no readable call id ({}); not stored (set a file for unreadable entries to keep it)",
                    d.sequence,
                    r.index,
                    r.problem.rule
                );
            }
        }
        Ok(())
    }
}

impl Sink for StoreSink {
    fn commit(&mut self, batch: &[Delivery]) -> Result<(), SinkError> {
        self.keep_unreadable(batch)?;
        let mut records = std::mem::take(&mut self.records);
        let slice: &[CallRecord] = if let [one] = batch {
            one.records()
        } else {
            records.clear();
            records.extend(batch.iter().flat_map(|d| d.records().iter().cloned()));
            &records
        };
        let pg = self.backend == Backend::Postgres;
        let mut lost = false;
        let result: Result<UpsertCounts, SinkError> = if slice.is_empty() {
            Ok(UpsertCounts::default())
        } else {
            let meta = self.meta.clone();
            self.store().and_then(|store| {
                store
                    .transaction(|tx| tx.upsert(slice, &meta))
                    .map_err(|e| {
                        lost =
                            pg && matches!(e.kind(), DbErrorKind::Unreachable | DbErrorKind::Other);
                        Box::new(e) as SinkError
                    })
            })
        };
        records.clear();
        if records.capacity() > 65_536 {
            records = Vec::new();
        }
        self.records = records;
        if lost {
            // Reconnect before the next batch.
            self.store = None;
        }
        let counts = result?;
        self.totals.add(counts);
        Ok(())
    }
}
