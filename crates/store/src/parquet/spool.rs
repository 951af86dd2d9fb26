//! The spool: an append-only file of committed pages, each a complete
//! Parquet file (one row group) behind a small header, kept hidden next to
//! the output until the export finishes.
//!
//! ```text
//! entry  = "VSEG" | seq: u64 LE | len: u64 LE | len bytes of a Parquet file
//! ```
//!
//! Appending a page is one `write` and one `fdatasync`, the same cost as a
//! CSV export's flush per page; no file is created or renamed per page. A
//! crash can leave only a torn tail after the last durable entry, which
//! [`Spool::open`] cuts off together with every entry the checkpoint does
//! not count. `seq` is the page's number in the export (a dataset's spools
//! hold the pages that had records of their date), so the checkpoint's
//! page count says which entries to keep.

use std::fs::{File, OpenOptions};
use std::io::{BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use arrow_array::RecordBatch;
use bytes::Bytes;
use parquet::arrow::ArrowWriter;
use parquet::file::properties::WriterProperties;

use super::durable;
use super::error::{ParquetError, Result};

const MAGIC: &[u8; 4] = b"VSEG";
const HEADER: usize = 4 + 8 + 8;

/// The position of a committed page among an export's pages, from 0.
///
/// Store [`SegmentId::count`] in the checkpoint that counts the page, and
/// pass it back to `resume`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SegmentId(pub(crate) u64);

impl SegmentId {
    /// The page's sequence number, 0 for the first page of the export.
    pub fn index(self) -> u64 {
        self.0
    }

    /// Pages committed once this one is: `index() + 1`, the number a
    /// checkpoint stores and `resume` takes.
    pub fn count(self) -> u64 {
        self.0 + 1
    }
}

/// An open spool, positioned at its end.
#[derive(Debug)]
pub(crate) struct Spool {
    path: PathBuf,
    /// Open while pages are being appended; [`Spool::release`] closes it
    /// (a dataset keeps only the spools of the current page's dates open).
    file: Option<File>,
    len: u64,
    /// `seq` of every entry, in order.
    seqs: Vec<u64>,
}

impl Spool {
    /// A new, empty spool at `path` (replacing any), durable.
    pub(crate) fn create(path: &Path) -> Result<Self> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)
            .map_err(ParquetError::io("create", path))?;
        durable::sync_file(&file, path)?;
        durable::sync_dir(durable::parent(path))?;
        Ok(Self {
            path: path.to_path_buf(),
            file: Some(file),
            len: 0,
            seqs: Vec::new(),
        })
    }

    /// Opens the spool at `path` keeping only the entries a checkpoint
    /// counting `committed` pages counts (`seq < committed`): later entries
    /// and a torn tail are cut off, durably.
    pub(crate) fn open(path: &Path, committed: u64) -> Result<Self> {
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .map_err(ParquetError::io("open", path))?;
        let size = file
            .metadata()
            .map_err(ParquetError::io("stat", path))?
            .len();
        let mut seqs = Vec::new();
        let mut keep = 0u64;
        let mut reader = BufReader::new(&mut file);
        let mut header = [0u8; HEADER];
        while keep + HEADER as u64 <= size {
            reader
                .read_exact(&mut header)
                .map_err(ParquetError::io("read", path))?;
            let (magic, rest) = header.split_at(4);
            let (seq, len) = rest.split_at(8);
            let seq = u64::from_le_bytes(seq.try_into().unwrap_or_default());
            let len = u64::from_le_bytes(len.try_into().unwrap_or_default());
            let end = keep + HEADER as u64 + len;
            if magic != MAGIC || end > size || seq >= committed {
                break;
            }
            reader
                .seek_relative(i64::try_from(len).unwrap_or(i64::MAX))
                .map_err(ParquetError::io("read", path))?;
            seqs.push(seq);
            keep = end;
        }
        drop(reader);
        if keep != size {
            file.set_len(keep)
                .map_err(ParquetError::io("truncate", path))?;
            durable::sync_file(&file, path)?;
        }
        file.seek(SeekFrom::Start(keep))
            .map_err(ParquetError::io("seek", path))?;
        Ok(Self {
            path: path.to_path_buf(),
            file: Some(file),
            len: keep,
            seqs,
        })
    }

    /// Appends `batch` as entry `seq` (a complete Parquet file, one row
    /// group), durably: when this returns, the entry survives a crash.
    /// On an error the entry is cut off again, so the spool is as before.
    pub(crate) fn append(
        &mut self,
        seq: u64,
        batch: &RecordBatch,
        props: &WriterProperties,
    ) -> Result<()> {
        let mut entry = Vec::with_capacity(HEADER + batch.get_array_memory_size() / 4);
        entry.extend_from_slice(MAGIC);
        entry.extend_from_slice(&seq.to_le_bytes());
        entry.extend_from_slice(&0u64.to_le_bytes());
        let mut writer = ArrowWriter::try_new(entry, batch.schema(), Some(props.clone()))
            .map_err(ParquetError::format(&self.path))?;
        if batch.num_rows() > 0 {
            writer
                .write(batch)
                .map_err(ParquetError::format(&self.path))?;
        }
        let mut entry = writer
            .into_inner()
            .map_err(ParquetError::format(&self.path))?;
        let len = (entry.len() - HEADER) as u64;
        entry[12..HEADER].copy_from_slice(&len.to_le_bytes());
        let (path, at) = (&self.path, self.len);
        let file = if let Some(f) = &mut self.file {
            f
        } else {
            let mut f = OpenOptions::new()
                .write(true)
                .open(path)
                .map_err(ParquetError::io("open", path))?;
            f.seek(SeekFrom::Start(at))
                .map_err(ParquetError::io("seek", path))?;
            self.file.insert(f)
        };
        let written = file
            .write_all(&entry)
            .map_err(ParquetError::io("write", path))
            .and_then(|()| file.sync_data().map_err(ParquetError::io("fsync", path)));
        if let Err(e) = written {
            // Leave no torn entry behind (best effort: `open` cuts it too).
            let _ = file.set_len(at);
            let _ = file.seek(SeekFrom::Start(at));
            return Err(e);
        }
        self.len += entry.len() as u64;
        self.seqs.push(seq);
        Ok(())
    }

    /// Closes the file handle; the next append opens it again.
    pub(crate) fn release(&mut self) {
        self.file = None;
    }

    /// `seq` of every entry, in order.
    pub(crate) fn seqs(&self) -> &[u64] {
        &self.seqs
    }

    /// Every entry's Parquet file, in order, read one at a time (memory:
    /// one page's encoded size).
    pub(crate) fn entries(&self) -> Result<Entries<'_>> {
        let file = File::open(&self.path).map_err(ParquetError::io("open", &self.path))?;
        Ok(Entries {
            spool: self,
            reader: BufReader::with_capacity(1 << 20, file),
            left: self.seqs.len(),
        })
    }
}

/// Iterator over a spool's entries (see [`Spool::entries`]).
pub(crate) struct Entries<'a> {
    spool: &'a Spool,
    reader: BufReader<File>,
    left: usize,
}

impl Iterator for Entries<'_> {
    type Item = Result<Bytes>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let path = &self.spool.path;
        let mut header = [0u8; HEADER];
        let read = self
            .reader
            .read_exact(&mut header)
            .map_err(ParquetError::io("read", path))
            .and_then(|()| {
                let len = u64::from_le_bytes(header[12..HEADER].try_into().unwrap_or_default());
                let mut body = vec![0u8; usize::try_from(len).unwrap_or(usize::MAX)];
                self.reader
                    .read_exact(&mut body)
                    .map_err(ParquetError::io("read", path))?;
                Ok(Bytes::from(body))
            });
        Some(read)
    }
}
