//! Module-level functions: decoding answers and webhook deliveries, amounts.

use std::borrow::Cow;
use std::time::{Duration, SystemTime};

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};

use crate::convert::decimal;
use crate::errors;
use crate::page::PyPage;
use crate::record::{PyCallRecord, records_to_py};

/// Body bytes, borrowed from a Python `bytes` or encoded from a `str`.
pub(crate) fn body<'a>(obj: &'a Bound<'_, PyAny>) -> PyResult<Cow<'a, [u8]>> {
    if let Ok(b) = obj.cast::<PyBytes>() {
        Ok(Cow::Borrowed(b.as_bytes()))
    } else if let Ok(s) = obj.cast::<PyString>() {
        Ok(Cow::Owned(s.to_cow()?.into_owned().into_bytes()))
    } else {
        Err(pyo3::exceptions::PyTypeError::new_err(
            "body must be bytes or str",
        ))
    }
}

/// A `Retry-After` given as header text or seconds.
#[derive(FromPyObject)]
pub(crate) enum RetryAfterArg {
    Seconds(f64),
    Header(String),
}

/// Decodes an answer body into a `Page`, or raises the error it means.
#[pyfunction]
#[pyo3(signature = (body, *, http_status = 200, retry_after = None))]
pub(crate) fn parse_response(
    py: Python<'_>,
    body: &Bound<'_, PyAny>,
    http_status: u16,
    retry_after: Option<RetryAfterArg>,
) -> PyResult<PyPage> {
    let retry_after = match retry_after {
        None => None,
        Some(RetryAfterArg::Seconds(s)) => Duration::try_from_secs_f64(s).ok(),
        Some(RetryAfterArg::Header(h)) => {
            velip_core::decode::parse_retry_after(&h, SystemTime::now())
        }
    };
    let b = self::body(body)?;
    let bytes: &[u8] = &b;
    let page = py
        .detach(|| velip_core::decode::decode_response(http_status, retry_after, bytes))
        .map_err(|e| errors::response(py, &e))?;
    PyPage::new(py, page)
}

/// Decodes a webhook delivery (the body of a POST, or the query string of a
/// GET) by its content type.
#[pyfunction]
#[pyo3(signature = (body, content_type = ""))]
pub(crate) fn parse_webhook(
    py: Python<'_>,
    body: &Bound<'_, PyAny>,
    content_type: &str,
) -> PyResult<Vec<Py<PyCallRecord>>> {
    let b = self::body(body)?;
    let bytes: &[u8] = &b;
    let payload = py
        .detach(|| velip_core::decode::decode_webhook(bytes, content_type))
        .map_err(|e| errors::decode(py, &e))?;
    records_to_py(py, payload.records)
}

/// Parses a Brazilian (`"1.234,56"`) or dot-decimal amount into an exact
/// `decimal.Decimal`, keeping the scale as written.
#[pyfunction]
pub(crate) fn parse_brl_decimal<'py>(py: Python<'py>, text: &str) -> PyResult<Bound<'py, PyAny>> {
    let d = velip_core::money::parse_brl_decimal(text)
        .map_err(|e| errors::invalid_value(py, &e.to_string()))?;
    decimal(py, d)
}
