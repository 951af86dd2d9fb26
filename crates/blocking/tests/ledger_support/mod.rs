//! Helpers shared by the ledger tests (included with `mod ledger_support;`).
#![allow(dead_code, unreachable_pub, clippy::missing_panics_doc)] // test helpers: panicking is the point

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use url::Url;
use velip_blocking::ledger::{Account, Clock, Credential, Ledger, Limits};
use velip_core::Secret;

/// A token shaped like a real one (30 characters).
pub const TOKEN: &str = "SBXFULL000sandbox0full0numbers";
/// Another one.
pub const OTHER_TOKEN: &str = "SBXMASK000sandbox0mask0numbers";

/// A clock that moves only when told to (or when a wait sleeps on it).
#[derive(Debug)]
pub struct ManualClock(Mutex<SystemTime>);

impl ManualClock {
    /// At `t`.
    pub fn at(t: SystemTime) -> Arc<Self> {
        Arc::new(Self(Mutex::new(t)))
    }

    /// At 2026-11-20 10:00:00 in São Paulo (13:00 UTC).
    pub fn morning() -> Arc<Self> {
        Self::at(SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_179_600))
    }

    pub fn advance(&self, d: Duration) {
        *self.0.lock().unwrap() += d;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> SystemTime {
        *self.0.lock().unwrap()
    }
    fn sleep(&self, d: Duration) {
        self.advance(d);
    }
}

pub fn url(s: &str) -> Url {
    Url::parse(s).unwrap()
}

/// The production host.
pub fn velip() -> Url {
    url("https://vox.velip.com.br")
}

/// An account of `token` on `base`.
pub fn account(ledger: &Ledger, base: &Url, token: &str, limits: Limits) -> Account {
    ledger.account(base, Credential::Token(&Secret::new(token)), limits)
}

/// Every file under `dir`, recursively.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                todo.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Unix permission bits of `path`.
#[cfg(unix)]
pub fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}
