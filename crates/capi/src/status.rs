//! [`velip_status`]: the result of every fallible function, its values and
//! their static text.
//!
//! Like every enumeration of the C API, a status crosses the boundary as a
//! fixed-width integer (`typedef uint32_t velip_status;`) with `#define`d
//! values, never as a C `enum`: its size does not depend on the compiler's
//! enum rules (`-fshort-enums`), and a value this library does not know is
//! still a valid `uint32_t`.

use std::ffi::c_char;

use crate::boundary::ffi_panic_boundary;

/// The result of a fallible function: `VELIP_OK` (0) is success; the
/// `VELIP_*` values are fixed forever (retired values stay listed as
/// comments, never reused). A `uint32_t`, so an unknown value is never
/// undefined behaviour.
///
/// Details of a failure: `velip_status_str` (static text for the status),
/// `velip_last_error_message` (the calling thread's last error, in words),
/// `velip_last_error_api_code`, `velip_last_error_http_status` and
/// `velip_last_error_retry_after`.
pub type velip_status = u32;

/// Success.
pub const VELIP_OK: velip_status = 0;
/// A required pointer parameter was NULL.
pub const VELIP_NULL_PARAMETER: velip_status = 1;
/// An input string is not valid UTF-8.
pub const VELIP_INVALID_UTF8: velip_status = 2;
/// An argument is out of its range or not one of the allowed values (an
/// unknown enumeration value, an index past the end).
pub const VELIP_INVALID_ARGUMENT: velip_status = 3;
/// The caller's buffer is too small; the needed size was reported.
pub const VELIP_BUFFER_TOO_SMALL: velip_status = 4;
/// A text is not a valid Brazilian phone number.
pub const VELIP_INVALID_PHONE_NUMBER: velip_status = 5;
/// A text is not a decimal number.
pub const VELIP_INVALID_DECIMAL: velip_status = 6;
/// The request (filter) is invalid: bad date, bad call id, conflicting
/// selections... Every problem is in the last error message.
pub const VELIP_VALIDATION: velip_status = 10;
/// The client configuration is invalid (bad URL, unreadable CA file,
/// malformed credentials, both a token and Basic credentials).
pub const VELIP_CONFIG: velip_status = 11;
/// Authentication failed (HTTP 401, codes 100-199). Never retried: repeated
/// failures get the IP banned permanently.
pub const VELIP_AUTHENTICATION: velip_status = 20;
/// Rate limited (HTTP 429); see `velip_last_error_retry_after`.
pub const VELIP_RATE_LIMITED: velip_status = 21;
/// Forbidden (HTTP 403 or code 105): the IP is not on the account list.
pub const VELIP_FORBIDDEN: velip_status = 22;
/// Another error answer of the service (business error, HTTP 400).
pub const VELIP_API_ERROR: velip_status = 23;
/// The service failed (HTTP 5xx) after the retries allowed.
pub const VELIP_SERVER_ERROR: velip_status = 24;
/// No record with this call id.
pub const VELIP_NOT_FOUND: velip_status = 25;
/// The request budget (`velip_client_config_set_max_requests`) is spent;
/// nothing was sent.
pub const VELIP_BUDGET: velip_status = 26;
/// Network failure: connect, TLS, reset, timeout.
pub const VELIP_TRANSPORT: velip_status = 30;
/// An answer could not be decoded.
pub const VELIP_DECODE: velip_status = 40;
/// Paging cannot continue: the service sent a cursor already seen (a loop),
/// said more pages exist without sending a cursor, does not advance, or
/// sent a full page without pagination. (Named `VELIP_CURSOR_CYCLE` before
/// 0.2; same value.)
pub const VELIP_PAGING: velip_status = 41;
/// The call was stopped before it finished: `velip_client_interrupt` was
/// called (the client stays interrupted until `velip_client_clear_interrupt`),
/// or the call's deadline (`velip_client_config_set_deadline_ms`) passed.
/// The last error message says which. Nothing is lost: a walk interrupted
/// in `velip_call_iter_next` continues from the same place when called
/// again.
pub const VELIP_INTERRUPTED: velip_status = 42;
/// An internal error: a panic was caught at the boundary. Please report.
pub const VELIP_PANIC: velip_status = 99;

/// Every status with its static text, in value order.
const TEXTS: [(velip_status, &std::ffi::CStr); 21] = [
    (VELIP_OK, c"ok"),
    (VELIP_NULL_PARAMETER, c"a required parameter is NULL"),
    (VELIP_INVALID_UTF8, c"a string parameter is not valid UTF-8"),
    (VELIP_INVALID_ARGUMENT, c"invalid argument"),
    (VELIP_BUFFER_TOO_SMALL, c"buffer too small"),
    (
        VELIP_INVALID_PHONE_NUMBER,
        c"not a valid Brazilian phone number",
    ),
    (VELIP_INVALID_DECIMAL, c"not a decimal number"),
    (VELIP_VALIDATION, c"invalid request"),
    (VELIP_CONFIG, c"invalid client configuration"),
    (VELIP_AUTHENTICATION, c"authentication failed"),
    (VELIP_RATE_LIMITED, c"rate limited"),
    (VELIP_FORBIDDEN, c"forbidden"),
    (VELIP_API_ERROR, c"error answer from the service"),
    (VELIP_SERVER_ERROR, c"server error"),
    (VELIP_NOT_FOUND, c"call not found"),
    (VELIP_BUDGET, c"request budget spent"),
    (VELIP_TRANSPORT, c"network error"),
    (VELIP_DECODE, c"cannot decode the answer"),
    (VELIP_PAGING, c"paging cannot continue"),
    (VELIP_INTERRUPTED, c"interrupted"),
    (VELIP_PANIC, c"internal error (panic)"),
];

/// The static text of a status, e.g. `"rate limited"`.
///
/// Returns a pointer to a static, NUL-terminated string that lives as long
/// as the program; never NULL. An unknown value gives `"unknown status"`.
///
/// # Safety
/// Always safe: any value is accepted. The caller must not free or modify
/// the returned text.
#[unsafe(no_mangle)]
pub extern "C" fn velip_status_str(status: velip_status) -> *const c_char {
    ffi_panic_boundary! {
        TEXTS
            .iter()
            .find(|(s, _)| *s == status)
            .map_or(c"unknown status".as_ptr(), |(_, t)| t.as_ptr())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_stable() {
        let values: Vec<u32> = TEXTS.iter().map(|(s, _)| *s).collect();
        assert_eq!(
            values,
            [
                0, 1, 2, 3, 4, 5, 6, 10, 11, 20, 21, 22, 23, 24, 25, 26, 30, 40, 41, 42, 99
            ]
        );
    }

    #[test]
    fn every_status_has_text() {
        for (s, _) in TEXTS {
            // SAFETY: static C strings.
            let t = unsafe { std::ffi::CStr::from_ptr(velip_status_str(s)) };
            assert!(!t.to_bytes().is_empty());
        }
        // SAFETY: static C string.
        let t = unsafe { std::ffi::CStr::from_ptr(velip_status_str(12345)) };
        assert_eq!(t.to_str().unwrap(), "unknown status");
    }
}
