//! Every Rust error mapped to the Python exception hierarchy, in one place.
//!
//! The exception classes are plain Python classes (`velip/_errors.py`), so
//! they can inherit from two built-ins (`ValueError`, `TimeoutError`,
//! `LookupError`); this module imports them and fills their attributes.

use pyo3::IntoPyObjectExt;
use pyo3::exceptions::PyKeyboardInterrupt;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use velip_core::decode::{ApiErrorKind, RateLimitScope};
use velip_core::{ApiError, DecodeError, ValidationError};

use crate::convert::{py_class, seconds};

const MODULE: &str = "velip._errors";

/// Builds `velip._errors.<class>(text, **kwargs)` as a `PyErr`.
fn raise(py: Python<'_>, class: &str, text: &str, kwargs: &Bound<'_, PyDict>) -> PyErr {
    match py_class(py, MODULE, class).and_then(|cls| cls.call((text,), Some(kwargs))) {
        Ok(exc) => PyErr::from_value(exc),
        Err(e) => e,
    }
}

fn build(py: Python<'_>, class: &str, text: &str, kw: &[(&str, Bound<'_, PyAny>)]) -> PyErr {
    let kwargs = PyDict::new(py);
    for (k, v) in kw {
        if let Err(e) = kwargs.set_item(k, v) {
            return e;
        }
    }
    raise(py, class, text, &kwargs)
}

fn obj<'py, T>(py: Python<'py>, v: T) -> Bound<'py, PyAny>
where
    T: IntoPyObject<'py>,
{
    v.into_bound_py_any(py)
        .unwrap_or_else(|_| py.None().into_bound(py))
}

/// What the core's "ask for the empty correlation id" hint means in Python.
const EMPTY_CTID_HINT: &str =
    " (in Python: list_calls(empty_ctid=True) or list_page(empty_ctid=True))";

/// The rule of `v` with a Python-specific hint appended where the core's
/// words name a Rust builder method.
fn python_rule(v: &velip_core::query::Violation) -> std::borrow::Cow<'_, str> {
    if v.field == "correlation_id" && v.rule.contains("ask for the empty correlation id") {
        std::borrow::Cow::Owned(format!("{}{EMPTY_CTID_HINT}", v.rule))
    } else {
        std::borrow::Cow::Borrowed(&v.rule)
    }
}

/// `ValidationError` with every violation.
pub(crate) fn validation(py: Python<'_>, e: &ValidationError) -> PyErr {
    let list = PyList::empty(py);
    let mut text = e.to_string();
    for v in e.violations() {
        let rule = python_rule(v);
        if let std::borrow::Cow::Owned(hinted) = &rule {
            text = text.replacen(v.rule.as_str(), hinted, 1);
        }
        let _ = list.append((v.field, v.wire, rule.as_ref()));
    }
    let kwargs = PyDict::new(py);
    let _ = kwargs.set_item("violations", list);
    raise(py, "ValidationError", &text, &kwargs)
}

/// `ValidationError` for a single bad value (phone number, amount,
/// configuration) that is not a request field.
pub(crate) fn invalid_value(py: Python<'_>, text: &str) -> PyErr {
    build(py, "ValidationError", text, &[])
}

/// `DecodeError` with its position and snippet.
pub(crate) fn decode(py: Python<'_>, e: &DecodeError) -> PyErr {
    build(
        py,
        "DecodeError",
        &e.to_string(),
        &[
            ("http_status", obj(py, e.http_status())),
            ("record_index", obj(py, e.record_index())),
            ("call_id", obj(py, e.call_id())),
            ("field", obj(py, e.field())),
            ("snippet", obj(py, e.snippet())),
        ],
    )
}

/// An error answer: `AuthenticationError`, `RateLimitError`,
/// `ForbiddenError`, `ServerError` or `ApiError` by its classification.
pub(crate) fn api(py: Python<'_>, e: &ApiError) -> PyErr {
    let text = e.to_string();
    let common = [
        ("http_status", obj(py, e.http_status())),
        ("code", obj(py, e.code())),
        ("message", obj(py, e.message())),
    ];
    match e.kind() {
        ApiErrorKind::Authentication => build(py, "AuthenticationError", &text, &common),
        ApiErrorKind::Forbidden => build(py, "ForbiddenError", &text, &common),
        ApiErrorKind::RateLimited(scope) => {
            let scope = match scope {
                RateLimitScope::List => "list",
                RateLimitScope::DailyLookup => "daily_lookup",
                RateLimitScope::Unknown => "unknown",
            };
            let mut kw = common.to_vec();
            kw.push(("retry_after", obj(py, e.retry_after().map(seconds))));
            kw.push(("scope", obj(py, scope)));
            build(py, "RateLimitError", &text, &kw)
        }
        ApiErrorKind::Server => build(py, "ServerError", &text, &common),
        _ => build(py, "ApiError", &text, &common),
    }
}

/// `velip_core::ResponseError` (what `parse_response` can fail with).
pub(crate) fn response(py: Python<'_>, e: &velip_core::ResponseError) -> PyErr {
    match e {
        velip_core::ResponseError::Api(a) => api(py, a),
        velip_core::ResponseError::Decode(d) => decode(py, d),
    }
}

/// `KeyboardInterrupt` (when the interrupt check did not keep the exact
/// error raised by a signal handler).
pub(crate) fn interrupted() -> PyErr {
    PyKeyboardInterrupt::new_err("interrupted")
}

thread_local! {
    /// The exception a signal handler raised while the interrupt check ran
    /// on this thread (re-raised in place of `Error::Interrupted`).
    static PENDING_SIGNAL: std::cell::RefCell<Option<PyErr>> = const { std::cell::RefCell::new(None) };
}

/// The interrupt check given to the blocking client: runs Python's signal
/// handlers (Ctrl-C) and keeps the exception they raise.
pub(crate) fn interrupt_check() -> bool {
    if PENDING_SIGNAL.with(|p| p.borrow().is_some()) {
        return true;
    }
    Python::try_attach(|py| match py.check_signals() {
        Ok(()) => false,
        Err(e) => {
            PENDING_SIGNAL.with(|p| *p.borrow_mut() = Some(e));
            true
        }
    })
    .unwrap_or(false)
}

/// Keeps an exception a signal handler raised while other Python code ran
/// on behalf of the client (the `logging` forwarder), so the next interrupt
/// check stops the call and re-raises it instead of losing it.
pub(crate) fn stash_signal(py: Python<'_>, e: PyErr) {
    if !e.is_instance_of::<pyo3::exceptions::PyException>(py) {
        PENDING_SIGNAL.with(|p| *p.borrow_mut() = Some(e));
    }
}

fn take_pending_signal() -> Option<PyErr> {
    PENDING_SIGNAL.with(|p| p.borrow_mut().take())
}

/// Every error of the blocking client.
pub(crate) fn client(py: Python<'_>, e: &velip_blocking::Error) -> PyErr {
    use velip_blocking::{Error, TransportKind};
    let text = e.to_string();
    match e {
        Error::Validation(v) => validation(py, v),
        Error::Authentication(a) | Error::RateLimited(a) | Error::Forbidden(a) | Error::Api(a) => {
            api(py, a)
        }
        Error::Server { status, snippet } => build(
            py,
            "ServerError",
            &text,
            &[
                ("http_status", obj(py, *status)),
                ("snippet", obj(py, snippet.as_str())),
            ],
        ),
        Error::Transport { kind, .. } => {
            let class = if *kind == TransportKind::Timeout {
                "RequestTimeoutError"
            } else {
                "TransportError"
            };
            build(py, class, &text, &[("kind", obj(py, kind.as_str()))])
        }
        Error::Decode(d) => decode(py, d),
        Error::CursorCycle { cursor } => build(
            py,
            "CursorCycleError",
            &text,
            &[("cursor", obj(py, cursor.as_str()))],
        ),
        Error::CursorMissing => build(py, "CursorCycleError", &text, &[]),
        Error::NotFound { call_id } => build(
            py,
            "NotFoundError",
            &text,
            &[("call_id", obj(py, call_id.as_str()))],
        ),
        Error::Interrupted => take_pending_signal().unwrap_or_else(interrupted),
        Error::Config(_) => invalid_value(py, &text),
        _ => build(py, "VelipError", &text, &[]),
    }
}

/// `VelipError` with a message (misuse such as a closed client).
pub(crate) fn velip(py: Python<'_>, text: &str) -> PyErr {
    build(py, "VelipError", text, &[])
}
