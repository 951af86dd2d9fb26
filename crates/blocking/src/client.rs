//! [`Client`]: the operations, the retry loop, the authentication lock-out,
//! secret scrubbing and request logging.

use std::borrow::Cow;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use velip_core::decode::{AnswerHead, ResponseError, decode_response, peek_head};
use velip_core::query::PageSize;
use velip_core::{ApiError, CallId, CallRecord, Cursor, Page, Query, Secret, ValidationError};

use crate::config::{ClientBuilder, Credentials};
use crate::paging::CallIter;
use crate::retry::{self, InterruptCheck, RetryPolicy};
use crate::transport::{Answer, Failure, Phase, Transport, TransportSettings};
use crate::{Error, TransportKind};

/// The synchronous Velip client.
///
/// Cheap to clone (an `Arc` inside), `Send + Sync`; all clones share one
/// connection pool, the credentials and the authentication lock-out.
///
/// Every request is a form-encoded `POST` to
/// `<base>/api/v2/GetCallStatus.php`; the token goes in the `Authorization`
/// header (or the `tsid` body field), never in a URL. Each attempt is logged
/// at `debug` level on the `velip` target (method, path, parameters with
/// secrets masked, status, attempt, elapsed time), each retry at `warn`.
///
/// ```no_run
/// use velip_blocking::Client;
/// use velip_core::Query;
///
/// let client = Client::builder().token("your-30-character-token-here00").build()?;
/// let query = Query::builder().campaign_id(555).build()?;
/// for call in client.list_calls(query) {
///     let call = call?;
///     println!("{} {:?}", call.call_id, call.status);
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    transport: Transport,
    retry: RetryPolicy,
    interrupt: Option<InterruptCheck>,
    token_in_body: bool,
    user_agent: String,
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

/// Whether an operation may be re-sent after it may have reached the
/// service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Operation {
    /// A read: retried per the policy.
    Read,
    /// A webhook push: retried only when it cannot have reached the service.
    Push,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let auth = self.lock_auth();
        f.debug_struct("Client")
            .field("transport", &self.inner.transport)
            .field("credentials", &auth.credentials)
            .field("locked_out", &auth.locked.is_some())
            .field("retry", &self.inner.retry)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A builder with the defaults (base URL `https://vox.velip.com.br`,
    /// connect timeout 10 s, deadline 60 s, 3 attempts).
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    pub(crate) fn from_parts(
        settings: TransportSettings,
        credentials: Credentials,
        retry: RetryPolicy,
        interrupt: Option<InterruptCheck>,
    ) -> Result<Self, Error> {
        let transport = Transport::new(&settings)?;
        let token_in_body = matches!(credentials, Credentials::Token { in_body: true, .. });
        Ok(Self {
            inner: Arc::new(Inner {
                transport,
                retry,
                interrupt,
                token_in_body,
                user_agent: settings.user_agent,
                auth: Mutex::new(AuthState {
                    credentials,
                    generation: 0,
                    locked: None,
                }),
            }),
        })
    }

    /// The `User-Agent` sent: `velip/<version>` and the suffix, if any.
    pub fn user_agent(&self) -> &str {
        &self.inner.user_agent
    }

    /// The endpoint URL requests go to.
    pub fn endpoint(&self) -> &str {
        self.inner.transport.endpoint()
    }

    /// The retry policy.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.inner.retry
    }

    /// The authentication error that locked the current credentials out,
    /// if any (see [`Error::Authentication`]).
    pub fn auth_lockout(&self) -> Option<Error> {
        self.lock_auth().locked.clone()
    }

    /// One call by id (`cd_id`): `42_123456` or bare digits.
    ///
    /// # Errors
    /// [`Error::Validation`] for a malformed id (nothing sent);
    /// [`Error::NotFound`] when the answer holds no record with that id; any
    /// request error.
    pub fn get_call(&self, call_id: &str) -> Result<CallRecord, Error> {
        let query = Query::builder().call_id(call_id).build()?;
        let wanted = query.call_id().cloned();
        let page = self.execute(&query, Operation::Read)?;
        let found =
            wanted.and_then(|w| page.records.into_iter().find(|r| same_call(&r.call_id, &w)));
        found.ok_or_else(|| Error::NotFound {
            call_id: call_id.trim().to_owned(),
        })
    }

    /// Every call with this correlation id (`ctid`); several calls may share
    /// one. Pages through all matches (see [`Client::list_calls`]).
    ///
    /// # Errors
    /// [`Error::Validation`] for an empty id, the literal `null` or control
    /// characters (nothing sent); any request error.
    pub fn find_calls(&self, correlation_id: &str) -> Result<Vec<CallRecord>, Error> {
        let query = Query::builder().correlation_id(correlation_id).build()?;
        self.list_calls(query).collect()
    }

    /// Every call the query selects, as an iterator that fetches pages as
    /// needed. See [`CallIter`] for the paging guarantees (page size always
    /// sent, cursor passed back verbatim, each call id at most once,
    /// resumable after an error).
    pub fn list_calls(&self, query: Query) -> CallIter {
        CallIter::new(self.clone(), with_page_size(query))
    }

    /// One page: the query as given, starting at its cursor (`last_id`) if
    /// it has one. Resume a walk by building the next query with
    /// [`Page::next_cursor`] (`Query::with_cursor`). When the query has no
    /// page size, the server maximum (5000) is sent, so the answer always
    /// carries pagination.
    ///
    /// # Errors
    /// Any request error.
    pub fn list_page(&self, query: &Query) -> Result<Page, Error> {
        self.execute(&with_page_size(query.clone()), Operation::Read)
    }

    /// Asks the service to deliver the selected calls to the query's webhook
    /// (`rurl` and options) and returns the service's answer.
    ///
    /// Never retried once the request may have reached the service (only
    /// failures to connect are retried), so a delivery is never triggered
    /// twice by the client.
    ///
    /// # Errors
    /// [`Error::Validation`] when the query has no webhook; any request
    /// error.
    pub fn push_to_webhook(&self, query: &Query) -> Result<Page, Error> {
        if query.webhook().is_none() {
            return Err(ValidationError::single(
                "webhook",
                "rurl",
                "push_to_webhook needs a query with a webhook (rurl)",
            )
            .into());
        }
        self.execute(query, Operation::Push)
    }

    /// Replaces the credentials with a token (sent the way the builder
    /// chose: header or `tsid`), and clears an authentication lock-out
    /// (setting the very token that failed keeps it).
    /// Surrounding whitespace is trimmed; inner whitespace is refused.
    ///
    /// # Errors
    /// [`Error::Config`] for an empty token or one with inner whitespace or
    /// control characters (the token is not quoted); the old credentials
    /// stay in place.
    pub fn set_token(&self, token: impl Into<Secret>) -> Result<(), Error> {
        let c = Credentials::Token {
            token: token.into(),
            in_body: self.inner.token_in_body,
        }
        .normalized()?;
        self.replace_credentials(c);
        Ok(())
    }

    /// Replaces the credentials with HTTP Basic ones and clears an
    /// authentication lock-out (setting the very credentials that failed
    /// keeps it).
    ///
    /// # Errors
    /// [`Error::Config`] for an empty user, a user with `:` or control
    /// characters, or a password with control characters.
    pub fn set_basic_auth(&self, user: &str, password: impl Into<Secret>) -> Result<(), Error> {
        let c = Credentials::basic(user, password).normalized()?;
        self.replace_credentials(c);
        Ok(())
    }

    fn replace_credentials(&self, c: Credentials) {
        let mut a = self.lock_auth();
        if a.locked.is_some() && a.credentials == c {
            // The very credentials that failed: the lock-out stays.
            log::debug!(target: "velip", "credentials unchanged; the authentication lock-out stays");
            return;
        }
        a.credentials = c;
        a.generation += 1;
        a.locked = None;
    }

    /// Whether the client was built without any credentials.
    pub(crate) fn has_no_credentials(&self) -> bool {
        matches!(self.lock_auth().credentials, Credentials::None)
    }

    fn lock_auth(&self) -> std::sync::MutexGuard<'_, AuthState> {
        self.inner
            .auth
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Polls the interrupt check.
    pub(crate) fn check_interrupt(&self) -> Result<(), Error> {
        if self.inner.interrupt.as_ref().is_some_and(|f| f()) {
            return Err(Error::Interrupted);
        }
        Ok(())
    }

    /// Sends `query` with retries; the heart of every operation.
    pub(crate) fn execute(&self, query: &Query, op: Operation) -> Result<Page, Error> {
        self.send(query, op, self.inner.interrupt.as_ref(), None)?
            .decode()
    }

    /// Sends `query` with retries like [`Client::execute`], but a successful
    /// answer comes back [`Undecoded`]: its `return` object read, its
    /// records not yet (see [`Undecoded::decode`]). Walks use it to request
    /// the next page before decoding this one. No interrupt check: for
    /// background fetches, whose waiting caller polls the check itself.
    /// `buffer`: where to read the answer's body (a spare one from an
    /// earlier page, so a walk does not allocate a few MiB per page).
    pub(crate) fn fetch_undecoded(&self, query: &Query, buffer: Vec<u8>) -> Result<Fetched, Error> {
        self.send(query, Operation::Read, None, Some(buffer))
    }

    /// The retry loop. With `defer` (a body buffer to read into), a
    /// successful answer comes back undecoded when its head can be read on
    /// its own.
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
        let mut secrets = credentials.secrets();
        if let Some(pw) = query.webhook().and_then(|w| w.password()) {
            secrets.push(pw.clone());
        }

        let mut form = form_urlencoded::Serializer::new(String::new());
        for (k, v) in query.to_form_pairs() {
            form.append_pair(k, &v);
        }
        let mut shown: Vec<String> = query
            .to_redacted_pairs()
            .into_iter()
            .map(|(k, v)| format!("{k}={}", scrub_str(&v, &secrets)))
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
        let policy = &self.inner.retry;
        let max = policy.max_attempts();
        let path = self.inner.transport.path();

        let mut attempt = 0;
        loop {
            attempt += 1;
            if interrupt.is_some_and(|f| f()) {
                return Err(Error::Interrupted);
            }
            let started = Instant::now();
            let outcome = match interrupt.map(|f| &**f) {
                None => self.inner.transport.post_form_into(
                    &body,
                    authorization.as_deref(),
                    defer.take().unwrap_or_default(),
                ),
                // With an interrupt check, a request in flight is abandoned
                // on interrupt instead of running to its deadline.
                Some(check) => match self.inner.transport.post_form_interruptible(
                    &body,
                    authorization.as_deref(),
                    check,
                ) {
                    Ok(Some(answer)) => Ok(answer),
                    Ok(None) => {
                        log::debug!(target: "velip", "POST {path}: interrupted while in flight");
                        return Err(Error::Interrupted);
                    }
                    Err(f) => Err(f),
                },
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
                    (triage(answer, &secrets, deferring), None)
                }
                Err(Failure {
                    kind,
                    phase,
                    message,
                }) => {
                    let message = scrub_str(&message, &secrets).into_owned();
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
            let Some(delay) = retry_delay(&err, phase, op, attempt, policy) else {
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

/// The query with a page size: the server maximum (5000) when it has none.
fn with_page_size(query: Query) -> Query {
    if query.page_size().is_some() {
        query
    } else {
        query.with_page_size(Some(PageSize::ServerMax))
    }
}

/// Same call: same number, and same alias when both have one.
fn same_call(a: &CallId, b: &CallId) -> bool {
    a.number() == b.number()
        && match (a.alias(), b.alias()) {
            (Some(x), Some(y)) => x == y,
            _ => true,
        }
}

/// How long to wait before the next attempt, or `None` to give up.
fn retry_delay(
    err: &Error,
    phase: Option<Phase>,
    op: Operation,
    attempt: u32,
    policy: &RetryPolicy,
) -> Option<Duration> {
    if attempt >= policy.max_attempts() {
        return None;
    }
    if op == Operation::Push {
        // Only when the request cannot have reached the service.
        return match (err, phase) {
            (
                Error::Transport {
                    kind: TransportKind::Connect | TransportKind::Timeout,
                    ..
                },
                Some(Phase::Connect),
            ) => Some(policy.backoff(attempt)),
            _ => None,
        };
    }
    match err {
        Error::Transport { kind, .. } => match (kind, phase) {
            // A deadline spent receiving the body is not spent again.
            (TransportKind::Timeout, Some(Phase::Body)) => None,
            (TransportKind::Connect | TransportKind::Reset | TransportKind::Timeout, _) => {
                Some(policy.backoff(attempt))
            }
            _ => None,
        },
        Error::Server {
            status: 500 | 502 | 503 | 504,
            ..
        } => Some(policy.backoff(attempt)),
        Error::RateLimited(e) => e.retry_after().filter(|d| *d <= policy.max_retry_wait()),
        _ => None,
    }
}

/// A successful answer, decoded or not yet (see [`Client::fetch_undecoded`]).
pub(crate) enum Fetched {
    Decoded(Page),
    Undecoded(Undecoded),
}

impl Fetched {
    /// The page, decoding it now if needed.
    pub(crate) fn decode(self) -> Result<Page, Error> {
        match self {
            Self::Decoded(page) => Ok(page),
            Self::Undecoded(u) => u.decode(),
        }
    }

    /// The cursor of the page after this one, when the answer says there is
    /// one.
    pub(crate) fn next_cursor(&self) -> Option<&Cursor> {
        match self {
            Self::Decoded(page) => page.next_cursor(),
            Self::Undecoded(u) => u.head.next_cursor(),
        }
    }
}

/// An answer whose head says success (HTTP 2xx, `status_code` `"0"`) and
/// whose records are not decoded yet.
pub(crate) struct Undecoded {
    answer: Answer,
    secrets: Vec<Secret>,
    head: AnswerHead,
}

impl Undecoded {
    /// Decodes the records (a [`Error::Decode`] when one cannot be read).
    pub(crate) fn decode(self) -> Result<Page, Error> {
        self.decode_keeping_body().0
    }

    /// [`Undecoded::decode`], handing back the body's buffer for reuse.
    pub(crate) fn decode_keeping_body(self) -> (Result<Page, Error>, Vec<u8>) {
        let page = interpret(&self.answer, &self.secrets);
        (page, self.answer.body)
    }
}

/// [`interpret`], or with `defer`, a successful answer handed back
/// undecoded when its head says success on its own.
fn triage(answer: Answer, secrets: &[Secret], defer: bool) -> Result<Fetched, Error> {
    if defer
        && (200..300).contains(&answer.status)
        && let Some(head) = peek_head(&answer.body).filter(AnswerHead::is_success)
    {
        return Ok(Fetched::Undecoded(Undecoded {
            answer,
            secrets: secrets.to_vec(),
            head,
        }));
    }
    interpret(&answer, secrets).map(Fetched::Decoded)
}

/// Turns an HTTP answer into a page or the error it means; every text
/// quoted from the answer is scrubbed of `secrets` first.
fn interpret(answer: &Answer, secrets: &[Secret]) -> Result<Page, Error> {
    let body = scrub_bytes(&answer.body, secrets);
    let status = answer.status;
    if !(200..500).contains(&status) || (300..400).contains(&status) {
        return Err(Error::Server {
            status,
            snippet: snippet(&body),
        });
    }
    match decode_response(status, answer.retry_after, &body) {
        Ok(page) => Ok(page),
        Err(ResponseError::Api(api)) => Err(Error::from_api(api)),
        Err(ResponseError::Decode(d)) => {
            if matches!(status, 401 | 403 | 429) {
                // An unreadable body (an HTML page from a proxy) still means
                // what the status says.
                Err(Error::from_api(ApiError::from_parts(
                    status,
                    "",
                    &snippet(&body),
                    answer.retry_after,
                )))
            } else {
                Err(Error::Decode(d))
            }
        }
    }
}

/// At most 200 characters of a body, whitespace folded.
fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let folded = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if folded.chars().count() <= 200 {
        folded
    } else {
        let mut s: String = folded.chars().take(199).collect();
        s.push('…');
        s
    }
}

fn scrub_str<'a>(text: &'a str, secrets: &[Secret]) -> Cow<'a, str> {
    let mut out = Cow::Borrowed(text);
    for s in secrets {
        if s.expose().len() >= 4 && out.contains(s.expose()) {
            out = Cow::Owned(s.scrub(&out));
        }
    }
    out
}

/// Replaces every occurrence of each secret (4+ bytes) in `body` with `***`.
fn scrub_bytes<'a>(body: &'a [u8], secrets: &[Secret]) -> Cow<'a, [u8]> {
    let mut out = Cow::Borrowed(body);
    for s in secrets {
        let needle = s.expose().as_bytes();
        if needle.len() < 4 || !contains(&out, needle) {
            continue;
        }
        let mut replaced = Vec::with_capacity(out.len());
        let mut rest: &[u8] = &out;
        while let Some(i) = find(rest, needle) {
            replaced.extend_from_slice(&rest[..i]);
            replaced.extend_from_slice(b"***");
            rest = &rest[i + needle.len()..];
        }
        replaced.extend_from_slice(rest);
        out = Cow::Owned(replaced);
    }
    out
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    match (std::str::from_utf8(hay), std::str::from_utf8(needle)) {
        (Ok(h), Ok(n)) => h.contains(n),
        _ => find(hay, needle).is_some(),
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_is_send_sync() {
        fn check<T: Send + Sync + Clone + 'static>() {}
        check::<Client>();
    }

    #[test]
    fn scrubbing() {
        let secrets = vec![Secret::new("TOKEN123456")];
        let b = scrub_bytes(b"x TOKEN123456 y TOKEN123456\xff", &secrets);
        assert_eq!(&*b, b"x *** y ***\xff");
        assert!(matches!(scrub_bytes(b"clean", &secrets), Cow::Borrowed(_)));
        assert_eq!(scrub_str("aTOKEN123456b", &secrets), "a***b");
    }

    #[test]
    fn server_error_snippet_is_scrubbed() {
        let a = Answer {
            status: 502,
            retry_after: None,
            body: b"<html>\n bad gateway for tsid=TOKEN123456 </html>".to_vec(),
        };
        let e = interpret(&a, &[Secret::new("TOKEN123456")]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "server error (HTTP 502): <html> bad gateway for tsid=*** </html>"
        );
    }

    #[test]
    fn retry_decisions() {
        let p = RetryPolicy::default();
        let t = |kind| Error::Transport {
            kind,
            message: String::new(),
        };
        let read = Operation::Read;
        assert!(
            retry_delay(
                &t(TransportKind::Connect),
                Some(Phase::Connect),
                read,
                1,
                &p
            )
            .is_some()
        );
        assert!(
            retry_delay(
                &t(TransportKind::Timeout),
                Some(Phase::Request),
                read,
                1,
                &p
            )
            .is_some()
        );
        assert!(retry_delay(&t(TransportKind::Timeout), Some(Phase::Body), read, 1, &p).is_none());
        assert!(
            retry_delay(
                &t(TransportKind::Connect),
                Some(Phase::Connect),
                read,
                3,
                &p
            )
            .is_none()
        );
        assert!(
            retry_delay(
                &t(TransportKind::Reset),
                Some(Phase::Request),
                Operation::Push,
                1,
                &p
            )
            .is_none()
        );
        assert!(
            retry_delay(
                &t(TransportKind::Connect),
                Some(Phase::Connect),
                Operation::Push,
                1,
                &p
            )
            .is_some()
        );
        let server = |status| Error::Server {
            status,
            snippet: String::new(),
        };
        assert!(retry_delay(&server(503), None, read, 1, &p).is_some());
        assert!(retry_delay(&server(501), None, read, 1, &p).is_none());
        assert!(retry_delay(&server(503), None, Operation::Push, 1, &p).is_none());
        let rl = |secs: Option<u64>| {
            Error::from_api(ApiError::from_parts(
                429,
                "429",
                "Rate limit exceeded: x",
                secs.map(Duration::from_secs),
            ))
        };
        assert_eq!(
            retry_delay(&rl(Some(1)), None, read, 1, &p),
            Some(Duration::from_secs(1))
        );
        assert_eq!(retry_delay(&rl(Some(61)), None, read, 1, &p), None);
        assert_eq!(retry_delay(&rl(None), None, read, 1, &p), None);
    }
}
