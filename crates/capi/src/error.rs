//! Error detail: the calling thread's last error (message, API code, HTTP
//! status, Retry-After) and the conversions of every Rust error into a
//! [`velip_status`] (all mapping in one place).

use std::cell::RefCell;
use std::ffi::c_char;
use std::time::Duration;

use velip_blocking::ErrorKind;
use velip_core::{ApiError, DecodeError, ResponseError, ValidationError};

use crate::boundary::{Untracked, copy_text, ffi_panic_boundary, try_out};
use crate::status::{
    VELIP_API_ERROR, VELIP_AUTHENTICATION, VELIP_BUDGET, VELIP_CONFIG, VELIP_DECODE,
    VELIP_FORBIDDEN, VELIP_INTERRUPTED, VELIP_INVALID_ARGUMENT, VELIP_NOT_FOUND,
    VELIP_NULL_PARAMETER, VELIP_OK, VELIP_PAGING, VELIP_RATE_LIMITED, VELIP_SERVER_ERROR,
    VELIP_TRANSPORT, VELIP_VALIDATION, velip_status,
};

/// An error on its way to C: the status and the detail kept for
/// `velip_last_error_*`.
#[derive(Debug, Clone)]
pub(crate) struct Error {
    pub(crate) status: velip_status,
    pub(crate) message: String,
    pub(crate) api_code: Option<u32>,
    pub(crate) http_status: Option<u16>,
    pub(crate) retry_after: Option<Duration>,
}

impl Error {
    pub(crate) fn new(status: velip_status, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            api_code: None,
            http_status: None,
            retry_after: None,
        }
    }

    pub(crate) fn null(name: &str) -> Self {
        Self::new(VELIP_NULL_PARAMETER, format!("parameter `{name}` is NULL"))
    }

    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Self::new(VELIP_INVALID_ARGUMENT, message)
    }

    /// Stores this error as the calling thread's last error and returns its
    /// status.
    pub(crate) fn record(self) -> velip_status {
        let status = self.status;
        LAST_ERROR.with(|l| *l.borrow_mut() = Some(self));
        status
    }
}

/// The C status of each error kind: the one table (a test walks every
/// kind through it).
pub(crate) fn status_of(kind: ErrorKind) -> velip_status {
    match kind {
        ErrorKind::Validation => VELIP_VALIDATION,
        ErrorKind::Config => VELIP_CONFIG,
        ErrorKind::Authentication => VELIP_AUTHENTICATION,
        ErrorKind::Forbidden => VELIP_FORBIDDEN,
        ErrorKind::RateLimited => VELIP_RATE_LIMITED,
        ErrorKind::Server => VELIP_SERVER_ERROR,
        ErrorKind::Transport => VELIP_TRANSPORT,
        ErrorKind::Decode => VELIP_DECODE,
        ErrorKind::Paging => VELIP_PAGING,
        ErrorKind::NotFound => VELIP_NOT_FOUND,
        ErrorKind::Interrupted => VELIP_INTERRUPTED,
        ErrorKind::Budget => VELIP_BUDGET,
        // `Api`, and kinds added later until they get a status of their own.
        _ => VELIP_API_ERROR,
    }
}

impl From<velip_blocking::Error> for Error {
    fn from(e: velip_blocking::Error) -> Self {
        Self {
            status: status_of(e.kind()),
            message: e.to_string(),
            api_code: e.api_code().and_then(|c| c.parse().ok()),
            http_status: e.http_status(),
            retry_after: e.retry_after(),
        }
    }
}

impl From<ApiError> for Error {
    fn from(e: ApiError) -> Self {
        velip_blocking::Error::from(e).into()
    }
}

impl From<DecodeError> for Error {
    fn from(e: DecodeError) -> Self {
        velip_blocking::Error::from(e).into()
    }
}

impl From<ResponseError> for Error {
    fn from(e: ResponseError) -> Self {
        velip_blocking::Error::from(e).into()
    }
}

impl From<ValidationError> for Error {
    fn from(e: ValidationError) -> Self {
        velip_blocking::Error::from(e).into()
    }
}

thread_local! {
    static LAST_ERROR: RefCell<Option<Error>> = const { RefCell::new(None) };
}

fn with_last<R>(f: impl FnOnce(Option<&Error>) -> R) -> R {
    LAST_ERROR.with(|l| f(l.borrow().as_ref()))
}

/// The status of the calling thread's last error, `VELIP_OK` when there is
/// none. A failing call sets the last error; a successful call leaves it
/// unchanged (as `errno`); the `velip_last_error_*` functions never change
/// it.
///
/// # Safety
/// Always safe. Each thread has its own last error.
#[unsafe(no_mangle)]
pub extern "C" fn velip_last_error_status() -> velip_status {
    ffi_panic_boundary! {
        Untracked(with_last(|e| e.map_or(VELIP_OK, |e| e.status)))
    }
}

/// Copies the calling thread's last error message, NUL-terminated, into
/// `buf` (`len` bytes). The text is `""` when there is no last error.
///
/// The message is complete on its own: it already says what kind of error
/// it is where that helps (e.g. `invalid client configuration: ...`,
/// `transport error (timeout): ...`), so print it alone rather than after
/// `velip_status_str`, which would repeat that text.
///
/// `needed` (may be NULL) receives the size the message needs, NUL
/// included, whatever the outcome; pass `buf` NULL and `len` 0 to ask for
/// the size only (`VELIP_OK`, with `*needed` set). Returns
/// `VELIP_BUFFER_TOO_SMALL` (and writes nothing to `buf`) when `len` is
/// smaller, and `VELIP_NULL_PARAMETER` when `buf` is NULL but `len` is not
/// 0. Never changes the last error.
///
/// Messages never contain tokens or passwords.
///
/// # Safety
/// `buf` must be NULL or valid for writing `len` bytes; `needed` NULL or
/// valid for writing one `size_t`. The caller owns both.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_last_error_message(
    buf: *mut c_char,
    len: usize,
    needed: *mut usize,
) -> velip_status {
    ffi_panic_boundary! {
        let text = with_last(|e| e.map(|e| e.message.clone()).unwrap_or_default());
        // SAFETY: per this function's contract.
        Untracked(match unsafe { copy_text(buf, len, needed, || Ok(text)) } {
            Ok(()) => VELIP_OK,
            Err(e) => e.status,
        })
    }
}

/// The service's `status_code` of the last error (e.g. 102, 429), when the
/// last error was an answer of the service carrying a numeric code.
///
/// On `VELIP_OK`, `*present` says whether there is a code and `*code`
/// receives it (0 when absent: check `*present`, absent is not 0).
///
/// # Safety
/// `code` and `present` must be valid for writing (owned by the caller);
/// NULL gives `VELIP_NULL_PARAMETER`. Never changes the last error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_last_error_api_code(
    code: *mut u32,
    present: *mut bool,
) -> velip_status {
    ffi_panic_boundary! {
        // SAFETY: per this function's contract.
        Untracked(unsafe { write_opt_number(code, present, with_last(|e| e.and_then(|e| e.api_code))) })
    }
}

/// The HTTP status of the last error, when it came from an HTTP answer.
///
/// On `VELIP_OK`, `*present` says whether there is one and `*http_status`
/// receives it (0 when absent).
///
/// # Safety
/// As `velip_last_error_api_code`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_last_error_http_status(
    http_status: *mut u16,
    present: *mut bool,
) -> velip_status {
    ffi_panic_boundary! {
        // SAFETY: per this function's contract.
        Untracked(unsafe { write_opt_number(http_status, present, with_last(|e| e.and_then(|e| e.http_status))) })
    }
}

/// The `Retry-After` delay of the last error, in whole seconds, when the
/// answer carried a valid one (rate limits).
///
/// On `VELIP_OK`, `*present` says whether there is one and `*seconds`
/// receives it (0 when absent; a present 0 means "retry now").
///
/// # Safety
/// As `velip_last_error_api_code`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_last_error_retry_after(
    seconds: *mut u64,
    present: *mut bool,
) -> velip_status {
    ffi_panic_boundary! {
        let v = with_last(|e| e.and_then(|e| e.retry_after)).map(|d| d.as_secs());
        // SAFETY: per this function's contract.
        Untracked(unsafe { write_opt_number(seconds, present, v) })
    }
}

/// Forgets the calling thread's last error (`velip_last_error_status` then
/// gives `VELIP_OK`).
///
/// # Safety
/// Always safe.
#[unsafe(no_mangle)]
pub extern "C" fn velip_last_error_clear() {
    ffi_panic_boundary! {
        LAST_ERROR.with(|l| *l.borrow_mut() = None);
    }
}

/// Writes an optional number and its "present" flag; used for every
/// optional numeric output.
///
/// # Safety
/// `value` and `present` must be NULL or valid for writing.
pub(crate) unsafe fn write_opt_number<T: Default>(
    value: *mut T,
    present: *mut bool,
    v: Option<T>,
) -> velip_status {
    // SAFETY: per this function's contract.
    match unsafe { (try_out(value, "value"), try_out(present, "present")) } {
        (Ok(value), Ok(present)) => {
            present.write(v.is_some());
            value.write(v.unwrap_or_default());
            VELIP_OK
        }
        _ => VELIP_NULL_PARAMETER,
    }
}

/// As [`write_opt_number`], for functions that record their errors.
///
/// # Safety
/// As [`write_opt_number`].
pub(crate) unsafe fn set_opt_number<T: Default>(
    value: *mut T,
    present: *mut bool,
    v: Option<T>,
) -> Result<(), Error> {
    // SAFETY: per this function's contract.
    let (value, present) = unsafe { (try_out(value, "value")?, try_out(present, "present")?) };
    present.write(v.is_some());
    value.write(v.unwrap_or_default());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::velip_status_str;

    /// Every error kind of the client has its own status with its own text
    /// (the table is `status_of`; a new kind fails here until it has one).
    #[test]
    fn every_error_kind_has_its_own_status() {
        let mut seen = std::collections::HashSet::new();
        for kind in ErrorKind::ALL {
            let s = status_of(kind);
            assert!(seen.insert(s), "{kind:?} shares status {s}");
            assert_ne!(s, VELIP_OK, "{kind:?}");
            // SAFETY: static C strings.
            let text = unsafe { std::ffi::CStr::from_ptr(velip_status_str(s)) };
            assert_ne!(text.to_str().unwrap(), "unknown status", "{kind:?}");
        }
    }
}
