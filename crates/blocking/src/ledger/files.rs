//! Private, crash-safe files: folders made `0700`, files `0600`, a file
//! replaced by writing a temporary copy, fsyncing it and renaming it over the
//! old one (so a reader sees the old or the new content, never half), and
//! the lock files that serialize every update across processes (std's
//! `File::lock`, an OS advisory lock: `flock` on Unix, `LockFileEx` on
//! Windows).

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write as _};
use std::path::Path;

/// Creates `dir` and its missing parents, `0700` on Unix (folders that
/// already exist keep their permissions).
pub(crate) fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut b = fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        b.mode(0o700);
    }
    b.create(dir)
}

/// Options that create a file readable by its owner only (`0600` on Unix).
fn private_options() -> OpenOptions {
    let mut o = OpenOptions::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        o.mode(0o600);
    }
    o
}

/// A lock held on a lock file, released when dropped.
///
/// Released explicitly (not only by closing the file): a process forked
/// while the lock is held shares the open file, and closing it here alone
/// would leave the lock to the child until the child closes it too.
#[derive(Debug)]
pub(crate) struct FileLock(File);

impl Drop for FileLock {
    fn drop(&mut self) {
        let _ = self.0.unlock();
    }
}

/// An exclusive lock on `path` (created empty when missing; it is never
/// written or replaced, so every process locks the same file). Each call
/// opens the file anew, so it also excludes the other threads of this
/// process.
pub(crate) fn lock_exclusive(path: &Path) -> io::Result<FileLock> {
    let f = private_options()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)?;
    f.lock()?;
    Ok(FileLock(f))
}

/// A shared lock on `path` for reading, or `None` when the lock file does
/// not exist yet (nothing was ever written there).
pub(crate) fn lock_shared(path: &Path) -> io::Result<Option<FileLock>> {
    match File::open(path) {
        Ok(f) => {
            f.lock_shared()?;
            Ok(Some(FileLock(f)))
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Reads `path`, or `None` when it does not exist.
pub(crate) fn read_optional(path: &Path) -> io::Result<Option<Vec<u8>>> {
    match fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Replaces `path` with `bytes` crash-safely: `<path>.tmp` written and
/// fsynced, renamed over `path`, the folder fsynced. Call it under the lock
/// that guards `path` (the temporary name is fixed).
pub(crate) fn replace(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut tmp_name = path.as_os_str().to_owned();
    tmp_name.push(".tmp");
    let tmp = Path::new(&tmp_name);
    {
        let mut f = private_options()
            .write(true)
            .create(true)
            .truncate(true)
            .open(tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    fs::rename(tmp, path)?;
    // The rename itself reaches the disk with the folder; not every
    // platform can open a folder, and the data is safe either way.
    if let Some(dir) = path.parent()
        && let Ok(d) = File::open(dir)
    {
        let _ = d.sync_all();
    }
    Ok(())
}
