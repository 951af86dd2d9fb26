//! Every Rust error mapped to the Python exception hierarchy, in one place.
//!
//! The exception classes are plain Python classes (`velip/_errors.py`), so
//! they can inherit from two built-ins (`ValueError`, `TimeoutError`,
//! `LookupError`); this module imports them and fills their attributes.

use pyo3::IntoPyObjectExt;
use pyo3::exceptions::PyKeyboardInterrupt;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use velip_blocking::ErrorKind;
use velip_core::decode::{ApiErrorKind, RateLimitScope};
use velip_core::query::ViolationCode;
use velip_core::{DecodeError, ValidationError};

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

/// The Python hint for a violation, chosen by its code (never by the
/// message's words).
fn python_hint(code: ViolationCode) -> Option<&'static str> {
    match code {
        ViolationCode::CorrelationEmpty | ViolationCode::CorrelationLiteralNull => {
            Some(" (in Python: list_calls(empty_ctid=True) or list_page(empty_ctid=True))")
        }
        _ => None,
    }
}

/// `ValidationError` with every violation.
pub(crate) fn validation(py: Python<'_>, e: &ValidationError) -> PyErr {
    let list = PyList::empty(py);
    let mut text = e.to_string();
    for v in e.violations() {
        let mut rule = v.rule.clone();
        if let Some(hint) = python_hint(v.code) {
            rule.push_str(hint);
            text = text.replacen(v.rule.as_str(), &rule, 1);
        }
        let _ = list.append((v.field, v.wire, rule, v.code.as_str()));
    }
    let kwargs = PyDict::new(py);
    let _ = kwargs.set_item("violations", list);
    raise(py, "ValidationError", &text, &kwargs)
}

/// `ValidationError` for a single bad value (phone number, amount) that is
/// not a request field.
pub(crate) fn invalid_value(py: Python<'_>, text: &str) -> PyErr {
    build(py, "ValidationError", text, &[])
}

/// The exception class of each error kind: the one table (a test walks
/// every kind through it).
pub(crate) fn class_of(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::Validation => "ValidationError",
        ErrorKind::Config => "ConfigError",
        ErrorKind::Authentication => "AuthenticationError",
        ErrorKind::Forbidden => "ForbiddenError",
        ErrorKind::RateLimited => "RateLimitError",
        ErrorKind::Api => "ApiError",
        ErrorKind::Server => "ServerError",
        ErrorKind::Transport => "TransportError",
        ErrorKind::Decode => "DecodeError",
        ErrorKind::Paging => "PagingError",
        ErrorKind::NotFound => "NotFoundError",
        ErrorKind::Interrupted => "KeyboardInterrupt",
        ErrorKind::Budget => "BudgetError",
        // Kinds added later, until they get a class of their own.
        _ => "VelipError",
    }
}

/// The `_kind_table()` test hook: every kind's name and class.
#[pyfunction]
pub(crate) fn _error_kinds() -> Vec<(&'static str, &'static str)> {
    ErrorKind::ALL
        .iter()
        .map(|k| (k.as_str(), class_of(*k)))
        .collect()
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

/// The interrupt check given to the blocking client: the cancellation flag
/// of the async call running on this thread, then Python's signal handlers
/// (Ctrl-C; they run on the main thread only), keeping the exception they
/// raise.
pub(crate) fn interrupt_check() -> bool {
    // An async call's task was cancelled (see `cancel.rs`).
    if crate::cancel::cancelled() {
        return true;
    }
    if crate::cancel::in_async_call() {
        return false;
    }
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

/// Every error of the blocking client, by its kind.
pub(crate) fn client(py: Python<'_>, e: &velip_blocking::Error) -> PyErr {
    use velip_blocking::{Error, PagingError, TransportKind};
    let text = e.to_string();
    let class = class_of(e.kind());
    match e {
        Error::Validation(v) => validation(py, v),
        Error::Config(c) => build(py, class, &text, &[("option", obj(py, c.option))]),
        Error::Authentication(a)
        | Error::RateLimited(a)
        | Error::Forbidden(a)
        | Error::Api(a)
        | Error::Server(a) => {
            let mut kw = vec![
                ("http_status", obj(py, a.http_status())),
                ("code", obj(py, a.code())),
                ("message", obj(py, a.message())),
            ];
            if !matches!(e, Error::Server(_)) {
                // `False`: refused by the client itself, nothing sent.
                kw.push(("sent", obj(py, e.was_sent())));
            }
            match a.kind() {
                ApiErrorKind::RateLimited(scope) => {
                    let scope = match scope {
                        RateLimitScope::List => "list",
                        RateLimitScope::DailyLookup => "daily_lookup",
                        RateLimitScope::Unknown => "unknown",
                    };
                    kw.push(("retry_after", obj(py, a.retry_after().map(seconds))));
                    kw.push(("scope", obj(py, scope)));
                }
                ApiErrorKind::Server => kw.push(("snippet", obj(py, a.message()))),
                _ => {}
            }
            build(py, class, &text, &kw)
        }
        Error::Transport { kind, .. } => {
            // A timeout is also a built-in `TimeoutError`.
            let class = if *kind == TransportKind::Timeout {
                "RequestTimeoutError"
            } else {
                class
            };
            build(py, class, &text, &[("kind", obj(py, kind.as_str()))])
        }
        Error::Decode(d) => build(
            py,
            class,
            &text,
            &[
                ("http_status", obj(py, d.http_status())),
                ("record_index", obj(py, d.record_index())),
                ("call_id", obj(py, d.call_id())),
                ("field", obj(py, d.field())),
                ("snippet", obj(py, d.snippet())),
            ],
        ),
        Error::Paging(p) => {
            let (reason, cursor) = match p {
                PagingError::CursorCycle { cursor } => ("cursor_cycle", cursor.as_str()),
                PagingError::CursorMissing => ("cursor_missing", ""),
                PagingError::NoProgress { .. } => ("no_progress", ""),
                PagingError::MissingPagination { .. } => ("missing_pagination", ""),
                _ => ("other", ""),
            };
            build(
                py,
                class,
                &text,
                &[("reason", obj(py, reason)), ("cursor", obj(py, cursor))],
            )
        }
        Error::NotFound { call_id } => {
            build(py, class, &text, &[("call_id", obj(py, call_id.as_str()))])
        }
        // Refused here, nothing sent: the class of the answer it stands for
        // (AuthenticationError, RateLimitError, BudgetError), `sent=False`.
        Error::NotSent(n) => {
            let mut kw = vec![("sent", obj(py, false))];
            match n {
                velip_blocking::NotSent::Ledger(r) if r.is_locked_out() => {
                    kw.push(("code", obj(py, e.api_code().unwrap_or_default())));
                }
                velip_blocking::NotSent::Ledger(r) => {
                    kw.push(("retry_after", obj(py, e.retry_after().map(seconds))));
                    let scope = match r.scope() {
                        Some(velip_blocking::ledger::Scope::List) => "list",
                        Some(velip_blocking::ledger::Scope::Lookup) => "daily_lookup",
                        None => "unknown",
                    };
                    kw.push(("scope", obj(py, scope)));
                    kw.push(("http_status", obj(py, 0u16)));
                }
                _ => {}
            }
            build(py, class, &text, &kw)
        }
        // A cancelled async call raises `CancelledError` in its worker
        // (dropped: the awaiting task is already cancelled); Ctrl-C raises
        // what the signal handler raised.
        Error::Interrupted => take_pending_signal().unwrap_or_else(|| {
            if crate::cancel::cancelled() {
                crate::cancel::cancelled_error(py)
            } else {
                interrupted()
            }
        }),
        _ => build(py, class, &text, &[]),
    }
}

/// A decode error (a webhook body), as the client would raise it.
pub(crate) fn decode(py: Python<'_>, e: &DecodeError) -> PyErr {
    client(py, &velip_blocking::Error::Decode(e.clone()))
}

/// What core's answer classifier says (`parse_response`), as the client
/// would raise it.
pub(crate) fn response(py: Python<'_>, e: velip_core::ResponseError) -> PyErr {
    client(py, &velip_blocking::Error::from(e))
}

/// `VelipError` with a message (misuse such as a closed client).
pub(crate) fn velip(py: Python<'_>, text: &str) -> PyErr {
    build(py, "VelipError", text, &[])
}

/// `DatabaseError` (`kind`: `DbErrorKind::as_str`, `"unreachable"`,
/// `"read_only"`, ...), or `ValidationError` for a malformed database URL
/// or account label (bad input, as for a request field).
pub(crate) fn database(py: Python<'_>, e: &velip_store::db::DbError) -> PyErr {
    use velip_store::db::DbErrorKind;
    let class = match e.kind() {
        DbErrorKind::InvalidUrl | DbErrorKind::InvalidInput => "ValidationError",
        _ => "DatabaseError",
    };
    let kw: Vec<(&str, Bound<'_, PyAny>)> = if class == "DatabaseError" {
        vec![("kind", obj(py, e.kind().as_str()))]
    } else {
        Vec::new()
    };
    build(py, class, &e.to_string(), &kw)
}

/// A sync's error: the client's or the database's.
pub(crate) fn sync(py: Python<'_>, e: &velip_store::sync::SyncError) -> PyErr {
    match e {
        velip_store::sync::SyncError::Client(c) => client(py, c),
        velip_store::sync::SyncError::Database(d) => database(py, d),
        other => build(
            py,
            "DatabaseError",
            &other.to_string(),
            &[("kind", obj(py, "other"))],
        ),
    }
}
