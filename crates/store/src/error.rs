//! [`StoreError`]: what can go wrong where records land.

use std::path::PathBuf;

/// An error of a sink: a place that cannot be written, a checkpoint that
/// does not match, a database that refuses.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The output cannot be used as given (a folder, a missing parent
    /// folder, standard output where a file is needed); nothing was sent.
    #[error("{0}")]
    Output(String),
    /// Reading or writing a file failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What failed.
        source: std::io::Error,
    },
    /// The checkpoint on disk cannot be resumed here: it belongs to another
    /// selection or format (the message names what differs), it is damaged
    /// or from another version, or its data file is shorter than it says.
    #[error("{0}")]
    Checkpoint(String),
}

impl StoreError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }
}
