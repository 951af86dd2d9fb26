#![doc = include_str!("../README.md")]
//!
//! # Modules
//!
//! - [`schema()`] and [`columns`]: the schema and its column names.
//! - [`CallBatchBuilder`]: pages of records into batches.
//! - [`CallBatchReader`]: an Arrow `RecordBatchReader` over pages (the
//!   stream behind Python's `iter_batches` and the Arrow C stream).
//! - [`Error`]: why a batch could not be built.

mod builder;
mod dictionary;
mod error;
mod fit;
mod reader;
mod schema;

pub use builder::CallBatchBuilder;
pub use error::Error;
pub use reader::{CallBatchReader, PageError, StreamReader};
pub use schema::{
    MONEY_PRECISION, MONEY_SCALE, SCHEMA_VERSION, SCHEMA_VERSION_KEY, TIMESTAMP_TZ, UNIT_KEY,
    WIRE_FIELD_KEY, columns, schema,
};

/// Re-exported Arrow crates of the version this crate builds with, so
/// users name the same types.
pub use arrow_array;
/// See [`arrow_array`].
pub use arrow_schema;

/// The records of one page as one batch, with a builder of its own; a walk
/// should keep one [`CallBatchBuilder`] instead.
///
/// ```
/// let batch = velip_arrow::to_record_batch(&[])?;
/// assert_eq!(batch.num_rows(), 0);
/// assert_eq!(batch.num_columns(), 26);
/// # Ok::<(), velip_arrow::Error>(())
/// ```
pub fn to_record_batch(
    records: &[velip_core::CallRecord],
) -> Result<arrow_array::RecordBatch, Error> {
    CallBatchBuilder::new().build(records)
}
