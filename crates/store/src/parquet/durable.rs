//! Making writes durable: fsync a file, rename it into place, fsync the
//! folder that holds the name. Once these return, a crash (of the process
//! or the machine) cannot take the data back.

use std::fs::{self, File};
use std::path::Path;

use super::error::{ParquetError, Result};

/// Flushes `file`'s data and metadata to disk.
pub(crate) fn sync_file(file: &File, path: &Path) -> Result<()> {
    file.sync_all().map_err(ParquetError::io("fsync", path))
}

/// Makes the names in `dir` (a file created, renamed or removed) durable.
/// A no-op where folders cannot be opened (Windows: renames there are
/// durable once `MoveFileEx` returns with write-through).
pub(crate) fn sync_dir(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        let d = File::open(dir).map_err(ParquetError::io("open folder", dir))?;
        d.sync_all()
            .map_err(ParquetError::io("fsync folder", dir))?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Renames `from` to `to` (replacing `to`) and makes the new name durable.
pub(crate) fn rename(from: &Path, to: &Path) -> Result<()> {
    fs::rename(from, to).map_err(ParquetError::io("rename", from))?;
    sync_dir(parent(to))
}

/// Creates `dir` and its parents if needed, making a new folder durable in
/// its parent.
pub(crate) fn create_dir(dir: &Path) -> Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    if let Some(p) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        create_dir(p)?;
    }
    match fs::create_dir(dir) {
        Ok(()) => sync_dir(parent(dir)),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && dir.is_dir() => Ok(()),
        Err(e) => Err(ParquetError::io("create folder", dir)(e)),
    }
}

/// Removes a folder and everything in it, if it exists: first renamed to
/// `trash` (one atomic step, made durable), then deleted, so a crash never
/// leaves it half deleted under its own name.
pub(crate) fn remove_dir(dir: &Path, trash: &Path) -> Result<()> {
    remove_trash(trash)?;
    if dir.exists() {
        rename(dir, trash)?;
        remove_trash(trash)?;
    }
    Ok(())
}

/// Deletes a folder left by [`remove_dir`] (a crash in the middle of it).
pub(crate) fn remove_trash(trash: &Path) -> Result<()> {
    match fs::remove_dir_all(trash) {
        Ok(()) => sync_dir(parent(trash)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(ParquetError::io("remove", trash)(e)),
    }
}

/// Removes a file if it exists (durably).
pub(crate) fn remove_file(path: &Path) -> Result<()> {
    match fs::remove_file(path) {
        Ok(()) => sync_dir(parent(path)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(ParquetError::io("remove", path)(e)),
    }
}

/// The folder holding `path` (`.` for a bare file name).
pub(crate) fn parent(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}
