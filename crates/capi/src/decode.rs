//! Offline decoding: a saved answer body, a webhook delivery.

use std::ffi::c_char;

use velip_core::decode::{HttpAnswer, classify_answer, decode_webhook};

use crate::boundary::{ffi_panic_boundary, into_raw, try_bytes, try_opt_str, try_out};
use crate::page::{PageData, velip_page};
use crate::status::velip_status;

/// Decodes an answer of the service: its HTTP status (0 when not known, as
/// for a saved body), its `Retry-After` and `Content-Type` header values
/// (NULL when absent) and its body (`body_len` bytes, UTF-8 or ISO-8859-1,
/// need not be NUL-terminated). The same classifier as the client's: a
/// non-JSON body (an HTML page from a proxy) is classified by its HTTP
/// status, keeping its Retry-After.
///
/// On `VELIP_OK`, `*out` is a new page owned by the caller: free it with
/// `velip_page_free`. An error answer gives its status
/// (`VELIP_AUTHENTICATION`, `VELIP_RATE_LIMITED`, `VELIP_FORBIDDEN`,
/// `VELIP_API_ERROR`, `VELIP_SERVER_ERROR`) with the API code, HTTP status
/// and Retry-After available through `velip_last_error_*`; a body that
/// cannot be read gives `VELIP_DECODE`.
///
/// # Safety
/// `retry_after` and `content_type` must be NULL or NUL-terminated UTF-8
/// strings; `body` NULL
/// (only when `body_len` is 0) or valid for reading `body_len` bytes; `out`
/// valid for writing. The caller owns the inputs.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_parse_response(
    http_status: u16,
    retry_after: *const c_char,
    content_type: *const c_char,
    body: *const u8,
    body_len: usize,
    out: *mut *mut velip_page,
) -> velip_status {
    ffi_panic_boundary! {
        // SAFETY: per this function's contract.
        let (retry_after, content_type, body, out) = unsafe {
            (
                try_opt_str(retry_after, "retry_after")?,
                try_opt_str(content_type, "content_type")?,
                try_bytes(body, body_len, "body")?,
                try_out(out, "out")?,
            )
        };
        let mut answer = HttpAnswer::new(http_status, body);
        if let Some(v) = retry_after {
            answer = answer.retry_after(v);
        }
        if let Some(v) = content_type {
            answer = answer.content_type(v);
        }
        let page = classify_answer(&answer)?;
        out.write(into_raw(PageData::from_page(page)));
        Ok(())
    }
}

/// Decodes a webhook (`rurl`) delivery by its `Content-Type` (NULL or
/// unknown: sniffed): a JSON body (records plus pagination) or a form body
/// or GET query string (one call). `VELIP_DECODE` names the field that
/// cannot be read.
///
/// On `VELIP_OK`, `*out` is a new page owned by the caller: free it with
/// `velip_page_free`.
///
/// # Safety
/// `body` NULL (only when `body_len` is 0) or valid for reading `body_len`
/// bytes; `content_type` NULL or a NUL-terminated UTF-8 string; `out` valid
/// for writing. The caller owns the inputs.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_parse_webhook(
    body: *const u8,
    body_len: usize,
    content_type: *const c_char,
    out: *mut *mut velip_page,
) -> velip_status {
    ffi_panic_boundary! {
        // SAFETY: per this function's contract.
        let (body, content_type, out) = unsafe {
            (
                try_bytes(body, body_len, "body")?,
                try_opt_str(content_type, "content_type")?,
                try_out(out, "out")?,
            )
        };
        let p = decode_webhook(body, content_type.unwrap_or(""))?;
        out.write(into_raw(PageData::from_parts(p.records, p.pagination.as_ref())));
        Ok(())
    }
}
