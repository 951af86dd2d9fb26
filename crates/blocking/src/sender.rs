//! [`Sender`]: sends one request with retries, under the authentication
//! lock-out, logging each attempt with secrets masked. Every operation of
//! the [`Client`](crate::Client) and every page of a walk goes through it.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use velip_core::{DecodeOptions, Page, Query};

use crate::answer::{self, Fetched};
use crate::credentials::Credentials;
use crate::ledger::{self, Account, Ledger, Limits, Refusal, Scope, WaitError};
use crate::quota::{RateLimitPolicy, WaitCallback, WaitNotice};
use crate::retry::{self, InterruptCheck, Operation, RetryPolicy};
use crate::transport::{Failure, Phase, Transport};
use crate::{Error, NotSent};

/// The quota and ban protection of a client: the ledger shared by the
/// user's processes, the policy when it refuses, the job's budget.
pub(crate) struct QuotaSettings {
    pub(crate) ledger: Ledger,
    pub(crate) limits: Limits,
    pub(crate) policy: RateLimitPolicy,
    pub(crate) on_wait: Option<WaitCallback>,
    pub(crate) max_requests: Option<u64>,
}

/// The shared state behind a client and its walks.
pub(crate) struct Sender {
    pub(crate) transport: Transport,
    pub(crate) retry: RetryPolicy,
    pub(crate) interrupt: Option<InterruptCheck>,
    pub(crate) token_in_body: bool,
    pub(crate) user_agent: String,
    pub(crate) options: DecodeOptions,
    pub(crate) quota: QuotaSettings,
    base_url: url::Url,
    /// Requests sent so far (that may have reached the service).
    sent: AtomicU64,
    auth: Mutex<AuthState>,
}

/// The credentials in use and the lock-out after an authentication failure.
struct AuthState {
    credentials: Credentials,
    /// The ledger's view of these credentials on this service.
    account: Account,
    /// Bumped whenever credentials are replaced.
    generation: u64,
    /// The authentication error that locked these credentials out.
    locked: Option<Error>,
}

fn ledger_credential(c: &Credentials) -> ledger::Credential<'_> {
    match c {
        Credentials::Token { token, .. } => ledger::Credential::Token(token),
        Credentials::Basic { user, password } => ledger::Credential::Basic { user, password },
        Credentials::None => ledger::Credential::None,
    }
}

impl fmt::Debug for Sender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let auth = self.lock_auth();
        f.debug_struct("Client")
            .field("transport", &self.transport)
            .field("credentials", &auth.credentials)
            .field("locked_out", &auth.locked.is_some())
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

/// The refusal of a request with credentials locked out in this process.
fn lockout_refusal(e: &Error) -> Error {
    Error::NotSent(NotSent::Ledger(Refusal::LockedOut {
        since: std::time::SystemTime::now(),
        code: e.api_code().unwrap_or_default().to_owned(),
        message: e
            .api_error()
            .map_or_else(|| e.to_string(), |a| a.message().to_owned()),
    }))
}

impl Sender {
    /// Asks the ledger (and the budget) whether a request may go, waiting
    /// per the policy; counts it when it may.
    fn permit(
        &self,
        account: &Account,
        scope: Scope,
        interrupt: Option<&InterruptCheck>,
    ) -> Result<ledger::Permit, Error> {
        if let Some(limit) = self.quota.max_requests
            && self.sent.load(Ordering::SeqCst) >= limit
        {
            return Err(Error::NotSent(NotSent::Budget { limit }));
        }
        let permit = match self.quota.policy {
            RateLimitPolicy::Fail => account
                .ask(scope)
                .map_err(|r| Error::NotSent(NotSent::Ledger(r)))?,
            RateLimitPolicy::Wait { max_wait } => {
                let stop = || interrupt.is_some_and(|f| f());
                let on_wait = self.quota.on_wait.clone();
                account
                    .ask_waiting(scope, max_wait, &stop, &mut |why, w| {
                        let notice = WaitNotice {
                            reason: why.to_string(),
                            until: w.until,
                            remaining: w.remaining,
                            waited: w.waited,
                        };
                        match &on_wait {
                            Some(f) => f(&notice),
                            None if w.waited.is_zero() => log::info!(
                                target: "velip",
                                "{}: waiting {} s",
                                notice.reason,
                                notice.remaining.as_secs()
                            ),
                            None => {}
                        }
                    })
                    .map_err(|e| match e {
                        WaitError::Interrupted => Error::Interrupted,
                        WaitError::Refused(r) => Error::NotSent(NotSent::Ledger(r)),
                    })?
            }
        };
        self.sent.fetch_add(1, Ordering::SeqCst);
        Ok(permit)
    }

    #[allow(clippy::too_many_arguments)] // the parts of a built client
    pub(crate) fn new(
        transport: Transport,
        credentials: Credentials,
        retry: RetryPolicy,
        interrupt: Option<InterruptCheck>,
        user_agent: String,
        options: DecodeOptions,
        quota: QuotaSettings,
    ) -> Self {
        let token_in_body = matches!(credentials, Credentials::Token { in_body: true, .. });
        let base_url = url::Url::parse(transport.endpoint())
            .unwrap_or_else(|_| url::Url::parse(crate::DEFAULT_BASE_URL).expect("valid default"));
        let account =
            quota
                .ledger
                .account(&base_url, ledger_credential(&credentials), quota.limits);
        Self {
            transport,
            retry,
            interrupt,
            token_in_body,
            user_agent,
            options,
            quota,
            base_url,
            sent: AtomicU64::new(0),
            auth: Mutex::new(AuthState {
                credentials,
                account,
                generation: 0,
                locked: None,
            }),
        }
    }

    /// Requests sent so far by this client and its clones (those that may
    /// have reached the service).
    pub(crate) fn requests_sent(&self) -> u64 {
        self.sent.load(Ordering::SeqCst)
    }

    /// The ledger's view of the current credentials.
    pub(crate) fn account(&self) -> Account {
        self.lock_auth().account.clone()
    }

    /// Clears the authentication lock-out of the current credentials, here
    /// and in the ledger; whether there was one.
    pub(crate) fn reset_lockout(&self) -> bool {
        let mut a = self.lock_auth();
        let here = a.locked.take().is_some();
        let shared = a.account.reset_lockout();
        if here || shared {
            a.generation += 1;
        }
        here || shared
    }

    fn lock_auth(&self) -> MutexGuard<'_, AuthState> {
        self.auth.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The authentication error that locked the current credentials out.
    pub(crate) fn lockout(&self) -> Option<Error> {
        self.lock_auth().locked.clone()
    }

    /// Replaces the credentials and clears the lock-out, unless they are
    /// the very credentials that failed.
    pub(crate) fn replace_credentials(&self, c: Credentials) {
        let mut a = self.lock_auth();
        if a.locked.is_some() && a.credentials == c {
            log::debug!(target: "velip", "credentials unchanged; the authentication lock-out stays");
            return;
        }
        a.account =
            self.quota
                .ledger
                .account(&self.base_url, ledger_credential(&c), self.quota.limits);
        a.credentials = c;
        a.generation += 1;
        a.locked = None;
    }

    /// Polls the interrupt check.
    pub(crate) fn check_interrupt(&self) -> Result<(), Error> {
        if self.interrupt.as_ref().is_some_and(|f| f()) {
            return Err(Error::Interrupted);
        }
        Ok(())
    }

    /// Sends `query` with retries; the page it answers or the error.
    pub(crate) fn execute(&self, query: &Query, op: Operation) -> Result<Page, Error> {
        self.send(query, op, self.interrupt.as_ref(), true, None)?
            .decode()
    }

    /// Sends `query` with retries like [`Sender::execute`], but a successful
    /// answer comes back undecoded when its head can be read alone. For
    /// background fetches: `stop` takes the place of the client's interrupt
    /// check (the waiting caller polls that one itself) and is polled the
    /// same way, so a stopped fetch ends within 100 ms, in flight or
    /// waiting to retry. `buffer`: where to read the answer's body (a spare
    /// one from an earlier page).
    pub(crate) fn fetch_undecoded(
        &self,
        query: &Query,
        buffer: Vec<u8>,
        stop: &InterruptCheck,
    ) -> Result<Fetched, Error> {
        self.send(query, Operation::Read, Some(stop), true, Some(buffer))
    }

    /// The retry loop. `interrupt` stops waits; with `abandon_in_flight`
    /// it also abandons a request in flight.
    fn send(
        &self,
        query: &Query,
        op: Operation,
        interrupt: Option<&InterruptCheck>,
        abandon_in_flight: bool,
        mut defer: Option<Vec<u8>>,
    ) -> Result<Fetched, Error> {
        let deferring = defer.is_some();
        let (credentials, generation, account) = {
            let a = self.lock_auth();
            if let Some(e) = &a.locked {
                let refused = lockout_refusal(e);
                // The app asked for a request that is not sent: a warning.
                log::warn!(target: "velip", "{refused}");
                return Err(refused);
            }
            (a.credentials.clone(), a.generation, a.account.clone())
        };
        let mut scope = Scope::for_request(query.request_kind());
        let mut scrubber = credentials.scrubber();
        if let Some(pw) = query.webhook().and_then(|w| w.password()) {
            scrubber.push(pw.clone());
        }

        let mut form = form_urlencoded::Serializer::new(String::new());
        for (k, v) in query.to_form_pairs() {
            form.append_pair(k, &v);
        }
        let mut shown: Vec<String> = query
            .to_redacted_pairs()
            .into_iter()
            .map(|(k, v)| format!("{k}={}", scrubber.text(&v)))
            .collect();
        if let Credentials::Token {
            token,
            in_body: true,
        } = &credentials
        {
            form.append_pair("tsid", token.expose());
            shown.push("tsid=***".to_owned());
        }
        let body = form.finish();
        let authorization = credentials.authorization();
        let params = shown.join("&");
        let policy = &self.retry;
        let max = policy.max_attempts();
        let path = self.transport.path();

        let mut attempt = 0;
        loop {
            attempt += 1;
            if interrupt.is_some_and(|f| f()) {
                return Err(Error::Interrupted);
            }
            let mut permit = self.permit(&account, scope, interrupt)?;
            let started = Instant::now();
            let outcome = match interrupt.filter(|_| abandon_in_flight).map(|f| &**f) {
                None => self.transport.post_form_into(
                    &body,
                    authorization.as_deref(),
                    defer.take().unwrap_or_default(),
                ),
                // With an interrupt check, a request in flight is abandoned
                // on interrupt instead of running to its deadline.
                Some(check) => {
                    match self.transport.post_form_interruptible(
                        &body,
                        authorization.as_deref(),
                        defer.take().unwrap_or_default(),
                        check,
                    ) {
                        Ok(Some(answer)) => Ok(answer),
                        Ok(None) => {
                            log::debug!(target: "velip", "POST {path}: interrupted while in flight");
                            return Err(Error::Interrupted);
                        }
                        Err(f) => Err(f),
                    }
                }
            };
            let elapsed = started.elapsed();
            let (result, phase) = match outcome {
                Ok(answer) => {
                    log::debug!(
                        target: "velip",
                        "POST {path} [{params}] auth={} -> HTTP {} attempt {attempt}/{max} in {} ms",
                        credentials.mode(),
                        answer.status,
                        elapsed.as_millis()
                    );
                    (
                        answer::triage(answer, &scrubber, self.options, deferring),
                        None,
                    )
                }
                Err(Failure {
                    kind,
                    phase,
                    message,
                }) => {
                    let message = scrubber.text(&message).into_owned();
                    log::debug!(
                        target: "velip",
                        "POST {path} [{params}] auth={} -> {kind} error attempt {attempt}/{max} in {} ms",
                        credentials.mode(),
                        elapsed.as_millis()
                    );
                    (Err(Error::Transport { kind, message }), Some(phase))
                }
            };
            // Tell the ledger how it ended (a connection that could not
            // be made was never a request).
            match &result {
                Ok(fetched) => {
                    if let (velip_core::RequestKind::CorrelationLookup, Fetched::Decoded(p)) =
                        (query.request_kind(), fetched)
                    {
                        scope = Scope::for_request(
                            query.request_kind().for_match_count(p.records.len()),
                        );
                        permit.reclassify(scope);
                    }
                    account.tell(permit, ledger::Answer::Ok);
                }
                Err(Error::Transport { .. }) if phase == Some(Phase::Connect) => {
                    self.sent.fetch_sub(1, Ordering::SeqCst);
                    account.tell(permit, ledger::Answer::NotSent);
                }
                Err(e) => match e.api_error() {
                    Some(api) => account.tell(permit, ledger::Answer::from_api_error(api)),
                    None => account.tell(permit, ledger::Answer::Ok),
                },
            }
            let err = match result {
                Ok(page) => return Ok(page),
                Err(e) => e,
            };
            if err.is_authentication() {
                let mut a = self.lock_auth();
                if a.generation == generation && a.locked.is_none() {
                    a.locked = Some(err.clone());
                }
                // Returned to the app as the error: information only.
                log::info!(target: "velip", "authentication failed; not retrying, and no further requests will be sent with these credentials: {err}");
                return Err(err);
            }
            let Some(delay) = retry::delay(&err, phase, op, attempt, policy) else {
                return Err(err);
            };
            log::info!(
                target: "velip",
                "POST {path}: {err}; retrying in {:.1} s (attempt {}/{max})",
                delay.as_secs_f64(),
                attempt + 1
            );
            retry::wait(delay, interrupt)?;
        }
    }
}
