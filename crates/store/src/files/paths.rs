//! Where an export to a file writes: the output and its side files, checked
//! before anything is sent.

use std::path::{Path, PathBuf};

use crate::StoreError;

/// The files of an export to `out`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportPaths {
    /// The output, written last (renamed from `partial`).
    pub out: PathBuf,
    /// `OUT.partial`: the data while the export runs.
    pub partial: PathBuf,
    /// `OUT.checkpoint.json`: where the export continues.
    pub checkpoint: PathBuf,
    /// `OUT.rejected.jsonl`: entries without a readable call id.
    pub rejected: PathBuf,
}

/// Name of a dataset export's checkpoint inside its folder (hidden: every
/// reader of Hive-style datasets skips names starting with `.`).
pub(crate) const DATASET_CHECKPOINT: &str = ".velip-export.checkpoint.json";
/// Folder of a dataset export's rejected entries inside the dataset
/// (`_rejected/part-00003.jsonl`: the `**/*.parquet` globs of Spark, Hive,
/// Trino, pyarrow and `DuckDB` skip it).
pub(crate) const DATASET_REJECTED: &str = "_rejected";

/// Refuses standard output as the place of an export.
fn not_stdout(out: &Path) -> Result<(), StoreError> {
    if out.as_os_str() == "-" {
        return Err(StoreError::Output(
            "an export writes a file it can resume, not `-` (standard output): give a file name, or use `velip calls list` to print calls"
                .to_owned(),
        ));
    }
    Ok(())
}

impl ExportPaths {
    /// The files of an export to `out`, after checking that `out` can be
    /// written: not a folder (`--out .`), in a folder that exists, not
    /// standard output (`-`: a stream cannot be resumed), not a device, pipe
    /// or socket (the output is renamed into place, which would replace
    /// `/dev/null` or a FIFO with a file). A symbolic link is followed: the
    /// export is written (and renamed into place) next to the file it names,
    /// and the link is kept.
    ///
    /// # Errors
    /// [`StoreError::Output`] saying what is wrong with `out`.
    pub fn for_output(out: &Path) -> Result<Self, StoreError> {
        not_stdout(out)?;
        let ends_like_folder = out
            .as_os_str()
            .to_string_lossy()
            .ends_with(std::path::MAIN_SEPARATOR)
            || out.file_name().is_none();
        if ends_like_folder || out.is_dir() {
            return Err(StoreError::Output(format!(
                "{} is a folder: give a file name such as {}",
                out.display(),
                Path::new(out).join("calls.csv").display()
            )));
        }
        let out = &resolve_link(out)?;
        if let Ok(meta) = std::fs::metadata(out)
            && !meta.is_file()
        {
            return Err(StoreError::Output(format!(
                "{} is not a regular file (a device, pipe or socket): an export writes {}.partial and \
                 renames it into place; give a file name, or stream with `velip calls list`",
                out.display(),
                out.display()
            )));
        }
        let parent = match out.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        if !parent.is_dir() {
            return Err(StoreError::Output(format!(
                "the folder {} does not exist (create it first)",
                parent.display()
            )));
        }
        let with = |suffix: &str| {
            let mut s = out.as_os_str().to_owned();
            s.push(suffix);
            PathBuf::from(s)
        };
        Ok(Self {
            out: out.clone(),
            partial: with(".partial"),
            checkpoint: with(".checkpoint.json"),
            rejected: with(".rejected.jsonl"),
        })
    }

    /// The files of a date-partitioned dataset export into the folder
    /// `dir` (`--partition-by date --out DIR`), after checking that `dir`
    /// can be used: not a file, not standard output, and in a folder that
    /// exists (`dir` itself is created when missing).
    ///
    /// `out` is `dir`; `partial` the hidden side folder holding the pages
    /// until the export finishes (`DIR/.velip-pages`); `checkpoint`
    /// `DIR/.velip-export.checkpoint.json`; `rejected` the folder
    /// `DIR/_rejected`, where each export writes `part-NNNNN.jsonl`, named
    /// like its Parquet parts ([`FileExport::paths`](super::FileExport::paths)
    /// names the file).
    ///
    /// # Errors
    /// [`StoreError::Output`] saying what is wrong with `dir`.
    pub fn for_dataset(dir: &Path) -> Result<Self, StoreError> {
        not_stdout(dir)?;
        if dir.exists() && !dir.is_dir() {
            return Err(StoreError::Output(format!(
                "{} is a file: --partition-by date writes a folder of Parquet files (give a folder name such as calls/)",
                dir.display()
            )));
        }
        if !dir.is_dir() {
            let parent = match dir.parent() {
                Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
                _ => PathBuf::from("."),
            };
            if !parent.is_dir() {
                return Err(StoreError::Output(format!(
                    "the folder {} does not exist (create it first)",
                    parent.display()
                )));
            }
        }
        Ok(Self {
            out: dir.to_path_buf(),
            partial: dir.join(crate::parquet::DATASET_SIDE_FOLDER),
            checkpoint: dir.join(DATASET_CHECKPOINT),
            rejected: dir.join(DATASET_REJECTED),
        })
    }
}

/// `out`, or the file it names when it is a symbolic link (resolved
/// through every link; the named file may not exist yet).
fn resolve_link(out: &Path) -> Result<PathBuf, StoreError> {
    let mut path = out.to_path_buf();
    for _ in 0..40 {
        match std::fs::symlink_metadata(&path) {
            Ok(m) if m.file_type().is_symlink() => {
                let target = std::fs::read_link(&path).map_err(|e| StoreError::io(&path, e))?;
                path = match path.parent() {
                    Some(dir) if target.is_relative() => dir.join(target),
                    _ => target,
                };
            }
            _ => return Ok(path),
        }
    }
    Err(StoreError::Output(format!(
        "{} is a symbolic link in a loop",
        out.display()
    )))
}
