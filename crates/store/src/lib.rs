//! `velip-store`: where call records land.
//!
//! Sinks take pages, not single records, and commit a checkpoint together
//! with the data they wrote (in a database, the same transaction holds the
//! rows and the cursor of the next page; in a file sink, the data is
//! flushed before the checkpoint that counts it is replaced), so a resume
//! never writes a record twice and never skips one.

pub mod parquet;
