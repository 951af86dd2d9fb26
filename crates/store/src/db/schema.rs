//! The schema, as forward migrations per backend. Version `n` is reached by
//! applying migrations `1..=n` in order, each in the transaction that
//! records it in `velip_schema`; a database is opened only when its version
//! is at most [`SCHEMA_VERSION`] (a newer one is refused, never touched).
//!
//! Column names are the Arrow schema's (crates/arrow), so SQL, Parquet and
//! DataFrames read alike. Append a migration to change the schema; never
//! edit a released one.

/// The schema version this build writes.
pub const SCHEMA_VERSION: u32 = 2;

/// The history table, created before any migration (both backends).
pub(crate) const HISTORY_SQLITE: &str = "CREATE TABLE IF NOT EXISTS velip_schema (
    version INTEGER PRIMARY KEY,
    applied_at TEXT NOT NULL,
    velip_version TEXT NOT NULL
) STRICT";

/// The history table in PostgreSQL.
pub(crate) const HISTORY_POSTGRES: &str = "CREATE TABLE IF NOT EXISTS velip_schema (
    version integer PRIMARY KEY,
    applied_at timestamptz NOT NULL DEFAULT now(),
    velip_version text NOT NULL
)";

/// SQLite migrations; `SQLITE[i]` reaches version `i + 1`.
///
/// Types: dates `TEXT` `YYYY-MM-DD`, times `TEXT` `HH:MM:SS`, instants `TEXT`
/// RFC 3339 with the America/Sao_Paulo offset (`2026-11-20T20:58:42-03:00`,
/// what `unixepoch()` and `datetime()` read), booleans `INTEGER` 0/1, JSON as
/// `TEXT`. Money is `TEXT` holding the exact decimal at scale 3 (`"0.050"`):
/// SQLite has no decimal type, and a `NUMERIC`/`REAL` column would turn
/// `0.050` into the binary float 0.05000000000000000277; text keeps the
/// amount exact and readable (`CAST(value AS REAL)` or the `decimal`
/// extension for sums). `STRICT` tables enforce the types.
pub(crate) const SQLITE: [&str; 2] = [
    // 1: the calls.
    "CREATE TABLE calls (
        account TEXT NOT NULL,
        call_id TEXT NOT NULL,
        call_number INTEGER,
        status TEXT,
        amd TEXT,
        campaign_id INTEGER,
        campaign_ref TEXT,
        correlation_id TEXT,
        origin TEXT,
        destination TEXT,
        destination_masked INTEGER,
        date TEXT,
        dial_time TEXT,
        answer_time TEXT,
        hangup_time TEXT,
        dialed_at TEXT,
        answered_at TEXT,
        hung_up_at TEXT,
        duration_seconds INTEGER,
        dtmf TEXT NOT NULL DEFAULT '[]',
        route TEXT,
        rate TEXT,
        value TEXT,
        recording_url TEXT,
        recording_seconds INTEGER,
        extra TEXT NOT NULL DEFAULT '{}',
        problems TEXT NOT NULL DEFAULT '[]',
        raw_json TEXT,
        first_seen_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        source TEXT NOT NULL CHECK (source IN ('pull', 'push')),
        content_hash INTEGER NOT NULL,
        PRIMARY KEY (account, call_id)
    ) STRICT;",
    // 2: the sync state, and an index of the calls still in progress.
    "CREATE TABLE velip_sync_state (
        account TEXT NOT NULL,
        selection_key TEXT NOT NULL,
        state TEXT NOT NULL,
        newest_call_id TEXT,
        pending_count INTEGER NOT NULL DEFAULT 0,
        last_run TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (account, selection_key)
    ) STRICT;
    CREATE INDEX calls_in_progress ON calls (account, call_number) WHERE status IS NULL;",
];

/// PostgreSQL migrations; `POSTGRES[i]` reaches version `i + 1`. Money is
/// `numeric(18,3)` (exact), JSON is `jsonb`, instants `timestamptz`; the
/// key columns compare bytes (`COLLATE "C"`: ids and labels need no
/// linguistic order, and the index stays fast under any database locale).
pub(crate) const POSTGRES: [&str; 2] = [
    // 1: the calls.
    r#"CREATE TABLE calls (
        account text COLLATE "C" NOT NULL,
        call_id text COLLATE "C" NOT NULL,
        call_number bigint,
        status text,
        amd text,
        campaign_id bigint,
        campaign_ref text,
        correlation_id text,
        origin text,
        destination text,
        destination_masked boolean,
        date date,
        dial_time time(0),
        answer_time time(0),
        hangup_time time(0),
        dialed_at timestamptz,
        answered_at timestamptz,
        hung_up_at timestamptz,
        duration_seconds integer,
        dtmf jsonb NOT NULL DEFAULT '[]',
        route text,
        rate numeric(18,3),
        value numeric(18,3),
        recording_url text,
        recording_seconds integer,
        extra jsonb NOT NULL DEFAULT '{}',
        problems jsonb NOT NULL DEFAULT '[]',
        raw_json text,
        first_seen_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        source text NOT NULL CHECK (source IN ('pull', 'push')),
        content_hash bigint NOT NULL,
        PRIMARY KEY (account, call_id)
    );"#,
    // 2: the sync state, and an index of the calls still in progress.
    r#"CREATE TABLE velip_sync_state (
        account text COLLATE "C" NOT NULL,
        selection_key text COLLATE "C" NOT NULL,
        state jsonb NOT NULL,
        newest_call_id text,
        pending_count bigint NOT NULL DEFAULT 0,
        last_run jsonb,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        PRIMARY KEY (account, selection_key)
    );
    CREATE INDEX calls_in_progress ON calls (account, call_number) WHERE status IS NULL;"#,
];

/// The message for a database whose schema is newer than this build's.
pub(crate) fn too_new(db: &str, found: u32) -> super::DbError {
    super::DbError::new(
        super::DbErrorKind::SchemaTooNew,
        format!(
            "database {db} has velip schema version {found}, newer than this velip \
             (version {}) understands (it supports up to {SCHEMA_VERSION}); upgrade velip, \
             or use another database. Nothing was changed.",
            velip_core::VERSION
        ),
    )
}
