//! [`Sender`]: sends one request with retries, under the authentication
//! lock-out, logging each attempt with secrets masked. Every operation of
//! the [`Client`](crate::Client) and every page of a walk goes through it.

use std::fmt;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use velip_core::{DecodeOptions, Page, Query};

use crate::Error;
use crate::answer::{self, Fetched};
use crate::credentials::Credentials;
use crate::retry::{self, InterruptCheck, Operation, RetryPolicy};
use crate::transport::{Failure, Transport};

/// The shared state behind a client and its walks.
pub(crate) struct Sender {
    pub(crate) transport: Transport,
    pub(crate) retry: RetryPolicy,
    pub(crate) interrupt: Option<InterruptCheck>,
    pub(crate) token_in_body: bool,
    pub(crate) user_agent: String,
    pub(crate) options: DecodeOptions,
    auth: Mutex<AuthState>,
}

/// The credentials in use and the lock-out after an authentication failure.
struct AuthState {
    credentials: Credentials,
    /// Bumped whenever credentials are replaced.
    generation: u64,
    /// The authentication error that locked these credentials out.
    locked: Option<Error>,
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

impl Sender {
    pub(crate) fn new(
        transport: Transport,
        credentials: Credentials,
        retry: RetryPolicy,
        interrupt: Option<InterruptCheck>,
        user_agent: String,
        options: DecodeOptions,
    ) -> Self {
        let token_in_body = matches!(credentials, Credentials::Token { in_body: true, .. });
        Self {
            transport,
            retry,
            interrupt,
            token_in_body,
            user_agent,
            options,
            auth: Mutex::new(AuthState {
                credentials,
                generation: 0,
                locked: None,
            }),
        }
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
        self.send(query, op, self.interrupt.as_ref(), None)?
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
        self.send(query, Operation::Read, Some(stop), Some(buffer))
    }

    /// The retry loop.
    fn send(
        &self,
        query: &Query,
        op: Operation,
        interrupt: Option<&InterruptCheck>,
        mut defer: Option<Vec<u8>>,
    ) -> Result<Fetched, Error> {
        let deferring = defer.is_some();
        let (credentials, generation) = {
            let a = self.lock_auth();
            if let Some(e) = &a.locked {
                log::debug!(target: "velip", "refusing to send: these credentials failed authentication ({e})");
                return Err(e.clone());
            }
            (a.credentials.clone(), a.generation)
        };
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
            let started = Instant::now();
            let outcome = match interrupt.map(|f| &**f) {
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
            let err = match result {
                Ok(page) => return Ok(page),
                Err(e) => e,
            };
            if err.is_authentication() {
                let mut a = self.lock_auth();
                if a.generation == generation && a.locked.is_none() {
                    a.locked = Some(err.clone());
                }
                log::warn!(target: "velip", "authentication failed; not retrying, and no further requests will be sent with these credentials: {err}");
                return Err(err);
            }
            let Some(delay) = retry::delay(&err, phase, op, attempt, policy) else {
                return Err(err);
            };
            log::warn!(
                target: "velip",
                "POST {path}: {err}; retrying in {:.1} s (attempt {}/{max})",
                delay.as_secs_f64(),
                attempt + 1
            );
            retry::wait(delay, interrupt)?;
        }
    }
}
