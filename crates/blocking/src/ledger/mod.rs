//! The quota and lock-out **ledger**: state that outlives a process.
//!
//! The service bans a client IP for good after repeated authentication
//! failures and counts list requests per client per hour; one process
//! cannot protect the account alone (a cron job with a revoked token, run
//! every minute, is banned within a quarter of an hour). The ledger is a
//! small file per service host in a per-user state folder, shared by every
//! process of the user and updated under an OS file lock. Before a request
//! is sent the ledger is asked ([`Account::ask`]); after the answer it is
//! told ([`Account::tell`]).
//!
//! # Where
//! `VELIP_STATE_DIR` (the value `off` disables the ledger), else
//! `$XDG_STATE_HOME/velip`, else `~/.local/state/velip` ([`StateLocation`]).
//! The folder is made `0700`, its files `0600`:
//!
//! ```text
//! fingerprint.key             32 random bytes: the key of credential fingerprints
//! ledger/<host>_<port>.json   one service host: usage, deadlines, lock-outs
//! ledger/<host>_<port>.lock   the lock every update of it takes
//! ```
//!
//! # What
//! Per service host (`host:port` of the base URL; the service counts per
//! client IP, so every credential on the host shares these): list requests
//! in the sliding window, point lookups per America/Sao_Paulo day (and the
//! daily cap, once a `429` reveals it), the `Retry-After` deadline of the
//! last `429` per [`Scope`]. Per credential, by [`Fingerprint`] (an
//! HMAC-SHA256 under the per-user key): authentication lock-outs (when, the
//! API code, the service's message scrubbed of secrets). **No secret, not
//! even a prefix, is ever written.**
//!
//! # Never in the way
//! Each update is read, change, write-temporary, fsync, rename, under the
//! lock: a crash leaves the old file or the new one. A torn or unreadable
//! file is rebuilt with a warning (target `velip`). A folder that cannot be
//! made, locked or written (read-only, no permission) turns the ledger into
//! this process's memory, with one warning; it never fails a request.
//!
//! ```
//! use url::Url;
//! use velip_blocking::ledger::{Answer, Credential, Ledger, Limits, Refusal, Scope};
//! use velip_core::Secret;
//!
//! let dir = tempfile::tempdir()?;
//! let ledger = Ledger::in_folder(dir.path());
//! let token = Secret::new("SBXFULL000sandbox0full0numbers");
//! let url = Url::parse("https://vox.velip.com.br")?;
//! let account = ledger.account(&url, Credential::Token(&token), Limits::default());
//!
//! let permit = account.ask(Scope::List)?;         // counted: 1 of 200 this hour
//! // ... send the request ...
//! account.tell(permit, Answer::AuthenticationFailed { code: "102", message: "SID not found" });
//!
//! // Every process with this token is now refused, until it is cleared.
//! assert!(matches!(account.ask(Scope::List), Err(Refusal::LockedOut { .. })));
//! assert!(account.reset_lockout());
//! assert_eq!(account.report().unwrap().list.used, 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod account;
mod answer;
mod clock;
mod decision;
mod files;
mod fingerprint;
mod key;
mod limits;
mod location;
mod record;
mod report;
mod scope;
mod scrub;
mod store;
mod wait;

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::SystemTime;

use url::Url;

pub use account::Account;
pub use answer::{Answer, DEFAULT_LIST_RETRY_AFTER, MAX_RETRY_AFTER};
pub use clock::{Clock, SystemClock};
pub use decision::Refusal;
pub use fingerprint::{Credential, CredentialMode, Fingerprint};
pub use limits::{DEFAULT_LIST_REQUESTS, DEFAULT_LIST_WINDOW, Limits, MAX_LIST_WINDOW};
pub use location::{STATE_DIR_ENV, StateLocation};
pub use report::{AccountReport, ListUsage, Lockout, LookupUsage};
pub use scope::{Permit, Scope};
pub use wait::{Interrupted, WAIT_POLL_INTERVAL, WAIT_REPORT_INTERVAL, WaitError, Waiting};

use store::{HostId, StorageKind, Store};

/// The ledger: a handle on the state folder (or on memory, or on nothing),
/// cheap to clone; clones share everything. [`Ledger::shared`] is the one a
/// client uses by default.
#[derive(Debug, Clone)]
pub struct Ledger {
    store: Arc<Store>,
    clock: Arc<dyn Clock>,
}

/// Where a ledger keeps its records now.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Storage {
    /// Files in this state folder, shared by the user's processes.
    Folder(PathBuf),
    /// This process's memory (no home folder, or the folder could not be
    /// used).
    Memory,
    /// Disabled: every request is let through, nothing is recorded.
    Disabled,
}

impl Ledger {
    fn with_store(store: Store) -> Self {
        Self {
            store: Arc::new(store),
            clock: Arc::new(SystemClock),
        }
    }

    /// The ledger the environment names ([`StateLocation::from_env`]). The
    /// folder is made on first use, not here.
    pub fn from_env() -> Self {
        Self::at(StateLocation::from_env())
    }

    /// The ledger at `location` (`Unknown`: in memory, with a warning).
    pub fn at(location: StateLocation) -> Self {
        match location {
            StateLocation::Folder(dir) => Self::in_folder(dir),
            StateLocation::Off => Self::disabled(),
            StateLocation::Unknown => {
                log::warn!(
                    target: "velip",
                    "no home folder and no {STATE_DIR_ENV}: quota and lock-out records are kept in \
                     this process's memory only"
                );
                Self::in_memory()
            }
        }
    }

    /// This process's ledger from the environment, made on first call
    /// (clients share it, and with it one in-memory fallback and one
    /// warning).
    pub fn shared() -> Self {
        static SHARED: OnceLock<Ledger> = OnceLock::new();
        SHARED.get_or_init(Self::from_env).clone()
    }

    /// A ledger in `dir` (made `0700` on first use).
    pub fn in_folder(dir: impl Into<PathBuf>) -> Self {
        Self::with_store(Store::folder(dir.into()))
    }

    /// A ledger in this process's memory only.
    pub fn in_memory() -> Self {
        Self::with_store(Store::memory())
    }

    /// No ledger: every [`Account::ask`] gives a permit, nothing is stored.
    pub fn disabled() -> Self {
        Self::with_store(Store::off())
    }

    /// The same ledger read on another clock (tests).
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Where records go now ([`Storage::Memory`] once a folder failed).
    pub fn storage(&self) -> Storage {
        match self.store.storage() {
            StorageKind::Folder(d) => Storage::Folder(d),
            StorageKind::Memory => Storage::Memory,
            StorageKind::Off => Storage::Disabled,
        }
    }

    /// The account of `base_url`'s host and port and `credential`, held to
    /// `limits`. Reads (or makes) the fingerprint key once per ledger.
    pub fn account(&self, base_url: &Url, credential: Credential<'_>, limits: Limits) -> Account {
        let id = HostId::of_url(base_url);
        let fingerprint = Fingerprint::of(&self.store.key(), &id.host, &credential);
        Account {
            store: Arc::clone(&self.store),
            clock: Arc::clone(&self.clock),
            id,
            fingerprint,
            mode: credential.mode(),
            limits,
            secrets: credential.secrets().into(),
        }
    }

    /// Every account the ledger knows (each credential seen on each host,
    /// with the limits last used there), sorted by host.
    pub fn snapshot(&self) -> Vec<AccountReport> {
        let now = self.clock.now();
        self.store
            .all()
            .iter()
            .flat_map(|(_, rec)| report::host_reports(rec, now))
            .collect()
    }

    /// Clears every lock-out of every credential on every host; how many
    /// there were. Request counts and `Retry-After` deadlines stay: they
    /// mirror the service's own counters, which no reset here clears.
    pub fn reset_all(&self) -> usize {
        let mut cleared = 0;
        for (id, _) in self.store.all() {
            cleared += self
                .store
                .update(&id, |rec| {
                    let host = usize::from(rec.ip_ban.take().is_some());
                    rec.auth_failures_ms.clear();
                    host + rec
                        .credentials
                        .values_mut()
                        .filter_map(|c| c.lockout.take())
                        .count()
                })
                .unwrap_or(0);
        }
        cleared
    }

    /// Sleeps until `until` on this ledger's clock, polling `interrupt`
    /// every 100 ms and calling `progress` when the wait starts and about
    /// once a second.
    ///
    /// ```
    /// use std::time::{Duration, SystemTime};
    /// use velip_blocking::ledger::{Interrupted, Ledger};
    /// let ledger = Ledger::disabled();
    /// let until = SystemTime::now() + Duration::from_secs(60);
    /// // An interrupt (Ctrl-C) ends it early.
    /// assert_eq!(ledger.wait_until(until, &|| true, &mut |_| {}), Err(Interrupted));
    /// ```
    pub fn wait_until(
        &self,
        until: SystemTime,
        interrupt: &dyn Fn() -> bool,
        progress: &mut dyn FnMut(&Waiting),
    ) -> Result<(), Interrupted> {
        wait::wait_until(&*self.clock, until, interrupt, progress)
    }
}
