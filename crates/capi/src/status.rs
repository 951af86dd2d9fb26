//! [`velip_status`]: the result of every fallible function, and its static
//! text.

use std::ffi::c_char;

use crate::boundary::ffi_panic_boundary;

/// The result of a fallible function. `VELIP_OK` (0) is success; values are
/// explicit and never renumbered (retired values stay listed as comments).
///
/// Details of a failure: `velip_status_str` (static text for the status),
/// `velip_last_error_message` (the calling thread's last error, in words),
/// `velip_last_error_api_code`, `velip_last_error_http_status` and
/// `velip_last_error_retry_after`.
#[repr(C)]
#[allow(non_camel_case_types)] // C names, as they appear in velip.h
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum velip_status {
    /// Success.
    VELIP_OK = 0,
    /// A required pointer parameter was NULL.
    VELIP_NULL_PARAMETER = 1,
    /// An input string is not valid UTF-8.
    VELIP_INVALID_UTF8 = 2,
    /// An argument is out of its range or not one of the allowed values
    /// (an unknown enum value, an index past the end).
    VELIP_INVALID_ARGUMENT = 3,
    /// The caller's buffer is too small; the needed size was reported.
    VELIP_BUFFER_TOO_SMALL = 4,
    /// A text is not a valid Brazilian phone number.
    VELIP_INVALID_PHONE_NUMBER = 5,
    /// A text is not a decimal number.
    VELIP_INVALID_DECIMAL = 6,
    /// The request (filter) is invalid: bad date, bad call id, conflicting
    /// selections... Every problem is in the last error message.
    VELIP_VALIDATION = 10,
    /// The client configuration is invalid (bad URL, unreadable CA file,
    /// malformed credentials, both a token and Basic credentials).
    VELIP_CONFIG = 11,
    /// Authentication failed (HTTP 401, codes 100-199). Never retried:
    /// repeated failures get the IP banned permanently.
    VELIP_AUTHENTICATION = 20,
    /// Rate limited (HTTP 429); see `velip_last_error_retry_after`.
    VELIP_RATE_LIMITED = 21,
    /// Forbidden (HTTP 403 or code 105): the IP is not on the account list.
    VELIP_FORBIDDEN = 22,
    /// Another error answer of the service (business error, HTTP 400).
    VELIP_API_ERROR = 23,
    /// The service failed (HTTP 5xx) after the retries allowed.
    VELIP_SERVER_ERROR = 24,
    /// No record with this call id.
    VELIP_NOT_FOUND = 25,
    /// The request budget (`velip_client_config_set_max_requests`) is
    /// spent; nothing was sent.
    VELIP_BUDGET = 26,
    /// Network failure: connect, TLS, reset, timeout.
    VELIP_TRANSPORT = 30,
    /// An answer could not be decoded.
    VELIP_DECODE = 40,
    /// Paging cannot continue: the service sent a cursor already seen (a
    /// loop), said more pages exist without sending a cursor, does not
    /// advance, or sent a full page without pagination. (Named
    /// `VELIP_CURSOR_CYCLE` before 0.2; same value.)
    VELIP_PAGING = 41,
    /// The operation was interrupted. Reserved: no C function returns it
    /// today (the C API has no interrupt mechanism); it is listed so the
    /// numbering matches the other SDK bindings.
    VELIP_INTERRUPTED = 42,
    /// An internal error: a panic was caught at the boundary. Please report.
    VELIP_PANIC = 99,
}

impl velip_status {
    /// The static text of a status.
    pub(crate) fn text(self) -> &'static std::ffi::CStr {
        match self {
            Self::VELIP_OK => c"ok",
            Self::VELIP_NULL_PARAMETER => c"a required parameter is NULL",
            Self::VELIP_INVALID_UTF8 => c"a string parameter is not valid UTF-8",
            Self::VELIP_INVALID_ARGUMENT => c"invalid argument",
            Self::VELIP_BUFFER_TOO_SMALL => c"buffer too small",
            Self::VELIP_INVALID_PHONE_NUMBER => c"not a valid Brazilian phone number",
            Self::VELIP_INVALID_DECIMAL => c"not a decimal number",
            Self::VELIP_VALIDATION => c"invalid request",
            Self::VELIP_CONFIG => c"invalid client configuration",
            Self::VELIP_AUTHENTICATION => c"authentication failed",
            Self::VELIP_RATE_LIMITED => c"rate limited",
            Self::VELIP_FORBIDDEN => c"forbidden",
            Self::VELIP_API_ERROR => c"error answer from the service",
            Self::VELIP_SERVER_ERROR => c"server error",
            Self::VELIP_NOT_FOUND => c"call not found",
            Self::VELIP_BUDGET => c"request budget spent",
            Self::VELIP_TRANSPORT => c"network error",
            Self::VELIP_DECODE => c"cannot decode the answer",
            Self::VELIP_PAGING => c"paging cannot continue",
            Self::VELIP_INTERRUPTED => c"interrupted",
            Self::VELIP_PANIC => c"internal error (panic)",
        }
    }
}

/// The static text of a status, e.g. `"rate limited"`.
///
/// Returns a pointer to a static, NUL-terminated string that lives as long
/// as the program; never NULL. An unknown value gives `"unknown status"`.
///
/// # Safety
/// Always safe: `status` is read as an integer, so any value is accepted.
/// The caller must not free or modify the returned text.
#[unsafe(no_mangle)]
pub extern "C" fn velip_status_str(status: u32) -> *const c_char {
    ffi_panic_boundary! {
        ALL.iter()
            .find(|s| **s as u32 == status)
            .map_or(c"unknown status".as_ptr(), |s| s.text().as_ptr())
    }
}

const ALL: [velip_status; 21] = [
    velip_status::VELIP_OK,
    velip_status::VELIP_NULL_PARAMETER,
    velip_status::VELIP_INVALID_UTF8,
    velip_status::VELIP_INVALID_ARGUMENT,
    velip_status::VELIP_BUFFER_TOO_SMALL,
    velip_status::VELIP_INVALID_PHONE_NUMBER,
    velip_status::VELIP_INVALID_DECIMAL,
    velip_status::VELIP_VALIDATION,
    velip_status::VELIP_CONFIG,
    velip_status::VELIP_AUTHENTICATION,
    velip_status::VELIP_RATE_LIMITED,
    velip_status::VELIP_FORBIDDEN,
    velip_status::VELIP_API_ERROR,
    velip_status::VELIP_SERVER_ERROR,
    velip_status::VELIP_NOT_FOUND,
    velip_status::VELIP_BUDGET,
    velip_status::VELIP_TRANSPORT,
    velip_status::VELIP_DECODE,
    velip_status::VELIP_PAGING,
    velip_status::VELIP_INTERRUPTED,
    velip_status::VELIP_PANIC,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_stable() {
        let values: Vec<u32> = ALL.iter().map(|s| *s as u32).collect();
        assert_eq!(
            values,
            [
                0, 1, 2, 3, 4, 5, 6, 10, 11, 20, 21, 22, 23, 24, 25, 26, 30, 40, 41, 42, 99
            ]
        );
    }

    #[test]
    fn every_status_has_text() {
        for s in ALL {
            // SAFETY: static C strings.
            let t = unsafe { std::ffi::CStr::from_ptr(velip_status_str(s as u32)) };
            assert!(!t.to_bytes().is_empty());
        }
        // SAFETY: static C string.
        let t = unsafe { std::ffi::CStr::from_ptr(velip_status_str(12345)) };
        assert_eq!(t.to_str().unwrap(), "unknown status");
    }
}
