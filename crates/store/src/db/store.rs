//! [`Store`]: an open database (SQLite or PostgreSQL) of calls and sync
//! states, and [`Transaction`]: the unit that commits a page's rows and its
//! sync state together.

use std::time::Duration;

use velip_core::{CallId, CallRecord};

use super::error::DbError;
use super::meta::{UpsertCounts, WriteMeta, check_account};
use super::postgres::{self as pg, PgDb};
use super::row::{StoredCall, last_per_call};
use super::schema::SCHEMA_VERSION;
use super::sqlite::{self, SqliteDb, SqliteTx};
use super::state::{StateKey, StoredState, SyncState};
use super::url::{self, Target, UrlStyle};

/// How to open a database: [`Store::open_with`].
///
/// ```
/// use std::time::Duration;
/// let options = velip_store::db::OpenOptions::new().busy_timeout(Duration::from_secs(5));
/// # let _ = options;
/// ```
#[derive(Debug, Clone)]
pub struct OpenOptions {
    pub(crate) busy_timeout: Duration,
    pub(crate) min_free_space: u64,
    target_version: u32,
    url_style: UrlStyle,
}

impl Default for OpenOptions {
    fn default() -> Self {
        Self {
            busy_timeout: Duration::from_secs(30),
            min_free_space: 32 << 20,
            target_version: SCHEMA_VERSION,
            url_style: UrlStyle::Velip,
        }
    }
}

impl OpenOptions {
    /// The defaults: a 30 s busy timeout, 32 MiB of free disk required.
    pub fn new() -> Self {
        Self::default()
    }

    /// SQLite: how long a write transaction waits for another writer's
    /// (SQLite's one write lock) before failing with
    /// [`DbErrorKind::Busy`](super::DbErrorKind::Busy). Default 30 s.
    #[must_use]
    pub fn busy_timeout(mut self, timeout: Duration) -> Self {
        self.busy_timeout = timeout;
        self
    }

    /// SQLite: the free space the disk must have at open, in bytes, or the
    /// open fails with [`DbErrorKind::Full`](super::DbErrorKind::Full) before anything is fetched.
    /// Default 32 MiB; 0 turns the check off.
    #[must_use]
    pub fn min_free_space(mut self, bytes: u64) -> Self {
        self.min_free_space = bytes;
        self
    }

    /// How `sqlite:` URLs are read: velip's own (the default) or
    /// SQLAlchemy's (`sqlite:///calls.db` relative), see [`UrlStyle`].
    #[must_use]
    pub fn url_style(mut self, style: UrlStyle) -> Self {
        self.url_style = style;
        self
    }

    /// Migrates only up to `version` (tests of the migrations use it to
    /// build an older database).
    #[doc(hidden)]
    #[must_use]
    pub fn target_version(mut self, version: u32) -> Self {
        self.target_version = version.clamp(1, SCHEMA_VERSION);
        self
    }

    pub(crate) fn target_version_value(&self) -> u32 {
        self.target_version
    }
}

/// The schema found and reached at open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SchemaInfo {
    pub(crate) version: u32,
    pub(crate) migrated_from: Option<u32>,
}

/// Which database engine a [`Store`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Backend {
    /// A SQLite file (embedded; nothing to install).
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

enum Db {
    Sqlite(SqliteDb),
    Postgres(PgDb),
}

/// An open database of calls (table `calls`) and sync states (table
/// `velip_sync_state`), migrated to this build's schema.
///
/// Open it before spending any API request: [`Store::open`] fails, with a
/// message naming the database and what to do, when it is unreachable,
/// read-only, full, or of a newer schema.
///
/// ```
/// use velip_core::{CallId, CallRecord};
/// use velip_store::db::{Source, StateKey, Store, SyncState, WriteMeta};
///
/// let dir = tempfile::tempdir()?;
/// let mut store = Store::open(&format!("sqlite:{}", dir.path().join("calls.db").display()))?;
/// let meta = WriteMeta::new("acme", Source::Pull)?;
/// let key = StateKey::new("acme", "cp_id=77")?;
/// let page = vec![CallRecord::new(CallId::parse("42_1001")?)];
///
/// // The page's rows and the sync state commit together, or not at all.
/// let counts = store.transaction(|tx| {
///     let counts = tx.upsert(&page, &meta)?;
///     tx.save_state(&key, &SyncState::new(serde_json::json!({"cursor": 1000})))?;
///     Ok::<_, velip_store::db::DbError>(counts)
/// })?;
/// assert_eq!(counts.inserted, 1);
/// assert_eq!(store.count(Some("acme"))?, 1);
/// assert_eq!(store.load_state(&key)?.unwrap().state.state["cursor"], 1000);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Store {
    name: String,
    db: Db,
    schema: SchemaInfo,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("name", &self.name)
            .field("backend", &self.backend())
            .field("schema_version", &self.schema.version)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Opens the database at `url` with the default [`OpenOptions`]; see
    /// [`open`](super::open) for the URL forms.
    pub fn open(url: &str) -> Result<Self, DbError> {
        Self::open_with(url, &OpenOptions::default())
    }

    /// Opens the database at `url`: connects (SQLite: creates the file),
    /// checks it accepts writes and that its schema is not newer than this
    /// build's, applies the missing migrations (each in a transaction), and
    /// for SQLite switches to WAL mode.
    ///
    /// # Errors
    /// [`DbErrorKind::InvalidUrl`](super::DbErrorKind::InvalidUrl), [`Unreachable`](super::DbErrorKind::Unreachable),
    /// [`ReadOnly`](super::DbErrorKind::ReadOnly), [`Full`](super::DbErrorKind::Full),
    /// [`SchemaTooNew`](super::DbErrorKind::SchemaTooNew) (the database is left
    /// untouched), [`SchemaMismatch`](super::DbErrorKind::SchemaMismatch) (a `calls`
    /// table velip did not create), [`Busy`](super::DbErrorKind::Busy).
    pub fn open_with(url: &str, options: &OpenOptions) -> Result<Self, DbError> {
        let parsed = url::parse_with(url, options.url_style)?;
        let (db, schema) = match &parsed.target {
            Target::Sqlite(path) => {
                let (db, schema) = SqliteDb::open(path, &parsed.name, options)?;
                (Db::Sqlite(db), schema)
            }
            Target::Postgres(config) => {
                let (db, schema) = PgDb::open(config, &parsed.name, options)?;
                (Db::Postgres(db), schema)
            }
        };
        Ok(Self {
            name: parsed.name,
            db,
            schema,
        })
    }

    /// The database for messages: the SQLite file's absolute path, or
    /// `postgres://user@host:port/db` (never a password).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The engine.
    pub fn backend(&self) -> Backend {
        match self.db {
            Db::Sqlite(_) => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    /// The schema version of the database (this build's
    /// [`SCHEMA_VERSION`](super::SCHEMA_VERSION) after an open).
    pub fn schema_version(&self) -> u32 {
        self.schema.version
    }

    /// The version the database had when the open migrated it (`0` for a
    /// new database); `None` when it was current already.
    pub fn migrated_from(&self) -> Option<u32> {
        self.schema.migrated_from
    }

    /// Runs `f` in one transaction and commits when it returns `Ok`; on
    /// `Err` (or a panic) nothing of it is kept. This is how a page's rows
    /// and its sync state commit together: a crash at any point leaves
    /// either both or neither.
    ///
    /// Writers are serialised: SQLite allows one write transaction at a
    /// time (the transaction first waits for the write lock, up to the busy
    /// timeout); in PostgreSQL an upsert takes a per-account advisory lock
    /// held to the end of the transaction. See [`Transaction::waited`].
    ///
    /// # Errors
    /// `f`'s error, or a [`DbError`] (converted with `From`) from starting
    /// or committing.
    pub fn transaction<T, E>(
        &mut self,
        f: impl FnOnce(&mut Transaction<'_>) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<DbError>,
    {
        let name = self.name.as_str();
        let (inner, waited) = match &mut self.db {
            Db::Sqlite(db) => {
                let (tx, waited) = db.begin(name)?;
                (TxInner::Sqlite(tx), waited)
            }
            Db::Postgres(db) => {
                let (tx, waited) = db.begin(name)?;
                (
                    TxInner::Postgres {
                        tx,
                        incoming_used: false,
                    },
                    waited,
                )
            }
        };
        let mut tx = Transaction {
            inner,
            name,
            waited,
        };
        let value = f(&mut tx)?;
        match tx.inner {
            TxInner::Sqlite(t) => t.commit(name)?,
            TxInner::Postgres { tx, .. } => tx
                .commit()
                .map_err(|e| pg::map_err(name, "committing", e))?,
        }
        Ok(value)
    }

    /// Takes the sync lock of `account` on this database, so that two syncs
    /// of one account never run at once; waits up to `timeout` for another
    /// holder and returns how long it waited ([`Duration::ZERO`] when the
    /// lock was free). Held until [`unlock_account`](Self::unlock_account)
    /// or until the store is dropped (or the process dies).
    ///
    /// PostgreSQL: a session advisory lock keyed by schema and account.
    /// SQLite: a lock file beside the database (`calls.db-velip-<hash>.lock`,
    /// an OS lock the kernel releases on any exit). Webhook receivers do
    /// not take it: their transactions interleave safely with a sync's.
    ///
    /// # Errors
    /// [`DbErrorKind::Busy`](super::DbErrorKind::Busy) after `timeout`;
    /// [`DbErrorKind::InvalidInput`](super::DbErrorKind::InvalidInput) for a bad account label.
    pub fn lock_account(&mut self, account: &str, timeout: Duration) -> Result<Duration, DbError> {
        check_account(account)?;
        match &mut self.db {
            Db::Sqlite(db) => db.lock_account(&self.name, account, timeout),
            Db::Postgres(db) => db.lock_account(&self.name, account, timeout),
        }
    }

    /// Releases the sync lock of `account`; whether this store held it.
    pub fn unlock_account(&mut self, account: &str) -> Result<bool, DbError> {
        match &mut self.db {
            Db::Sqlite(db) => Ok(db.unlock_account(account)),
            Db::Postgres(db) => db.unlock_account(&self.name, account),
        }
    }

    /// The last saved state of `key`, `None` before the first save.
    pub fn load_state(&mut self, key: &StateKey) -> Result<Option<StoredState>, DbError> {
        match &mut self.db {
            Db::Sqlite(db) => sqlite::load_state(db.conn(), &self.name, key),
            Db::Postgres(db) => pg::load_state(db.client(), &self.name, key),
        }
    }

    /// How many calls are stored: of `account`, or of every account.
    pub fn count(&mut self, account: Option<&str>) -> Result<u64, DbError> {
        match &mut self.db {
            Db::Sqlite(db) => sqlite::count(db.conn(), &self.name, account),
            Db::Postgres(db) => pg::count(db.client(), &self.name, account),
        }
    }

    /// The stored calls of `account` with these ids, in the order asked
    /// (ids not stored are left out).
    pub fn get(&mut self, account: &str, ids: &[CallId]) -> Result<Vec<StoredCall>, DbError> {
        match &mut self.db {
            Db::Sqlite(db) => sqlite::get(db.conn(), &self.name, account, ids),
            Db::Postgres(db) => pg::get(db.client(), &self.name, account, ids),
        }
    }
}

enum TxInner<'s> {
    Sqlite(SqliteTx<'s>),
    Postgres {
        tx: postgres::Transaction<'s>,
        incoming_used: bool,
    },
}

/// An open transaction of a [`Store`]: see [`Store::transaction`].
pub struct Transaction<'s> {
    inner: TxInner<'s>,
    name: &'s str,
    waited: Duration,
}

impl std::fmt::Debug for Transaction<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transaction")
            .field("database", &self.name)
            .field("waited", &self.waited)
            .finish_non_exhaustive()
    }
}

impl Transaction<'_> {
    /// Writes `records` of `meta`'s account: a new call is inserted, a
    /// stored one is rewritten only when its content changed (the content
    /// hash differs), an unchanged one is not written at all. A call id
    /// repeated in `records` counts once, the last record winning.
    ///
    /// The row's `first_seen_at` is set on insert and kept; `updated_at`
    /// and `source` are those of the last write that changed the content.
    /// A value a column cannot hold (money beyond NUMERIC(18,3), seconds
    /// beyond int32, a NUL character) is stored as NULL (or U+FFFD) with a
    /// problem added to the row's `problems`, never rounded and never
    /// fatal.
    pub fn upsert(
        &mut self,
        records: &[CallRecord],
        meta: &WriteMeta,
    ) -> Result<UpsertCounts, DbError> {
        let (kept, superseded) = last_per_call(records);
        let mut counts = match &mut self.inner {
            TxInner::Sqlite(tx) => sqlite::upsert(tx.conn(), self.name, &kept, meta)?,
            TxInner::Postgres { tx, incoming_used } => {
                pg::upsert(tx, self.name, &kept, meta, incoming_used, &mut self.waited)?
            }
        };
        counts.superseded = superseded;
        Ok(counts)
    }

    /// Saves the state of `key` (replacing the previous one); it commits
    /// with the rows written in this transaction.
    pub fn save_state(&mut self, key: &StateKey, state: &SyncState) -> Result<(), DbError> {
        match &mut self.inner {
            TxInner::Sqlite(tx) => sqlite::save_state(tx.conn(), self.name, key, state),
            TxInner::Postgres { tx, .. } => pg::save_state(tx, self.name, key, state),
        }
    }

    /// The state of `key` as this transaction sees it.
    pub fn load_state(&mut self, key: &StateKey) -> Result<Option<StoredState>, DbError> {
        match &mut self.inner {
            TxInner::Sqlite(tx) => sqlite::load_state(tx.conn(), self.name, key),
            TxInner::Postgres { tx, .. } => pg::load_state(tx, self.name, key),
        }
    }

    /// How many calls are stored (of `account`, or of all), as this
    /// transaction sees it.
    pub fn count(&mut self, account: Option<&str>) -> Result<u64, DbError> {
        match &mut self.inner {
            TxInner::Sqlite(tx) => sqlite::count(tx.conn(), self.name, account),
            TxInner::Postgres { tx, .. } => pg::count(tx, self.name, account),
        }
    }

    /// The stored calls of `account` with these ids, as this transaction
    /// sees them.
    pub fn get(&mut self, account: &str, ids: &[CallId]) -> Result<Vec<StoredCall>, DbError> {
        match &mut self.inner {
            TxInner::Sqlite(tx) => sqlite::get(tx.conn(), self.name, account, ids),
            TxInner::Postgres { tx, .. } => pg::get(tx, self.name, account, ids),
        }
    }

    /// How long this transaction waited for other writers so far
    /// ([`Duration::ZERO`] when it did not): SQLite's write lock, taken at
    /// the start; PostgreSQL's per-account write lock, taken by the first
    /// [`upsert`](Self::upsert) of each account.
    pub fn waited(&self) -> Duration {
        self.waited
    }
}
