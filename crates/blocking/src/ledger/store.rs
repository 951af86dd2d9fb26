//! Where host records live: files in the state folder, each update one
//! locked read-modify-write, or this process's memory when the folder
//! cannot be used (one warning, never an error), or nowhere (disabled).

use std::collections::HashMap;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

use sha2::{Digest as _, Sha256};
use url::Url;

use super::files;
use super::key::Key;
use super::record::HostRecord;

/// The folder of host records inside the state folder.
const LEDGER_DIR: &str = "ledger";

/// A service host: `host:port` of a base URL, and its file name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct HostId {
    /// `host:port` (IPv6 hosts in brackets).
    pub(crate) host: String,
    /// The file name without extension: the host with characters outside
    /// `[a-z0-9.-]` replaced by `_` (plus a hash of the host when any
    /// was), `_`, the port.
    stem: String,
}

impl HostId {
    pub(crate) fn of_url(url: &Url) -> Self {
        Self::new(
            &url.host_str().unwrap_or("").to_ascii_lowercase(),
            url.port_or_known_default().unwrap_or(0),
        )
    }

    fn new(name: &str, port: u16) -> Self {
        let safe: String = name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let safe = if safe == name && !name.is_empty() && !name.starts_with('.') {
            safe
        } else {
            let h = Sha256::digest(name.as_bytes());
            format!("{safe}-{:02x}{:02x}{:02x}{:02x}", h[0], h[1], h[2], h[3])
        };
        Self {
            host: format!("{name}:{port}"),
            stem: format!("{safe}_{port}"),
        }
    }

    /// The id of a stored `host:port`.
    fn of_stored(host: &str) -> Option<Self> {
        let (name, port) = host.rsplit_once(':')?;
        Some(Self::new(name, port.parse().ok()?))
    }
}

/// Where records go now.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Backend {
    Folder(PathBuf),
    Memory,
    Off,
}

/// The ledger's storage, shared by every [`super::Account`] of a
/// [`super::Ledger`].
pub(crate) struct Store {
    backend: Mutex<Backend>,
    /// Records of the memory backend (also what a degraded folder left).
    memory: Mutex<HashMap<String, HostRecord>>,
    /// The fingerprint key, once read.
    key: Mutex<Option<Key>>,
    // No in-process gate around updates: the file lock, opened anew by each
    // update, serializes threads as well as processes, and no mutex is held
    // across file I/O, so a process forked mid-update (Python's
    // `os.fork()`) finds none locked by a thread it does not have.
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("backend", &*lock(&self.backend))
            .finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// What [`Store::storage`] reports.
pub(crate) enum StorageKind {
    Folder(PathBuf),
    Memory,
    Off,
}

impl Store {
    pub(crate) fn folder(dir: PathBuf) -> Self {
        Self::with(Backend::Folder(dir))
    }

    pub(crate) fn memory() -> Self {
        Self::with(Backend::Memory)
    }

    pub(crate) fn off() -> Self {
        Self::with(Backend::Off)
    }

    fn with(backend: Backend) -> Self {
        Self {
            backend: Mutex::new(backend),
            memory: Mutex::new(HashMap::new()),
            key: Mutex::new(None),
        }
    }

    pub(crate) fn storage(&self) -> StorageKind {
        match &*lock(&self.backend) {
            Backend::Folder(d) => StorageKind::Folder(d.clone()),
            Backend::Memory => StorageKind::Memory,
            Backend::Off => StorageKind::Off,
        }
    }

    fn backend(&self) -> Backend {
        lock(&self.backend).clone()
    }

    /// Switches to memory for the rest of the process, with one warning.
    fn degrade(&self, dir: &Path, what: &str, err: &io::Error) {
        let mut b = lock(&self.backend);
        if matches!(*b, Backend::Folder(_)) {
            *b = Backend::Memory;
            log::warn!(
                target: "velip",
                "the state folder {} cannot be used ({what}: {err}); quota and lock-out records are kept \
                 in this process's memory only, so other processes do not see them \
                 (set VELIP_STATE_DIR to a writable folder, or to `off`)",
                dir.display()
            );
        }
    }

    /// The fingerprint key (made on first use; in memory, a random key for
    /// this process).
    pub(crate) fn key(&self) -> Key {
        let mut k = lock(&self.key);
        if let Some(key) = &*k {
            return key.clone();
        }
        let key = match self.backend() {
            Backend::Folder(dir) => {
                match files::create_private_dir(&dir).and_then(|()| Key::load_or_create(&dir)) {
                    Ok(key) => Some(key),
                    Err(e) => {
                        self.degrade(&dir, "fingerprint key", &e);
                        None
                    }
                }
            }
            Backend::Memory | Backend::Off => None,
        };
        let key = key.unwrap_or_else(|| {
            Key::random().unwrap_or_else(|e| {
                // Only the process's own records then: any key tells its
                // credentials apart.
                log::warn!(target: "velip", "no random source for the fingerprint key ({e})");
                Key::fixed_fallback()
            })
        });
        *k = Some(key.clone());
        key
    }

    /// Runs `f` on the record of `id` and stores the result, as one step no
    /// other thread or process interleaves with. `None` when disabled.
    pub(crate) fn update<R>(&self, id: &HostId, f: impl FnOnce(&mut HostRecord) -> R) -> Option<R> {
        let dir = match self.backend() {
            Backend::Off => return None,
            Backend::Memory => return Some(self.update_memory(id, f)),
            Backend::Folder(dir) => dir,
        };
        let ledger = dir.join(LEDGER_DIR);
        let json = ledger.join(format!("{}.json", id.stem));
        let held = files::create_private_dir(&ledger)
            .and_then(|()| files::lock_exclusive(&ledger.join(format!("{}.lock", id.stem))))
            .and_then(|l| Ok((l, files::read_optional(&json)?)));
        let (_file_lock, bytes) = match held {
            Ok(held) => held,
            Err(e) => {
                self.degrade(&dir, "locking its ledger", &e);
                self.seed_memory(id, &json);
                return Some(self.update_memory(id, f));
            }
        };
        let mut record = decode(bytes.as_deref(), id, &json);
        let out = f(&mut record);
        if let Err(e) = files::replace(&json, &record.to_bytes()) {
            self.degrade(&dir, "writing its ledger", &e);
            lock(&self.memory).insert(id.host.clone(), record);
        }
        Some(out)
    }

    fn update_memory<R>(&self, id: &HostId, f: impl FnOnce(&mut HostRecord) -> R) -> R {
        let mut m = lock(&self.memory);
        f(m.entry(id.host.clone())
            .or_insert_with(|| HostRecord::new(&id.host)))
    }

    /// After a degrade: what the folder held, when it can still be read (a
    /// read-only folder keeps honouring its lock-outs).
    fn seed_memory(&self, id: &HostId, json: &Path) {
        let mut m = lock(&self.memory);
        if !m.contains_key(&id.host)
            && let Ok(Some(bytes)) = files::read_optional(json)
            && let Ok(r) = HostRecord::parse(&bytes, &id.host)
        {
            m.insert(id.host.clone(), r);
        }
    }

    /// The record of `id` as it is now (empty when never written); `None`
    /// when disabled.
    pub(crate) fn read(&self, id: &HostId) -> Option<HostRecord> {
        match self.backend() {
            Backend::Off => None,
            Backend::Memory => Some(
                lock(&self.memory)
                    .get(&id.host)
                    .cloned()
                    .unwrap_or_else(|| HostRecord::new(&id.host)),
            ),
            Backend::Folder(dir) => {
                let ledger = dir.join(LEDGER_DIR);
                let json = ledger.join(format!("{}.json", id.stem));
                Some(read_file(&ledger, id, &json).unwrap_or_else(|| HostRecord::new(&id.host)))
            }
        }
    }

    /// Every host record (for reports and resets).
    pub(crate) fn all(&self) -> Vec<(HostId, HostRecord)> {
        match self.backend() {
            Backend::Off => Vec::new(),
            Backend::Memory => {
                let mut v: Vec<_> = lock(&self.memory)
                    .values()
                    .filter_map(|r| Some((HostId::of_stored(&r.host)?, r.clone())))
                    .collect();
                v.sort_by(|a, b| a.0.host.cmp(&b.0.host));
                v
            }
            Backend::Folder(dir) => {
                let ledger = dir.join(LEDGER_DIR);
                let Ok(entries) = std::fs::read_dir(&ledger) else {
                    return Vec::new();
                };
                let mut v = Vec::new();
                for entry in entries.flatten() {
                    let path = entry.path();
                    if path.extension().is_none_or(|e| e != "json") {
                        continue;
                    }
                    let Some(stem) = path.file_stem().and_then(|s| s.to_str()) else {
                        continue;
                    };
                    // The host is read from the file; a stray file whose
                    // name does not match its host is left alone.
                    let Ok(Some(bytes)) = files::read_optional(&path) else {
                        continue;
                    };
                    let Some(id) = serde_json::from_slice::<HostRecord>(&bytes)
                        .ok()
                        .and_then(|r| HostId::of_stored(&r.host))
                        .filter(|id| id.stem == stem)
                    else {
                        continue;
                    };
                    if let Some(r) = read_file(&ledger, &id, &path) {
                        v.push((id, r));
                    }
                }
                v.sort_by(|a, b| a.0.host.cmp(&b.0.host));
                v
            }
        }
    }
}

/// Reads a record under a shared lock; `None` when absent or unreadable.
fn read_file(ledger: &Path, id: &HostId, json: &Path) -> Option<HostRecord> {
    let _lock = files::lock_shared(&ledger.join(format!("{}.lock", id.stem))).ok()?;
    let bytes = files::read_optional(json).ok()??;
    HostRecord::parse(&bytes, &id.host).ok()
}

/// The stored record, or a new one: an unreadable file (torn, edited, from
/// another version) is rebuilt, with a warning.
fn decode(bytes: Option<&[u8]>, id: &HostId, path: &Path) -> HostRecord {
    let Some(bytes) = bytes else {
        return HostRecord::new(&id.host);
    };
    match HostRecord::parse(bytes, &id.host) {
        Ok(r) => r,
        Err(why) => {
            log::warn!(
                target: "velip",
                "the ledger file {} is unreadable ({why}); rebuilding it (its request counts, \
                 deadlines and lock-outs are lost)",
                path.display()
            );
            HostRecord::new(&id.host)
        }
    }
}
