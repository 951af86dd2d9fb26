//! Time units Parquet can name. Parquet's TIMESTAMP and TIME logical types
//! have no seconds unit, and the parquet crate writes Arrow's
//! `timestamp(s)` and `time32(s)` as bare integers, which pyarrow, DuckDB
//! and Spark then read as plain numbers. So the Parquet sinks store the
//! `*_at` instants as `timestamp(ms, "America/Sao_Paulo")` and the
//! `*_time` columns as `time32(ms)`: the same instants and wall times
//! (whole seconds, times 1000), typed for every reader.

use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Time32MillisecondType, Time32SecondType, TimestampMillisecondType, TimestampSecondType,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};

/// `schema` with second-unit timestamps and times in milliseconds (field
/// and schema metadata kept).
pub(crate) fn parquet_schema(schema: &Schema) -> SchemaRef {
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .map(|f| f.as_ref().clone().with_data_type(millis(f.data_type())))
        .collect();
    Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone()))
}

fn millis(t: &DataType) -> DataType {
    match t {
        DataType::Timestamp(TimeUnit::Second, tz) => {
            DataType::Timestamp(TimeUnit::Millisecond, tz.clone())
        }
        DataType::Time32(TimeUnit::Second) => DataType::Time32(TimeUnit::Millisecond),
        other => other.clone(),
    }
}

/// `batch` in `target`'s units (made by [`parquet_schema`] from the
/// batch's schema): seconds become milliseconds; other columns are shared,
/// not copied.
pub(crate) fn to_parquet_units(
    batch: &RecordBatch,
    target: &SchemaRef,
) -> Result<RecordBatch, arrow_schema::ArrowError> {
    let columns: Vec<ArrayRef> = batch
        .columns()
        .iter()
        .map(|c| match c.data_type() {
            DataType::Timestamp(TimeUnit::Second, tz) => {
                // Seconds of dates Arrow can hold fit i64 times 1000.
                let ms = c
                    .as_primitive::<TimestampSecondType>()
                    .unary::<_, TimestampMillisecondType>(|s| s.saturating_mul(1000));
                Arc::new(ms.with_timezone_opt(tz.clone())) as ArrayRef
            }
            DataType::Time32(TimeUnit::Second) => Arc::new(
                c.as_primitive::<Time32SecondType>()
                    .unary::<_, Time32MillisecondType>(|s| s.saturating_mul(1000)),
            ),
            _ => Arc::clone(c),
        })
        .collect();
    RecordBatch::try_new(Arc::clone(target), columns)
}
