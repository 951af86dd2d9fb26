//! `velip-store`: where call records land.
//!
//! Sinks take pages, not single records, and commit a checkpoint together
//! with the data they wrote (in a database, the same transaction holds the
//! rows and the cursor of the next page; in a file sink, the data is
//! flushed before the checkpoint that counts it is replaced), so a resume
//! never writes a record twice and never skips one.
//!
//! - [`Sink`]: the trait every sink implements.
//! - [`files`]: CSV, JSON-lines and XLSX exports ([`files::FileExport`]).
//! - [`rows`]: a record as a CSV row or a JSON line (also for standard
//!   output).
//! - [`db`]: SQLite and PostgreSQL (`calls` table, sync state, upserts).
//! - [`parquet`]: Parquet files and date-partitioned datasets.
//! - [`stats`]: what a selection adds up to ([`stats::Stats`], fed page by
//!   page).

pub mod db;
pub mod files;
pub mod parquet;
pub mod rows;
pub mod stats;

mod error;
mod sink;

pub use error::StoreError;
pub use sink::Sink;
