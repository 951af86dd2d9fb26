//! Checked conversions of Python arguments, with messages that name the
//! parameter and the values it takes (instead of pyo3's generic
//! `OverflowError` or extraction messages).
//!
//! Wrong types (including `bool` where a number is expected: `True` is an
//! `int` in Python, but never a meaningful count or duration here) raise
//! `TypeError`; values of the right type outside the range raise
//! `velip.ValidationError`.

use std::time::Duration;

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyFloat, PyInt, PyString};

use crate::errors;

/// The longest timeout or wait accepted, in seconds (one day).
pub(crate) const MAX_SECONDS: f64 = 86_400.0;

/// The Python type name of `obj`, for messages.
fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map_or_else(|_| "object".to_owned(), |n| n.to_string())
}

/// `TypeError("{name} must be {what}, not {type}")`.
fn wrong_type(obj: &Bound<'_, PyAny>, name: &str, what: &str) -> PyErr {
    PyTypeError::new_err(format!("{name} must be {what}, not {}", type_name(obj)))
}

/// An exact `int` (never a `bool`): `Ok(Ok(n))`, or `Ok(Err(text))` with
/// the decimal text when it does not fit an `i64`; `TypeError` for any
/// other type (`what` says what is expected).
pub(crate) fn int(obj: &Bound<'_, PyAny>, name: &str, what: &str) -> PyResult<Result<i64, String>> {
    if obj.is_instance_of::<PyBool>() || !obj.is_instance_of::<PyInt>() {
        return Err(wrong_type(obj, name, what));
    }
    match obj.extract::<i64>() {
        Ok(n) => Ok(Ok(n)),
        Err(_) => Ok(Err(obj
            .str()
            .map_or_else(|_| "?".to_owned(), |s| s.to_string()))),
    }
}

/// An `int` within `min..=max` (never a `bool`), else `ValidationError`
/// naming `name` and the range.
pub(crate) fn int_in(
    py: Python<'_>,
    obj: &Bound<'_, PyAny>,
    name: &str,
    min: i64,
    max: i64,
) -> PyResult<i64> {
    let what = format!("an int {min}..={max}");
    match int(obj, name, &what)? {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        Ok(n) => Err(errors::invalid_value(
            py,
            &format!("{name} must be {what}, not {n}"),
        )),
        Err(text) => Err(errors::invalid_value(
            py,
            &format!("{name} must be {what}, not {text}"),
        )),
    }
}

/// A number of seconds (`int` or `float`, never a `bool`): finite, at
/// most [`MAX_SECONDS`], and more than 0 unless `zero_ok`.
pub(crate) fn seconds(
    py: Python<'_>,
    obj: &Bound<'_, PyAny>,
    name: &str,
    zero_ok: bool,
) -> PyResult<Duration> {
    let range = if zero_ok {
        "a finite number of seconds from 0 to 86400"
    } else {
        "a finite number of seconds, more than 0 and at most 86400"
    };
    seconds_within(py, obj, name, range, zero_ok, MAX_SECONDS)
}

/// A number of seconds (`int` or `float`, never a `bool`): finite, from 0
/// (or more than 0 unless `zero_ok`) to `max`; `range` describes that.
pub(crate) fn seconds_within(
    py: Python<'_>,
    obj: &Bound<'_, PyAny>,
    name: &str,
    range: &str,
    zero_ok: bool,
    max: f64,
) -> PyResult<Duration> {
    if obj.is_instance_of::<PyBool>()
        || !(obj.is_instance_of::<PyInt>() || obj.is_instance_of::<PyFloat>())
    {
        return Err(wrong_type(obj, name, range));
    }
    let refuse = || {
        let text = obj
            .repr()
            .map_or_else(|_| "?".to_owned(), |s| s.to_string());
        errors::invalid_value(py, &format!("{name} must be {range}, not {text}"))
    };
    // An `int` too large for a `float` fails to convert: out of range.
    let s = obj.extract::<f64>().unwrap_or(f64::INFINITY);
    if !(s.is_finite() && s <= max && (s > 0.0 || (zero_ok && s == 0.0))) {
        return Err(refuse());
    }
    Duration::try_from_secs_f64(s).map_err(|_| refuse())
}

/// A page size: a number of records or `"max"` (the server maximum).
pub(crate) enum PageSize {
    /// A number of records (range checked with the rest of the query).
    Records(i64),
    /// The server maximum.
    Max,
}

/// `page_size`: an `int` or `"max"`; the `int`'s range `1..=5000` is
/// checked with the rest of the query (so every violation is listed).
pub(crate) fn page_size(py: Python<'_>, obj: &Bound<'_, PyAny>) -> PyResult<PageSize> {
    const WHAT: &str = "an int 1..=5000 or \"max\"";
    if let Ok(s) = obj.cast::<PyString>() {
        let s = s.to_cow()?;
        if s == "max" {
            return Ok(PageSize::Max);
        }
        return Err(errors::validation(
            py,
            &velip_core::ValidationError::single(
                "page_size",
                "maxreg",
                format!("must be {WHAT}, not {s:?}"),
            ),
        ));
    }
    match int(obj, "page_size", WHAT)? {
        Ok(n) => Ok(PageSize::Records(n)),
        Err(text) => Err(errors::validation(
            py,
            &velip_core::ValidationError::single(
                "page_size",
                "maxreg",
                format!("must be {WHAT}, not {text}"),
            ),
        )),
    }
}

/// `campaign_id`: an `int`; its sign is checked with the rest of the query
/// (so every violation is listed).
pub(crate) fn campaign_id(py: Python<'_>, obj: &Bound<'_, PyAny>) -> PyResult<i64> {
    const WHAT: &str = "a positive int (at most 2**63 - 1)";
    match int(obj, "campaign_id", WHAT)? {
        Ok(n) => Ok(n),
        Err(text) => Err(errors::validation(
            py,
            &velip_core::ValidationError::single(
                "campaign_id",
                "cp_id",
                format!("must be {WHAT}, got {text}"),
            ),
        )),
    }
}
