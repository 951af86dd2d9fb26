//! Durable file updates: a file replaced whole (temporary file, fsync,
//! rename, fsync of the folder), so a crash leaves the old one or the new
//! one, never half of either.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;

use crate::StoreError;

/// Replaces `path` with `bytes`, durably.
pub(crate) fn replace(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = std::path::PathBuf::from(tmp);
    let mut f = OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(true)
        .open(&tmp)
        .map_err(|e| StoreError::io(&tmp, e))?;
    f.write_all(bytes)
        .and_then(|()| f.sync_all())
        .map_err(|e| StoreError::io(&tmp, e))?;
    drop(f);
    std::fs::rename(&tmp, path).map_err(|e| StoreError::io(path, e))?;
    sync_parent(path)
}

/// Makes a rename or a new file in `path`'s folder durable.
pub(crate) fn sync_parent(path: &Path) -> Result<(), StoreError> {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    // Folders can be opened read-only and synced on Unix; elsewhere this is
    // a best effort.
    match File::open(parent) {
        Ok(d) => {
            let _ = d.sync_all();
            Ok(())
        }
        Err(e) => Err(StoreError::io(parent, e)),
    }
}

/// Reads a JSON state file written by [`save_json`]; `None` when there is
/// none.
///
/// # Errors
/// [`StoreError::Io`], or [`StoreError::Checkpoint`] for a file that is not
/// such JSON.
pub fn load_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<Option<T>, StoreError> {
    match std::fs::read(path) {
        Ok(b) => serde_json::from_slice(&b).map(Some).map_err(|e| {
            StoreError::Checkpoint(format!(
                "{} cannot be read ({e}); start over with --restart",
                path.display()
            ))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(StoreError::io(path, e)),
    }
}

/// Replaces the JSON state file `path` with `value`, durably (see
/// [`load_json`]).
///
/// # Errors
/// [`StoreError::Io`].
pub fn save_json<T: serde::Serialize>(path: &Path, value: &T) -> Result<(), StoreError> {
    let bytes = serde_json::to_vec_pretty(value)
        .map_err(|e| StoreError::io(path, std::io::Error::other(e)))?;
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| StoreError::io(parent, e))?;
    }
    replace(path, &bytes)
}
