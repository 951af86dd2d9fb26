use std::fmt;
use std::time::Duration;

/// What an error answer means for the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ApiErrorKind {
    /// HTTP 401, codes `100`–`199` (except `105`): bad or blocked
    /// credentials or IP. **Never retry**: repeated failures get the IP
    /// banned permanently (`199`).
    Authentication,
    /// HTTP 429: a rate limit, of the given scope, with `Retry-After`.
    RateLimited(RateLimitScope),
    /// HTTP 403 or code `105`: list request from an IP not on the account's
    /// list.
    Forbidden,
    /// HTTP 400, or a non-zero `status_code` on HTTP 200: a business or
    /// validation error of the endpoint.
    Business,
    /// HTTP 5xx with a readable error body.
    Server,
    /// Anything else (another 4xx).
    Unknown,
}

/// Which rate limit was hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RateLimitScope {
    /// List requests: 200 per client per hour (`Rate limit exceeded: ...`).
    List,
    /// Point lookups: the daily cap, reset at midnight (`Daily limit of
    /// status lookups reached ...`).
    DailyLookup,
    /// A 429 whose message matches neither.
    Unknown,
}

/// An error answer of the service, classified.
///
/// `Display`: `authentication failed (HTTP 401, code 102): SID not found`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    kind: ApiErrorKind,
    http_status: u16,
    code: String,
    message: String,
    retry_after: Option<Duration>,
}

impl ApiError {
    /// Classifies from the HTTP status (`0` when not known, as for a saved
    /// body), `return.status_code`, `return.status` and the `Retry-After`
    /// delay.
    pub fn from_parts(
        http_status: u16,
        code: &str,
        message: &str,
        retry_after: Option<Duration>,
    ) -> Self {
        let code = code.trim();
        let n: Option<u32> = code.parse().ok();
        let kind = if http_status == 403 || n == Some(105) {
            ApiErrorKind::Forbidden
        } else if http_status == 429 || n == Some(429) {
            let m = message.trim_start();
            ApiErrorKind::RateLimited(if m.starts_with("Rate limit exceeded") {
                RateLimitScope::List
            } else if m.starts_with("Daily limit of status lookups reached") {
                RateLimitScope::DailyLookup
            } else {
                RateLimitScope::Unknown
            })
        } else if http_status == 401 || n.is_some_and(|c| (100..=199).contains(&c)) {
            ApiErrorKind::Authentication
        } else if http_status >= 500 {
            ApiErrorKind::Server
        } else if http_status == 400 || http_status == 0 || (200..300).contains(&http_status) {
            ApiErrorKind::Business
        } else {
            ApiErrorKind::Unknown
        };
        Self {
            kind,
            http_status,
            code: code.to_owned(),
            message: message.trim().to_owned(),
            retry_after,
        }
    }

    /// The classification.
    pub fn kind(&self) -> ApiErrorKind {
        self.kind
    }
    /// The HTTP status; `0` when not known (a saved body).
    pub fn http_status(&self) -> u16 {
        self.http_status
    }
    /// `return.status_code` as sent (`"102"`), empty when absent.
    pub fn code(&self) -> &str {
        &self.code
    }
    /// `return.status_code` as a number, when it is one.
    pub fn code_number(&self) -> Option<u32> {
        self.code.parse().ok()
    }
    /// `return.status`: the service's message.
    pub fn message(&self) -> &str {
        &self.message
    }
    /// The `Retry-After` delay, when the answer had a valid one.
    pub fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }
    /// Whether this is an authentication error (never to be retried).
    pub fn is_authentication(&self) -> bool {
        self.kind == ApiErrorKind::Authentication
    }
    /// Code `199`: the calling IP is banned permanently (lifted only by
    /// Velip staff).
    pub fn is_permanent_ban(&self) -> bool {
        self.code_number() == Some(199)
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            ApiErrorKind::Authentication => "authentication failed",
            ApiErrorKind::RateLimited(RateLimitScope::List) => "rate limited (list requests)",
            ApiErrorKind::RateLimited(RateLimitScope::DailyLookup) => {
                "rate limited (daily point lookups)"
            }
            ApiErrorKind::RateLimited(RateLimitScope::Unknown) => "rate limited",
            ApiErrorKind::Forbidden => "forbidden",
            ApiErrorKind::Business => "request refused",
            ApiErrorKind::Server => "server error",
            ApiErrorKind::Unknown => "error answer",
        };
        let mut parts = Vec::with_capacity(2);
        if self.http_status != 0 {
            parts.push(format!("HTTP {}", self.http_status));
        }
        if !self.code.is_empty() {
            parts.push(format!("code {}", self.code));
        }
        write!(f, "{what}")?;
        if !parts.is_empty() {
            write!(f, " ({})", parts.join(", "))?;
        }
        if !self.message.is_empty() {
            write!(f, ": {}", self.message)?;
        }
        if let Some(d) = self.retry_after {
            write!(f, "; retry after {} s", d.as_secs())?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}
