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

use velip_core::query::ViolationCode;

use crate::errors;

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

/// A count (`int`, never a `bool`) that cannot be negative, as a `u32`;
/// larger values saturate (the client builder then says what the limit
/// is).
pub(crate) fn count(py: Python<'_>, obj: &Bound<'_, PyAny>, name: &str) -> PyResult<u32> {
    const WHAT: &str = "a non-negative int";
    match int(obj, name, WHAT)? {
        Ok(n) if n >= 0 => Ok(u32::try_from(n).unwrap_or(u32::MAX)),
        Err(text) if !text.starts_with('-') => Ok(u32::MAX),
        Ok(n) => Err(errors::invalid_value(
            py,
            &format!("{name} must be {WHAT}, not {n}"),
        )),
        Err(text) => Err(errors::invalid_value(
            py,
            &format!("{name} must be {WHAT}, not {text}"),
        )),
    }
}

/// A number of seconds (`int` or `float`, never a `bool`), finite and not
/// negative, as a `Duration`. Its range is the client builder's rule
/// (`ConfigError` naming the option).
pub(crate) fn seconds(py: Python<'_>, obj: &Bound<'_, PyAny>, name: &str) -> PyResult<Duration> {
    const WHAT: &str = "a finite, non-negative number of seconds";
    if obj.is_instance_of::<PyBool>()
        || !(obj.is_instance_of::<PyInt>() || obj.is_instance_of::<PyFloat>())
    {
        return Err(wrong_type(obj, name, WHAT));
    }
    // An `int` too large for a `float` converts to infinity. Huge finite
    // values saturate (the builder then names the limit).
    let s = obj.extract::<f64>().unwrap_or(f64::INFINITY);
    let s = if s.is_finite() { s.min(1e15) } else { s };
    Duration::try_from_secs_f64(s).map_err(|_| {
        let text = obj
            .repr()
            .map_or_else(|_| "?".to_owned(), |s| s.to_string());
        errors::invalid_value(py, &format!("{name} must be {WHAT}, not {text}"))
    })
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
                ViolationCode::WrongType,
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
                ViolationCode::OutOfRange,
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
                ViolationCode::OutOfRange,
                format!("must be {WHAT}, got {text}"),
            ),
        )),
    }
}

/// A `str` argument as UTF-8 text: `TypeError` for another type,
/// `ValidationError` naming the parameter for a `str` that cannot be
/// encoded (a lone surrogate such as `"\\ud800"`), never
/// `UnicodeEncodeError`.
pub(crate) fn text(py: Python<'_>, obj: &Bound<'_, PyAny>, name: &str) -> PyResult<String> {
    let Ok(s) = obj.cast::<PyString>() else {
        return Err(wrong_type(obj, name, "a str"));
    };
    s.to_cow().map(std::borrow::Cow::into_owned).map_err(|_| {
        errors::invalid_value(
            py,
            &format!(
                "{name} must be valid Unicode text: it holds a lone surrogate (U+D800..U+DFFF), which cannot be sent"
            ),
        )
    })
}

/// [`text`] for an optional argument.
pub(crate) fn opt_text(
    py: Python<'_>,
    obj: Option<&Bound<'_, PyAny>>,
    name: &str,
) -> PyResult<Option<String>> {
    obj.filter(|o| !o.is_none())
        .map(|o| text(py, o, name))
        .transpose()
}

/// `limit=`: a non-negative `int` (never a `bool`), else `TypeError` /
/// `ValidationError` naming it.
pub(crate) fn limit(py: Python<'_>, obj: &Bound<'_, PyAny>) -> PyResult<u64> {
    const WHAT: &str = "a non-negative int";
    match int(obj, "limit", WHAT)? {
        Ok(n) if n >= 0 => Ok(n.unsigned_abs()),
        Err(text) if !text.starts_with('-') => Ok(u64::MAX),
        Ok(n) => Err(errors::invalid_value(
            py,
            &format!("limit must be {WHAT}, not {n}"),
        )),
        Err(text) => Err(errors::invalid_value(
            py,
            &format!("limit must be {WHAT}, not {text}"),
        )),
    }
}

/// A `(str, str)` pair (`basic_auth=`), each converted with [`text`].
pub(crate) fn pair(
    py: Python<'_>,
    obj: &Bound<'_, PyAny>,
    name: &str,
) -> PyResult<(String, String)> {
    let (a, b): (Bound<'_, PyAny>, Bound<'_, PyAny>) = obj
        .extract()
        .map_err(|_| wrong_type(obj, name, "a (user, password) tuple"))?;
    Ok((text(py, &a, name)?, text(py, &b, name)?))
}
