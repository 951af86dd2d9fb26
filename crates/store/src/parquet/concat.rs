//! Pages into one Parquet file without decoding: each page's row
//! groups are spliced in as they are (their compressed column chunks
//! copied byte for byte, statistics and page indexes kept), so finishing
//! costs one sequential copy and constant memory.

use std::fs::File;
use std::io::BufWriter;
use std::path::Path;
use std::sync::Arc;

use arrow_schema::SchemaRef;
use bytes::Bytes;
use parquet::arrow::ArrowWriter;
use parquet::column::writer::ColumnCloseResult;
use parquet::file::metadata::{KeyValue, PageIndexPolicy, ParquetMetaDataReader};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;

use super::durable;
use super::error::{ParquetError, Result};

/// What a finished file holds.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Written {
    pub(crate) rows: u64,
    pub(crate) row_groups: u64,
    pub(crate) bytes: u64,
}

/// Writes the pages' Parquet files (`segments`, in order) into the new
/// file `out`, durably (fsynced; the caller renames it into place).
/// Key-value metadata: the pages' own (the Arrow schema) plus `extra`.
/// With no pages, an empty file of `schema`.
pub(crate) fn concat(
    segments: impl IntoIterator<Item = Result<Bytes>>,
    schema: &SchemaRef,
    props: &WriterProperties,
    extra: &[KeyValue],
    out: &Path,
) -> Result<Written> {
    let mut segments = segments.into_iter();
    let file = File::create(out).map_err(ParquetError::io("create", out))?;
    let buf = BufWriter::with_capacity(1 << 20, file);
    let Some(first) = segments.next() else {
        let props = with_metadata(props, Vec::new(), extra);
        let writer = ArrowWriter::try_new(buf, Arc::clone(schema), Some(props))
            .map_err(ParquetError::format(out))?;
        let buf = writer.into_inner().map_err(ParquetError::format(out))?;
        return close(buf, out, Written::default());
    };
    let first = first?;
    let first_meta = metadata(&first, out)?;
    let kv = first_meta
        .file_metadata()
        .key_value_metadata()
        .cloned()
        .unwrap_or_default();
    let props = Arc::new(with_metadata(props, kv, extra));
    let root = first_meta.file_metadata().schema_descr().root_schema_ptr();
    let mut writer =
        SerializedFileWriter::new(buf, root, props).map_err(ParquetError::format(out))?;
    let mut written = Written::default();
    let mut next = Some((first, first_meta));
    loop {
        let (segment, meta) = match next.take() {
            Some(first) => first,
            None => match segments.next() {
                None => break,
                Some(segment) => {
                    let segment = segment?;
                    let meta = metadata(&segment, out)?;
                    (segment, meta)
                }
            },
        };
        if meta.file_metadata().schema_descr().root_schema() != writer.schema_descr().root_schema()
        {
            return Err(ParquetError::SchemaMismatch);
        }
        let page_index = meta.page_index();
        for (g, group) in meta.row_groups().iter().enumerate() {
            let mut out_group = writer.next_row_group().map_err(ParquetError::format(out))?;
            for (c, column) in group.columns().iter().enumerate() {
                let close = ColumnCloseResult {
                    bytes_written: u64::try_from(column.compressed_size()).unwrap_or(0),
                    rows_written: u64::try_from(group.num_rows()).unwrap_or(0),
                    metadata: column.clone(),
                    bloom_filter: None,
                    column_index: page_index.and_then(|pi| pi.column_index(g, c)).cloned(),
                    offset_index: page_index.and_then(|pi| pi.offset_index(g, c)).cloned(),
                };
                out_group
                    .append_column(&segment, close)
                    .map_err(ParquetError::format(out))?;
            }
            out_group.close().map_err(ParquetError::format(out))?;
            written.rows += u64::try_from(group.num_rows()).unwrap_or(0);
            written.row_groups += 1;
        }
    }
    let buf = writer.into_inner().map_err(ParquetError::format(out))?;
    close(buf, out, written)
}

fn close(buf: BufWriter<File>, out: &Path, mut written: Written) -> Result<Written> {
    let file = buf
        .into_inner()
        .map_err(|e| ParquetError::io("write", out)(e.into_error()))?;
    durable::sync_file(&file, out)?;
    written.bytes = file
        .metadata()
        .map_err(ParquetError::io("stat", out))?
        .len();
    Ok(written)
}

/// A page's footer (with its page index), `out` naming the file being
/// written in errors.
fn metadata(segment: &Bytes, out: &Path) -> Result<parquet::file::metadata::ParquetMetaData> {
    ParquetMetaDataReader::new()
        .with_page_index_policy(PageIndexPolicy::Optional)
        .parse_and_finish(segment)
        .map_err(ParquetError::format(out))
}

fn with_metadata(
    props: &WriterProperties,
    mut kv: Vec<KeyValue>,
    extra: &[KeyValue],
) -> WriterProperties {
    kv.retain(|k| !extra.iter().any(|e| e.key == k.key));
    kv.extend_from_slice(extra);
    props
        .clone()
        .into_builder()
        .set_key_value_metadata(Some(kv))
        .build()
}

/// The value of `key` in the footer of the Parquet file at `path`, if the
/// file exists, is Parquet, and has the key.
pub(crate) fn footer_value(path: &Path, key: &str) -> Option<String> {
    let reader = File::open(path).ok()?;
    let meta = ParquetMetaDataReader::new()
        .with_page_index_policy(PageIndexPolicy::Skip)
        .parse_and_finish(&reader)
        .ok()?;
    meta.file_metadata()
        .key_value_metadata()?
        .iter()
        .find(|kv| kv.key == key)?
        .value
        .clone()
}
