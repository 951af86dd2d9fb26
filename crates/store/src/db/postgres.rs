//! The PostgreSQL backend (the blocking `postgres` crate, no TLS): upserts
//! by binary `COPY` into a session temp table and one `INSERT ... ON
//! CONFLICT ... WHERE content_hash IS DISTINCT FROM ...` merge; a session
//! advisory lock per account for
//! [`Store::lock_account`](super::Store::lock_account).

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use postgres::binary_copy::BinaryCopyInWriter;
use postgres::error::SqlState;
use postgres::types::{ToSql, Type};
use postgres::{Client, GenericClient, NoTls};
use velip_core::{CallId, CallRecord};

use super::error::{DbError, DbErrorKind};
use super::meta::{UpsertCounts, WriteMeta};
use super::plan::Plan;
use super::row::{READ_COLUMNS, RECORD_COLUMNS, ReadRow, Row, StoredCall};
use super::schema::{self, HISTORY_POSTGRES, SCHEMA_VERSION};
use super::state::{StateKey, StoredState, SyncState};
use super::store::{OpenOptions, SchemaInfo};

/// The session temp table the changed rows are copied into before the
/// `UPDATE ... FROM` (same columns as `calls`; emptied at each commit).
const INCOMING: &str =
    "CREATE TEMP TABLE IF NOT EXISTS velip_incoming (LIKE calls) ON COMMIT DELETE ROWS";

/// The columns `COPY` writes, into `calls` (new rows) and `velip_incoming`
/// (changed rows), with their binary types.
const COPY_COLUMNS: &str = "account, call_id, call_number, status, amd, campaign_id, campaign_ref, \
     correlation_id, origin, destination, destination_masked, date, dial_time, answer_time, \
     hangup_time, dialed_at, answered_at, hung_up_at, duration_seconds, dtmf, route, rate, value, \
     recording_url, recording_seconds, extra, problems, raw_json, first_seen_at, updated_at, \
     source, content_hash";

const COPY_TYPES: [Type; 32] = [
    Type::TEXT,
    Type::TEXT,
    Type::INT8,
    Type::TEXT,
    Type::TEXT,
    Type::INT8,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::BOOL,
    Type::DATE,
    Type::TIME,
    Type::TIME,
    Type::TIME,
    Type::TIMESTAMPTZ,
    Type::TIMESTAMPTZ,
    Type::TIMESTAMPTZ,
    Type::INT4,
    Type::JSONB,
    Type::TEXT,
    Type::NUMERIC,
    Type::NUMERIC,
    Type::TEXT,
    Type::INT4,
    Type::JSONB,
    Type::JSONB,
    Type::TEXT,
    Type::TIMESTAMPTZ,
    Type::TIMESTAMPTZ,
    Type::TEXT,
    Type::INT8,
];

/// JSON text sent as `jsonb` (binary form: version 1, then the text).
#[derive(Debug)]
struct JsonText<'a>(&'a str);

impl ToSql for JsonText<'_> {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut bytes::BytesMut,
    ) -> Result<postgres::types::IsNull, Box<dyn std::error::Error + Sync + Send>> {
        if *ty == Type::JSONB {
            out.extend_from_slice(&[1]);
        }
        out.extend_from_slice(self.0.as_bytes());
        Ok(postgres::types::IsNull::No)
    }

    postgres::types::accepts!(JSON, JSONB);
    postgres::types::to_sql_checked!();
}

/// The advisory lock key serialising the writes of one account, per schema
/// (held to the end of each transaction that upserts).
const WRITE_KEY: &str = "hashtextextended('velip:write:' || current_schema() || ':' || $1, 0)";

/// The advisory lock key of an account's sync, per schema.
const SYNC_KEY: &str = "hashtextextended('velip:sync:' || current_schema() || ':' || $1, 0)";
/// The advisory lock key of the schema migrations, per schema.
const MIGRATE_KEY: &str = "hashtextextended('velip:schema:' || current_schema(), 0)";

/// An open PostgreSQL connection.
pub(crate) struct PgDb {
    client: Client,
    /// Accounts whose sync lock this session holds.
    locks: HashSet<String>,
}

impl std::fmt::Debug for PgDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgDb")
            .field("locks", &self.locks)
            .finish_non_exhaustive()
    }
}

/// Maps a PostgreSQL error to a [`DbError`] naming the database and what
/// to do.
pub(crate) fn map_err(db: &str, doing: &str, e: postgres::Error) -> DbError {
    let (kind, advice) = match e.code() {
        Some(c) if *c == SqlState::DISK_FULL => (
            DbErrorKind::Full,
            "the server's disk is full; free space on the server",
        ),
        Some(c) if *c == SqlState::READ_ONLY_SQL_TRANSACTION => (
            DbErrorKind::ReadOnly,
            "the server or session is read-only (a standby, or default_transaction_read_only); connect to the primary",
        ),
        Some(c) if *c == SqlState::INSUFFICIENT_PRIVILEGE => (
            DbErrorKind::ReadOnly,
            "this user lacks a privilege; connect as the owner of the velip tables, or GRANT what is missing",
        ),
        Some(c) if *c == SqlState::LOCK_NOT_AVAILABLE => (
            DbErrorKind::Busy,
            "another session held a lock too long; try again",
        ),
        Some(c)
            if *c == SqlState::INVALID_PASSWORD
                || *c == SqlState::INVALID_AUTHORIZATION_SPECIFICATION =>
        {
            (
                DbErrorKind::Unreachable,
                "the server refused the user or password; check them (and pg_hba.conf)",
            )
        }
        Some(c) if *c == SqlState::INVALID_CATALOG_NAME => (
            DbErrorKind::Unreachable,
            "create it (createdb NAME) or fix the name in the URL",
        ),
        Some(c)
            if *c == SqlState::ADMIN_SHUTDOWN
                || *c == SqlState::CRASH_SHUTDOWN
                || *c == SqlState::CANNOT_CONNECT_NOW
                || *c == SqlState::TOO_MANY_CONNECTIONS =>
        {
            (
                DbErrorKind::Unreachable,
                "the server is not accepting connections now; try again later",
            )
        }
        None if e.is_closed() => (
            DbErrorKind::Unreachable,
            "the connection to the server was lost; try again",
        ),
        _ => (DbErrorKind::Other, ""),
    };
    let detail = if let Some(d) = e.as_db_error() {
        d.message().to_owned()
    } else {
        let mut text = e.to_string();
        if let Some(src) = std::error::Error::source(&e) {
            let src = src.to_string();
            if !text.contains(&src) {
                text = format!("{text}: {src}");
            }
        }
        text
    };
    let sep = if advice.is_empty() { "" } else { "; " };
    DbError::new(
        kind,
        format!("PostgreSQL database {db}: {doing} failed: {detail}{sep}{advice}"),
    )
    .with_source(e)
}

impl PgDb {
    /// Connects, checks the session can write and the schema is known,
    /// applies the missing migrations and prepares the temp table.
    pub(crate) fn open(
        config: &postgres::Config,
        db: &str,
        options: &OpenOptions,
    ) -> Result<(Self, SchemaInfo), DbError> {
        let mut client = config.connect(NoTls).map_err(|e| {
            if e.code().is_some() {
                return map_err(db, "connecting", e);
            }
            let mut text = e.to_string();
            if let Some(src) = std::error::Error::source(&e) {
                let src = src.to_string();
                if !text.contains(&src) {
                    text = format!("{text}: {src}");
                }
            }
            DbError::new(
                DbErrorKind::Unreachable,
                format!(
                    "cannot reach PostgreSQL database {db}: {text}; check that the server runs and that host, port, user and database name are right"
                ),
            )
            .with_source(e)
        })?;
        let err = |doing: &str| {
            let doing = doing.to_owned();
            move |e| map_err(db, &doing, e)
        };
        let row = client
            .query_one(
                "SELECT current_setting('transaction_read_only'), pg_is_in_recovery(), current_schema()",
                &[],
            )
            .map_err(err("checking the session"))?;
        let read_only: String = row.get(0);
        let standby: bool = row.get(1);
        let current_schema: Option<String> = row.get(2);
        if read_only == "on" || standby {
            return Err(DbError::new(
                DbErrorKind::ReadOnly,
                format!(
                    "PostgreSQL database {db} is read-only ({}); connect to the primary, or turn default_transaction_read_only off for this user",
                    if standby {
                        "a standby server"
                    } else {
                        "the session is read-only"
                    }
                ),
            ));
        }
        if current_schema.is_none() {
            return Err(DbError::new(
                DbErrorKind::InvalidInput,
                format!(
                    "PostgreSQL database {db}: no schema on the search_path to create the velip tables in; set search_path (options=-csearch_path=NAME)"
                ),
            ));
        }
        let mut pg = Self {
            client,
            locks: HashSet::new(),
        };
        let found = version(&mut pg.client, db)?;
        if found > SCHEMA_VERSION {
            return Err(schema::too_new(db, found));
        }
        let target = options.target_version_value();
        let info = if found < target {
            pg.migrate(db, target)?
        } else {
            SchemaInfo {
                version: found,
                migrated_from: None,
            }
        };
        let mut tables = vec!["calls"];
        if info.version >= 2 {
            tables.push("velip_sync_state");
        }
        for table in tables {
            let may: bool = pg
                .client
                .query_one(
                    "SELECT has_table_privilege($1, 'INSERT, UPDATE, SELECT')",
                    &[&table],
                )
                .map_err(err("checking privileges"))?
                .get(0);
            if !may {
                return Err(DbError::new(
                    DbErrorKind::ReadOnly,
                    format!(
                        "PostgreSQL database {db}: this user may not write the table {table}; GRANT SELECT, INSERT, UPDATE ON {table} TO the user, or connect as its owner"
                    ),
                ));
            }
        }
        pg.client
            .batch_execute(INCOMING)
            .map_err(err("creating the temp table"))?;
        Ok((pg, info))
    }

    fn migrate(&mut self, db: &str, target: u32) -> Result<SchemaInfo, DbError> {
        let err = |doing: String| move |e| map_err(db, &doing, e);
        // A session lock taken before the transaction starts: a transaction
        // that waited for the lock inside it would still see the tables as
        // missing (the catalog caches of a backend are refreshed when a
        // transaction starts, not when an advisory lock is granted) and
        // fail with "relation calls already exists".
        self.client
            .execute(&format!("SELECT pg_advisory_lock({MIGRATE_KEY})"), &[])
            .map_err(err("locking the schema".into()))?;
        let result = self.migrate_locked(db, target);
        let unlocked = self
            .client
            .execute(&format!("SELECT pg_advisory_unlock({MIGRATE_KEY})"), &[])
            .map_err(err("unlocking the schema".into()));
        let info = result?;
        unlocked?;
        Ok(info)
    }

    /// [`migrate`](Self::migrate) under the schema lock.
    fn migrate_locked(&mut self, db: &str, target: u32) -> Result<SchemaInfo, DbError> {
        let err = |doing: String| move |e| map_err(db, &doing, e);
        let mut tx = self
            .client
            .transaction()
            .map_err(err("starting the migration".into()))?;
        // Read again under the lock: another process may have migrated.
        let found = version(&mut tx, db)?;
        if found > SCHEMA_VERSION {
            return Err(schema::too_new(db, found));
        }
        if found >= target {
            return Ok(SchemaInfo {
                version: found,
                migrated_from: None,
            });
        }
        tx.batch_execute(HISTORY_POSTGRES)
            .map_err(err("creating velip_schema".into()))?;
        for version in found + 1..=target {
            tx.batch_execute(schema::POSTGRES[version as usize - 1])
                .map_err(err(format!("migrating the schema to version {version}")))?;
            tx.execute(
                "INSERT INTO velip_schema (version, velip_version) VALUES ($1, $2)",
                &[
                    &i32::try_from(version).unwrap_or(i32::MAX),
                    &env!("CARGO_PKG_VERSION"),
                ],
            )
            .map_err(err("recording the migration".into()))?;
        }
        tx.commit()
            .map_err(err("committing the migration".into()))?;
        Ok(SchemaInfo {
            version: target,
            migrated_from: Some(found),
        })
    }

    /// Starts a transaction (PostgreSQL serialises writers per row, so
    /// there is no wait at the start).
    pub(crate) fn begin(
        &mut self,
        db: &str,
    ) -> Result<(postgres::Transaction<'_>, Duration), DbError> {
        let tx = self
            .client
            .transaction()
            .map_err(|e| map_err(db, "starting a transaction", e))?;
        Ok((tx, Duration::ZERO))
    }

    pub(crate) fn client(&mut self) -> &mut Client {
        &mut self.client
    }

    /// Takes the session advisory lock of `account`'s sync, waiting up to
    /// `timeout`; how long it waited. The server releases it when the
    /// session ends, a crash included.
    pub(crate) fn lock_account(
        &mut self,
        db: &str,
        account: &str,
        timeout: Duration,
    ) -> Result<Duration, DbError> {
        if self.locks.contains(account) {
            return Ok(Duration::ZERO);
        }
        let err = |e| map_err(db, "taking the sync lock", e);
        let got: bool = self
            .client
            .query_one(
                &format!("SELECT pg_try_advisory_lock({SYNC_KEY})"),
                &[&account],
            )
            .map_err(err)?
            .get(0);
        let waited = if got {
            Duration::ZERO
        } else {
            let ms = timeout.as_millis().clamp(1, i32::MAX as u128);
            self.client
                .batch_execute(&format!("SET lock_timeout = {ms}"))
                .map_err(err)?;
            let start = Instant::now();
            let taken = self
                .client
                .execute(&format!("SELECT pg_advisory_lock({SYNC_KEY})"), &[&account]);
            let waited = start.elapsed();
            let reset = self.client.batch_execute("RESET lock_timeout");
            match taken {
                Ok(_) => {}
                Err(e) if e.code() == Some(&SqlState::LOCK_NOT_AVAILABLE) => {
                    return Err(super::sqlite::busy_account(db, account, timeout));
                }
                Err(e) => return Err(err(e)),
            }
            reset.map_err(err)?;
            waited
        };
        self.locks.insert(account.to_owned());
        Ok(waited)
    }

    /// Releases the lock of `account`; whether it was held.
    pub(crate) fn unlock_account(&mut self, db: &str, account: &str) -> Result<bool, DbError> {
        if !self.locks.remove(account) {
            return Ok(false);
        }
        self.client
            .execute(
                &format!("SELECT pg_advisory_unlock({SYNC_KEY})"),
                &[&account],
            )
            .map_err(|e| map_err(db, "releasing the sync lock", e))?;
        Ok(true)
    }
}

/// The schema version recorded, 0 for an empty schema; an error for a
/// schema with a `calls` table that velip did not create.
fn version(c: &mut impl GenericClient, db: &str) -> Result<u32, DbError> {
    let err = |e| map_err(db, "reading the schema version", e);
    let row = c
        .query_one(
            "SELECT to_regclass('velip_schema') IS NOT NULL, to_regclass('calls') IS NOT NULL",
            &[],
        )
        .map_err(err)?;
    let (history, calls): (bool, bool) = (row.get(0), row.get(1));
    if !history {
        return if calls {
            Err(super::sqlite::foreign_calls(db))
        } else {
            Ok(0)
        };
    }
    let v: i32 = c
        .query_one("SELECT coalesce(max(version), 0) FROM velip_schema", &[])
        .map_err(err)?
        .get(0);
    Ok(u32::try_from(v).unwrap_or(0))
}

/// The rewrite of the changed rows copied into `velip_incoming`: a nested
/// loop over them (one index probe each), never a hash join that would
/// read every row of the account.
fn update_sql() -> String {
    let sets: Vec<String> = RECORD_COLUMNS
        .iter()
        .skip(1)
        .chain(&["updated_at", "source", "content_hash"])
        .map(|c| format!("{c} = i.{c}"))
        .collect();
    format!(
        "SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off;
         UPDATE calls c SET {} FROM velip_incoming i WHERE c.account = i.account AND c.call_id = i.call_id;
         RESET enable_hashjoin; RESET enable_mergejoin;",
        sets.join(", ")
    )
}

/// Writes `rows` with `COPY ... FROM STDIN (FORMAT binary)` into `table`.
fn copy_rows(
    tx: &mut postgres::Transaction<'_>,
    table: &str,
    rows: &[&Row<'_>],
    account: &str,
    now: &DateTime<Utc>,
    source: &str,
) -> Result<(), postgres::Error> {
    let sink = tx.copy_in(&format!(
        "COPY {table} ({COPY_COLUMNS}) FROM STDIN (FORMAT binary)"
    ))?;
    let mut writer = BinaryCopyInWriter::new(sink, &COPY_TYPES);
    for row in rows {
        let utc = |t: &Option<DateTime<chrono_tz::Tz>>| t.as_ref().map(|t| t.with_timezone(&Utc));
        let (dialed_at, answered_at, hung_up_at) = (
            utc(&row.dialed_at),
            utc(&row.answered_at),
            utc(&row.hung_up_at),
        );
        let values: [&(dyn ToSql + Sync); 32] = [
            &account,
            &row.call_id,
            &row.call_number,
            &row.status,
            &row.amd,
            &row.campaign_id,
            &row.campaign_ref,
            &row.correlation_id,
            &row.origin,
            &row.destination,
            &row.destination_masked,
            &row.date,
            &row.dial_time,
            &row.answer_time,
            &row.hangup_time,
            &dialed_at,
            &answered_at,
            &hung_up_at,
            &row.duration_seconds,
            &JsonText(&row.dtmf),
            &row.route,
            &row.rate,
            &row.value,
            &row.recording_url,
            &row.recording_seconds,
            &JsonText(&row.extra),
            &JsonText(&row.problems),
            &row.raw_json,
            now,
            now,
            &source,
            &row.content_hash,
        ];
        writer.write(&values)?;
    }
    writer.finish()?;
    Ok(())
}

/// Upserts `records` (already deduplicated) in the open transaction: takes
/// the account's write lock (to the end of the transaction; how long it
/// waited is added to `waited`), reads the stored hashes of these ids,
/// then copies the new rows straight into `calls` and the changed ones
/// through `velip_incoming` into an `UPDATE`. Unchanged rows are not sent.
pub(crate) fn upsert(
    tx: &mut postgres::Transaction<'_>,
    db: &str,
    records: &[&CallRecord],
    meta: &WriteMeta,
    incoming_used: &mut bool,
    waited: &mut Duration,
) -> Result<UpsertCounts, DbError> {
    let err = |e| map_err(db, "writing calls", e);
    if records.is_empty() {
        return Ok(UpsertCounts::default());
    }
    let account = meta.account();
    let start = Instant::now();
    tx.execute(
        &format!("SELECT pg_advisory_xact_lock({WRITE_KEY})"),
        &[&account],
    )
    .map_err(err)?;
    *waited += start.elapsed();

    let rows: Vec<Row<'_>> = records.iter().map(|r| Row::new(r)).collect();
    let ids: Vec<&str> = rows.iter().map(|r| r.call_id.as_str()).collect();
    let stored: HashMap<String, i64> = tx
        .query(
            // One index probe per id: a LATERAL subquery with LIMIT is
            // never turned into a hash join (a join on unnest or
            // `call_id = ANY($2)` may be planned as a scan of the whole
            // account, per page).
            "SELECT c.call_id, c.content_hash FROM unnest($2::text[]) AS i(call_id) \
             CROSS JOIN LATERAL (SELECT s.call_id, s.content_hash FROM calls s \
                 WHERE s.account = $1 AND s.call_id = i.call_id LIMIT 1) AS c",
            &[&account, &ids],
        )
        .map_err(err)?
        .into_iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let plan = Plan::new(&rows, &stored);
    let now = Utc::now();
    let source = meta.source().as_str();
    if !plan.new.is_empty() {
        copy_rows(tx, "calls", &plan.new, account, &now, source).map_err(err)?;
    }
    if !plan.changed.is_empty() {
        if *incoming_used {
            tx.batch_execute("TRUNCATE velip_incoming").map_err(err)?;
        }
        *incoming_used = true;
        copy_rows(tx, "velip_incoming", &plan.changed, account, &now, source).map_err(err)?;
        tx.batch_execute(&update_sql()).map_err(err)?;
    }
    Ok(plan.counts())
}

pub(crate) fn save_state(
    c: &mut impl GenericClient,
    db: &str,
    key: &StateKey,
    state: &SyncState,
) -> Result<(), DbError> {
    let blob = serde_json::to_string(&state.state).unwrap_or_else(|_| "null".to_owned());
    let last_run = state
        .last_run
        .as_ref()
        .map(|v| serde_json::to_string(v).unwrap_or_else(|_| "null".to_owned()));
    let newest = state.newest_call_id.as_ref().map(ToString::to_string);
    let pending = i64::try_from(state.pending_count).unwrap_or(i64::MAX);
    c.execute(
        "INSERT INTO velip_sync_state
             (account, selection_key, state, newest_call_id, pending_count, last_run, created_at, updated_at)
         VALUES ($1, $2, $3::text::jsonb, $4, $5, $6::text::jsonb, $7, $7)
         ON CONFLICT (account, selection_key) DO UPDATE SET
             state = EXCLUDED.state, newest_call_id = EXCLUDED.newest_call_id,
             pending_count = EXCLUDED.pending_count, last_run = EXCLUDED.last_run,
             updated_at = EXCLUDED.updated_at",
        &[&key.account(), &key.selection(), &blob, &newest, &pending, &last_run, &Utc::now()],
    )
    .map_err(|e| map_err(db, "saving the sync state", e))?;
    Ok(())
}

pub(crate) fn load_state(
    c: &mut impl GenericClient,
    db: &str,
    key: &StateKey,
) -> Result<Option<StoredState>, DbError> {
    let row = c
        .query_opt(
            "SELECT state::text, newest_call_id, pending_count, last_run::text, created_at, updated_at
             FROM velip_sync_state WHERE account = $1 AND selection_key = $2",
            &[&key.account(), &key.selection()],
        )
        .map_err(|e| map_err(db, "loading the sync state", e))?;
    let Some(row) = row else { return Ok(None) };
    let blob: String = row.get(0);
    let newest: Option<String> = row.get(1);
    let last_run: Option<String> = row.get(3);
    super::state::from_columns(
        db,
        key,
        &blob,
        newest.as_deref(),
        row.get(2),
        last_run.as_deref(),
        (Some(row.get(4)), Some(row.get(5))),
    )
    .map(Some)
}

pub(crate) fn count(
    c: &mut impl GenericClient,
    db: &str,
    account: Option<&str>,
) -> Result<u64, DbError> {
    let row = match account {
        Some(a) => c.query_one("SELECT count(*) FROM calls WHERE account = $1", &[&a]),
        None => c.query_one("SELECT count(*) FROM calls", &[]),
    }
    .map_err(|e| map_err(db, "counting calls", e))?;
    Ok(u64::try_from(row.get::<_, i64>(0)).unwrap_or(0))
}

pub(crate) fn get(
    c: &mut impl GenericClient,
    db: &str,
    account: &str,
    ids: &[CallId],
) -> Result<Vec<StoredCall>, DbError> {
    let select: Vec<String> = READ_COLUMNS
        .iter()
        .map(|col| match *col {
            "dtmf" | "extra" | "problems" | "rate" | "value" => format!("c.{col}::text"),
            "duration_seconds" | "recording_seconds" => format!("c.{col}::bigint"),
            _ => format!("c.{col}"),
        })
        .collect();
    let sql = format!(
        "SELECT {} FROM unnest($2::text[]) AS i(call_id) CROSS JOIN LATERAL \
         (SELECT * FROM calls s WHERE s.account = $1 AND s.call_id = i.call_id LIMIT 1) AS c",
        select.join(", ")
    );
    let texts: Vec<String> = ids.iter().map(ToString::to_string).collect();
    let rows = c
        .query(&sql, &[&account, &texts])
        .map_err(|e| map_err(db, "reading calls", e))?;
    let mut by_id = HashMap::with_capacity(rows.len());
    for r in rows {
        let read = ReadRow {
            account: r.get(0),
            call_id: r.get(1),
            status: r.get(2),
            amd: r.get(3),
            campaign_id: r.get(4),
            campaign_ref: r.get(5),
            correlation_id: r.get(6),
            origin: r.get(7),
            destination: r.get(8),
            date: r.get::<_, Option<NaiveDate>>(9),
            dial_time: r.get::<_, Option<NaiveTime>>(10),
            answer_time: r.get::<_, Option<NaiveTime>>(11),
            hangup_time: r.get::<_, Option<NaiveTime>>(12),
            duration_seconds: r.get(13),
            dtmf: r.get(14),
            route: r.get(15),
            rate: r.get(16),
            value: r.get(17),
            recording_url: r.get(18),
            recording_seconds: r.get(19),
            extra: r.get(20),
            problems: r.get(21),
            raw_json: r.get(22),
            first_seen_at: r.get(23),
            updated_at: r.get(24),
            source: r.get(25),
            content_hash: r.get(26),
        };
        by_id.insert(read.call_id.clone(), read);
    }
    texts
        .iter()
        .filter_map(|t| by_id.remove(t))
        .map(|read| read.into_stored(db))
        .collect()
}
