//! The one [`Error`] type of the client, and [`TransportKind`].

use std::time::Duration;

use velip_core::{ApiError, ApiErrorKind, DecodeError, ValidationError};

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

/// Everything a client call can fail with.
///
/// `Debug` and `Display` never contain the token, the Basic password or a
/// webhook password: server texts quoted in errors are scrubbed of them
/// before the error is built.
///
/// ```
/// use velip_blocking::{Error, TransportKind};
/// let e = Error::Transport { kind: TransportKind::Timeout, message: "deadline of 60 s passed".into() };
/// assert!(e.is_retryable());
/// assert_eq!(e.to_string(), "transport error (timeout): deadline of 60 s passed");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The query is invalid; nothing was sent.
    #[error(transparent)]
    Validation(#[from] ValidationError),
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
    /// a non-zero `status_code` on HTTP 200, another 4xx).
    #[error(transparent)]
    Api(ApiError),
    /// HTTP 5xx (or an unexpected 1xx/3xx): the status and at most 200
    /// characters of the body.
    #[error("server error (HTTP {status}){}", snippet_suffix(.snippet))]
    Server {
        /// The HTTP status.
        status: u16,
        /// At most 200 characters of the body, whitespace folded.
        snippet: String,
    },
    /// No usable answer: connection failed, deadline passed, connection
    /// reset, TLS failure.
    #[error("transport error ({kind}): {message}")]
    Transport {
        /// What kind of failure.
        kind: TransportKind,
        /// Details (never holds a secret).
        message: String,
    },
    /// An answer that cannot be decoded.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// Paging stopped: the service sent a cursor already used in this walk
    /// (it does not advance, or it cycles).
    #[error("paging stopped: the service sent cursor {cursor} again (it does not advance)")]
    CursorCycle {
        /// The repeated cursor.
        cursor: String,
    },
    /// Paging stopped: the service said `has_more` but sent no `next_id`.
    #[error("paging stopped: the service said more pages exist but sent no cursor (next_id)")]
    CursorMissing,
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
    /// The client configuration is invalid (base URL, proxy, CA file,
    /// credentials). The message never quotes a secret.
    #[error("invalid client configuration: {0}")]
    Config(String),
}

fn snippet_suffix(s: &str) -> String {
    if s.is_empty() {
        String::new()
    } else {
        format!(": {s}")
    }
}

impl Error {
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
            Self::Server { status, .. } => matches!(status, 500 | 502 | 503 | 504),
            Self::RateLimited(_) => true,
            _ => false,
        }
    }

    /// The HTTP status of the answer that caused the error, when there was
    /// one.
    pub fn http_status(&self) -> Option<u16> {
        match self {
            Self::Authentication(e) | Self::RateLimited(e) | Self::Forbidden(e) | Self::Api(e) => {
                Some(e.http_status())
            }
            Self::Server { status, .. } => Some(*status),
            Self::Decode(d) => d.http_status(),
            _ => None,
        }
    }

    /// The service's `status_code` (`"102"`, `"105"`, `"429"`, ...), when
    /// the answer carried one.
    pub fn api_code(&self) -> Option<&str> {
        self.api_error()
            .map(ApiError::code)
            .filter(|c| !c.is_empty())
    }

    /// The service's classified error answer, for the API error variants.
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            Self::Authentication(e) | Self::RateLimited(e) | Self::Forbidden(e) | Self::Api(e) => {
                Some(e)
            }
            _ => None,
        }
    }

    /// The delay the service asked for (`Retry-After`) on a rate limit,
    /// when it sent a valid one.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::RateLimited(e) => e.retry_after(),
            _ => None,
        }
    }

    /// Whether this is an authentication failure (never retried; the
    /// credentials are locked out until replaced).
    pub fn is_authentication(&self) -> bool {
        matches!(self, Self::Authentication(_))
    }

    /// Maps a classified error answer to its variant.
    pub(crate) fn from_api(e: ApiError) -> Self {
        match e.kind() {
            ApiErrorKind::Authentication => Self::Authentication(e),
            ApiErrorKind::RateLimited(_) => Self::RateLimited(e),
            ApiErrorKind::Forbidden => Self::Forbidden(e),
            ApiErrorKind::Server => Self::Server {
                status: e.http_status(),
                snippet: e.message().chars().take(200).collect(),
            },
            _ => Self::Api(e),
        }
    }
}

/// An error answer decoded elsewhere (a saved body, a webhook handler) as
/// the same variant the client would return for it.
impl From<ApiError> for Error {
    fn from(e: ApiError) -> Self {
        Self::from_api(e)
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
        let e = Error::from_api(ApiError::from_parts(
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
        let e = Error::from_api(ApiError::from_parts(401, "102", "SID not found", None));
        assert!(e.is_authentication());
        assert!(!e.is_retryable());
        let e = Error::Server {
            status: 502,
            snippet: String::new(),
        };
        assert!(e.is_retryable());
        assert_eq!(e.to_string(), "server error (HTTP 502)");
    }
}
