//! Why a batch could not be built.

use arrow_schema::ArrowError;

/// Why [`CallBatchBuilder`](crate::CallBatchBuilder) could not take a
/// record or build a batch. Records never cause an error by their values
/// (a value that does not fit becomes null plus a problem); only size does.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The batch would hold more than 2 GiB of text or list items in one
    /// column (Arrow's `utf8` and `list` use 32-bit offsets). The records
    /// appended before it are kept: finish the batch and append the rest
    /// to the next one. A page of the service (at most 5000 records) is
    /// far below this.
    #[error(
        "batch full: {rows} records are in it and the next would pass Arrow's 2 GiB limit for \
         one column; finish the batch and start another"
    )]
    BatchFull {
        /// Records in the batch so far.
        rows: usize,
    },
    /// Arrow refused the arrays (a bug in this crate: please report it).
    #[error("building the Arrow batch failed: {0}")]
    Arrow(#[from] ArrowError),
}
