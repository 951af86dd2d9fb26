//! [`FileExport`]: a walk exported to a CSV, JSON-lines, XLSX or Parquet
//! file (or a date-partitioned Parquet dataset), resumable after any
//! failure with no record twice and none skipped.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use velip_blocking::WalkCheckpoint;
use velip_core::Page;

use super::checkpoint::{ExportCheckpoint, VERSION};
use super::columnar::ParquetPages;
use super::durable;
use super::paths::ExportPaths;
use super::xlsx;
use crate::rows::csv::{CsvDialect, CsvWriter};
use crate::rows::jsonl;
use crate::{Sink, StoreError};

/// The format of an exported file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FileFormat {
    /// CSV with a header, in a dialect.
    Csv(CsvDialect),
    /// One JSON object per line.
    Jsonl,
    /// An XLSX workbook of typed cells (see [`files::xlsx`](super::xlsx)),
    /// staged as JSON lines while the walk runs and built at the end.
    Xlsx,
    /// One Parquet file: the columns of [`velip_arrow::schema()`], zstd, a
    /// row group per page (see [`crate::parquet`]).
    Parquet,
    /// A Hive-style Parquet dataset partitioned by call date: the output is
    /// a folder, `DIR/date=2026-11-20/part-00000.parquet` (see
    /// [`ParquetDataset`](crate::parquet::ParquetDataset)).
    ParquetByDate,
}

impl FileFormat {
    /// How the checkpoint names it.
    pub fn tag(self) -> &'static str {
        match self {
            Self::Csv(d) => d.tag(),
            Self::Jsonl => "jsonl",
            Self::Xlsx => "xlsx",
            Self::Parquet => "parquet",
            Self::ParquetByDate => "parquet;partition-by=date",
        }
    }

    /// Whether the output is a folder (a partitioned dataset).
    pub fn is_dataset(self) -> bool {
        matches!(self, Self::ParquetByDate)
    }

    /// Whether records are Parquet rows (their problems in the `problems`
    /// column) rather than text rows.
    pub fn is_parquet(self) -> bool {
        matches!(self, Self::Parquet | Self::ParquetByDate)
    }
}

/// What to do with a checkpoint left by an earlier run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResumeMode {
    /// Start a new export; an existing checkpoint is an error (it names
    /// `--resume` and `--restart`).
    Fresh,
    /// Continue the export the checkpoint describes when there is one (it
    /// must be of the same selection and format), else start a new one —
    /// the way `wget -c` does, so one command line can go in cron.
    ResumeOrStart,
    /// Discard any checkpoint and partial data and start over.
    Restart,
}

/// What an export wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ExportSummary {
    /// Records in the file.
    pub records: u64,
    /// Of which with problems (a field that could not be read; see the
    /// `problems` column or key).
    pub records_with_problems: u64,
    /// Entries without a readable call id, written to the rejected file.
    pub rejected: u64,
    /// Pages written (over every run of a resumed export).
    pub pages: u64,
    /// The rejected file, when there were any.
    pub rejected_file: Option<std::path::PathBuf>,
    /// The data files written: the output file, or a dataset's part files
    /// (one per date, in date order).
    pub files: Vec<std::path::PathBuf>,
    /// Their size in bytes.
    pub bytes: u64,
}

enum Rows {
    Csv(Box<CsvWriter<BufWriter<File>>>),
    Jsonl(BufWriter<File>),
    /// Parquet: each page a durable segment before its checkpoint.
    Parquet(Box<ParquetPages>),
    /// The staging file of a workbook (JSON lines of typed cells).
    Xlsx(BufWriter<File>),
}

/// An export of a walk to a CSV, JSON-lines, XLSX or Parquet file, or to a
/// date-partitioned Parquet dataset.
///
/// CSV, JSON lines and XLSX: records go to `OUT.partial` (for XLSX, a
/// staging file of typed cells from which the workbook is built by
/// [`finish`](Self::finish)), entries without a
/// readable call id to `OUT.rejected.jsonl`; after each page both are
/// flushed and synced, then `OUT.checkpoint.json` is replaced (durably)
/// with the walk's checkpoint and the byte lengths it counts. A resume cuts
/// both files back to those lengths (dropping a page half written when the
/// process died) and continues the walk from the checkpoint: no record
/// twice, none skipped. On success the partial file is renamed to `OUT`
/// (or the workbook built from it) and the checkpoint removed.
///
/// Parquet ([`FileFormat::Parquet`]): each page becomes an Arrow batch and
/// a durable segment of a hidden spool ([`ParquetFile`](crate::parquet::ParquetFile));
/// only then is the checkpoint replaced, counting the page. A resume cuts
/// the spool back to the pages the checkpoint counts. On success the
/// segments are spliced into `OUT` (one row group per page, zstd), renamed
/// into place. Rejected entries go to `OUT.rejected.jsonl` as for CSV.
///
/// A dataset ([`FileFormat::ParquetByDate`], `OUT` a folder): the same
/// with [`ParquetDataset`](crate::parquet::ParquetDataset); the checkpoint
/// is `DIR/.velip-export.checkpoint.json` and rejected entries go to
/// `DIR/_rejected/part-NNNNN.jsonl`, numbered like the export's parts (see
/// [`ExportPaths::for_dataset`]).
pub struct FileExport {
    paths: ExportPaths,
    rows: Rows,
    rejected: Option<BufWriter<File>>,
    cp: ExportCheckpoint,
    /// A Parquet export's lock file, held for the whole run (CSV, JSON
    /// lines and XLSX hold the lock of their partial file instead).
    lock: Option<ExportLock>,
}

/// A held lock file: `OUT.lock` of a Parquet file or
/// `DIR/.velip-export.lock` of a dataset, removed when the export finishes
/// (left by a failed run, and used again by its resume).
struct ExportLock {
    _file: File,
    path: PathBuf,
}

impl std::fmt::Debug for FileExport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileExport")
            .field("paths", &self.paths)
            .field("checkpoint", &self.cp)
            .finish_non_exhaustive()
    }
}

fn open_rw(path: &Path, truncate: bool) -> Result<File, StoreError> {
    OpenOptions::new()
        .create(true)
        .read(true)
        .write(true)
        .truncate(truncate)
        .open(path)
        .map_err(|e| StoreError::io(path, e))
}

/// The checkpoint of an export that has not written anything yet.
fn new_checkpoint(selection: Vec<(String, String)>, format: FileFormat) -> ExportCheckpoint {
    ExportCheckpoint {
        version: VERSION,
        selection,
        format: format.tag().to_owned(),
        data_bytes: 0,
        rejected_bytes: 0,
        records: 0,
        records_with_problems: 0,
        rejected: 0,
        pages: 0,
        walk: WalkCheckpoint::start(),
    }
}

/// The rejected file cut back to the `len` bytes a checkpoint counts, when
/// it counts any.
fn open_rejected(path: &Path, len: u64) -> Result<Option<BufWriter<File>>, StoreError> {
    if len == 0 {
        return Ok(None);
    }
    let mut f = open_rw(path, false)?;
    cut_to(&mut f, path, len)?;
    Ok(Some(BufWriter::new(f)))
}

/// Locks the lock file of a Parquet export to `paths.out`, before its
/// checkpoint is read or its pages touched.
fn lock_parquet(paths: &ExportPaths, dataset: bool) -> Result<ExportLock, StoreError> {
    let path = if dataset {
        std::fs::create_dir_all(&paths.out).map_err(|e| StoreError::io(&paths.out, e))?;
        paths.out.join(DATASET_LOCK)
    } else {
        let mut s = paths.out.as_os_str().to_owned();
        s.push(".lock");
        PathBuf::from(s)
    };
    let file = lock_file(&path, &paths.out)?;
    Ok(ExportLock { _file: file, path })
}

/// Name of a dataset export's lock file inside its folder (hidden, like
/// its checkpoint).
const DATASET_LOCK: &str = ".velip-export.lock";

/// Opens the partial file of `paths` and locks it, or says that another
/// export of the same output holds it.
fn lock_partial(paths: &ExportPaths) -> Result<File, StoreError> {
    lock_file(&paths.partial, &paths.out)
}

/// Opens `path` (created when missing) and locks it, or says that another
/// export to `out` holds it.
fn lock_file(path: &Path, out: &Path) -> Result<File, StoreError> {
    let file = open_rw(path, false)?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(StoreError::Output(format!(
            "another export to {} is running ({} is locked): let it finish, or stop it first",
            out.display(),
            path.display()
        ))),
        Err(std::fs::TryLockError::Error(e)) => Err(StoreError::io(path, e)),
    }
}

/// Cuts `file` back to `len` bytes and positions at its end.
fn cut_to(file: &mut File, path: &Path, len: u64) -> Result<(), StoreError> {
    file.set_len(len)
        .and_then(|()| file.seek(SeekFrom::Start(len)).map(|_| ()))
        .map_err(|e| StoreError::io(path, e))
}

impl FileExport {
    /// Opens an export to `out`, checking the place first (see
    /// [`ExportPaths::for_output`]) and handling an earlier run's checkpoint
    /// per `mode`. Returns the export and the walk checkpoint to start from
    /// ([`WalkCheckpoint::start`] for a new export).
    ///
    /// # Errors
    /// [`StoreError::Output`] for a place that cannot be written;
    /// [`StoreError::Checkpoint`] for a checkpoint of another selection or
    /// format (naming what differs), a damaged one, or a partial file
    /// shorter than its checkpoint; [`StoreError::Io`].
    pub fn open(
        out: &Path,
        format: FileFormat,
        selection: Vec<(String, String)>,
        mode: ResumeMode,
    ) -> Result<(Self, WalkCheckpoint), StoreError> {
        let paths = if format.is_dataset() {
            ExportPaths::for_dataset(out)?
        } else {
            ExportPaths::for_output(out)?
        };
        // One export of a file at a time: the partial file (a Parquet
        // export's lock file) is locked for the whole run, before the
        // checkpoint is read (a second `--resume` from an overlapping cron
        // run is refused before it spends any quota), and only then is
        // anything truncated.
        let (held, parquet_lock) = if format.is_parquet() {
            (None, Some(lock_parquet(&paths, format.is_dataset())?))
        } else {
            (Some(lock_partial(&paths)?), None)
        };
        let existing = match mode {
            ResumeMode::Restart => None,
            _ => ExportCheckpoint::load(&paths.checkpoint)?,
        };
        let resumed = match (mode, existing) {
            (ResumeMode::Fresh, Some(_)) => {
                return Err(StoreError::Checkpoint(format!(
                    "an interrupted export of {} exists ({}): continue it with --resume, or start over with --restart",
                    out.display(),
                    paths.checkpoint.display()
                )));
            }
            (_, Some(cp)) => {
                if let Some(diff) = cp.mismatch(&selection, format.tag()) {
                    return Err(StoreError::Checkpoint(format!(
                        "the checkpoint {} belongs to another export ({diff}): run that export with --resume, or discard it with --restart",
                        paths.checkpoint.display()
                    )));
                }
                Some(cp)
            }
            (_, None) => None,
        };

        if let Some(lock) = parquet_lock {
            return Self::open_parquet(paths, format, selection, resumed, lock);
        }
        let mut file = match held {
            Some(f) => f,
            None => lock_partial(&paths)?,
        };
        if resumed.is_none() {
            cut_to(&mut file, &paths.partial, 0)?;
        }
        let cp = if let Some(cp) = resumed {
            let have = file.metadata().map_or(0, |m| m.len());
            if have < cp.data_bytes {
                return Err(StoreError::Checkpoint(format!(
                    "cannot resume: {} is shorter than its checkpoint says ({have} of {} bytes); start over with --restart",
                    paths.partial.display(),
                    cp.data_bytes
                )));
            }
            cut_to(&mut file, &paths.partial, cp.data_bytes)?;
            cp
        } else {
            let _ = std::fs::remove_file(&paths.rejected);
            new_checkpoint(selection, format)
        };
        let writer = BufWriter::with_capacity(1 << 16, file);
        let rows = match format {
            FileFormat::Csv(d) => Rows::Csv(Box::new(CsvWriter::new(writer, d))),
            FileFormat::Xlsx => Rows::Xlsx(writer),
            // The Parquet formats are opened by `open_parquet`, never here.
            FileFormat::Jsonl | FileFormat::Parquet | FileFormat::ParquetByDate => {
                Rows::Jsonl(writer)
            }
        };
        let rejected = open_rejected(&paths.rejected, cp.rejected_bytes)?;
        let walk = cp.walk.clone();
        let mut export = Self {
            paths,
            rows,
            rejected,
            cp,
            lock: None,
        };
        if export.cp.data_bytes == 0 {
            if let Rows::Csv(c) = &mut export.rows {
                c.header().map_err(|e| export.data_err(e))?;
            }
            export.cp.data_bytes = export.sync_data()?;
            export.cp.save(&export.paths.checkpoint)?;
        }
        Ok((export, walk))
    }

    /// [`open`](Self::open) for the Parquet formats: the spool (or the
    /// dataset's side folder) is cut back to the pages the checkpoint
    /// counts, or created afresh.
    fn open_parquet(
        mut paths: ExportPaths,
        format: FileFormat,
        selection: Vec<(String, String)>,
        resumed: Option<ExportCheckpoint>,
        lock: ExportLock,
    ) -> Result<(Self, WalkCheckpoint), StoreError> {
        let dataset = format.is_dataset();
        let (pages, cp) = if let Some(cp) = resumed {
            (ParquetPages::resume(&paths.out, dataset, cp.pages)?, cp)
        } else {
            let pages = ParquetPages::create(&paths.out, dataset)?;
            (pages, new_checkpoint(selection, format))
        };
        paths.partial = pages.side_path().to_path_buf();
        if let Some(part) = pages.part() {
            // `_rejected/part-00003.jsonl`: named like the export's parts.
            let name = crate::parquet::part_name(part).replace(".parquet", ".jsonl");
            paths.rejected = paths.rejected.join(name);
        }
        if cp.rejected_bytes == 0 {
            let _ = std::fs::remove_file(&paths.rejected);
        }
        let rejected = open_rejected(&paths.rejected, cp.rejected_bytes)?;
        let walk = cp.walk.clone();
        let export = Self {
            paths,
            rows: Rows::Parquet(Box::new(pages)),
            rejected,
            cp,
            lock: Some(lock),
        };
        if export.cp.pages == 0 {
            export.cp.save(&export.paths.checkpoint)?;
        }
        Ok((export, walk))
    }

    /// The files of this export.
    pub fn paths(&self) -> &ExportPaths {
        &self.paths
    }

    /// The last committed checkpoint.
    pub fn checkpoint(&self) -> &ExportCheckpoint {
        &self.cp
    }

    fn data_err(&self, e: std::io::Error) -> StoreError {
        StoreError::io(&self.paths.partial, e)
    }

    /// Flushes and syncs the data file; returns its length.
    fn sync_data(&mut self) -> Result<u64, StoreError> {
        let path = self.paths.partial.clone();
        let err = |e| StoreError::io(&path, e);
        let mut f: &File = match &mut self.rows {
            // The CSV writer flushes its buffer and the BufWriter below it.
            Rows::Csv(c) => {
                c.flush().map_err(err)?;
                c.get_ref().get_ref()
            }
            Rows::Jsonl(w) | Rows::Xlsx(w) => {
                w.flush().map_err(err)?;
                w.get_ref()
            }
            // Each page is durable when `write` returns; no byte count.
            Rows::Parquet(_) => return Ok(0),
        };
        f.sync_data().map_err(err)?;
        f.stream_position().map_err(err)
    }

    /// Ends an export whose walk failed. When no page was committed (an
    /// error on the first request, such as an authentication failure), its
    /// files are removed: there is nothing to resume, and the same command
    /// starts afresh next time. Otherwise they are kept for a resume.
    /// Returns whether they were kept.
    ///
    /// # Errors
    /// [`StoreError::Io`] when a file cannot be removed.
    pub fn abandon(self) -> Result<bool, StoreError> {
        if self.cp.pages > 0 {
            return Ok(true);
        }
        drop(self.rows);
        drop(self.rejected);
        for p in [
            &self.paths.checkpoint,
            &self.paths.partial,
            &self.paths.rejected,
        ] {
            match std::fs::remove_file(p) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(StoreError::io(p, e)),
            }
        }
        Ok(false)
    }

    /// Removes the checkpoint and renames the partial file to the output;
    /// for XLSX, builds the workbook from the staging file first (to
    /// `OUT.building`, renamed to `OUT`), and removes the staging file.
    ///
    /// # Errors
    /// [`StoreError::Io`]; for XLSX also [`StoreError::Output`] for more
    /// records than a sheet holds ([`xlsx::MAX_RECORDS`]) and
    /// [`StoreError::Checkpoint`] for a damaged staging file. The
    /// checkpoint is kept, so running the export again with resume builds
    /// the workbook again.
    pub fn finish(mut self) -> Result<ExportSummary, StoreError> {
        self.sync_data()?;
        let rejected_file = if let Some(mut r) = self.rejected.take() {
            r.flush()
                .and_then(|()| r.get_ref().sync_data())
                .map_err(|e| StoreError::io(&self.paths.rejected, e))?;
            Some(self.paths.rejected.clone())
        } else {
            None
        };
        let (files, bytes) = match self.rows {
            Rows::Parquet(pages) => {
                // Spliced, synced and renamed into place; a crash before the
                // checkpoint is removed finds the output finished on resume.
                let done = pages.finish()?;
                (done.files, done.bytes)
            }
            Rows::Xlsx(w) => {
                drop(w);
                let mut building = self.paths.out.as_os_str().to_owned();
                building.push(".building");
                let building = std::path::PathBuf::from(building);
                xlsx::build(&self.paths.partial, &building)?;
                std::fs::rename(&building, &self.paths.out)
                    .map_err(|e| StoreError::io(&self.paths.out, e))?;
                durable::sync_parent(&self.paths.out)?;
                std::fs::remove_file(&self.paths.partial)
                    .map_err(|e| StoreError::io(&self.paths.partial, e))?;
                let bytes = std::fs::metadata(&self.paths.out).map_or(0, |m| m.len());
                (vec![self.paths.out.clone()], bytes)
            }
            rows => {
                drop(rows);
                std::fs::rename(&self.paths.partial, &self.paths.out)
                    .map_err(|e| StoreError::io(&self.paths.out, e))?;
                durable::sync_parent(&self.paths.out)?;
                let bytes = std::fs::metadata(&self.paths.out).map_or(0, |m| m.len());
                (vec![self.paths.out.clone()], bytes)
            }
        };
        std::fs::remove_file(&self.paths.checkpoint)
            .map_err(|e| StoreError::io(&self.paths.checkpoint, e))?;
        durable::sync_parent(&self.paths.checkpoint)?;
        if let Some(lock) = self.lock.take() {
            // Removed while still held: a later export makes a new one.
            let _ = std::fs::remove_file(&lock.path);
        }
        Ok(ExportSummary {
            records: self.cp.records,
            records_with_problems: self.cp.records_with_problems,
            rejected: self.cp.rejected,
            pages: self.cp.pages,
            rejected_file,
            files,
            bytes,
        })
    }
}

impl Sink for FileExport {
    fn write_page(&mut self, page: &Page, walk: &WalkCheckpoint) -> Result<(), StoreError> {
        if matches!(self.rows, Rows::Xlsx(_))
            && self.cp.records + page.records.len() as u64 > xlsx::MAX_RECORDS
        {
            return Err(StoreError::Output(format!(
                "an XLSX sheet holds at most {} records and this selection has more: narrow it (by campaign or period), or export to CSV or JSON lines",
                xlsx::MAX_RECORDS
            )));
        }
        match &mut self.rows {
            Rows::Csv(c) => {
                for r in &page.records {
                    c.record(r)
                        .map_err(|e| StoreError::io(&self.paths.partial, e))?;
                }
            }
            Rows::Xlsx(w) => {
                for r in &page.records {
                    xlsx::stage_record(w, r).map_err(|e| StoreError::io(&self.paths.partial, e))?;
                }
            }
            Rows::Jsonl(w) => {
                for r in &page.records {
                    jsonl::write_record(w, r)
                        .map_err(|e| StoreError::io(&self.paths.partial, e))?;
                }
            }
            // Written below, after the rejected entries are durable.
            Rows::Parquet(_) => {}
        }
        if !page.rejected.is_empty() {
            if self.rejected.is_none() {
                if let Some(folder) = self.paths.rejected.parent() {
                    std::fs::create_dir_all(folder).map_err(|e| StoreError::io(folder, e))?;
                }
                let f = open_rw(&self.paths.rejected, true)?;
                self.rejected = Some(BufWriter::new(f));
            }
            let path = self.paths.rejected.clone();
            let w = self.rejected.as_mut().ok_or_else(|| {
                StoreError::io(&path, std::io::Error::other("rejected file not open"))
            })?;
            for r in &page.rejected {
                jsonl::write_rejected(w, r).map_err(|e| StoreError::io(&path, e))?;
            }
            w.flush()
                .and_then(|()| w.get_ref().sync_data())
                .map_err(|e| StoreError::io(&path, e))?;
            self.cp.rejected_bytes = w
                .get_mut()
                .stream_position()
                .map_err(|e| StoreError::io(&path, e))?;
        }
        if let Rows::Parquet(pages) = &mut self.rows {
            // Durable when it returns: only then may the checkpoint count it.
            self.cp.pages = pages.write(&page.records)?;
        } else {
            self.cp.data_bytes = self.sync_data()?;
            self.cp.pages += 1;
        }
        self.cp.records += page.records.len() as u64;
        self.cp.records_with_problems += page
            .records
            .iter()
            .filter(|r| !r.problems.is_empty())
            .count() as u64;
        self.cp.rejected += page.rejected.len() as u64;
        self.cp.walk = walk.clone();
        self.cp.save(&self.paths.checkpoint)
    }
}
