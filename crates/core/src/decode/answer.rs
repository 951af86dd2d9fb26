//! What an answer *means*: HTTP status + the headers that matter
//! (`Retry-After`, `Content-Type`) + body → a [`Page`] or a typed error.
//! Decided here, once; the client, `parse_response` (Python, C),
//! `velip decode` and the webhook receiver all call [`classify_answer`].

use std::time::{Duration, SystemTime};

use super::error_body::ApiError;
use super::page::RawPage;
use super::{AnswerHead, DecodeError, DecodeOptions, ResponseError, parse_retry_after, text};
use crate::model::Page;

/// An HTTP answer as received: status, the headers that matter, body.
///
/// ```
/// use velip_core::decode::{HttpAnswer, classify_answer, ResponseError, ApiErrorKind};
/// let html = HttpAnswer::new(429, b"<html>Too Many Requests</html>").retry_after("5");
/// match classify_answer(&html) {
///     Err(ResponseError::Api(e)) => {
///         assert!(matches!(e.kind(), ApiErrorKind::RateLimited(_)));
///         assert_eq!(e.retry_after().unwrap().as_secs(), 5);
///     }
///     other => panic!("{other:?}"),
/// }
/// ```
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct HttpAnswer<'a> {
    /// The HTTP status; `0` when not known (a saved body).
    pub status: u16,
    /// The `Retry-After` header as sent (seconds or an HTTP-date).
    pub retry_after: Option<&'a str>,
    /// The `Content-Type` header as sent.
    pub content_type: Option<&'a str>,
    /// The body.
    pub body: &'a [u8],
    /// When the answer was received (an HTTP-date `Retry-After` is relative
    /// to it); default: now.
    pub received_at: Option<SystemTime>,
    /// How strictly records are read (default lenient).
    pub options: DecodeOptions,
}

impl<'a> HttpAnswer<'a> {
    /// An answer with this status and body, no headers.
    pub fn new(status: u16, body: &'a [u8]) -> Self {
        Self {
            status,
            retry_after: None,
            content_type: None,
            body,
            received_at: None,
            options: DecodeOptions::LENIENT,
        }
    }

    /// A saved body whose HTTP status is not known (`velip decode`): read
    /// as an answer to a successful request.
    pub fn saved(body: &'a [u8]) -> Self {
        Self::new(0, body)
    }

    /// With the `Retry-After` header value.
    #[must_use]
    pub fn retry_after(mut self, value: &'a str) -> Self {
        self.retry_after = Some(value);
        self
    }

    /// With the `Content-Type` header value.
    #[must_use]
    pub fn content_type(mut self, value: &'a str) -> Self {
        self.content_type = Some(value);
        self
    }

    /// With the time it was received.
    #[must_use]
    pub fn received_at(mut self, at: SystemTime) -> Self {
        self.received_at = Some(at);
        self
    }

    /// With these decode options.
    #[must_use]
    pub fn options(mut self, options: DecodeOptions) -> Self {
        self.options = options;
        self
    }

    /// The `Retry-After` delay, when the header is valid.
    pub fn retry_after_delay(&self) -> Option<Duration> {
        let now = self.received_at.unwrap_or_else(SystemTime::now);
        self.retry_after.and_then(|v| parse_retry_after(v, now))
    }

    fn is_2xx_or_unknown(&self) -> bool {
        self.status == 0 || (200..300).contains(&self.status)
    }
}

/// Whether `return.status_code` says success: `"0"`, or absent/empty (the
/// one place this rule is written).
pub fn is_success_code(code: &str) -> bool {
    let code = code.trim();
    code == "0" || code.is_empty()
}

/// Classifies an answer: a [`Page`] for a successful answer (HTTP 2xx, or
/// unknown for a saved body, and `status_code` `"0"`), else the error it
/// means.
///
/// - A JSON error body (`{"return": {"status", "status_code"}}`) gives an
///   [`ApiError`] classified by HTTP status and code (see
///   [`ApiError::from_parts`]), on any HTTP status, with `Retry-After`.
/// - A body that is not such JSON (an HTML page from a proxy, an empty body)
///   is classified by HTTP status first: 401 is an authentication error,
///   403 forbidden, 429 a rate limit (with its `Retry-After`), 5xx a server
///   error, another non-2xx status an error answer; its message is a
///   snippet of the body (at most 200 characters). Only a 2xx (or unknown
///   status) body that cannot be read is a [`DecodeError`].
///
/// # Errors
/// [`ResponseError::Api`] for error answers, [`ResponseError::Decode`] for
/// successful answers whose body cannot be read.
pub fn classify_answer(answer: &HttpAnswer<'_>) -> Result<Page, ResponseError> {
    let retry_after = answer.retry_after_delay();
    let http = (answer.status != 0).then_some(answer.status);
    if !answer.is_2xx_or_unknown() {
        return Err(ResponseError::Api(error_answer(answer, retry_after)));
    }
    let raw = super::decode_raw(answer.body, http, answer.options)
        .map_err(|e| with_content_type(e, answer))?;
    if !is_success_code(&raw.status_code) {
        return Err(ResponseError::Api(ApiError::from_parts(
            answer.status,
            &raw.status_code,
            &raw.status,
            retry_after,
        )));
    }
    Ok(RawPage::into_page(raw))
}

/// For a walk that requests the next page before decoding this one: the
/// answer's head when it is a success whose head can be read on its own
/// (the records are then decoded later with [`classify_answer`]), `Ok(None)`
/// when the head cannot be read alone (classify the whole answer instead).
///
/// # Errors
/// The error answer it is (non-2xx, or a head whose `status_code` is not
/// success).
pub fn classify_head(answer: &HttpAnswer<'_>) -> Result<Option<AnswerHead>, ResponseError> {
    if !answer.is_2xx_or_unknown() {
        return Err(ResponseError::Api(error_answer(
            answer,
            answer.retry_after_delay(),
        )));
    }
    Ok(super::peek_head(answer.body).filter(AnswerHead::is_success))
}

/// The error a non-2xx answer means.
fn error_answer(answer: &HttpAnswer<'_>, retry_after: Option<Duration>) -> ApiError {
    match super::decode_raw_with(
        answer.body,
        Some(answer.status),
        "error answer without a `return` object",
        DecodeOptions::LENIENT,
    ) {
        Ok(raw) => ApiError::from_parts(answer.status, &raw.status_code, &raw.status, retry_after),
        // Not a JSON error body: the HTTP status says what it is.
        Err(_) => ApiError::from_parts(answer.status, "", &body_snippet(answer.body), retry_after),
    }
}

fn with_content_type(e: DecodeError, answer: &HttpAnswer<'_>) -> DecodeError {
    match answer.content_type {
        Some(ct) if !ct.to_ascii_lowercase().contains("json") && e.field().is_none() => {
            e.with_content_type(ct)
        }
        _ => e,
    }
}

/// At most 200 characters of a body, whitespace folded.
pub(crate) fn body_snippet(body: &[u8]) -> String {
    let folded = text::fold_ws(&text::body_text(body));
    if folded.chars().count() <= super::error::SNIPPET_MAX {
        folded
    } else {
        let mut s: String = folded.chars().take(super::error::SNIPPET_MAX - 1).collect();
        s.push('…');
        s
    }
}
