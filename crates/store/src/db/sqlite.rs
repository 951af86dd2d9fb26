//! The SQLite backend (rusqlite, bundled SQLite): WAL mode, one write
//! transaction at a time (`BEGIN IMMEDIATE` under a busy timeout), and a
//! lock file per account for [`Store::lock_account`](super::Store::lock_account).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, NaiveTime, SecondsFormat, Utc};
use rusqlite::{Connection, ErrorCode, OpenFlags, OptionalExtension, Statement};
use velip_core::CallId;

use super::error::{DbError, DbErrorKind};
use super::meta::{Source, UpsertCounts, WriteMeta};
use super::plan::Plan;
use super::row::{READ_COLUMNS, RECORD_COLUMNS, ReadRow, Row, StoredCall};
use super::schema::{self, HISTORY_SQLITE, SCHEMA_VERSION};
use super::state::{StateKey, StoredState, SyncState};
use super::store::{OpenOptions, SchemaInfo};

/// An open SQLite database.
pub(crate) struct SqliteDb {
    conn: Connection,
    path: PathBuf,
    busy_timeout: Duration,
    /// Account lock files held, by account.
    locks: HashMap<String, File>,
}

impl std::fmt::Debug for SqliteDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteDb")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// Maps a SQLite error to a [`DbError`] naming the database and what to do.
pub(crate) fn map_err(db: &str, doing: &str, e: rusqlite::Error) -> DbError {
    let code = e.sqlite_error_code();
    let (kind, advice) = match code {
        Some(ErrorCode::ReadOnly) => (
            DbErrorKind::ReadOnly,
            "the database is read-only for this user (the file or its folder is not writable); make both writable, or choose another file",
        ),
        Some(ErrorCode::DiskFull) => (
            DbErrorKind::Full,
            "the disk is full; free some space and run again (nothing half-written was kept)",
        ),
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => (
            DbErrorKind::Busy,
            "another process held the database's write lock longer than the busy timeout; try again, or stop the other writer",
        ),
        Some(ErrorCode::CannotOpen) => (
            DbErrorKind::Unreachable,
            "check that the path is right and its folder exists and is writable",
        ),
        Some(ErrorCode::PermissionDenied) => (
            DbErrorKind::ReadOnly,
            "this user may not open or write the file",
        ),
        Some(ErrorCode::NotADatabase) => (
            DbErrorKind::SchemaMismatch,
            "the file is not a SQLite database; give another path",
        ),
        Some(ErrorCode::DatabaseCorrupt) => (
            DbErrorKind::Other,
            "the database file is corrupt; restore it from a backup",
        ),
        _ => (DbErrorKind::Other, ""),
    };
    let sep = if advice.is_empty() { "" } else { "; " };
    DbError::new(
        kind,
        format!("SQLite database {db}: {doing} failed: {e}{sep}{advice}"),
    )
    .with_source(e)
}

fn text_utc(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn parse_utc(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

impl SqliteDb {
    /// Opens (creating) the file, checks it is writable and of a known
    /// schema, switches to WAL and applies the missing migrations.
    pub(crate) fn open(
        path: &Path,
        db: &str,
        options: &OpenOptions,
    ) -> Result<(Self, SchemaInfo), DbError> {
        let folder = path.parent().unwrap_or_else(|| Path::new("/"));
        if !folder.is_dir() {
            return Err(DbError::new(
                DbErrorKind::Unreachable,
                format!(
                    "cannot open SQLite database {db}: the folder {} does not exist; create it first, or give another path",
                    folder.display()
                ),
            ));
        }
        if let Ok(free) = fs4::available_space(folder)
            && free < options.min_free_space
        {
            return Err(DbError::new(
                DbErrorKind::Full,
                format!(
                    "SQLite database {db}: the disk is full ({} MiB free, at least {} MiB needed); free some space, or give a path on another disk",
                    free / (1 << 20),
                    options.min_free_space.div_ceil(1 << 20)
                ),
            ));
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn =
            Connection::open_with_flags(path, flags).map_err(|e| map_err(db, "opening", e))?;
        if conn
            .is_readonly(rusqlite::MAIN_DB)
            .map_err(|e| map_err(db, "opening", e))?
        {
            return Err(read_only(db));
        }
        conn.busy_timeout(options.busy_timeout)
            .map_err(|e| map_err(db, "opening", e))?;
        let mut store = Self {
            conn,
            path: path.to_owned(),
            busy_timeout: options.busy_timeout,
            locks: HashMap::new(),
        };
        // Read the version before changing anything: a newer schema is refused untouched.
        let found = store.version(db)?;
        if found > SCHEMA_VERSION {
            return Err(schema::too_new(db, found));
        }
        let mode: String = store
            .conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .map_err(|e| map_err(db, "switching to WAL mode", e))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(DbError::new(
                DbErrorKind::Other,
                format!(
                    "SQLite database {db}: cannot use WAL mode (journal mode stays {mode}); use a file on a local disk"
                ),
            ));
        }
        // FULL: a commit survives a power loss too (one fsync per page or
        // delivery batch); a bigger page cache for bulk loads.
        store
            .conn
            .execute_batch("PRAGMA synchronous = FULL; PRAGMA cache_size = -16384; PRAGMA temp_store = MEMORY;")
            .map_err(|e| map_err(db, "setting pragmas", e))?;
        let info = store.migrate(db, options.target_version_value())?;
        Ok((store, info))
    }

    /// The schema version recorded, 0 for an empty database; an error for
    /// a database with a `calls` table that velip did not create.
    fn version(&self, db: &str) -> Result<u32, DbError> {
        let has = |name: &str| -> Result<bool, DbError> {
            self.conn
                .query_row(
                    "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?1",
                    [name],
                    |r| r.get::<_, i64>(0),
                )
                .map(|n| n > 0)
                .map_err(|e| map_err(db, "reading the schema", e))
        };
        if !has("velip_schema")? {
            if has("calls")? {
                return Err(foreign_calls(db));
            }
            return Ok(0);
        }
        let v: Option<i64> = self
            .conn
            .query_row("SELECT max(version) FROM velip_schema", [], |r| r.get(0))
            .map_err(|e| map_err(db, "reading the schema version", e))?;
        Ok(u32::try_from(v.unwrap_or(0)).unwrap_or(u32::MAX))
    }

    fn migrate(&mut self, db: &str, target: u32) -> Result<SchemaInfo, DbError> {
        let (tx, _) = self.begin(db)?;
        // Read again under the write lock: another process may have migrated.
        let found = tx.store.version(db)?;
        if found > SCHEMA_VERSION {
            return Err(schema::too_new(db, found));
        }
        if found >= target {
            tx.rollback();
            return Ok(SchemaInfo {
                version: found,
                migrated_from: None,
            });
        }
        let now = text_utc(Utc::now());
        tx.store
            .conn
            .execute_batch(HISTORY_SQLITE)
            .map_err(|e| map_err(db, "creating velip_schema", e))?;
        for version in found + 1..=target {
            let sql = schema::SQLITE[version as usize - 1];
            tx.store.conn.execute_batch(sql).map_err(|e| {
                map_err(db, &format!("migrating the schema to version {version}"), e)
            })?;
            tx.store
                .conn
                .execute(
                    "INSERT INTO velip_schema (version, applied_at, velip_version) VALUES (?1, ?2, ?3)",
                    rusqlite::params![version, now, env!("CARGO_PKG_VERSION")],
                )
                .map_err(|e| map_err(db, "recording the migration", e))?;
        }
        tx.commit(db)?;
        Ok(SchemaInfo {
            version: target,
            migrated_from: Some(found),
        })
    }

    /// Starts a write transaction (`BEGIN IMMEDIATE`, SQLite's one write
    /// lock), waiting up to the busy timeout; how long it waited.
    pub(crate) fn begin(&mut self, db: &str) -> Result<(SqliteTx<'_>, Duration), DbError> {
        let busy = |e| map_err(db, "starting a write transaction", e);
        self.conn.busy_timeout(Duration::ZERO).map_err(busy)?;
        let first = self.conn.execute_batch("BEGIN IMMEDIATE");
        self.conn.busy_timeout(self.busy_timeout).map_err(busy)?;
        let waited = match first {
            Ok(()) => Duration::ZERO,
            Err(e) if e.sqlite_error_code() == Some(ErrorCode::DatabaseBusy) => {
                let start = Instant::now();
                self.conn.execute_batch("BEGIN IMMEDIATE").map_err(busy)?;
                start.elapsed()
            }
            Err(e) => return Err(busy(e)),
        };
        Ok((
            SqliteTx {
                store: self,
                open: true,
            },
            waited,
        ))
    }

    /// Takes the lock file of `account` beside the database, waiting up to
    /// `timeout`; how long it waited.
    pub(crate) fn lock_account(
        &mut self,
        db: &str,
        account: &str,
        timeout: Duration,
    ) -> Result<Duration, DbError> {
        if self.locks.contains_key(account) {
            return Ok(Duration::ZERO);
        }
        let fingerprint = xxhash_rust::xxh3::xxh3_64(account.as_bytes());
        let mut name = self.path.clone().into_os_string();
        name.push(format!("-velip-{fingerprint:016x}.lock"));
        let lock_path = PathBuf::from(name);
        let io_err = |e: std::io::Error| {
            DbError::new(
                DbErrorKind::Other,
                format!(
                    "SQLite database {db}: cannot use the lock file {}: {e}",
                    lock_path.display()
                ),
            )
            .with_source(e)
        };
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(io_err)?;
        let start = Instant::now();
        loop {
            match fs4::FileExt::try_lock(&file) {
                Ok(()) => break,
                Err(fs4::TryLockError::WouldBlock) => {
                    let spent = start.elapsed();
                    if spent >= timeout {
                        return Err(busy_account(db, account, timeout));
                    }
                    std::thread::sleep(
                        timeout.saturating_sub(spent).min(Duration::from_millis(20)),
                    );
                }
                Err(fs4::TryLockError::Error(e)) => return Err(io_err(e)),
            }
        }
        let waited = start.elapsed();
        self.locks.insert(account.to_owned(), file);
        // Acquired at the first try: report no wait at all.
        Ok(if waited < Duration::from_millis(1) {
            Duration::ZERO
        } else {
            waited
        })
    }

    /// Releases the lock of `account`; whether it was held.
    pub(crate) fn unlock_account(&mut self, account: &str) -> bool {
        // Closing the file releases the lock (the kernel does it on a crash too).
        self.locks.remove(account).is_some()
    }

    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }
}

pub(crate) fn busy_account(db: &str, account: &str, timeout: Duration) -> DbError {
    DbError::new(
        DbErrorKind::Busy,
        format!(
            "another sync of account {account:?} into {db} still runs after waiting {:.1} s; try again later, or stop the other sync",
            timeout.as_secs_f64()
        ),
    )
}

fn read_only(db: &str) -> DbError {
    DbError::new(
        DbErrorKind::ReadOnly,
        format!(
            "SQLite database {db} is read-only for this user (the file or its folder is not writable); make both writable, or choose another file."
        ),
    )
}

pub(crate) fn foreign_calls(db: &str) -> DbError {
    DbError::new(
        DbErrorKind::SchemaMismatch,
        format!(
            "database {db} has a table `calls` that velip did not create (no velip_schema table); use another database, or rename that table"
        ),
    )
}

/// An open write transaction; rolled back when dropped uncommitted.
pub(crate) struct SqliteTx<'s> {
    store: &'s mut SqliteDb,
    open: bool,
}

impl SqliteTx<'_> {
    pub(crate) fn conn(&self) -> &Connection {
        &self.store.conn
    }

    pub(crate) fn commit(mut self, db: &str) -> Result<(), DbError> {
        self.store
            .conn
            .execute_batch("COMMIT")
            .map_err(|e| map_err(db, "committing", e))?;
        self.open = false;
        Ok(())
    }

    pub(crate) fn rollback(mut self) {
        self.rollback_now();
    }

    fn rollback_now(&mut self) {
        if self.open {
            self.open = false;
            // A failed rollback leaves nothing to undo: SQLite rolled back already.
            let _ = self.store.conn.execute_batch("ROLLBACK");
        }
    }
}

impl Drop for SqliteTx<'_> {
    fn drop(&mut self) {
        self.rollback_now();
    }
}

/// Rows per `INSERT` statement (32 parameters each, well under SQLite's
/// 32,766).
const CHUNK: usize = 64;

/// Call ids per lookup of the stored hashes.
const LOOKUP: usize = 500;

/// Parameters per row.
const PARAMS: usize = RECORD_COLUMNS.len() + 5;

/// The insert of `rows` rows.
fn insert_sql(rows: usize) -> String {
    let cols = RECORD_COLUMNS.join(", ");
    let one = format!("({})", vec!["?"; PARAMS].join(", "));
    format!(
        "INSERT INTO calls (account, {cols}, first_seen_at, updated_at, source, content_hash) VALUES {}",
        vec![one; rows].join(", ")
    )
}

/// The rewrite of one row, with the insert's parameter numbers
/// (`first_seen_at`, ?29, is kept).
fn update_sql() -> String {
    let sets: Vec<String> = RECORD_COLUMNS
        .iter()
        .enumerate()
        .skip(1)
        .map(|(i, c)| format!("{c} = ?{}", i + 2))
        .collect();
    format!(
        "UPDATE calls SET {}, updated_at = ?30, source = ?31, content_hash = ?32 WHERE account = ?1 AND call_id = ?2",
        sets.join(", ")
    )
}

/// The stored content hashes of these rows' call ids.
fn stored_hashes(
    conn: &Connection,
    account: &str,
    rows: &[Row<'_>],
) -> rusqlite::Result<HashMap<String, i64>> {
    let mut stored = HashMap::new();
    for chunk in rows.chunks(LOOKUP) {
        let marks = vec!["?"; chunk.len()].join(", ");
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT call_id, content_hash FROM calls WHERE account = ? AND call_id IN ({marks})"
        ))?;
        stmt.raw_bind_parameter(1, account)?;
        for (i, row) in chunk.iter().enumerate() {
            stmt.raw_bind_parameter(i + 2, &row.call_id)?;
        }
        let mut found = stmt.raw_query();
        while let Some(r) = found.next()? {
            stored.insert(r.get(0)?, r.get(1)?);
        }
    }
    Ok(stored)
}

/// Binds one row's 32 parameters after `base`.
/// Binds a value as text written into `scratch` (SQLite copies a bound
/// text, so one buffer serves every value), or NULL.
fn bind_text(
    stmt: &mut Statement<'_>,
    index: usize,
    value: Option<impl std::fmt::Display>,
    scratch: &mut String,
) -> rusqlite::Result<()> {
    match value {
        None => stmt.raw_bind_parameter(index, rusqlite::types::Null),
        Some(v) => {
            scratch.clear();
            let _ = write!(scratch, "{v}");
            stmt.raw_bind_parameter(index, scratch.as_str())
        }
    }
}

/// An instant in RFC 3339 with its offset, `2026-05-06T23:59:40-03:00`.
struct Rfc3339<'a>(&'a DateTime<chrono_tz::Tz>);

impl std::fmt::Display for Rfc3339<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use chrono::Offset;
        let local = self.0.naive_local();
        write!(
            f,
            "{}T{}{}",
            local.date(),
            local.time(),
            self.0.offset().fix()
        )
    }
}

/// Binds one row's 32 parameters after `base`.
#[allow(clippy::too_many_arguments)] // one row's values and where they go
fn bind(
    stmt: &mut Statement<'_>,
    base: usize,
    account: &str,
    row: &Row<'_>,
    now: &str,
    source: Source,
    scratch: &mut String,
) -> rusqlite::Result<()> {
    stmt.raw_bind_parameter(base + 1, account)?;
    stmt.raw_bind_parameter(base + 2, &row.call_id)?;
    stmt.raw_bind_parameter(base + 3, row.call_number)?;
    stmt.raw_bind_parameter(base + 4, row.status.as_deref())?;
    stmt.raw_bind_parameter(base + 5, row.amd.as_deref())?;
    stmt.raw_bind_parameter(base + 6, row.campaign_id)?;
    stmt.raw_bind_parameter(base + 7, row.campaign_ref.as_deref())?;
    stmt.raw_bind_parameter(base + 8, row.correlation_id.as_deref())?;
    stmt.raw_bind_parameter(base + 9, row.origin.as_deref())?;
    stmt.raw_bind_parameter(base + 10, row.destination.as_deref())?;
    stmt.raw_bind_parameter(base + 11, row.destination_masked)?;
    // ISO 8601 text: `2026-05-06`, `23:59:40`, `2026-05-06T23:59:40-03:00`.
    bind_text(stmt, base + 12, row.date, scratch)?;
    bind_text(stmt, base + 13, row.dial_time, scratch)?;
    bind_text(stmt, base + 14, row.answer_time, scratch)?;
    bind_text(stmt, base + 15, row.hangup_time, scratch)?;
    bind_text(
        stmt,
        base + 16,
        row.dialed_at.as_ref().map(Rfc3339),
        scratch,
    )?;
    bind_text(
        stmt,
        base + 17,
        row.answered_at.as_ref().map(Rfc3339),
        scratch,
    )?;
    bind_text(
        stmt,
        base + 18,
        row.hung_up_at.as_ref().map(Rfc3339),
        scratch,
    )?;
    stmt.raw_bind_parameter(base + 19, row.duration_seconds)?;
    stmt.raw_bind_parameter(base + 20, &row.dtmf)?;
    stmt.raw_bind_parameter(base + 21, row.route.as_deref())?;
    // Exact decimals at scale 3, `0.050`.
    bind_text(stmt, base + 22, row.rate, scratch)?;
    bind_text(stmt, base + 23, row.value, scratch)?;
    stmt.raw_bind_parameter(base + 24, row.recording_url.as_deref())?;
    stmt.raw_bind_parameter(base + 25, row.recording_seconds)?;
    stmt.raw_bind_parameter(base + 26, &row.extra)?;
    stmt.raw_bind_parameter(base + 27, &row.problems)?;
    stmt.raw_bind_parameter(base + 28, row.raw_json)?;
    stmt.raw_bind_parameter(base + 29, now)?;
    stmt.raw_bind_parameter(base + 30, now)?;
    stmt.raw_bind_parameter(base + 31, source.as_str())?;
    stmt.raw_bind_parameter(base + 32, row.content_hash)?;
    Ok(())
}

/// Upserts `records` (already deduplicated) inside the open write
/// transaction (which keeps other writers out between the lookup and the
/// writes): looks up the stored hashes, inserts the new rows in multi-row
/// statements, rewrites the changed ones, and sends nothing for the rest.
pub(crate) fn upsert(
    conn: &Connection,
    db: &str,
    records: &[&velip_core::CallRecord],
    meta: &WriteMeta,
) -> Result<UpsertCounts, DbError> {
    let err = |e| map_err(db, "writing calls", e);
    let now = text_utc(Utc::now());
    let (account, source) = (meta.account(), meta.source());
    let rows: Vec<Row<'_>> = records.iter().map(|r| Row::new(r)).collect();
    let stored = stored_hashes(conn, account, &rows).map_err(err)?;
    let plan = Plan::new(&rows, &stored);
    let mut scratch = String::with_capacity(64);
    let mut insert_chunk = |stmt: &mut Statement<'_>, chunk: &[&Row<'_>]| -> rusqlite::Result<()> {
        for (i, row) in chunk.iter().enumerate() {
            bind(stmt, i * PARAMS, account, row, &now, source, &mut scratch)?;
        }
        stmt.raw_execute().map(drop)
    };
    // The full-size statement is prepared once per call; the last, shorter
    // chunk gets its own.
    let mut full = if plan.new.len() >= CHUNK {
        Some(conn.prepare_cached(&insert_sql(CHUNK)).map_err(err)?)
    } else {
        None
    };
    for chunk in plan.new.chunks(CHUNK) {
        match full.as_mut() {
            Some(stmt) if chunk.len() == CHUNK => insert_chunk(stmt, chunk),
            _ => conn
                .prepare_cached(&insert_sql(chunk.len()))
                .and_then(|mut stmt| insert_chunk(&mut stmt, chunk)),
        }
        .map_err(err)?;
    }
    if !plan.changed.is_empty() {
        let mut stmt = conn.prepare_cached(&update_sql()).map_err(err)?;
        for row in &plan.changed {
            bind(&mut stmt, 0, account, row, &now, source, &mut scratch).map_err(err)?;
            stmt.raw_execute().map_err(err)?;
        }
    }
    Ok(plan.counts())
}

pub(crate) fn save_state(
    conn: &Connection,
    db: &str,
    key: &StateKey,
    state: &SyncState,
) -> Result<(), DbError> {
    let now = text_utc(Utc::now());
    let blob = serde_json::to_string(&state.state).unwrap_or_else(|_| "null".to_owned());
    let last_run = state
        .last_run
        .as_ref()
        .map(|v| serde_json::to_string(v).unwrap_or_else(|_| "null".to_owned()));
    conn.prepare_cached(
        "INSERT INTO velip_sync_state
             (account, selection_key, state, newest_call_id, pending_count, last_run, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)
         ON CONFLICT (account, selection_key) DO UPDATE SET
             state = excluded.state, newest_call_id = excluded.newest_call_id,
             pending_count = excluded.pending_count, last_run = excluded.last_run,
             updated_at = excluded.updated_at",
    )
    .and_then(|mut s| {
        s.execute(rusqlite::params![
            key.account(),
            key.selection(),
            blob,
            state.newest_call_id.as_ref().map(ToString::to_string),
            i64::try_from(state.pending_count).unwrap_or(i64::MAX),
            last_run,
            now,
        ])
    })
    .map_err(|e| map_err(db, "saving the sync state", e))?;
    Ok(())
}

pub(crate) fn load_state(
    conn: &Connection,
    db: &str,
    key: &StateKey,
) -> Result<Option<StoredState>, DbError> {
    type Raw = (String, Option<String>, i64, Option<String>, String, String);
    let raw: Option<Raw> = conn
        .prepare_cached(
            "SELECT state, newest_call_id, pending_count, last_run, created_at, updated_at
             FROM velip_sync_state WHERE account = ?1 AND selection_key = ?2",
        )
        .and_then(|mut s| {
            s.query_row([key.account(), key.selection()], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                ))
            })
            .optional()
        })
        .map_err(|e| map_err(db, "loading the sync state", e))?;
    let Some((blob, newest, pending, last_run, created, updated)) = raw else {
        return Ok(None);
    };
    super::state::from_columns(
        db,
        key,
        &blob,
        newest.as_deref(),
        pending,
        last_run.as_deref(),
        (parse_utc(&created), parse_utc(&updated)),
    )
    .map(Some)
}

pub(crate) fn count(conn: &Connection, db: &str, account: Option<&str>) -> Result<u64, DbError> {
    let n: i64 = match account {
        Some(a) => conn.query_row("SELECT count(*) FROM calls WHERE account = ?1", [a], |r| {
            r.get(0)
        }),
        None => conn.query_row("SELECT count(*) FROM calls", [], |r| r.get(0)),
    }
    .map_err(|e| map_err(db, "counting calls", e))?;
    Ok(u64::try_from(n).unwrap_or(0))
}

pub(crate) fn get(
    conn: &Connection,
    db: &str,
    account: &str,
    ids: &[CallId],
) -> Result<Vec<StoredCall>, DbError> {
    let err = |e| map_err(db, "reading calls", e);
    let sql = format!(
        "SELECT {} FROM calls WHERE account = ?1 AND call_id = ?2",
        READ_COLUMNS.join(", ")
    );
    let mut stmt = conn.prepare_cached(&sql).map_err(err)?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let row = stmt
            .query_row(rusqlite::params![account, id.to_string()], |r| {
                let date: Option<String> = r.get(9)?;
                let time = |i: usize| -> rusqlite::Result<Option<NaiveTime>> {
                    Ok(r.get::<_, Option<String>>(i)?
                        .and_then(|t| NaiveTime::parse_from_str(&t, "%H:%M:%S").ok()))
                };
                let first: String = r.get(23)?;
                let updated: String = r.get(24)?;
                Ok(ReadRow {
                    account: r.get(0)?,
                    call_id: r.get(1)?,
                    status: r.get(2)?,
                    amd: r.get(3)?,
                    campaign_id: r.get(4)?,
                    campaign_ref: r.get(5)?,
                    correlation_id: r.get(6)?,
                    origin: r.get(7)?,
                    destination: r.get(8)?,
                    date: date.and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok()),
                    dial_time: time(10)?,
                    answer_time: time(11)?,
                    hangup_time: time(12)?,
                    duration_seconds: r.get(13)?,
                    dtmf: r.get(14)?,
                    route: r.get(15)?,
                    rate: r.get(16)?,
                    value: r.get(17)?,
                    recording_url: r.get(18)?,
                    recording_seconds: r.get(19)?,
                    extra: r.get(20)?,
                    problems: r.get(21)?,
                    raw_json: r.get(22)?,
                    first_seen_at: parse_utc(&first).unwrap_or_default(),
                    updated_at: parse_utc(&updated).unwrap_or_default(),
                    source: r.get(25)?,
                    content_hash: r.get(26)?,
                })
            })
            .optional()
            .map_err(err)?;
        if let Some(row) = row {
            out.push(row.into_stored(db)?);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::Rfc3339;
    use chrono::SecondsFormat;

    #[test]
    fn instants_are_rfc3339_with_the_offset() {
        let date = chrono::NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
        let time = chrono::NaiveTime::from_hms_opt(20, 58, 42).unwrap();
        let at = velip_core::model::local_time::at(date, time).unwrap();
        assert_eq!(Rfc3339(&at).to_string(), "2026-11-20T20:58:42-03:00");
        assert_eq!(
            Rfc3339(&at).to_string(),
            at.to_rfc3339_opts(SecondsFormat::Secs, false)
        );
        // Before 2019 São Paulo had summer time.
        let summer = velip_core::model::local_time::at(
            chrono::NaiveDate::from_ymd_opt(2018, 1, 10).unwrap(),
            time,
        )
        .unwrap();
        assert_eq!(Rfc3339(&summer).to_string(), "2018-01-10T20:58:42-02:00");
    }
}
