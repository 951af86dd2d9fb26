//! Durable file updates: a file replaced whole (temporary file, fsync,
//! rename, fsync of the folder), so a crash leaves the old one or the new
//! one, never half of either.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;

use crate::StoreError;

/// Replaces `path` with `bytes`, durably.
pub(crate) fn replace(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    replace_with(path, bytes, &OpenOptions::new())
}

/// [`replace`] with the new file made by `options` (e.g. private).
fn replace_with(path: &Path, bytes: &[u8], options: &OpenOptions) -> Result<(), StoreError> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = std::path::PathBuf::from(tmp);
    let mut f = options
        .clone()
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
/// [`load_json`]). State is private to the user, as the quota ledger is:
/// on Unix the file is made `0600` and the folders it creates `0700`.
///
/// # Errors
/// [`StoreError::Io`].
pub fn save_json<T: serde::Serialize>(path: &Path, value: &T) -> Result<(), StoreError> {
    let bytes = serde_json::to_vec_pretty(value)
        .map_err(|e| StoreError::io(path, std::io::Error::other(e)))?;
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        let mut dirs = std::fs::DirBuilder::new();
        dirs.recursive(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt as _;
            dirs.mode(0o700);
        }
        dirs.create(parent).map_err(|e| StoreError::io(parent, e))?;
    }
    let mut options = OpenOptions::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    replace_with(path, &bytes, &options)
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt as _;

    #[test]
    fn state_files_are_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("push").join("abc.json");
        super::save_json(&path, &serde_json::json!({"a": 1})).unwrap();
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(path.parent().unwrap()), 0o700);
        assert_eq!(
            super::load_json::<serde_json::Value>(&path)
                .unwrap()
                .unwrap()["a"],
            1
        );
    }
}
