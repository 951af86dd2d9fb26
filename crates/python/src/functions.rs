//! Module-level functions: decoding answers and webhook deliveries, amounts.

use std::borrow::Cow;

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};

use velip_core::DecodeOptions;
use velip_core::decode::{HttpAnswer, classify_answer};

use crate::args;
use crate::convert::decimal;
use crate::errors;
use crate::page::PyPage;
use crate::record::{PyCallRecord, records_to_py};

/// Body bytes, borrowed from a Python `bytes` or encoded from a `str`.
pub(crate) fn body<'a>(obj: &'a Bound<'_, PyAny>) -> PyResult<Cow<'a, [u8]>> {
    if let Ok(b) = obj.cast::<PyBytes>() {
        Ok(Cow::Borrowed(b.as_bytes()))
    } else if obj.is_instance_of::<PyString>() {
        Ok(Cow::Owned(args::text(obj.py(), obj, "body")?.into_bytes()))
    } else {
        Err(pyo3::exceptions::PyTypeError::new_err(
            "body must be bytes or str",
        ))
    }
}

/// Decodes an answer body into a `Page`, or raises the error it means, the
/// way the client reads a live answer (core's one classifier): a body that
/// is not JSON (an HTML page from a proxy) is classified by its HTTP
/// status, keeping its `Retry-After`.
///
/// Also reads a JSON webhook delivery (the same document as an answer):
/// unlike `parse_webhook`, the `Page` keeps its pagination (`has_more`,
/// `next_cursor`).
///
/// `body`: `bytes` or `str`; `http_status` 0..=599 (0 when not known);
/// `retry_after`: the header as sent (seconds or an HTTP-date) or a number
/// of seconds; `content_type`: the header as sent; `strict=True` raises
/// `DecodeError` for a record field that cannot be read instead of keeping
/// a `Problem`.
///
/// Raises: the exception the answer means, as the client raises it
/// (`AuthenticationError`, `RateLimitError` with `retry_after`,
/// `ForbiddenError`, `ApiError`, `ServerError`, `DecodeError`);
/// `ValidationError` for `http_status` or `retry_after` out of range;
/// `TypeError` for a `body` that is neither `bytes` nor `str`.
#[pyfunction]
#[pyo3(
    signature = (body, *, http_status = None, retry_after = None, content_type = None, strict = false),
    text_signature = "(body, *, http_status=200, retry_after=None, content_type=None, strict=False)"
)]
pub(crate) fn parse_response<'py>(
    py: Python<'py>,
    body: &Bound<'py, PyAny>,
    http_status: Option<Bound<'py, PyAny>>,
    retry_after: Option<Bound<'py, PyAny>>,
    content_type: Option<Bound<'py, PyAny>>,
    strict: bool,
) -> PyResult<PyPage> {
    let content_type = args::opt_text(py, content_type.as_ref(), "content_type")?;
    let http_status = match &http_status {
        None => 200,
        Some(s) => u16::try_from(args::int_in(py, s, "http_status", 0, 599)?).unwrap_or(200),
    };
    // A number of seconds is the header's delay-seconds form.
    let retry_after: Option<String> = match &retry_after {
        None => None,
        Some(h) if h.is_instance_of::<PyString>() => Some(args::text(py, h, "retry_after")?),
        Some(s) => Some(args::seconds(py, s, "retry_after")?.as_secs().to_string()),
    };
    let b = self::body(body)?;
    let bytes: &[u8] = &b;
    let page = py
        .detach(|| {
            let mut answer = HttpAnswer::new(http_status, bytes).options(if strict {
                DecodeOptions::STRICT
            } else {
                DecodeOptions::LENIENT
            });
            if let Some(v) = &retry_after {
                answer = answer.retry_after(v);
            }
            if let Some(v) = &content_type {
                answer = answer.content_type(v);
            }
            classify_answer(&answer)
        })
        .map_err(|e| errors::response(py, e))?;
    PyPage::new(py, page)
}

/// Decodes a webhook delivery (the body of a POST, or the query string of a
/// GET) by its content type into its records. A JSON delivery's pagination
/// (`has_more`, `next_cursor`) is not kept: read such a body with
/// `parse_response` to get it as a `Page`.
///
/// `body`: `bytes` or `str` (the raw request body, or the query string of
/// a GET delivery); `content_type`: the request's `Content-Type`
/// (`application/json` for a page, `application/x-www-form-urlencoded`
/// for one call; empty: sniffed from the body).
///
/// Raises: `DecodeError` for a body that is no delivery (answer HTTP 400);
/// `ValidationError` for text that cannot be encoded; `TypeError` for a
/// `body` that is neither `bytes` nor `str`.
#[pyfunction]
#[pyo3(signature = (body, content_type = None), text_signature = "(body, content_type='')")]
pub(crate) fn parse_webhook(
    py: Python<'_>,
    body: &Bound<'_, PyAny>,
    content_type: Option<&Bound<'_, PyAny>>,
) -> PyResult<Vec<Py<PyCallRecord>>> {
    let content_type = args::opt_text(py, content_type, "content_type")?.unwrap_or_default();
    let content_type = content_type.as_str();
    let b = self::body(body)?;
    let bytes: &[u8] = &b;
    let payload = py
        .detach(|| velip_core::decode::decode_webhook(bytes, content_type))
        .map_err(|e| errors::decode(py, &e))?;
    records_to_py(py, payload.records)
}

/// Parses a Brazilian (`"1.234,56"`) or dot-decimal amount (BRL) into an
/// exact `decimal.Decimal`, keeping the scale as written (`"0,050"` ->
/// `Decimal("0.050")`).
///
/// Raises: `ValidationError` for text that is not an amount.
#[pyfunction]
pub(crate) fn parse_brl_decimal<'py>(
    py: Python<'py>,
    text: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let text = args::text(py, text, "text")?;
    let d = velip_core::money::parse_brl_decimal(&text)
        .map_err(|e| errors::invalid_value(py, &e.to_string()))?;
    decimal(py, d)
}
