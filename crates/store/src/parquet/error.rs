//! Why a Parquet file or dataset could not be written, resumed or finished.

use std::io;
use std::path::PathBuf;

/// Why a [`ParquetFile`](super::ParquetFile) or
/// [`ParquetDataset`](super::ParquetDataset) operation failed. Nothing that
/// was durable before the error is lost: segments already written stay, and
/// the output is replaced only by a complete file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ParquetError {
    /// A file-system operation failed (disk full, permission, ...).
    #[error("{op} {}: {source}", path.display())]
    Io {
        /// What was being done (`create`, `write`, `fsync`, `rename`, ...).
        op: &'static str,
        /// The file or folder.
        path: PathBuf,
        /// The operating system's error.
        source: io::Error,
    },
    /// The Parquet encoder or reader failed on `path`.
    #[error("parquet {}: {source}", path.display())]
    Format {
        /// The file being written or read.
        path: PathBuf,
        /// The Parquet library's error.
        source: ::parquet::errors::ParquetError,
    },
    /// An option out of its range.
    #[error("{name} {rule}")]
    InvalidOption {
        /// The option.
        name: &'static str,
        /// Its rule.
        rule: &'static str,
    },
    /// A batch whose schema is not the file's (pages must all have
    /// [`velip_arrow::schema()`]).
    #[error("the batch's schema is not the call-record schema of this file")]
    SchemaMismatch,
    /// Splitting a page by date failed (a bug: please report it).
    #[error("splitting the page by date: {0}")]
    Arrow(#[from] arrow_schema::ArrowError),
    /// The checkpoint counts segments that are not in the side folder (it
    /// was deleted or moved): resuming would lose records.
    #[error(
        "cannot resume {}: the checkpoint counts {committed} written pages but {found} are in {}",
        output.display(),
        side.display()
    )]
    MissingSegments {
        /// The output file or dataset folder.
        output: PathBuf,
        /// The hidden side folder holding the segments.
        side: PathBuf,
        /// Segments the checkpoint counts.
        committed: u64,
        /// Segments found.
        found: u64,
    },
    /// The export was already finished (the output is complete); nothing
    /// more can be written to it.
    #[error("{} is already finished", output.display())]
    Finished {
        /// The output file or dataset folder.
        output: PathBuf,
    },
}

impl ParquetError {
    pub(crate) fn io(op: &'static str, path: impl Into<PathBuf>) -> impl FnOnce(io::Error) -> Self {
        let path = path.into();
        move |source| Self::Io { op, path, source }
    }

    pub(crate) fn format(
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(::parquet::errors::ParquetError) -> Self {
        let path = path.into();
        move |source| Self::Format { path, source }
    }
}

/// `Result` with a [`ParquetError`].
pub type Result<T, E = ParquetError> = std::result::Result<T, E>;
