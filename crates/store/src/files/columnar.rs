//! The Parquet body of a [`FileExport`](super::FileExport): pages as Arrow
//! batches into one Parquet file or a date-partitioned dataset, each page
//! durable (a spooled segment) before the checkpoint that counts it.
//!
//! The checkpoint's `pages` is the number of segments the export counts:
//! every page becomes one segment (an empty page too), so a resume cuts
//! the spool back to exactly the pages the checkpoint counts.

use std::path::{Path, PathBuf};

use velip_arrow::CallBatchBuilder;
use velip_core::CallRecord;

use crate::StoreError;
use crate::parquet::{ParquetDataset, ParquetError, ParquetFile};

/// Where the pages go.
#[derive(Debug)]
enum Target {
    File(ParquetFile),
    Dataset(ParquetDataset),
}

/// A Parquet file or dataset being written page by page.
#[derive(Debug)]
pub(crate) struct ParquetPages {
    target: Target,
    builder: CallBatchBuilder,
}

/// What a finished Parquet export wrote.
pub(crate) struct Finished {
    pub(crate) files: Vec<PathBuf>,
    pub(crate) bytes: u64,
}

/// A Parquet error as a store error: a checkpoint that counts pages the
/// spool lost is a checkpoint problem (start over); the rest are I/O.
pub(crate) fn store_error(e: ParquetError) -> StoreError {
    match e {
        ParquetError::Io { path, source, .. } => StoreError::Io { path, source },
        e @ ParquetError::MissingSegments { .. } => {
            StoreError::Checkpoint(format!("{e}; start over with --restart"))
        }
        ParquetError::Format { path, source } => StoreError::Io {
            path,
            source: std::io::Error::other(source),
        },
        other => StoreError::Output(other.to_string()),
    }
}

impl ParquetPages {
    /// A new export to `out` (a file, or a dataset folder when `dataset`),
    /// discarding any unfinished one.
    pub(crate) fn create(out: &Path, dataset: bool) -> Result<Self, StoreError> {
        let target = if dataset {
            Target::Dataset(ParquetDataset::create(out).map_err(store_error)?)
        } else {
            Target::File(ParquetFile::create(out).map_err(store_error)?)
        };
        Ok(Self::with(target))
    }

    /// The export to `out` whose checkpoint counts `committed` pages.
    pub(crate) fn resume(out: &Path, dataset: bool, committed: u64) -> Result<Self, StoreError> {
        let target = if dataset {
            Target::Dataset(ParquetDataset::resume(out, committed).map_err(store_error)?)
        } else {
            Target::File(ParquetFile::resume(out, committed).map_err(store_error)?)
        };
        Ok(Self::with(target))
    }

    fn with(target: Target) -> Self {
        Self {
            target,
            builder: CallBatchBuilder::new(),
        }
    }

    /// The hidden place holding the pages until the export finishes.
    pub(crate) fn side_path(&self) -> &Path {
        match &self.target {
            Target::File(f) => f.spool_path(),
            Target::Dataset(d) => d.side_path(),
        }
    }

    /// The dataset's part number (`None` for a single file).
    pub(crate) fn part(&self) -> Option<u32> {
        match &self.target {
            Target::File(_) => None,
            Target::Dataset(d) => Some(d.part()),
        }
    }

    /// Writes one page as one segment, durably; returns the number of
    /// pages the checkpoint may now count.
    pub(crate) fn write(&mut self, records: &[CallRecord]) -> Result<u64, StoreError> {
        let batch = self.builder.build(records).map_err(|e| StoreError::Io {
            path: self.side_path().to_path_buf(),
            source: std::io::Error::other(e),
        })?;
        let id = match &mut self.target {
            Target::File(f) => f.write_page(&batch),
            Target::Dataset(d) => d.write_page(&batch),
        }
        .map_err(store_error)?;
        Ok(id.count())
    }

    /// Splices the pages into the output (renamed into place) and removes
    /// the spool.
    pub(crate) fn finish(self) -> Result<Finished, StoreError> {
        match self.target {
            Target::File(f) => {
                let stats = f.finish().map_err(store_error)?;
                Ok(Finished {
                    files: vec![stats.path],
                    bytes: stats.bytes,
                })
            }
            Target::Dataset(d) => {
                let stats = d.finish().map_err(store_error)?;
                Ok(Finished {
                    files: stats.files,
                    bytes: stats.bytes,
                })
            }
        }
    }
}
