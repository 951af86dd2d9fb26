//! The one [`Error`] type of the client, its [`ErrorKind`], and
//! [`TransportKind`], [`PagingError`], [`ConfigError`].

use std::time::Duration;

use velip_core::{ApiError, ApiErrorKind, DecodeError, ResponseError, ValidationError};

use crate::ledger::Refusal;

/// What went wrong below HTTP (no usable answer was received).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransportKind {
    /// The connection could not be set up (refused, unreachable, DNS, proxy).
    Connect,
    /// The connect timeout or the per-request deadline passed.
    Timeout,
    /// The connection was closed or reset before the answer was complete.
    Reset,
    /// The TLS handshake failed (certificate not trusted, protocol error).
    Tls,
    /// Anything else (a malformed HTTP answer, a body over the size limit).
    Other,
}

impl TransportKind {
    /// A short lower-case name: `connect`, `timeout`, `reset`, `tls`, `other`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Connect => "connect",
            Self::Timeout => "timeout",
            Self::Reset => "reset",
            Self::Tls => "tls",
            Self::Other => "other",
        }
    }
}

impl std::fmt::Display for TransportKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What kind of failure an [`Error`] is: the one classification every
/// binding maps from (a C status, a Python exception class and a CLI exit
/// code are each one `match` on it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The query is invalid; nothing was sent.
    Validation,
    /// The client configuration is invalid (an option out of range, a bad
    /// base URL or CA file, conflicting credentials); nothing was sent.
    Config,
    /// HTTP 401 / codes `100`–`199`: never retried.
    Authentication,
    /// HTTP 403 / code `105`: the IP is not on the account's list.
    Forbidden,
    /// HTTP 429: a rate limit.
    RateLimited,
    /// Another error answer of the service (business error, another 4xx).
    Api,
    /// HTTP 5xx.
    Server,
    /// No usable answer: connect, TLS, reset, timeout.
    Transport,
    /// An answer that cannot be decoded.
    Decode,
    /// Paging cannot go on: a cursor cycle, a missing cursor, a service that
    /// does not advance, a full page without pagination.
    Paging,
    /// No record with the call id asked for.
    NotFound,
    /// The interrupt check asked to stop.
    Interrupted,
    /// The job's request budget ([`ClientBuilder::max_requests`]) is spent;
    /// nothing was sent.
    ///
    /// [`ClientBuilder::max_requests`]: crate::ClientBuilder::max_requests
    Budget,
}

impl ErrorKind {
    /// Every kind, in declaration order (for tables and tests).
    pub const ALL: [Self; 13] = [
        Self::Validation,
        Self::Config,
        Self::Authentication,
        Self::Forbidden,
        Self::RateLimited,
        Self::Api,
        Self::Server,
        Self::Transport,
        Self::Decode,
        Self::Paging,
        Self::NotFound,
        Self::Interrupted,
        Self::Budget,
    ];

    /// A stable snake-case name: `validation`, `rate_limited`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Validation => "validation",
            Self::Config => "config",
            Self::Authentication => "authentication",
            Self::Forbidden => "forbidden",
            Self::RateLimited => "rate_limited",
            Self::Api => "api",
            Self::Server => "server",
            Self::Transport => "transport",
            Self::Decode => "decode",
            Self::Paging => "paging",
            Self::NotFound => "not_found",
            Self::Interrupted => "interrupted",
            Self::Budget => "budget",
        }
    }
}

impl std::fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a walk cannot go on (the [`ErrorKind::Paging`] errors). The records
/// of the last good page are yielded first; the walk can be resumed from
/// its checkpoint later.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PagingError {
    /// The service sent a cursor already used in this walk (it cycles).
    #[error("the service sent cursor {cursor} again (it does not advance)")]
    CursorCycle {
        /// The repeated cursor.
        cursor: String,
    },
    /// The service said `has_more` but sent no `next_id`.
    #[error("the service said more pages exist but sent no cursor (next_id)")]
    CursorMissing,
    /// Pages that brought nothing new, or cursors that did not move below
    /// the records already seen: the service does not advance.
    #[error("the service does not advance: {requests} requests in a row brought no new call")]
    NoProgress {
        /// Requests spent without progress.
        requests: u32,
    },
    /// A full page (as many records as the page size) without pagination
    /// (or without `has_more`): whether more calls exist cannot be known.
    #[error(
        "a full page of {records} records came without pagination: cannot tell whether more calls exist"
    )]
    MissingPagination {
        /// Records on that page.
        records: usize,
    },
}

/// Why a request was not sent: the ledger shared by the user's processes
/// knows the service would refuse it, or the job's budget is spent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NotSent {
    /// The ledger refused: these credentials are locked out after an
    /// authentication failure (here or in another process; clear it with
    /// [`Client::reset_lockout`](crate::Client::reset_lockout) or
    /// `velip auth reset`), the quota is used up, or a `Retry-After` has not
    /// passed.
    #[error("{0}")]
    Ledger(Refusal),
    /// [`ClientBuilder::max_requests`](crate::ClientBuilder::max_requests):
    /// the job may send no more requests.
    #[error("the request budget is spent ({limit} requests)")]
    Budget {
        /// The budget.
        limit: u64,
    },
}

/// A client option that is out of range or conflicts with another; nothing
/// was sent. The message never quotes a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{option}: {message}")]
pub struct ConfigError {
    /// The option, as the builder method names it (`timeout`, `token`,
    /// `base_url`, `max_retries`, ...).
    pub option: &'static str,
    /// What is wrong.
    pub message: String,
}

impl ConfigError {
    /// A configuration error on `option`.
    pub fn new(option: &'static str, message: impl Into<String>) -> Self {
        Self {
            option,
            message: message.into(),
        }
    }
}

/// Everything a client call can fail with. [`Error::kind`] classifies it.
///
/// `Debug` and `Display` never contain the token, the Basic password or a
/// webhook password: server texts quoted in errors are scrubbed of them
/// before the error is built.
///
/// ```
/// use velip_blocking::{Error, ErrorKind, TransportKind};
/// let e = Error::Transport { kind: TransportKind::Timeout, message: "deadline of 60 s passed".into() };
/// assert!(e.is_retryable());
/// assert_eq!(e.kind(), ErrorKind::Transport);
/// assert_eq!(e.to_string(), "transport error (timeout): deadline of 60 s passed");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The query is invalid; nothing was sent.
    #[error(transparent)]
    Validation(#[from] ValidationError),
    /// The client configuration is invalid; nothing was sent.
    #[error("invalid client configuration: {0}")]
    Config(#[from] ConfigError),
    /// HTTP 401 / codes `100`–`199`: bad, inactive or blocked credentials
    /// or IP. **Never retried**; after one, the client refuses further
    /// requests with the same credentials (returning this same error at
    /// once) until new ones are set with [`Client::set_token`] or
    /// [`Client::set_basic_auth`], because repeated failures get the
    /// caller's IP banned permanently.
    ///
    /// [`Client::set_token`]: crate::Client::set_token
    /// [`Client::set_basic_auth`]: crate::Client::set_basic_auth
    #[error(transparent)]
    Authentication(ApiError),
    /// HTTP 429: a rate limit. [`ApiError::kind`] gives the scope (list
    /// requests or daily lookups); [`Error::retry_after`] the delay the
    /// service asked for, when it sent a valid one.
    #[error(transparent)]
    RateLimited(ApiError),
    /// HTTP 403 / code `105`: list request from an IP not on the account's
    /// list.
    #[error(transparent)]
    Forbidden(ApiError),
    /// Any other error answer of the service (a business error on HTTP 400,
    /// a non-zero `status_code` on HTTP 200, another 4xx, a 1xx/3xx).
    #[error(transparent)]
    Api(ApiError),
    /// HTTP 5xx: the status, the service's code when its body had one, and
    /// its message or at most 200 characters of the body.
    #[error(transparent)]
    Server(ApiError),
    /// No usable answer: connection failed, deadline passed, connection
    /// reset, TLS failure.
    #[error("transport error ({kind}): {message}")]
    Transport {
        /// What kind of failure.
        kind: TransportKind,
        /// Details (never holds a secret).
        message: String,
    },
    /// A successful answer that cannot be decoded.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// Paging cannot go on (see [`PagingError`]).
    #[error("paging stopped: {0}")]
    Paging(#[from] PagingError),
    /// [`Client::get_call`](crate::Client::get_call): the answer holds no
    /// record with that id.
    #[error("call {call_id} not found")]
    NotFound {
        /// The call id asked for.
        call_id: String,
    },
    /// The interrupt check (see
    /// [`ClientBuilder::interrupt_check`](crate::ClientBuilder::interrupt_check))
    /// asked to stop.
    #[error("interrupted")]
    Interrupted,
    /// Refused here, **nothing sent** (see [`NotSent`]). Its kind is the
    /// service's answer it stands for: an authentication lock-out is
    /// [`ErrorKind::Authentication`], a quota or `Retry-After` refusal
    /// [`ErrorKind::RateLimited`] (with [`Error::retry_after`]), a spent
    /// budget [`ErrorKind::Budget`].
    #[error("not sent: {0}")]
    NotSent(NotSent),
}

impl Error {
    /// The classification (see [`ErrorKind`]).
    pub fn kind(&self) -> ErrorKind {
        if let Self::NotSent(NotSent::Ledger(r)) = self
            && r.is_locked_out()
        {
            return ErrorKind::Authentication;
        }
        match self {
            Self::Validation(_) => ErrorKind::Validation,
            Self::Config(_) => ErrorKind::Config,
            Self::Authentication(_) => ErrorKind::Authentication,
            // A refusal of the ledger stands for the answer it avoids.
            Self::RateLimited(_) | Self::NotSent(NotSent::Ledger(_)) => ErrorKind::RateLimited,
            Self::Forbidden(_) => ErrorKind::Forbidden,
            Self::Api(_) => ErrorKind::Api,
            Self::Server(_) => ErrorKind::Server,
            Self::Transport { .. } => ErrorKind::Transport,
            Self::Decode(_) => ErrorKind::Decode,
            Self::Paging(_) => ErrorKind::Paging,
            Self::NotFound { .. } => ErrorKind::NotFound,
            Self::Interrupted => ErrorKind::Interrupted,
            Self::NotSent(NotSent::Budget { .. }) => ErrorKind::Budget,
        }
    }

    /// Whether the request was refused here and never sent (the ledger or
    /// the budget said no): retrying it now sends nothing either.
    pub fn not_sent(&self) -> bool {
        matches!(self, Self::NotSent(_))
    }

    /// Whether trying the same request again later may succeed: transport
    /// failures (connect, timeout, reset), HTTP 500/502/503/504, and rate
    /// limits. Authentication, validation, decoding and business errors are
    /// not retryable.
    ///
    /// The client's own retry loop is narrower (see
    /// [`RetryPolicy`](crate::RetryPolicy)): it retries a 429 only when the
    /// `Retry-After` is within the configured maximum wait, and never
    /// re-sends a webhook push that may have reached the service.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Transport { kind, .. } => matches!(
                kind,
                TransportKind::Connect | TransportKind::Timeout | TransportKind::Reset
            ),
            Self::Server(e) => matches!(e.http_status(), 500 | 502 | 503 | 504),
            Self::RateLimited(_) => true,
            _ => false,
        }
    }

    /// The HTTP status of the answer that caused the error, when there was
    /// one.
    pub fn http_status(&self) -> Option<u16> {
        match self {
            Self::Decode(d) => d.http_status(),
            _ => self
                .api_error()
                .map(ApiError::http_status)
                .filter(|s| *s != 0),
        }
    }

    /// The service's `status_code` (`"102"`, `"105"`, `"429"`, ...), when
    /// the answer carried one (for a lock-out, the code of the failure that
    /// caused it).
    pub fn api_code(&self) -> Option<&str> {
        if let Self::NotSent(NotSent::Ledger(Refusal::LockedOut { code, .. })) = self {
            return Some(code.as_str()).filter(|c| !c.is_empty());
        }
        self.api_error()
            .map(ApiError::code)
            .filter(|c| !c.is_empty())
    }

    /// The service's classified error answer, for the error-answer
    /// variants (authentication, rate limited, forbidden, API, server).
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            Self::Authentication(e)
            | Self::RateLimited(e)
            | Self::Forbidden(e)
            | Self::Api(e)
            | Self::Server(e) => Some(e),
            _ => None,
        }
    }

    /// The delay the service asked for (`Retry-After`), when it sent a
    /// valid one (on a rate limit or a 503); for a quota refusal of the
    /// ledger, the time until a request fits.
    pub fn retry_after(&self) -> Option<Duration> {
        if let Self::NotSent(NotSent::Ledger(r)) = self {
            return r.free_at().map(|t| {
                t.duration_since(std::time::SystemTime::now())
                    .unwrap_or(Duration::ZERO)
            });
        }
        self.api_error().and_then(ApiError::retry_after)
    }

    /// Whether this is an authentication failure, or a refusal to send with
    /// credentials locked out after one (never retried; the credentials are
    /// locked out until replaced or cleared).
    pub fn is_authentication(&self) -> bool {
        self.kind() == ErrorKind::Authentication
    }

    /// Whether a request may have been sent for this error: `false` when
    /// the client refused before sending ([`Error::NotSent`]) or the query
    /// or configuration was invalid.
    pub fn was_sent(&self) -> bool {
        !matches!(
            self,
            Self::NotSent(_) | Self::Validation(_) | Self::Config(_)
        )
    }

    /// A configuration error on `option`.
    pub(crate) fn config(option: &'static str, message: impl Into<String>) -> Self {
        Self::Config(ConfigError::new(option, message))
    }
}

/// An error answer (classified by core's answer classifier) as the variant
/// the client returns for it.
impl From<ApiError> for Error {
    fn from(e: ApiError) -> Self {
        match e.kind() {
            ApiErrorKind::Authentication => Self::Authentication(e),
            ApiErrorKind::RateLimited(_) => Self::RateLimited(e),
            ApiErrorKind::Forbidden => Self::Forbidden(e),
            ApiErrorKind::Server => Self::Server(e),
            _ => Self::Api(e),
        }
    }
}

/// What core's answer classifier says an answer is, as a client error.
impl From<ResponseError> for Error {
    fn from(e: ResponseError) -> Self {
        match e {
            ResponseError::Api(a) => a.into(),
            ResponseError::Decode(d) => Self::Decode(d),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync + 'static>() {}

    #[test]
    fn error_is_send_sync() {
        assert_send_sync::<Error>();
    }

    #[test]
    fn accessors() {
        let e = Error::from(ApiError::from_parts(
            429,
            "429",
            "Rate limit exceeded: 200 per hour",
            Some(Duration::from_secs(3)),
        ));
        assert!(matches!(e, Error::RateLimited(_)));
        assert_eq!(e.http_status(), Some(429));
        assert_eq!(e.api_code(), Some("429"));
        assert_eq!(e.retry_after(), Some(Duration::from_secs(3)));
        assert!(e.is_retryable());
        let e = Error::from(ApiError::from_parts(401, "102", "SID not found", None));
        assert!(e.is_authentication());
        assert!(!e.is_retryable());
        let e = Error::from(ApiError::from_parts(502, "", "", None));
        assert!(e.is_retryable());
        assert_eq!(e.kind(), ErrorKind::Server);
        assert_eq!(e.to_string(), "server error (HTTP 502)");
    }
}
