//! The per-user fingerprint key: 32 random bytes in `fingerprint.key`
//! (`0600`) in the state folder, made on first use.

use std::fmt;
use std::io;
use std::path::Path;

use super::files;

/// The key file's name in the state folder.
pub(crate) const KEY_FILE: &str = "fingerprint.key";
/// The lock serializing its creation.
const KEY_LOCK: &str = "fingerprint.lock";
const KEY_LEN: usize = 32;

/// The HMAC key of credential fingerprints. `Debug` never shows it.
#[derive(Clone)]
pub(crate) struct Key([u8; KEY_LEN]);

impl Key {
    #[cfg(test)]
    pub(crate) fn from_bytes(bytes: [u8; KEY_LEN]) -> Self {
        Self(bytes)
    }

    /// A fresh random key from the operating system's generator.
    pub(crate) fn random() -> io::Result<Self> {
        let mut bytes = [0u8; KEY_LEN];
        getrandom::fill(&mut bytes).map_err(|e| io::Error::other(e.to_string()))?;
        Ok(Self(bytes))
    }

    /// A constant key, when the system has no random source: only for
    /// records that never leave this process's memory.
    pub(crate) fn fixed_fallback() -> Self {
        Self([0x5a; KEY_LEN])
    }

    pub(crate) fn bytes(&self) -> &[u8] {
        &self.0
    }

    /// Reads the key in `dir`, making it when missing. A key file of the
    /// wrong length (torn, edited) is replaced by a new key with a warning:
    /// fingerprints made with the old one, and their lock-outs, no longer
    /// match.
    pub(crate) fn load_or_create(dir: &Path) -> io::Result<Self> {
        let path = dir.join(KEY_FILE);
        if let Some(bytes) = files::read_optional(&path)?
            && let Ok(k) = <[u8; KEY_LEN]>::try_from(bytes.as_slice())
        {
            return Ok(Self(k));
        }
        let _lock = files::lock_exclusive(&dir.join(KEY_LOCK))?;
        // Another process may have made it while we waited for the lock.
        match files::read_optional(&path)? {
            Some(bytes) => {
                if let Ok(k) = <[u8; KEY_LEN]>::try_from(bytes.as_slice()) {
                    return Ok(Self(k));
                }
                log::warn!(
                    target: "velip",
                    "the fingerprint key {} is unreadable ({} bytes, expected {KEY_LEN}); making a new one \
                     (lock-outs recorded under the old key no longer apply)",
                    path.display(),
                    bytes.len()
                );
            }
            None => log::debug!(target: "velip", "making the fingerprint key {}", path.display()),
        }
        let key = Self::random()?;
        files::replace(&path, &key.0)?;
        Ok(key)
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Key(***)")
    }
}
