//! [`SyncError`]: a sync stops on the first failure of the service or of the
//! database; what it committed stays, and the next run resumes there.

use crate::db::DbError;

/// Why a sync run stopped. Every page committed before the failure stays
/// (rows and sync state together), so running the sync again resumes where
/// this one stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SyncError {
    /// The selection is invalid (nothing was sent), or a request failed
    /// (see [`velip_blocking::Error::kind`]: rate limited, authentication,
    /// transport, ...), or the run was interrupted.
    #[error(transparent)]
    Client(#[from] velip_blocking::Error),
    /// The database failed (see [`DbError::kind`]): unreachable,
    /// read-only, full, of a newer schema, held by another sync past the
    /// lock timeout, or its sync state cannot be read.
    #[error(transparent)]
    Database(#[from] DbError),
}

impl From<velip_core::ValidationError> for SyncError {
    fn from(e: velip_core::ValidationError) -> Self {
        Self::Client(velip_blocking::Error::Validation(e))
    }
}
