//! [`DbError`]: what went wrong with a database, named once, with a kind.

use std::fmt;

/// What kind of failure a [`DbError`] is; bindings map it (a CLI exit code,
/// a Python exception class) with one `match`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DbErrorKind {
    /// The database URL is malformed or uses something this build does not
    /// support (`sqlite::memory:`, `sslmode=require`, an unknown parameter).
    InvalidUrl,
    /// The database cannot be reached or opened: the server is down, the
    /// host or port is wrong, the folder of a SQLite file does not exist,
    /// the credentials are refused.
    Unreachable,
    /// The database (file, folder, server or session) does not accept
    /// writes.
    ReadOnly,
    /// The disk (or the database's size limit) is full.
    Full,
    /// The database's schema is newer than this velip understands.
    SchemaTooNew,
    /// The database is not a velip database of a known layout (a table
    /// `calls` of another shape, an unreadable schema history).
    SchemaMismatch,
    /// Another writer held the lock longer than the wait allowed.
    Busy,
    /// A value given by the caller breaks a rule (an account label that is
    /// empty or too long, a record value the database cannot hold).
    InvalidInput,
    /// Any other database failure (a constraint, a lost connection mid-way,
    /// an I/O error).
    Other,
}

impl DbErrorKind {
    /// Every kind, in declaration order (bindings test their tables with it).
    pub const ALL: [Self; 9] = [
        Self::InvalidUrl,
        Self::Unreachable,
        Self::ReadOnly,
        Self::Full,
        Self::SchemaTooNew,
        Self::SchemaMismatch,
        Self::Busy,
        Self::InvalidInput,
        Self::Other,
    ];

    /// A stable snake-case name: `invalid_url`, `unreachable`, `read_only`,
    /// `full`, `schema_too_new`, `schema_mismatch`, `busy`, `invalid_input`,
    /// `other`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidUrl => "invalid_url",
            Self::Unreachable => "unreachable",
            Self::ReadOnly => "read_only",
            Self::Full => "full",
            Self::SchemaTooNew => "schema_too_new",
            Self::SchemaMismatch => "schema_mismatch",
            Self::Busy => "busy",
            Self::InvalidInput => "invalid_input",
            Self::Other => "other",
        }
    }
}

/// A database failure, with its [`kind`](DbError::kind) and a message that
/// names the database (never a password) and says what to do.
///
/// ```
/// let err = velip_store::db::open("sqlite::memory:").unwrap_err();
/// assert_eq!(err.kind(), velip_store::db::DbErrorKind::InvalidUrl);
/// assert!(err.to_string().contains("file"));
/// ```
#[derive(Debug)]
pub struct DbError {
    kind: DbErrorKind,
    message: String,
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl DbError {
    /// An error of `kind` with a full message.
    pub(crate) fn new(kind: DbErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            source: None,
        }
    }

    /// Attaches the underlying driver error (shown by `source()`, and by
    /// the message when it adds something).
    pub(crate) fn with_source(
        mut self,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        self.source = Some(Box::new(source));
        self
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> DbErrorKind {
        self.kind
    }

    /// Whether the same call may succeed later without any change (the
    /// server is down, another writer is busy).
    pub fn is_transient(&self) -> bool {
        matches!(self.kind, DbErrorKind::Unreachable | DbErrorKind::Busy)
    }
}

impl fmt::Display for DbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DbError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}
