//! [`Client`]: the operations (get one call, find by correlation id, list
//! with auto-paging, one page, push to a webhook) and credential changes.
//! Sending, retries and the lock-out are the [`Sender`]'s.

use std::fmt;
use std::sync::Arc;

use velip_core::query::{PageSize, ViolationCode};
use velip_core::{CallId, CallRecord, DecodeOptions, Page, Query, Secret, ValidationError};

use crate::Error;
use crate::credentials::Credentials;
use crate::paging::CallIter;
use crate::push::PushWalk;
use crate::retry::{InterruptCheck, Operation, RetryPolicy};
use crate::sender::{QuotaSettings, Sender};
use crate::transport::Transport;

/// The synchronous Velip client.
///
/// Cheap to clone (an `Arc` inside), `Send + Sync`; all clones share one
/// connection pool, the credentials and the authentication lock-out.
///
/// Every request is a form-encoded `POST` to
/// `<base>/api/v2/GetCallStatus.php`; the token goes in the `Authorization`
/// header (or the `tsid` body field), never in a URL. Each attempt is logged
/// at `debug` level on the `velip` target (method, path, parameters with
/// secrets masked, status, attempt, elapsed time), each retry at `info`, a
/// request refused under the lock-out at `warn`.
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
    sender: Arc<Sender>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.sender, f)
    }
}

impl Client {
    /// A builder with the defaults (base URL `https://vox.velip.com.br`,
    /// connect timeout 10 s, deadline 60 s, 3 attempts).
    pub fn builder() -> crate::ClientBuilder {
        crate::ClientBuilder::default()
    }

    pub(crate) fn from_parts(
        transport: Transport,
        user_agent: String,
        credentials: Credentials,
        retry: RetryPolicy,
        interrupt: Option<InterruptCheck>,
        options: DecodeOptions,
        quota: QuotaSettings,
    ) -> Self {
        Self {
            sender: Arc::new(Sender::new(
                transport,
                credentials,
                retry,
                interrupt,
                user_agent,
                options,
                quota,
            )),
        }
    }

    /// Requests this client (and its clones) has sent so far: every
    /// attempt that may have reached the service, retries included.
    pub fn requests_sent(&self) -> u64 {
        self.sender.requests_sent()
    }

    /// What the ledger knows about these credentials on this service: list
    /// requests in the window, lookups today, `Retry-After` deadlines, a
    /// lock-out (`None` when the ledger is off). Shared by every process of
    /// the user.
    pub fn quota_report(&self) -> Option<crate::ledger::AccountReport> {
        self.sender.account().report()
    }

    /// Clears the authentication lock-out of the current credentials, in
    /// this process and in the ledger shared by the user's processes
    /// (`velip auth reset` does the same); whether there was one. Do it
    /// once the credentials are fixed: every further failure counts
    /// towards the service's permanent IP ban.
    pub fn reset_lockout(&self) -> bool {
        self.sender.reset_lockout()
    }

    /// The `User-Agent` sent: `velip/<version>` and the suffix, if any.
    pub fn user_agent(&self) -> &str {
        &self.sender.user_agent
    }

    /// The endpoint URL requests go to.
    pub fn endpoint(&self) -> &str {
        self.sender.transport.endpoint()
    }

    /// The base URL: the endpoint without `/api/v2/GetCallStatus.php`.
    pub fn base_url(&self) -> &str {
        self.endpoint()
            .strip_suffix(crate::ENDPOINT_PATH)
            .map_or(self.endpoint(), |b| b.trim_end_matches('/'))
    }

    /// The retry policy.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.sender.retry
    }

    /// The authentication error that locked the current credentials out,
    /// if any (see [`Error::Authentication`]).
    pub fn auth_lockout(&self) -> Option<Error> {
        self.sender.lockout()
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
        let page = self.sender.execute(&query, Operation::Read)?;
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
        CallIter::new(Arc::clone(&self.sender), with_page_size(query))
    }

    /// Resumes a walk of `query` at `checkpoint` (taken with
    /// [`CallIter::checkpoint`], perhaps in another process and saved with
    /// the data): the walk sends the request the checkpoint names and skips
    /// the records it had already yielded, so nothing is written twice and
    /// nothing skipped. Use the same query as the walk that made it.
    ///
    /// ```no_run
    /// # use velip_blocking::{Client, WalkCheckpoint};
    /// # use velip_core::Query;
    /// # let client = Client::builder().token("your-30-character-token-here00").build()?;
    /// let query = Query::builder().campaign_id(555).build()?;
    /// let mut walk = client.list_calls(query.clone());
    /// let page = walk.next_page().transpose()?;        // write it, then save:
    /// let saved = serde_json::to_string(&walk.checkpoint())?;
    /// // ... later, anywhere:
    /// let cp: WalkCheckpoint = serde_json::from_str(&saved)?;
    /// for call in client.resume_calls(query, &cp) { call?; }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn resume_calls(&self, query: Query, checkpoint: &crate::WalkCheckpoint) -> CallIter {
        CallIter::resume(Arc::clone(&self.sender), &with_page_size(query), checkpoint)
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
        self.sender
            .execute(&with_page_size(query.clone()), Operation::Read)
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
                ViolationCode::WebhookMissing,
                "push_to_webhook needs a query with a webhook (rurl)",
            )
            .into());
        }
        self.sender.execute(query, Operation::Push)
    }

    /// Pushes every call the query selects to its webhook, one request per
    /// page (see [`PushWalk`]): page size 5000 unless the query has one.
    ///
    /// # Errors
    /// [`Error::Validation`] when the query has no webhook.
    pub fn push_calls(&self, query: Query) -> Result<PushWalk, Error> {
        self.resume_push(query, &crate::WalkCheckpoint::start())
    }

    /// Resumes a push at a checkpoint ([`PushWalk::checkpoint`]).
    ///
    /// # Errors
    /// [`Error::Validation`] when the query has no webhook.
    pub fn resume_push(
        &self,
        query: Query,
        checkpoint: &crate::WalkCheckpoint,
    ) -> Result<PushWalk, Error> {
        if query.webhook().is_none() {
            return Err(ValidationError::single(
                "webhook",
                "rurl",
                ViolationCode::WebhookMissing,
                "a push needs a query with a webhook (rurl)",
            )
            .into());
        }
        Ok(PushWalk::new(
            Arc::clone(&self.sender),
            &with_page_size(query),
            checkpoint,
        ))
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
            in_body: self.sender.token_in_body,
        }
        .normalized()?;
        self.sender.replace_credentials(c);
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
        self.sender.replace_credentials(c);
        Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_is_send_sync() {
        fn check<T: Send + Sync + Clone + 'static>() {}
        check::<Client>();
    }
}
