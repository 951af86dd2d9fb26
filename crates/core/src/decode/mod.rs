//! Lenient decoding of what the service sends: answer pages, error bodies
//! and webhook deliveries.
//!
//! Follows the spec's "Tolerate" notes and the output quirks of the PHP
//! service: numbers as strings and strings as numbers; `null`, `""`, `false`
//! and `[]` as "no value" (never 0); integral floats; unknown keys kept;
//! `next_id` as integer, digit string or `""`; decimal commas and thousands
//! separators; a UTF-8 BOM; ISO-8859-1 bytes in legacy fields; `calls` as an
//! object keyed by index; a PHP notice printed before the JSON; trailing
//! bytes after it.
//!
//! ```
//! let body = br#"{"return":{"status":"OK","status_code":"0"},
//!   "calls":[{"cd_id":"42_7","cd_status":"OK","dur":"27","rate":"0,050","resp_1":"1"}]}"#;
//! let page = velip_core::decode::decode_page(body).unwrap();
//! let r = &page.records[0];
//! assert_eq!(r.call_id.to_string(), "42_7");
//! assert_eq!(r.duration_seconds, Some(27));
//! assert_eq!(r.rate.unwrap().to_string(), "0.050");
//! assert_eq!(r.dtmf, ["1"]);
//! ```

mod answer;
mod error;
mod error_body;
mod lenient;
mod page;
mod raw_text;
mod record;
mod retry_after;
mod sniff;
mod text;
mod webhook;

pub use answer::{HttpAnswer, classify_answer, classify_head, is_success_code};
pub use error::DecodeError;
pub use error_body::{ApiError, ApiErrorKind, RateLimitScope};
pub use retry_after::parse_retry_after;
pub use sniff::{BodyKind, sniff_body};
pub use webhook::{WebhookPayload, decode_webhook, decode_webhook_form};

use serde::de::DeserializeSeed;

use crate::model::{Page, Pagination};
use page::{HeadSeed, PageSeed, RawPage};
use record::Context;

/// Why an answer is not a page of records: the service said no
/// ([`ApiError`]) or the body cannot be read ([`DecodeError`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResponseError {
    /// An error answer (HTTP 4xx/5xx, or a non-zero `status_code`).
    #[error(transparent)]
    Api(#[from] ApiError),
    /// A body that cannot be decoded.
    #[error(transparent)]
    Decode(#[from] DecodeError),
}

/// How strictly records are read.
///
/// Lenient (the default): a field that does not fit its type (`"date":
/// "2026-02-30"`, `"dur": 27.5`) is left empty and noted as a
/// [`Problem`](crate::model::Problem) on its record, which keeps its raw
/// JSON text; an entry without a readable call id is kept in
/// [`Page::rejected`]. Nothing is lost and a walk goes on.
/// Strict: the first field that does not fit fails the whole body with a
/// [`DecodeError`] naming the record, call id, field and value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct DecodeOptions {
    /// Fail on the first field that does not fit (default: `false`).
    pub strict: bool,
}

impl DecodeOptions {
    /// Lenient decoding (the default).
    pub const LENIENT: Self = Self { strict: false };
    /// Strict decoding.
    pub const STRICT: Self = Self { strict: true };
}

/// Decodes one record object (`{"cd_id": ..., ...}`), the service's wire
/// form of a call (see [`CallRecord::to_wire`](crate::CallRecord::to_wire)),
/// leniently: fields that do not fit become problems on the record.
///
/// # Errors
/// [`DecodeError`] when the text is not a JSON object or the record has no
/// readable call id.
pub fn decode_record(json: &[u8]) -> Result<crate::CallRecord, DecodeError> {
    let text = text::body_text(json);
    let ctx = Context::default();
    ctx.set_record(Some(0));
    let mut de = serde_json::Deserializer::from_str(&text);
    let outcome = record::RecordSeed {
        ctx: &ctx,
        strict: false,
    }
    .deserialize(&mut de)
    .and_then(|o| de.end().map(|()| o))
    .map_err(|e| DecodeError::from_serde(&e, &text, &ctx, None))?;
    match outcome {
        record::RecordOutcome::Record(mut r) => {
            if !r.problems.is_empty() {
                r.raw_json = Some(text.trim().to_owned());
            }
            Ok(r)
        }
        record::RecordOutcome::Rejected(p) => Err(DecodeError::rejected(&p, &text)),
    }
}

/// Decodes a successful answer body (HTTP 200) into a [`Page`], leniently
/// (see [`DecodeOptions`]).
///
/// # Errors
/// [`DecodeError`] when the body is not JSON, is cut short or is not a
/// GetCallStatus answer. A body whose `status_code` is not `"0"` decodes
/// fine here; see [`classify_answer`] for the full check.
pub fn decode_page(body: &[u8]) -> Result<Page, DecodeError> {
    decode_page_with(body, DecodeOptions::LENIENT)
}

/// [`decode_page`] with explicit [`DecodeOptions`].
///
/// # Errors
/// As [`decode_page`]; in strict mode also when a record's field cannot be
/// read (the error names the record, its call id when known, the field and
/// a snippet).
pub fn decode_page_with(body: &[u8], options: DecodeOptions) -> Result<Page, DecodeError> {
    decode_raw(body, None, options).map(RawPage::into_page)
}

/// What an answer's `return` object says, read without decoding its
/// records: see [`peek_head`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AnswerHead {
    /// `return.status_code`, trimmed: `"0"` (or `""`) on success.
    pub status_code: String,
    /// `return.pagination`, when the answer has one.
    pub pagination: Option<Pagination>,
}

impl AnswerHead {
    /// Whether `status_code` says success (see [`is_success_code`]).
    pub fn is_success(&self) -> bool {
        is_success_code(&self.status_code)
    }

    /// The cursor of the next page, when the service says there is one
    /// (`has_more` true and a non-empty `next_id`), as [`Page::next_cursor`].
    pub fn next_cursor(&self) -> Option<&crate::Cursor> {
        self.pagination.as_ref().and_then(Pagination::next_cursor)
    }
}

/// Reads only the `return` object of a successful answer body (HTTP 200),
/// which the service writes before `calls`: the status code and the
/// pagination, so that a client can request the next page before it
/// decodes this page's records. Cheap: the records are not parsed. See
/// [`classify_head`], which also classifies error answers.
///
/// Returns `None` when the head cannot be read this way: `calls` comes
/// first, there is no `return`, or the body is not JSON or has a bad
/// `return` field. [`decode_page`]/[`classify_answer`] then say what is
/// wrong; a `Some` does not promise that the records decode.
///
/// ```
/// let body = br#"{"return":{"status":"OK","status_code":"0",
///   "pagination":{"has_more":true,"next_id":"1234"}},"calls":[{"cd_id":1235}]}"#;
/// let head = velip_core::decode::peek_head(body).unwrap();
/// assert!(head.is_success());
/// assert_eq!(head.next_cursor().unwrap().as_str(), "1234");
/// ```
pub fn peek_head(body: &[u8]) -> Option<AnswerHead> {
    let text = text::body_text(body);
    let (_, json) = text::split_preamble(&text);
    let ctx = Context::default();
    let mut raw = RawPage::default();
    let mut de = serde_json::Deserializer::from_str(json);
    // The seed stops after `return`: the parser's error about the unread
    // rest is expected. A failure inside `return` is not.
    let _ = HeadSeed {
        ctx: &ctx,
        page: &mut raw,
    }
    .deserialize(&mut de);
    if !raw.has_return {
        return None;
    }
    Some(AnswerHead {
        status_code: raw.status_code,
        pagination: raw.pagination,
    })
}

/// Message of the decode error for a body without a `return` object.
const NO_RETURN: &str = "not a GetCallStatus answer: no `return` object";

/// One pass over a body: text preparation (BOM, ISO-8859-1, PHP notice),
/// the page decoder, and the `return` check (`missing_return` is the
/// message when it is absent).
pub(crate) fn decode_raw_with(
    body: &[u8],
    http_status: Option<u16>,
    missing_return: &str,
    options: DecodeOptions,
) -> Result<RawPage, DecodeError> {
    let text = text::body_text(body);
    let (preamble, json) = text::split_preamble(&text);
    let ctx = Context::default();
    let mut de = serde_json::Deserializer::from_str(json);
    let mut raw = PageSeed {
        ctx: &ctx,
        strict: options.strict,
        records_hint: page::records_hint(json.len()),
    }
    .deserialize(&mut de)
    .map_err(|e| DecodeError::from_serde(&e, json, &ctx, http_status))?;
    // Bytes after the document (a PHP echo) are ignored, not an error.
    if !raw.has_return {
        return Err(DecodeError::shape(http_status, missing_return, json));
    }
    raw_text::attach_raw_texts(json, &mut raw);
    if let Some(p) = preamble {
        raw.extra.insert(
            "preamble".to_owned(),
            serde_json::Value::String(text::fold_ws(p)),
        );
    }
    Ok(raw)
}

/// [`decode_raw_with`] for answer pages.
pub(crate) fn decode_raw(
    body: &[u8],
    http_status: Option<u16>,
    options: DecodeOptions,
) -> Result<RawPage, DecodeError> {
    decode_raw_with(body, http_status, NO_RETURN, options)
}
