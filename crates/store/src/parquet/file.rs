//! One Parquet file (`velip calls export --format parquet --out calls.parquet`),
//! written page by page, resumable after a crash at any point.

use std::path::{Path, PathBuf};

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;

use super::concat::{self, footer_value};
use super::durable;
use super::error::{ParquetError, Result};
use super::options::{ParquetOptions, SEGMENTS_KEY};
use super::spool::{SegmentId, Spool};
use super::units;

/// What a finished Parquet file holds.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FileStats {
    /// The output file.
    pub path: PathBuf,
    /// Records.
    pub rows: u64,
    /// Row groups (one per page that had records).
    pub row_groups: u64,
    /// Pages written (segments), including those before a resume.
    pub segments: u64,
    /// File size in bytes.
    pub bytes: u64,
}

/// A Parquet file written page by page: zstd, one row group per page,
/// constant memory, and resumable after a crash at any point with no
/// record written twice or lost.
///
/// A Parquet file cannot be appended once its footer is written, so each
/// page becomes a complete Parquet file (one row group) appended to a
/// hidden spool next to the output (`.calls.parquet.velip-spool`);
/// [`write_page`](Self::write_page) returns once it is durable (one
/// `fdatasync`, as a CSV export's flush per page), and only then may the
/// caller commit the checkpoint that counts it ([`SegmentId::count`]).
/// [`finish`](Self::finish) splices the pages' row groups into one file
/// without decoding them, fsyncs it, renames it over the output (readers
/// never see a partial file), then removes the spool.
/// [`resume`](Self::resume) cuts off what the checkpoint does not count.
///
/// ```
/// use velip_store::parquet::ParquetFile;
///
/// let dir = tempfile::tempdir()?;
/// let out = dir.path().join("calls.parquet");
/// let batch = velip_arrow::to_record_batch(&[])?; // a page, as a batch
///
/// let mut file = ParquetFile::create(&out)?;
/// let committed = file.write_page(&batch)?.count(); // durable: checkpoint it
/// drop(file); // the process stops here
///
/// let file = ParquetFile::resume(&out, committed)?;
/// let stats = file.finish()?;
/// assert_eq!((stats.rows, stats.segments), (0, 1));
/// assert!(out.exists());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct ParquetFile {
    output: PathBuf,
    spool_path: PathBuf,
    tmp: PathBuf,
    spool: Option<Spool>,
    /// What pages must have: [`velip_arrow::schema()`].
    schema: SchemaRef,
    /// What the file holds: the same, instants and times in milliseconds.
    file_schema: SchemaRef,
    props: WriterProperties,
    next: u64,
    finished: Option<FileStats>,
}

/// The hidden names next to `output`: the spool and the temporary output.
fn side_names(output: &Path) -> Result<(PathBuf, PathBuf)> {
    let name = output.file_name().and_then(|n| n.to_str()).ok_or_else(|| {
        ParquetError::io("create", output)(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "the output must be a file name in UTF-8",
        ))
    })?;
    let dir = durable::parent(output);
    Ok((
        dir.join(format!(".{name}.velip-spool")),
        dir.join(format!(".{name}.velip-tmp")),
    ))
}

impl ParquetFile {
    /// Starts a new export to `path` with the default options. Any
    /// unfinished export to the same path is discarded; an existing file
    /// at `path` is replaced only when [`finish`](Self::finish) succeeds.
    pub fn create(path: impl AsRef<Path>) -> Result<Self> {
        Self::create_with(path, ParquetOptions::default())
    }

    /// [`create`](Self::create) with options.
    pub fn create_with(path: impl AsRef<Path>, options: ParquetOptions) -> Result<Self> {
        let mut file = Self::new(path.as_ref(), options)?;
        durable::create_dir(durable::parent(&file.output))?;
        durable::remove_file(&file.tmp)?;
        file.spool = Some(Spool::create(&file.spool_path)?);
        Ok(file)
    }

    /// Continues the export to `path` whose checkpoint counts `committed`
    /// pages ([`SegmentId::count`] of the last page it committed; 0 for
    /// none). Pages past it (durable, but not counted, when the process
    /// stopped) are cut off, so they are written again from the
    /// checkpoint's cursor, once.
    ///
    /// When the export was already finished (the process stopped after
    /// [`finish`](Self::finish) but before the checkpoint was removed), the
    /// file is in the finished state: [`is_finished`](Self::is_finished),
    /// and `finish` returns its stats again.
    ///
    /// # Errors
    /// [`ParquetError::MissingSegments`] when the spool lacks pages the
    /// checkpoint counts (it was deleted: start over with `create`).
    pub fn resume(path: impl AsRef<Path>, committed: u64) -> Result<Self> {
        Self::resume_with(path, committed, ParquetOptions::default())
    }

    /// [`resume`](Self::resume) with options (they apply to the pages
    /// written from now on).
    pub fn resume_with(
        path: impl AsRef<Path>,
        committed: u64,
        options: ParquetOptions,
    ) -> Result<Self> {
        let path = path.as_ref();
        let mut file = Self::new(path, options)?;
        durable::remove_file(&file.tmp)?;
        if file.spool_path.is_file() {
            let spool = Spool::open(&file.spool_path, committed)?;
            let contiguous = spool.seqs().iter().enumerate().all(|(i, s)| *s == i as u64);
            let found = spool.seqs().len() as u64;
            if found != committed || !contiguous {
                return Err(file.missing(committed, found));
            }
            file.spool = Some(spool);
            file.next = committed;
            return Ok(file);
        }
        if committed == 0 {
            return Self::create_with(path, options);
        }
        if footer_value(&file.output, SEGMENTS_KEY) == Some(committed.to_string()) {
            file.finished = Some(file_stats(&file.output, committed)?);
            file.next = committed;
            return Ok(file);
        }
        Err(file.missing(committed, 0))
    }

    fn new(output: &Path, options: ParquetOptions) -> Result<Self> {
        let (spool_path, tmp) = side_names(output)?;
        Ok(Self {
            output: output.to_path_buf(),
            spool_path,
            tmp,
            spool: None,
            file_schema: units::parquet_schema(&velip_arrow::schema()),
            schema: velip_arrow::schema(),
            props: options.writer_properties(),
            next: 0,
            finished: None,
        })
    }

    fn missing(&self, committed: u64, found: u64) -> ParquetError {
        ParquetError::MissingSegments {
            output: self.output.clone(),
            side: self.spool_path.clone(),
            committed,
            found,
        }
    }

    /// Writes one page (a batch of [`velip_arrow::schema()`]) as one row
    /// group. When this returns, the page is durable (appended to the
    /// spool and fsynced): commit the checkpoint with the returned id's
    /// [`count`](SegmentId::count). Memory: the page's encoded size, freed
    /// on return.
    ///
    /// # Errors
    /// [`ParquetError::SchemaMismatch`], [`ParquetError::Finished`], or an
    /// I/O or encoding error (then nothing is counted: a resume from the
    /// previous checkpoint writes the page again).
    pub fn write_page(&mut self, batch: &RecordBatch) -> Result<SegmentId> {
        let Some(spool) = self.spool.as_mut() else {
            return Err(ParquetError::Finished {
                output: self.output.clone(),
            });
        };
        if batch.schema() != self.schema {
            return Err(ParquetError::SchemaMismatch);
        }
        let seq = self.next;
        let batch = units::to_parquet_units(batch, &self.file_schema)?;
        spool.append(seq, &batch, &self.props)?;
        self.next += 1;
        Ok(SegmentId(seq))
    }

    /// Pages written and durable so far (including those before a resume):
    /// the number a checkpoint stores.
    pub fn segments(&self) -> u64 {
        self.next
    }

    /// The output file.
    pub fn path(&self) -> &Path {
        &self.output
    }

    /// The hidden spool holding the pages until [`finish`](Self::finish)
    /// (`.calls.parquet.velip-spool` next to the output).
    pub fn spool_path(&self) -> &Path {
        &self.spool_path
    }

    /// Whether the output is complete (see [`resume`](Self::resume)).
    pub fn is_finished(&self) -> bool {
        self.finished.is_some()
    }

    /// Writes the output file from the spooled pages (without decoding
    /// them), durably, renames it over the output path, and removes the
    /// spool. A crash in the middle is harmless: `resume` + `finish` again
    /// writes the same file.
    pub fn finish(self) -> Result<FileStats> {
        if let Some(stats) = self.finished {
            return Ok(stats);
        }
        let Some(spool) = self.spool else {
            return Err(ParquetError::Finished {
                output: self.output,
            });
        };
        let kv = [KeyValue::new(
            SEGMENTS_KEY.to_owned(),
            self.next.to_string(),
        )];
        let written = concat::concat(
            spool.entries()?,
            &self.file_schema,
            &self.props,
            &kv,
            &self.tmp,
        )?;
        durable::rename(&self.tmp, &self.output)?;
        drop(spool);
        durable::remove_file(&self.spool_path)?;
        Ok(FileStats {
            path: self.output,
            rows: written.rows,
            row_groups: written.row_groups,
            segments: self.next,
            bytes: written.bytes,
        })
    }
}

/// Stats of a finished file, from its footer.
fn file_stats(path: &Path, segments: u64) -> Result<FileStats> {
    let file = std::fs::File::open(path).map_err(ParquetError::io("open", path))?;
    let meta = parquet::file::metadata::ParquetMetaDataReader::new()
        .parse_and_finish(&file)
        .map_err(ParquetError::format(path))?;
    let bytes = file
        .metadata()
        .map_err(ParquetError::io("stat", path))?
        .len();
    Ok(FileStats {
        path: path.to_path_buf(),
        rows: u64::try_from(meta.file_metadata().num_rows()).unwrap_or(0),
        row_groups: meta.num_row_groups() as u64,
        segments,
        bytes,
    })
}
