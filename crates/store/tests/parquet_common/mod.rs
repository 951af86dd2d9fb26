//! Shared helpers of the Parquet tests: generated pages, reading files back
//! with the parquet crate's reader, copying folders (to stage crashes).

#![allow(dead_code, unreachable_pub)]

#[path = "../../../arrow/tests/common/generate.rs"]
pub mod generate;

use std::fs::{self, File};
use std::path::{Path, PathBuf};

use arrow_array::cast::AsArray;
use arrow_array::{Array, RecordBatch};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::Compression;
use parquet::file::metadata::ParquetMetaData;
use velip_core::CallRecord;

pub const PAGE: usize = 5000;

/// `n` generated records (newest first) cut into pages of `page` records.
pub fn pages(n: usize, page: usize, days: u32) -> Vec<Vec<CallRecord>> {
    let records = generate::records(n, 42, 50_000_000, days);
    records.chunks(page).map(<[CallRecord]>::to_vec).collect()
}

pub fn batch(records: &[CallRecord]) -> RecordBatch {
    velip_arrow::to_record_batch(records).unwrap()
}

/// Every batch of the Parquet file at `path`, and its footer.
pub fn read(path: &Path) -> (Vec<RecordBatch>, std::sync::Arc<ParquetMetaData>) {
    let builder = ParquetRecordBatchReaderBuilder::try_new(File::open(path).unwrap()).unwrap();
    let meta = builder.metadata().clone();
    let batches = builder
        .with_batch_size(8192)
        .build()
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    (batches, meta)
}

/// The Arrow schema a reader sees in the file at `path` (from its footer).
pub fn schema_of(path: &Path) -> arrow_schema::SchemaRef {
    ParquetRecordBatchReaderBuilder::try_new(File::open(path).unwrap())
        .unwrap()
        .schema()
        .clone()
}

/// Same columns, types, nullability and field metadata, and the schema's
/// own metadata kept (the reader adds the footer's other keys).
pub fn assert_same_schema(got: &arrow_schema::Schema, want: &arrow_schema::Schema) {
    assert_eq!(got.fields().len(), want.fields().len());
    for (g, w) in got.fields().iter().zip(want.fields()) {
        assert_eq!(
            (g.name(), g.data_type(), g.is_nullable(), g.metadata()),
            (w.name(), w.data_type(), w.is_nullable(), w.metadata()),
        );
    }
    for (k, v) in want.metadata() {
        assert_eq!(got.metadata().get(k), Some(v), "schema metadata {k}");
    }
}

/// `read` holds what `written` held: equal columns, except the second-unit
/// instants and times, which Parquet holds in milliseconds (checked value by
/// value: the same instant, times 1000, same nulls, same time zone).
pub fn assert_same_in_parquet_units(written: &RecordBatch, read: &RecordBatch) {
    use arrow_array::types::{
        Time32MillisecondType, Time32SecondType, TimestampMillisecondType, TimestampSecondType,
    };
    use arrow_schema::{DataType, TimeUnit};
    assert_eq!(written.num_columns(), read.num_columns());
    assert_eq!(written.num_rows(), read.num_rows());
    for (i, field) in written.schema().fields().iter().enumerate() {
        let (w, r) = (written.column(i), read.column(i));
        let name = field.name();
        match field.data_type() {
            DataType::Timestamp(TimeUnit::Second, tz) => {
                assert_eq!(
                    r.data_type(),
                    &DataType::Timestamp(TimeUnit::Millisecond, tz.clone())
                );
                let (w, r) = (
                    w.as_primitive::<TimestampSecondType>(),
                    r.as_primitive::<TimestampMillisecondType>(),
                );
                let w: Vec<Option<i64>> = w.iter().map(|v| v.map(|s| s * 1000)).collect();
                assert_eq!(r.iter().collect::<Vec<_>>(), w, "{name}");
            }
            DataType::Time32(TimeUnit::Second) => {
                assert_eq!(r.data_type(), &DataType::Time32(TimeUnit::Millisecond));
                let (w, r) = (
                    w.as_primitive::<Time32SecondType>(),
                    r.as_primitive::<Time32MillisecondType>(),
                );
                let w: Vec<Option<i32>> = w.iter().map(|v| v.map(|s| s * 1000)).collect();
                assert_eq!(r.iter().collect::<Vec<_>>(), w, "{name}");
            }
            _ => assert_eq!(w.to_data(), r.to_data(), "{name}"),
        }
    }
}

/// The `call_id` values of `batches`, in order.
pub fn ids(batches: &[RecordBatch]) -> Vec<String> {
    batches
        .iter()
        .flat_map(|b| {
            let ids = b
                .column_by_name(velip_arrow::columns::CALL_ID)
                .unwrap()
                .as_string::<i32>()
                .clone();
            (0..ids.len())
                .map(|i| ids.value(i).to_owned())
                .collect::<Vec<_>>()
        })
        .collect()
}

pub fn record_ids(pages: &[Vec<CallRecord>]) -> Vec<String> {
    pages
        .iter()
        .flatten()
        .map(|r| r.call_id.to_string())
        .collect()
}

/// Asserts every column chunk of the file is zstd-compressed.
pub fn assert_zstd(meta: &ParquetMetaData) {
    for g in meta.row_groups() {
        for c in g.columns() {
            assert!(
                matches!(c.compression(), Compression::ZSTD(_)),
                "{} is {:?}",
                c.column_path(),
                c.compression()
            );
        }
    }
}

/// Copies a folder tree (to keep a side folder as a crash would leave it).
pub fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &target);
        } else {
            fs::copy(e.path(), target).unwrap();
        }
    }
}

/// Names in a folder, sorted.
pub fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// The hidden spool of the Parquet file `out`.
pub fn spool_of(out: &Path) -> PathBuf {
    out.with_file_name(format!(
        ".{}.velip-spool",
        out.file_name().unwrap().to_string_lossy()
    ))
}

/// Appends bytes to a file, as a write torn by a crash would leave them.
pub fn append_garbage(path: &Path, bytes: &[u8]) {
    use std::io::Write as _;
    fs::OpenOptions::new()
        .append(true)
        .open(path)
        .unwrap()
        .write_all(bytes)
        .unwrap();
}
