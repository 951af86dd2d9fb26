//! [`Account`]: one service host and credential, as the client uses the
//! ledger: ask before sending, tell after the answer.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use velip_core::Secret;

use super::answer::{self, Answer};
use super::clock::Clock;
use super::decision::{self, Asker, Refusal};
use super::fingerprint::{CredentialMode, Fingerprint};
use super::limits::Limits;
use super::report::{self, AccountReport};
use super::scope::{Permit, Scope};
use super::store::{HostId, Store};
use super::wait::{self, WAIT_POLL_INTERVAL, WaitError, Waiting};

/// The ledger of one account: a service host (`host:port` of the base URL)
/// and a credential (by fingerprint), with the limits it is held to. Made by
/// [`Ledger::account`](super::Ledger::account); cheap to clone; `Debug`
/// shows no secret.
#[derive(Debug, Clone)]
pub struct Account {
    pub(crate) store: Arc<Store>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) id: HostId,
    pub(crate) fingerprint: Fingerprint,
    pub(crate) mode: CredentialMode,
    pub(crate) limits: Limits,
    /// For scrubbing the service's messages (never stored).
    pub(crate) secrets: Arc<[Secret]>,
}

impl Account {
    /// `host:port` of the base URL.
    pub fn host(&self) -> &str {
        &self.id.host
    }

    /// The credential's fingerprint.
    pub fn fingerprint(&self) -> &Fingerprint {
        &self.fingerprint
    }

    /// The kind of credential.
    pub fn mode(&self) -> CredentialMode {
        self.mode
    }

    /// The limits this account is held to.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    fn asker(&self) -> Asker<'_> {
        Asker {
            fingerprint: &self.fingerprint,
            mode: self.mode,
            limits: &self.limits,
        }
    }

    /// Before sending one request (every attempt, retries too: each is a
    /// request the service counts): a [`Permit`], with the request already
    /// counted, or why not. Checking and counting are one locked step, so
    /// processes racing for the last slot never both get it. With the
    /// ledger disabled, always a permit.
    pub fn ask(&self, scope: Scope) -> Result<Permit, Refusal> {
        let now = self.clock.now();
        let who = self.asker();
        match self
            .store
            .update(&self.id, |rec| decision::decide(rec, now, &who, scope))
        {
            None => Ok(Permit {
                scope,
                counted: None,
            }),
            Some(Ok(counted)) => Ok(Permit {
                scope,
                counted: Some(counted),
            }),
            Some(Err(refusal)) => {
                log::debug!(target: "velip", "ledger {}: not sending: {refusal}", self.id.host);
                Err(refusal)
            }
        }
    }

    /// After the request: how it ended (see [`Answer`]). Takes the permit,
    /// so a request is told once.
    #[allow(clippy::needless_pass_by_value)] // consuming the permit is the point
    pub fn tell(&self, permit: Permit, answer: Answer<'_>) {
        if permit.counted.is_none() {
            return;
        }
        let now = self.clock.now();
        let who = self.asker();
        self.store.update(&self.id, |rec| {
            answer::apply(rec, now, &who, &permit, answer, &self.secrets);
        });
    }

    /// [`ask`](Self::ask), waiting while the refusal passes by itself
    /// within `max_wait` (from now): sleeps until the slot frees or the
    /// deadline passes, polling `interrupt` every 100 ms and reporting to
    /// `progress` (why, and how long) when each wait starts and about once
    /// a second; then asks again (another process may have taken the slot).
    /// A lock-out, or a slot that frees later than `max_wait`, is returned
    /// at once, without waiting.
    ///
    /// ```
    /// use std::time::Duration;
    /// use url::Url;
    /// use velip_blocking::ledger::{Credential, Ledger, Limits, Scope};
    /// use velip_core::Secret;
    ///
    /// let ledger = Ledger::in_memory();
    /// let token = Secret::new("SBXFULL000sandbox0full0numbers");
    /// let url = Url::parse("https://vox.velip.com.br").unwrap();
    /// let account = ledger.account(&url, Credential::Token(&token), Limits::default());
    /// let permit = account
    ///     .ask_waiting(Scope::List, Duration::from_secs(600), &|| false, &mut |why, w| {
    ///         eprintln!("{why}: waiting {} s", w.remaining.as_secs());
    ///     })
    ///     .unwrap();
    /// account.tell(permit, velip_blocking::ledger::Answer::Ok);
    /// ```
    pub fn ask_waiting(
        &self,
        scope: Scope,
        max_wait: Duration,
        interrupt: &dyn Fn() -> bool,
        progress: &mut dyn FnMut(&Refusal, &Waiting),
    ) -> Result<Permit, WaitError> {
        let start = self.clock.now();
        let latest = start
            .checked_add(max_wait)
            .unwrap_or(start + Duration::from_secs(100 * 365 * 86_400));
        loop {
            if interrupt() {
                return Err(WaitError::Interrupted);
            }
            let refusal = match self.ask(scope) {
                Ok(permit) => return Ok(permit),
                Err(r) => r,
            };
            let Some(free_at) = refusal.free_at().filter(|&t| t <= latest) else {
                return Err(WaitError::Refused(refusal));
            };
            // Never spin: wait at least one poll interval.
            let until = free_at.max(self.clock.now() + WAIT_POLL_INTERVAL);
            log::debug!(target: "velip", "ledger {}: {refusal}; waiting", self.id.host);
            wait::wait_until(&*self.clock, until, interrupt, &mut |w| {
                progress(&refusal, w);
            })?;
        }
    }

    /// Clears the lock-out of these credentials, and the host's own (an IP
    /// ban, the count of recent authentication failures); whether there was
    /// one. (Other credentials' lock-outs stay; see
    /// [`Ledger::reset_all`](super::Ledger::reset_all).)
    pub fn reset_lockout(&self) -> bool {
        self.store
            .update(&self.id, |rec| {
                let own = rec
                    .credentials
                    .get_mut(self.fingerprint.as_hex())
                    .and_then(|c| c.lockout.take())
                    .is_some();
                let host = rec.ip_ban.take().is_some()
                    | (rec.auth_failures_ms.len() >= super::record::AUTH_FAILURE_LIMIT);
                rec.auth_failures_ms.clear();
                own || host
            })
            .unwrap_or(false)
    }

    /// What the ledger knows about this account now; `None` when the
    /// ledger is disabled.
    pub fn report(&self) -> Option<AccountReport> {
        let rec = self.store.read(&self.id)?;
        Some(report::account_report(
            &rec,
            &self.fingerprint,
            self.mode,
            &self.limits,
            self.clock.now(),
        ))
    }

    /// Sleeps until `until` as [`ask_waiting`](Self::ask_waiting) does
    /// (interruptible, reported); on this account's clock.
    pub fn wait_until(
        &self,
        until: SystemTime,
        interrupt: &dyn Fn() -> bool,
        progress: &mut dyn FnMut(&Waiting),
    ) -> Result<(), super::Interrupted> {
        wait::wait_until(&*self.clock, until, interrupt, progress)
    }
}
