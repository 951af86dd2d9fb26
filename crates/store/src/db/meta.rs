//! What a write says about its records: the account they came from, how they
//! arrived ([`Source`]), and what the upsert did ([`UpsertCounts`]).

use std::fmt;

use super::error::{DbError, DbErrorKind};

/// The longest account label, in characters.
pub const MAX_ACCOUNT_LEN: usize = 128;

/// Checks an account label: 1 to [`MAX_ACCOUNT_LEN`] characters, no control
/// characters, no surrounding spaces.
pub(crate) fn check_account(account: &str) -> Result<(), DbError> {
    let bad = |why: &str| {
        DbError::new(
            DbErrorKind::InvalidInput,
            format!(
                "account label {account:?} {why} (a short non-secret label such as \"acme\" or a credential fingerprint; never the token)"
            ),
        )
    };
    if account.is_empty() {
        return Err(bad("is empty"));
    }
    if account.chars().count() > MAX_ACCOUNT_LEN {
        return Err(bad("is longer than 128 characters"));
    }
    if account.chars().any(char::is_control) {
        return Err(bad("holds a control character"));
    }
    if account.trim() != account {
        return Err(bad("has surrounding spaces"));
    }
    Ok(())
}

/// How records arrived: pulled by a walk (`velip sync`) or pushed by a
/// webhook delivery. Stored in the `source` column as `pull` / `push`; the
/// row keeps the source of the write that last changed its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Source {
    /// Read by a list request or a lookup (`pull`).
    Pull,
    /// Received by a webhook delivery (`push`).
    Push,
}

impl Source {
    /// `pull` or `push`, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pull => "pull",
            Self::Push => "push",
        }
    }

    pub(crate) fn parse(text: &str) -> Option<Self> {
        match text {
            "pull" => Some(Self::Pull),
            "push" => Some(Self::Push),
            _ => None,
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an upsert writes besides the records: the account they came from
/// (part of the key) and their [`Source`].
///
/// ```
/// use velip_store::db::{Source, WriteMeta};
/// let meta = WriteMeta::new("acme", Source::Pull)?;
/// assert_eq!(meta.account(), "acme");
/// assert!(WriteMeta::new("", Source::Pull).is_err());
/// # Ok::<(), velip_store::db::DbError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteMeta {
    account: String,
    source: Source,
}

impl WriteMeta {
    /// Records of `account` (a short non-secret label or credential
    /// fingerprint, 1 to 128 characters, no control characters; never the
    /// token) arriving by `source`.
    ///
    /// # Errors
    /// [`DbErrorKind::InvalidInput`] naming the rule the label breaks.
    pub fn new(account: &str, source: Source) -> Result<Self, DbError> {
        check_account(account)?;
        Ok(Self {
            account: account.to_owned(),
            source,
        })
    }

    /// The account label.
    pub fn account(&self) -> &str {
        &self.account
    }

    /// How the records arrived.
    pub fn source(&self) -> Source {
        self.source
    }
}

/// What one [`upsert`](super::Transaction::upsert) did, per record.
/// `inserted + updated + unchanged + superseded` is the number of records
/// given.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct UpsertCounts {
    /// New calls (no row for this account and call id before).
    pub inserted: u64,
    /// Calls whose content changed (a call in progress that became final, a
    /// late `cd_returl`, a corrected value); the row was rewritten.
    pub updated: u64,
    /// Calls already stored with the same content; nothing was written.
    pub unchanged: u64,
    /// Records followed by another record with the same call id in the
    /// same batch: only the last one counts and is written.
    pub superseded: u64,
}

impl UpsertCounts {
    /// Rows written (inserted or updated).
    pub fn written(&self) -> u64 {
        self.inserted + self.updated
    }

    /// Records given.
    pub fn total(&self) -> u64 {
        self.inserted + self.updated + self.unchanged + self.superseded
    }
}

impl std::ops::AddAssign for UpsertCounts {
    fn add_assign(&mut self, other: Self) {
        self.inserted += other.inserted;
        self.updated += other.updated;
        self.unchanged += other.unchanged;
        self.superseded += other.superseded;
    }
}

impl fmt::Display for UpsertCounts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} inserted, {} updated, {} unchanged",
            self.inserted, self.updated, self.unchanged
        )?;
        if self.superseded > 0 {
            write!(f, ", {} superseded", self.superseded)?;
        }
        Ok(())
    }
}
