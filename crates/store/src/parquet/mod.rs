//! Parquet sinks: one file ([`ParquetFile`], `velip calls export --format
//! parquet --out calls.parquet`) or a date-partitioned Hive-style dataset
//! ([`ParquetDataset`], `--partition-by date --out DIR`), with the columns
//! and types of [`velip_arrow::schema()`].
//!
//! Both take pages as Arrow batches ([`velip_arrow::CallBatchBuilder`]),
//! write each as its own row group (zstd) so memory stays at one page, and
//! are resumable after a crash at any point with no record written twice or
//! lost:
//!
//! 1. `write_page(&batch)` returns a [`SegmentId`] once the page is durable
//!    (a closed, fsynced segment file in a hidden side folder);
//! 2. the caller then commits its checkpoint: the cursor of the next page
//!    and [`SegmentId::count`];
//! 3. after a crash, `resume(path, count)` discards segments the checkpoint
//!    does not count, and the walk goes on from the checkpoint's cursor;
//! 4. `finish()` splices the segments into the output without decoding
//!    them, fsyncs, renames into place (readers never see a partial file),
//!    and removes the side folder; a crash during finish is repaired by
//!    `resume` + `finish`, and `resume` after a completed finish reports
//!    the output as finished.
//!
//! ```
//! use velip_store::parquet::ParquetFile;
//! use velip_arrow::CallBatchBuilder;
//! use velip_core::decode::decode_page;
//!
//! let dir = tempfile::tempdir()?;
//! let out = dir.path().join("calls.parquet");
//! let page = decode_page(br#"{"return":{"status":"OK","status_code":"0"},
//!     "calls":[{"cd_id":7,"cd_status":"OK","date":"2026-11-20","value":"0,050"}]}"#)?;
//!
//! let mut builder = CallBatchBuilder::new();
//! let mut file = ParquetFile::create(&out)?;
//! let id = file.write_page(&builder.build(&page.records)?)?;
//! // commit the checkpoint: next cursor + id.count()
//! let stats = file.finish()?;
//! assert_eq!((stats.rows, stats.row_groups, id.count()), (1, 1, 1));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # What the files hold
//!
//! The columns of [`velip_arrow::schema()`] with their types, except that
//! Parquet has no seconds unit: `dialed_at`, `answered_at`, `hung_up_at`
//! are stored as `timestamp(ms, "America/Sao_Paulo")` (Parquet
//! `TIMESTAMP(MILLIS, UTC-adjusted)`) and `dial_time`, `answer_time`,
//! `hangup_time` as `time32(ms)` (`TIME(MILLIS)`): the same values, typed
//! for pyarrow, DuckDB and Spark (the parquet crate would write seconds as
//! bare integers). Money is `DECIMAL(18, 3)`, `date` `DATE`, `status` and
//! `amd` dictionary-encoded strings, `extra` a `MAP`. The footer carries the
//! Arrow schema (`ARROW:schema`, so Arrow readers get the dictionaries and
//! field metadata back) and `velip.segments` (pages written).

// "DuckDB" and "PostgreSQL" are names in prose, not code.
#![allow(clippy::doc_markdown)]

mod concat;
mod dataset;
mod durable;
mod error;
mod file;
mod options;
mod spool;
mod units;

pub use dataset::{DatasetStats, NULL_PARTITION, PARTITION_COLUMN, ParquetDataset};
pub(crate) use dataset::{SIDE as DATASET_SIDE_FOLDER, part_name};
pub use error::{ParquetError, Result};
pub use file::{FileStats, ParquetFile};
pub use options::ParquetOptions;
pub use spool::SegmentId;

/// The schema of the Parquet files (and, without `date`, of a dataset's
/// parts): [`velip_arrow::schema()`] with the `*_at` instants as
/// `timestamp(ms, "America/Sao_Paulo")` and the `*_time` columns as
/// `time32(ms)`, the units Parquet can name.
///
/// ```
/// let s = velip_store::parquet::file_schema();
/// assert_eq!(
///     s.field_with_name("dialed_at")?.data_type().to_string(),
///     "Timestamp(ms, \"America/Sao_Paulo\")"
/// );
/// # Ok::<(), arrow_schema::ArrowError>(())
/// ```
pub fn file_schema() -> arrow_schema::SchemaRef {
    units::parquet_schema(&velip_arrow::schema())
}
