//! The sync state: one row of `velip_sync_state` per account and selection,
//! committed in the same transaction as the page of calls it counts.

use chrono::{DateTime, Utc};
use velip_core::CallId;

use super::error::{DbError, DbErrorKind};
use super::meta::check_account;

/// The longest selection key, in characters.
pub const MAX_SELECTION_LEN: usize = 1000;

/// Which sync a state belongs to: the account and a selection key (the
/// sync engine's canonical text of the selection, such as
/// `cp_id=77;date_start=2026-05-01`).
///
/// ```
/// let key = velip_store::db::StateKey::new("acme", "cp_id=77")?;
/// assert_eq!(key.selection(), "cp_id=77");
/// # Ok::<(), velip_store::db::DbError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StateKey {
    account: String,
    selection: String,
}

impl StateKey {
    /// The state of `account`'s sync of `selection` (any text up to 1000
    /// characters without control characters; empty means "everything").
    ///
    /// # Errors
    /// [`DbErrorKind::InvalidInput`] naming the rule broken.
    pub fn new(account: &str, selection: &str) -> Result<Self, DbError> {
        check_account(account)?;
        if selection.chars().count() > MAX_SELECTION_LEN || selection.chars().any(char::is_control)
        {
            return Err(DbError::new(
                DbErrorKind::InvalidInput,
                "selection key must be at most 1000 characters without control characters",
            ));
        }
        Ok(Self {
            account: account.to_owned(),
            selection: selection.to_owned(),
        })
    }

    /// The account label.
    pub fn account(&self) -> &str {
        &self.account
    }

    /// The selection key.
    pub fn selection(&self) -> &str {
        &self.selection
    }
}

/// What a sync remembers between pages and runs. The sync engine owns
/// [`state`](Self::state) (a JSON value: cursor, pending call ids, ...);
/// the other fields are copies in typed columns for people and dashboards.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct SyncState {
    /// The engine's state, stored as JSON (`jsonb` in PostgreSQL).
    pub state: serde_json::Value,
    /// The highest call id stored (`newest_call_id`).
    pub newest_call_id: Option<CallId>,
    /// How many stored calls are not final yet (`pending_count`).
    pub pending_count: u64,
    /// A summary of the last finished run (`last_run`, JSON), such as
    /// counts and requests spent; `None` while the first run goes on.
    pub last_run: Option<serde_json::Value>,
}

impl SyncState {
    /// A state holding `state`, with no newest call, nothing pending and no
    /// last run.
    pub fn new(state: serde_json::Value) -> Self {
        Self {
            state,
            ..Self::default()
        }
    }
}

/// A [`SyncState`] as loaded, with when it was first and last saved.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct StoredState {
    /// The state.
    pub state: SyncState,
    /// When the first state of this key was saved (UTC).
    pub created_at: DateTime<Utc>,
    /// When this state was saved (UTC).
    pub updated_at: DateTime<Utc>,
}

/// A [`StoredState`] from its columns (JSON as text); an unreadable value
/// is a [`DbErrorKind::SchemaMismatch`] naming the key.
pub(crate) fn from_columns(
    db: &str,
    key: &StateKey,
    blob: &str,
    newest_call_id: Option<&str>,
    pending_count: i64,
    last_run: Option<&str>,
    (created_at, updated_at): (Option<DateTime<Utc>>, Option<DateTime<Utc>>),
) -> Result<StoredState, DbError> {
    let bad = |column: &str| {
        DbError::new(
            DbErrorKind::SchemaMismatch,
            format!(
                "database {db}: velip_sync_state ({}, {:?}) has an unreadable {column}",
                key.account(),
                key.selection()
            ),
        )
    };
    let state = serde_json::from_str(blob).map_err(|_| bad("state"))?;
    let newest_call_id = newest_call_id
        .map(|t| CallId::parse(t).map_err(|_| bad("newest_call_id")))
        .transpose()?;
    let last_run = last_run
        .map(|t| serde_json::from_str(t).map_err(|_| bad("last_run")))
        .transpose()?;
    Ok(StoredState {
        state: SyncState {
            state,
            newest_call_id,
            pending_count: u64::try_from(pending_count).unwrap_or(0),
            last_run,
        },
        created_at: created_at.ok_or_else(|| bad("created_at"))?,
        updated_at: updated_at.ok_or_else(|| bad("updated_at"))?,
    })
}
