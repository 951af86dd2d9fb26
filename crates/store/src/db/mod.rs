//! The database store: calls and sync states in SQLite (the embedded
//! default, a file) or PostgreSQL (a server shared by several syncs and
//! webhook receivers).
//!
//! - [`open`] / [`Store::open`]: `sqlite:calls.db` (relative to the current
//!   folder), `sqlite:///abs/path.db`, `postgres://user[:password]@host[:port]/db`
//!   (also `postgresql://`; libpq parameters `sslmode=disable|prefer`,
//!   `connect_timeout`, `application_name`, `options`, `host` for a unix
//!   socket folder); [`UrlStyle::SqlAlchemy`] reads them as SQLAlchemy and
//!   Django do (`sqlite:///calls.db` relative), [`sqlite_url`] makes one
//!   from a path. Migrations run at open; a database that is
//!   unreachable, read-only, full or of a newer schema fails here, before
//!   any API request is spent.
//! - [`Store::transaction`]: a page's rows ([`Transaction::upsert`]) and its
//!   sync state ([`Transaction::save_state`]) commit together.
//! - [`Store::lock_account`]: one sync per account and database at a time;
//!   the second is told how long it waited.
//! - [`Store::load_state`], [`Store::count`], [`Store::get`]: reading back.
//!
//! # Tables
//! `calls`, keyed by (`account`, `call_id`), with the Arrow schema's column
//! names: `call_id`, `call_number`, `status` (`cd_status`; NULL while the
//! call is in progress), `amd`, `campaign_id`, `campaign_ref`,
//! `correlation_id`, `origin`, `destination` (E.164 or as received),
//! `destination_masked`, `date`, `dial_time`, `answer_time`, `hangup_time`
//! (America/Sao_Paulo wall time), `dialed_at`, `answered_at`, `hung_up_at`
//! (instants), `duration_seconds`, `dtmf` (JSON array in prompt order, `""`
//! for an unanswered prompt), `route`, `rate`, `value` (BRL, exact, scale 3),
//! `recording_url`, `recording_seconds`, `extra` (JSON object), `problems`
//! (JSON array of `{field, raw, rule}`), `raw_json` (the record as received,
//! kept when it has problems); then `first_seen_at`, `updated_at`, `source`
//! (`pull` or `push`) and `content_hash`. There are no `dtmf_1..` columns:
//! the number of prompts varies per record and per campaign, so fixed
//! columns would either cut answers off or need a schema change per
//! campaign; `dtmf->>0` (PostgreSQL) and `dtmf->>'$[0]'` (SQLite) read one.
//!
//! `velip_sync_state`, keyed by (`account`, `selection_key`): the sync
//! engine's `state` (JSON), `newest_call_id`, `pending_count`, `last_run`
//! (JSON), `created_at`, `updated_at`. `velip_schema`: one row per applied
//! migration.

// "SQLite" and "PostgreSQL" are names in prose, not code (clippy.toml's
// doc-valid-idents could list them project-wide).
#![allow(clippy::doc_markdown)]

mod error;
mod meta;
mod plan;
mod postgres;
mod row;
mod schema;
mod sqlite;
mod state;
mod store;
mod url;

pub use self::url::{UrlStyle, sqlite_url};
pub use error::{DbError, DbErrorKind};
pub use meta::{MAX_ACCOUNT_LEN, Source, UpsertCounts, WriteMeta};
pub use row::StoredCall;
pub use schema::SCHEMA_VERSION;
pub use state::{MAX_SELECTION_LEN, StateKey, StoredState, SyncState};
pub use store::{Backend, OpenOptions, Store, Transaction};

/// Opens the database at `url` ([`Store::open`]).
///
/// ```
/// let dir = tempfile::tempdir()?;
/// let url = format!("sqlite:{}", dir.path().join("calls.db").display());
/// let store = velip_store::db::open(&url)?;
/// assert_eq!(store.backend(), velip_store::db::Backend::Sqlite);
/// assert_eq!(store.migrated_from(), Some(0));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn open(url: &str) -> Result<Store, DbError> {
    Store::open(url)
}
