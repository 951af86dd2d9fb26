//! A Hive-style dataset partitioned by call date
//! (`--partition-by date --out DIR`): `DIR/date=2026-11-20/part-00000.parquet`,
//! which DuckDB, Spark, Trino and pyarrow read as one table.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::Date32Type;
use arrow_array::{Array, RecordBatch, UInt32Array};
use arrow_schema::SchemaRef;
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;

use super::concat::{self, footer_value};
use super::durable;
use super::error::{ParquetError, Result};
use super::options::{PART_KEY, ParquetOptions, SEGMENTS_KEY};
use super::spool::{SegmentId, Spool};
use super::units;

/// The partition column: the call date (`date`, America/Sao_Paulo).
pub const PARTITION_COLUMN: &str = velip_arrow::columns::DATE;
/// The folder of records without a date: `date=__HIVE_DEFAULT_PARTITION__`,
/// which Hive, Spark, pyarrow and DuckDB read as a null date.
pub const NULL_PARTITION: &str = "__HIVE_DEFAULT_PARTITION__";

/// The hidden side folder of an export in progress, inside the dataset.
pub(crate) const SIDE: &str = ".velip-pages";
const SPOOL_SUFFIX: &str = ".spool";
const TRASH: &str = ".velip-trash";
const PART_FILE: &str = "part";

/// What a finished dataset export wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DatasetStats {
    /// The dataset folder.
    pub root: PathBuf,
    /// This export's part number (`part-00003.parquet`).
    pub part: u32,
    /// The files written, one per date, in date order.
    pub files: Vec<PathBuf>,
    /// Records.
    pub rows: u64,
    /// Pages written (segments), including those before a resume.
    pub segments: u64,
    /// Bytes of the files written.
    pub bytes: u64,
}

/// A date-partitioned Parquet dataset written page by page, resumable like
/// [`ParquetFile`](super::ParquetFile).
///
/// Layout: `DIR/date=YYYY-MM-DD/part-NNNNN.parquet`, one file per date and
/// export, zstd, a row group per page and date. Following the Hive
/// convention the files hold every column but `date`, which readers take
/// from the folder name (Spark refuses a partition column that is also in
/// the files). Records without a date go to `date=__HIVE_DEFAULT_PARTITION__`.
///
/// Part numbers: an export takes the number after the highest
/// `part-NNNNN.parquet` already in `DIR` when it is created, so exporting
/// again into the same folder adds files and never overwrites one; a
/// resumed export keeps its number (kept in the side folder) and its
/// finish writes the same names again, so a crash during finish never
/// duplicates a part.
///
/// While the export runs, each date's pages are appended to a spool under
/// `DIR/.velip-pages/` (`date=2026-11-20.spool`: a dot folder, ignored by
/// Spark, Hive and pyarrow, and no `*.parquet` name for globs to find);
/// [`finish`](Self::finish) splices each date's pages into its part file
/// without decoding, fsynced and renamed into place.
///
/// ```
/// use velip_store::parquet::ParquetDataset;
///
/// let dir = tempfile::tempdir()?;
/// let mut dataset = ParquetDataset::create(dir.path())?;
/// let page = velip_arrow::to_record_batch(&[])?;
/// let committed = dataset.write_page(&page)?.count();
/// let stats = dataset.finish()?;
/// assert_eq!((stats.rows, stats.part, committed), (0, 0, 1));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct ParquetDataset {
    root: PathBuf,
    side: PathBuf,
    trash: PathBuf,
    part: u32,
    /// What pages must have: [`velip_arrow::schema()`].
    schema: SchemaRef,
    /// The same with instants and times in milliseconds (see `units`).
    file_schema: SchemaRef,
    /// The schema of the part files: `file_schema` but `date`.
    part_schema: SchemaRef,
    date_index: usize,
    props: WriterProperties,
    /// One spool per partition folder name, in name (date) order.
    spools: BTreeMap<String, Spool>,
    next: u64,
    finished: Option<DatasetStats>,
}

impl ParquetDataset {
    /// Starts a new export into the folder `dir` (created if missing) with
    /// the default options. An unfinished export into the same folder is
    /// discarded; parts of earlier exports stay.
    pub fn create(dir: impl AsRef<Path>) -> Result<Self> {
        Self::create_with(dir, ParquetOptions::default())
    }

    /// [`create`](Self::create) with options.
    pub fn create_with(dir: impl AsRef<Path>, options: ParquetOptions) -> Result<Self> {
        let mut ds = Self::new(dir.as_ref(), options)?;
        durable::create_dir(&ds.root)?;
        // An unfinished export whose finish had renamed some of its parts
        // into place: those parts go with it (else a new export would add
        // its records again under another part number).
        if let Some(part) = side_part_number(&ds.side) {
            for f in part_files(&ds.root, part)? {
                durable::remove_file(&f)?;
            }
        }
        durable::remove_dir(&ds.side, &ds.trash)?;
        remove_part_temporaries(&ds.root)?;
        ds.part = next_part_number(&ds.root)?;
        let staging = ds.root.join(".velip-pages.tmp");
        durable::remove_dir(&staging, &ds.trash)?;
        durable::create_dir(&staging)?;
        let part_file = staging.join(PART_FILE);
        fs::write(&part_file, format!("{}\n", ds.part))
            .map_err(ParquetError::io("write", &part_file))?;
        let f = fs::File::open(&part_file).map_err(ParquetError::io("open", &part_file))?;
        durable::sync_file(&f, &part_file)?;
        durable::sync_dir(&staging)?;
        // The side folder appears whole, with its part number, or not at all.
        durable::rename(&staging, &ds.side)?;
        Ok(ds)
    }

    /// Continues the export into `dir` whose checkpoint counts `committed`
    /// pages, as [`ParquetFile::resume`](super::ParquetFile::resume) does.
    ///
    /// # Errors
    /// [`ParquetError::MissingSegments`] when the side folder is gone and
    /// the dataset does not hold this export finished.
    pub fn resume(dir: impl AsRef<Path>, committed: u64) -> Result<Self> {
        Self::resume_with(dir, committed, ParquetOptions::default())
    }

    /// [`resume`](Self::resume) with options.
    pub fn resume_with(
        dir: impl AsRef<Path>,
        committed: u64,
        options: ParquetOptions,
    ) -> Result<Self> {
        let dir = dir.as_ref();
        let mut ds = Self::new(dir, options)?;
        durable::remove_trash(&ds.trash)?;
        if ds.side.is_dir() {
            let part_file = ds.side.join(PART_FILE);
            let text =
                fs::read_to_string(&part_file).map_err(ParquetError::io("read", &part_file))?;
            ds.part = text.trim().parse().map_err(|_| {
                ParquetError::io("read", &part_file)(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    "not a part number",
                ))
            })?;
            for (folder, path) in spool_files(&ds.side)? {
                let mut spool = Spool::open(&path, committed)?;
                if spool.seqs().is_empty() {
                    drop(spool);
                    durable::remove_file(&path)?;
                } else {
                    spool.release();
                    ds.spools.insert(folder, spool);
                }
            }
            remove_part_temporaries(&ds.root)?;
            ds.next = committed;
            return Ok(ds);
        }
        if committed == 0 {
            return Self::create_with(dir, options);
        }
        // Finished already? The newest parts say which export they close.
        if let Some(part) = highest_part_number(&ds.root)? {
            let files = part_files(&ds.root, part)?;
            let done = files
                .first()
                .and_then(|f| footer_value(f, SEGMENTS_KEY))
                .is_some_and(|v| v == committed.to_string());
            if done {
                ds.part = part;
                ds.next = committed;
                ds.finished = Some(dataset_stats(&ds.root, part, files, committed)?);
                return Ok(ds);
            }
        }
        Err(ParquetError::MissingSegments {
            output: ds.root.clone(),
            side: ds.side.clone(),
            committed,
            found: 0,
        })
    }

    fn new(root: &Path, options: ParquetOptions) -> Result<Self> {
        let schema = velip_arrow::schema();
        let file_schema = units::parquet_schema(&schema);
        let date_index = schema.index_of(PARTITION_COLUMN)?;
        let keep: Vec<usize> = (0..schema.fields().len())
            .filter(|&i| i != date_index)
            .collect();
        let part_schema = Arc::new(file_schema.project(&keep)?);
        Ok(Self {
            root: root.to_path_buf(),
            side: root.join(SIDE),
            trash: root.join(TRASH),
            part: 0,
            schema,
            file_schema,
            part_schema,
            date_index,
            props: options.writer_properties(),
            spools: BTreeMap::new(),
            next: 0,
            finished: None,
        })
    }

    /// Writes one page (a batch of [`velip_arrow::schema()`]), split by
    /// date, appended to each date's spool; durable when it returns, like
    /// [`ParquetFile::write_page`](super::ParquetFile::write_page).
    pub fn write_page(&mut self, batch: &RecordBatch) -> Result<SegmentId> {
        if self.finished.is_some() {
            return Err(ParquetError::Finished {
                output: self.root.clone(),
            });
        }
        if batch.schema() != self.schema {
            return Err(ParquetError::SchemaMismatch);
        }
        let seq = self.next;
        let parts = self.split(&units::to_parquet_units(batch, &self.file_schema)?)?;
        // Keep open only the spools this page writes to (pages come newest
        // first, so dates follow one another).
        for (folder, spool) in &mut self.spools {
            if !parts.iter().any(|(f, _)| f == folder) {
                spool.release();
            }
        }
        for (folder, rows) in parts {
            let spool = match self.spools.entry(folder) {
                std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::btree_map::Entry::Vacant(e) => {
                    let path = self.side.join(format!("{}{SPOOL_SUFFIX}", e.key()));
                    e.insert(Spool::create(&path)?)
                }
            };
            spool.append(seq, &rows, &self.props)?;
        }
        self.next += 1;
        Ok(SegmentId(seq))
    }

    /// The page's rows per partition folder name, without the `date`
    /// column. Pages come newest first, so a date's rows are usually one
    /// run: a zero-copy slice; otherwise they are gathered in page order.
    fn split(&self, batch: &RecordBatch) -> Result<Vec<(String, RecordBatch)>> {
        let dates = batch.column(self.date_index).as_primitive::<Date32Type>();
        let mut groups: BTreeMap<Option<i32>, Vec<u32>> = BTreeMap::new();
        for i in 0..batch.num_rows() {
            let key = dates.is_valid(i).then(|| dates.value(i));
            // A batch holds far fewer than u32::MAX rows.
            groups
                .entry(key)
                .or_default()
                .push(u32::try_from(i).unwrap_or(u32::MAX));
        }
        let mut out = Vec::with_capacity(groups.len());
        for (date, rows) in groups {
            let first = rows[0] as usize;
            let contiguous = rows
                .iter()
                .enumerate()
                .all(|(k, &r)| r as usize == first + k);
            let part = if contiguous {
                batch.slice(first, rows.len())
            } else {
                arrow_select::take::take_record_batch(batch, &UInt32Array::from(rows))?
            };
            let mut columns = part.columns().to_vec();
            columns.remove(self.date_index);
            let part = RecordBatch::try_new(Arc::clone(&self.part_schema), columns)?;
            out.push((partition_folder(date), part));
        }
        Ok(out)
    }

    /// Pages written and durable so far: the number a checkpoint stores.
    pub fn segments(&self) -> u64 {
        self.next
    }

    /// The dataset folder.
    pub fn path(&self) -> &Path {
        &self.root
    }

    /// The hidden side folder holding the pages until [`finish`](Self::finish)
    /// (`DIR/.velip-pages`).
    pub fn side_path(&self) -> &Path {
        &self.side
    }

    /// This export's part number.
    pub fn part(&self) -> u32 {
        self.part
    }

    /// Whether the export is complete (see [`resume`](Self::resume)).
    pub fn is_finished(&self) -> bool {
        self.finished.is_some()
    }

    /// Writes each date's part file from its segments (without decoding),
    /// durably and renamed into place, then removes the side folder.
    pub fn finish(self) -> Result<DatasetStats> {
        if let Some(stats) = self.finished {
            return Ok(stats);
        }
        let name = part_name(self.part);
        let kv = [
            KeyValue::new(SEGMENTS_KEY.to_owned(), self.next.to_string()),
            KeyValue::new(PART_KEY.to_owned(), self.part.to_string()),
        ];
        let mut stats = DatasetStats {
            root: self.root.clone(),
            part: self.part,
            files: Vec::new(),
            rows: 0,
            segments: self.next,
            bytes: 0,
        };
        for (folder, spool) in &self.spools {
            if spool.seqs().is_empty() {
                continue;
            }
            let target_dir = self.root.join(folder);
            durable::create_dir(&target_dir)?;
            let tmp = target_dir.join(format!(".{name}.tmp"));
            let target = target_dir.join(&name);
            let written =
                concat::concat(spool.entries()?, &self.part_schema, &self.props, &kv, &tmp)?;
            durable::rename(&tmp, &target)?;
            stats.rows += written.rows;
            stats.bytes += written.bytes;
            stats.files.push(target);
        }
        drop(self.spools);
        durable::remove_dir(&self.side, &self.trash)?;
        Ok(stats)
    }
}

/// `date=2026-11-20`, or `date=__HIVE_DEFAULT_PARTITION__` for no date.
fn partition_folder(date: Option<i32>) -> String {
    match date.and_then(Date32Type::to_naive_date_opt) {
        Some(d) => format!("{PARTITION_COLUMN}={}", d.format("%Y-%m-%d")),
        None => format!("{PARTITION_COLUMN}={NULL_PARTITION}"),
    }
}

/// The part number kept in an unfinished export's side folder, if any.
fn side_part_number(side: &Path) -> Option<u32> {
    fs::read_to_string(side.join(PART_FILE))
        .ok()?
        .trim()
        .parse()
        .ok()
}

pub(crate) fn part_name(part: u32) -> String {
    format!("part-{part:05}.parquet")
}

fn parse_part_name(name: &str) -> Option<u32> {
    name.strip_prefix("part-")?
        .strip_suffix(".parquet")?
        .parse()
        .ok()
}

/// The partition folders (`date=...`) directly under `dir`, sorted.
fn partitions(dir: &Path) -> Result<Vec<PathBuf>> {
    let prefix = format!("{PARTITION_COLUMN}=");
    let mut out = Vec::new();
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(ParquetError::io("list", dir)(e)),
    };
    for entry in entries {
        let entry = entry.map_err(ParquetError::io("list", dir))?;
        let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
        if is_dir && entry.file_name().to_string_lossy().starts_with(&prefix) {
            out.push(entry.path());
        }
    }
    out.sort();
    Ok(out)
}

/// The spools in the side folder: `(partition folder name, path)`.
fn spool_files(side: &Path) -> Result<Vec<(String, PathBuf)>> {
    let prefix = format!("{PARTITION_COLUMN}=");
    let mut out = Vec::new();
    let entries = fs::read_dir(side).map_err(ParquetError::io("list", side))?;
    for entry in entries {
        let entry = entry.map_err(ParquetError::io("list", side))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some(folder) = name.strip_suffix(SPOOL_SUFFIX)
            && folder.starts_with(&prefix)
        {
            out.push((folder.to_owned(), entry.path()));
        }
    }
    out.sort();
    Ok(out)
}

/// The highest part number among `DIR/date=*/part-NNNNN.parquet`.
fn highest_part_number(root: &Path) -> Result<Option<u32>> {
    let mut highest = None;
    for partition in partitions(root)? {
        let entries = fs::read_dir(&partition).map_err(ParquetError::io("list", &partition))?;
        for entry in entries {
            let entry = entry.map_err(ParquetError::io("list", &partition))?;
            if let Some(n) = parse_part_name(&entry.file_name().to_string_lossy()) {
                highest = highest.max(Some(n));
            }
        }
    }
    Ok(highest)
}

fn next_part_number(root: &Path) -> Result<u32> {
    Ok(highest_part_number(root)?.map_or(0, |n| n.saturating_add(1)))
}

/// The files of part `part`, in date order.
fn part_files(root: &Path, part: u32) -> Result<Vec<PathBuf>> {
    let name = part_name(part);
    Ok(partitions(root)?
        .into_iter()
        .map(|p| p.join(&name))
        .filter(|p| p.is_file())
        .collect())
}

/// Removes `.part-NNNNN.parquet.tmp` files a crash during finish left.
fn remove_part_temporaries(root: &Path) -> Result<()> {
    for partition in partitions(root)? {
        let entries = fs::read_dir(&partition).map_err(ParquetError::io("list", &partition))?;
        for entry in entries {
            let entry = entry.map_err(ParquetError::io("list", &partition))?;
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if name.starts_with(".part-") && name.ends_with(".parquet.tmp") {
                durable::remove_file(&entry.path())?;
            }
        }
    }
    Ok(())
}

fn dataset_stats(
    root: &Path,
    part: u32,
    files: Vec<PathBuf>,
    segments: u64,
) -> Result<DatasetStats> {
    let mut rows = 0;
    let mut bytes = 0;
    for f in &files {
        let file = fs::File::open(f).map_err(ParquetError::io("open", f))?;
        let meta = parquet::file::metadata::ParquetMetaDataReader::new()
            .parse_and_finish(&file)
            .map_err(ParquetError::format(f))?;
        rows += u64::try_from(meta.file_metadata().num_rows()).unwrap_or(0);
        bytes += file.metadata().map_err(ParquetError::io("stat", f))?.len();
    }
    Ok(DatasetStats {
        root: root.to_path_buf(),
        part,
        files,
        rows,
        segments,
        bytes,
    })
}
