//! The request filter (`velip_filter`): every GetCallStatus parameter,
//! validated all at once when used.

use std::ffi::c_char;

use velip_core::Query;
use velip_core::QueryBuilder;
use velip_core::phone::NumberFormat;
use velip_core::query::{Webhook, WebhookFormat, WebhookMethod};

use crate::boundary::{
    Handle, copy_text, ffi_panic_boundary, free, into_raw, try_mut, try_out, try_ref, try_str,
};
use crate::error::Error;
use crate::status::velip_status;

/// A request filter (opaque): call id, correlation id, campaign, dates,
/// page size, cursor, DTMF-only, number format, origin and webhook. Setters
/// only store; the whole filter is validated (every problem reported at
/// once, `VELIP_VALIDATION`) by `velip_filter_validate` and by the
/// functions that use it. Single-threaded.
pub struct velip_filter {
    _private: [u8; 0],
}

/// How the service writes `dest` in its answer (`numtype`): one of the
/// `VELIP_NUMBER_FORMAT_*` values (a `uint32_t`).
pub type velip_number_format = u32;

/// `5511999999999` (the service default).
pub const VELIP_NUMBER_FORMAT_INTERNATIONAL: velip_number_format = 0;
/// `011999999999` (`numtype=0DDD`).
pub const VELIP_NUMBER_FORMAT_TRUNK_PREFIXED: velip_number_format = 1;
/// `11999999999` (`numtype=DDD`).
pub const VELIP_NUMBER_FORMAT_DDD: velip_number_format = 2;

/// The webhook delivery method (`rurl_method`): one of the `VELIP_WEBHOOK_*`
/// method values (a `uint32_t`).
pub type velip_webhook_method = u32;

/// POST.
pub const VELIP_WEBHOOK_POST: velip_webhook_method = 0;
/// GET (the record in the query string).
pub const VELIP_WEBHOOK_GET: velip_webhook_method = 1;

/// The webhook body format (`rurl_type`): one of the `VELIP_WEBHOOK_*`
/// format values (a `uint32_t`).
pub type velip_webhook_format = u32;

/// One JSON body with the calls.
pub const VELIP_WEBHOOK_JSON: velip_webhook_format = 0;
/// One form-encoded delivery per call.
pub const VELIP_WEBHOOK_FORM: velip_webhook_format = 1;

/// The filter's parameters.
#[derive(Debug, Clone, Default)]
pub(crate) struct Filter {
    builder: QueryBuilder,
    webhook: Option<Webhook>,
}

impl Handle for velip_filter {
    type Rust = Filter;
}

impl Filter {
    /// Validates and builds the query.
    pub(crate) fn query(&self) -> Result<Query, Error> {
        let mut b = self.builder.clone();
        if let Some(w) = &self.webhook {
            b = b.webhook(w.clone());
        }
        Ok(b.build()?)
    }

    fn update(&mut self, f: impl FnOnce(QueryBuilder) -> QueryBuilder) {
        self.builder = f(std::mem::take(&mut self.builder));
    }

    fn update_webhook(&mut self, f: impl FnOnce(Webhook) -> Webhook) -> Result<(), Error> {
        let w = self.webhook.take().ok_or_else(|| {
            Error::invalid("set the webhook URL (velip_filter_set_webhook) first")
        })?;
        self.webhook = Some(f(w));
        Ok(())
    }
}

/// Runs a setter body on a checked filter.
///
/// # Safety
/// `filter` NULL or a live filter with no other reference alive.
unsafe fn with_filter(
    filter: *mut velip_filter,
    f: impl FnOnce(&mut Filter) -> Result<(), Error>,
) -> Result<(), Error> {
    // SAFETY: per this function's contract.
    f(unsafe { try_mut(filter, "filter")? })
}

/// Creates an empty filter. On `VELIP_OK`, `*out` is a new filter owned by
/// the caller: free it with `velip_filter_free`.
///
/// # Safety
/// `out` must be valid for writing.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_filter_new(out: *mut *mut velip_filter) -> velip_status {
    ffi_panic_boundary! {
        // SAFETY: per this function's contract.
        let out = unsafe { try_out(out, "out")? };
        out.write(into_raw(Filter::default()));
        Ok(())
    }
}

/// Frees a filter. NULL is a no-op.
///
/// # Safety
/// `filter` must be NULL or a filter owned by the caller, not freed before.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_filter_free(filter: *mut velip_filter) {
    ffi_panic_boundary! {
        // SAFETY: per this function's contract.
        unsafe { free(filter) }
    }
}

/// One call by id (`cd_id`): `42_123456` or bare digits. Checked when the
/// filter is validated.
///
/// # Safety
/// `filter` must be a live filter (NULL gives `VELIP_NULL_PARAMETER`);
/// `call_id` a NUL-terminated UTF-8 string owned by the caller (copied).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_filter_set_call_id(
    filter: *mut velip_filter,
    call_id: *const c_char,
) -> velip_status {
    ffi_panic_boundary! {
        // SAFETY: per this function's contract.
        let v = unsafe { try_str(call_id, "call_id")? }.to_owned();
        // SAFETY: per this function's contract.
        unsafe { with_filter(filter, |f| { f.update(|b| b.call_id(v)); Ok(()) }) }
    }
}

/// Calls with this customer correlation id (`ctid`). For calls without
/// one, use `velip_filter_set_empty_correlation_id`.
///
/// # Safety
/// `filter` must be a live filter; `correlation_id` a NUL-terminated UTF-8
/// string owned by the caller (copied).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_filter_set_correlation_id(
    filter: *mut velip_filter,
    correlation_id: *const c_char,
) -> velip_status {
    ffi_panic_boundary! {
        // SAFETY: per this function's contract.
        let v = unsafe { try_str(correlation_id, "correlation_id")? }.to_owned();
        // SAFETY: per this function's contract.
        unsafe { with_filter(filter, |f| { f.update(|b| b.correlation_id(v)); Ok(()) }) }
    }
}

/// Calls whose correlation id is empty (sent as `ctid=null`).
///
/// # Safety
/// `filter` must be a live filter.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_filter_set_empty_correlation_id(
    filter: *mut velip_filter,
) -> velip_status {
    ffi_panic_boundary! {
        // SAFETY: per this function's contract.
        unsafe { with_filter(filter, |f| { f.update(QueryBuilder::empty_correlation_id); Ok(()) }) }
    }
}

/// All calls of a campaign (`cp_id`, positive; checked on validation).
///
/// # Safety
/// `filter` must be a live filter.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_filter_set_campaign_id(
    filter: *mut velip_filter,
    campaign_id: i64,
) -> velip_status {
    ffi_panic_boundary! {
        // SAFETY: per this function's contract.
        unsafe { with_filter(filter, |f| { f.update(|b| b.campaign_id(campaign_id)); Ok(()) }) }
    }
}

/// All calls of the latest campaign with this customer-side ref (`cpid`).
///
/// # Safety
/// `filter` must be a live filter; `campaign_ref` a NUL-terminated UTF-8
/// string owned by the caller (copied).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_filter_set_campaign_ref(
    filter: *mut velip_filter,
    campaign_ref: *const c_char,
) -> velip_status {
    ffi_panic_boundary! {
        // SAFETY: per this function's contract.
        let v = unsafe { try_str(campaign_ref, "campaign_ref")? }.to_owned();
        // SAFETY: per this function's contract.
        unsafe { with_filter(filter, |f| { f.update(|b| b.campaign_ref(v)); Ok(()) }) }
    }
}

/// First day, inclusive (`date_start`), `YYYY-MM-DD`; a date that is not a
/// real calendar day fails validation.
///
/// # Safety
/// `filter` must be a live filter; `date` a NUL-terminated UTF-8 string
/// owned by the caller (copied).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_filter_set_date_start(
    filter: *mut velip_filter,
    date: *const c_char,
) -> velip_status {
    ffi_panic_boundary! {
        // SAFETY: per this function's contract.
        let v = unsafe { try_str(date, "date")? }.to_owned();
        // SAFETY: per this function's contract.
        unsafe { with_filter(filter, |f| { f.update(|b| b.date_start(v)); Ok(()) }) }
    }
}

/// Last day, inclusive (`date_end`), `YYYY-MM-DD`.
///
/// # Safety
/// `filter` must be a live filter; `date` a NUL-terminated UTF-8 string
/// owned by the caller (copied).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_filter_set_date_end(
    filter: *mut velip_filter,
    date: *const c_char,
) -> velip_status {
    ffi_panic_boundary! {
        // SAFETY: per this function's contract.
        let v = unsafe { try_str(date, "date")? }.to_owned();
        // SAFETY: per this function's contract.
        unsafe { with_filter(filter, |f| { f.update(|b| b.date_end(v)); Ok(()) }) }
    }
}

/// Records per page (`maxreg`), `1..=5000` (checked on validation).
///
/// # Safety
/// `filter` must be a live filter.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_filter_set_page_size(
    filter: *mut velip_filter,
    page_size: i64,
) -> velip_status {
    ffi_panic_boundary! {
        // SAFETY: per this function's contract.
        unsafe { with_filter(filter, |f| { f.update(|b| b.page_size(page_size)); Ok(()) }) }
    }
}

/// The server's maximum page size (5000).
///
/// # Safety
/// `filter` must be a live filter.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_filter_set_page_size_server_max(
    filter: *mut velip_filter,
) -> velip_status {
    ffi_panic_boundary! {
        // SAFETY: per this function's contract.
        unsafe { with_filter(filter, |f| { f.update(QueryBuilder::page_size_server_max); Ok(()) }) }
    }
}

/// Resume after this cursor (`last_id`): a page's next cursor or an
/// iterator's resume cursor, verbatim.
///
/// # Safety
/// `filter` must be a live filter; `cursor` a NUL-terminated UTF-8 string
/// owned by the caller (copied).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_filter_set_cursor(
    filter: *mut velip_filter,
    cursor: *const c_char,
) -> velip_status {
    ffi_panic_boundary! {
        // SAFETY: per this function's contract.
        let v = unsafe { try_str(cursor, "cursor")? }.to_owned();
        // SAFETY: per this function's contract.
        unsafe { with_filter(filter, |f| { f.update(|b| b.cursor(v)); Ok(()) }) }
    }
}

/// Only calls with at least one non-empty DTMF answer (`onlydtmf=1`).
///
/// # Safety
/// `filter` must be a live filter.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_filter_set_only_dtmf(
    filter: *mut velip_filter,
    only_dtmf: bool,
) -> velip_status {
    ffi_panic_boundary! {
        // SAFETY: per this function's contract.
        unsafe { with_filter(filter, |f| { f.update(|b| b.only_dtmf(only_dtmf)); Ok(()) }) }
    }
}

/// How the service writes `dest` (`numtype`): a `velip_number_format`
/// value; another value gives `VELIP_INVALID_ARGUMENT`.
///
/// # Safety
/// `filter` must be a live filter.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_filter_set_number_format(
    filter: *mut velip_filter,
    number_format: velip_number_format,
) -> velip_status {
    ffi_panic_boundary! {
        let nf = match number_format {
            VELIP_NUMBER_FORMAT_INTERNATIONAL => NumberFormat::International,
            VELIP_NUMBER_FORMAT_TRUNK_PREFIXED => NumberFormat::TrunkPrefixed,
            VELIP_NUMBER_FORMAT_DDD => NumberFormat::Ddd,
            other => return Err(Error::invalid(format!("{other} is not a velip_number_format (0-2)"))),
        };
        // SAFETY: per this function's contract.
        unsafe { with_filter(filter, |f| { f.update(|b| b.number_format(nf)); Ok(()) }) }
    }
}

/// The origin marker echoed back in each record (`origin`,
/// `[a-zA-Z0-9_-]{1,32}`, checked on validation).
///
/// # Safety
/// `filter` must be a live filter; `origin` a NUL-terminated UTF-8 string
/// owned by the caller (copied).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_filter_set_origin(
    filter: *mut velip_filter,
    origin: *const c_char,
) -> velip_status {
    ffi_panic_boundary! {
        // SAFETY: per this function's contract.
        let v = unsafe { try_str(origin, "origin")? }.to_owned();
        // SAFETY: per this function's contract.
        unsafe { with_filter(filter, |f| { f.update(|b| b.origin(v)); Ok(()) }) }
    }
}

/// Deliver the results to this webhook URL (`rurl`, absolute http/https,
/// checked on validation) instead of inline; replaces any webhook set
/// before (method, format, headers and credentials too).
///
/// # Safety
/// `filter` must be a live filter; `url` a NUL-terminated UTF-8 string
/// owned by the caller (copied).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_filter_set_webhook(
    filter: *mut velip_filter,
    url: *const c_char,
) -> velip_status {
    ffi_panic_boundary! {
        // SAFETY: per this function's contract.
        let v = unsafe { try_str(url, "url")? };
        // SAFETY: per this function's contract.
        unsafe { with_filter(filter, |f| { f.webhook = Some(Webhook::new(v)); Ok(()) }) }
    }
}

/// The webhook method (`rurl_method`): a `velip_webhook_method` value.
/// `VELIP_INVALID_ARGUMENT` for another value or when no webhook URL is
/// set.
///
/// # Safety
/// `filter` must be a live filter.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_filter_set_webhook_method(
    filter: *mut velip_filter,
    method: velip_webhook_method,
) -> velip_status {
    ffi_panic_boundary! {
        let m = match method {
            VELIP_WEBHOOK_POST => WebhookMethod::Post,
            VELIP_WEBHOOK_GET => WebhookMethod::Get,
            other => return Err(Error::invalid(format!("{other} is not a velip_webhook_method (0-1)"))),
        };
        // SAFETY: per this function's contract.
        unsafe { with_filter(filter, |f| f.update_webhook(|w| w.method(m))) }
    }
}

/// The webhook body format (`rurl_type`): a `velip_webhook_format` value.
/// `VELIP_INVALID_ARGUMENT` for another value or when no webhook URL is
/// set.
///
/// # Safety
/// `filter` must be a live filter.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_filter_set_webhook_format(
    filter: *mut velip_filter,
    format: velip_webhook_format,
) -> velip_status {
    ffi_panic_boundary! {
        let fmt = match format {
            VELIP_WEBHOOK_JSON => WebhookFormat::Json,
            VELIP_WEBHOOK_FORM => WebhookFormat::Form,
            other => return Err(Error::invalid(format!("{other} is not a velip_webhook_format (0-1)"))),
        };
        // SAFETY: per this function's contract.
        unsafe { with_filter(filter, |f| f.update_webhook(|w| w.format(fmt))) }
    }
}

/// Adds one header to the webhook delivery (`rurl_headers`). Names must be
/// HTTP tokens and values free of control characters (checked on
/// validation). `VELIP_INVALID_ARGUMENT` when no webhook URL is set.
///
/// # Safety
/// `filter` must be a live filter; `name` and `value` NUL-terminated UTF-8
/// strings owned by the caller (copied).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_filter_add_webhook_header(
    filter: *mut velip_filter,
    name: *const c_char,
    value: *const c_char,
) -> velip_status {
    ffi_panic_boundary! {
        // SAFETY: per this function's contract.
        let (n, v) = unsafe { (try_str(name, "name")?.to_owned(), try_str(value, "value")?.to_owned()) };
        // SAFETY: per this function's contract.
        unsafe { with_filter(filter, |f| f.update_webhook(|w| w.header(n, v))) }
    }
}

/// HTTP Basic credentials for the webhook delivery (`rurl_user`,
/// `rurl_password`). The password never appears in messages.
/// `VELIP_INVALID_ARGUMENT` when no webhook URL is set.
///
/// # Safety
/// `filter` must be a live filter; `user` and `password` NUL-terminated
/// UTF-8 strings owned by the caller (copied).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_filter_set_webhook_basic_auth(
    filter: *mut velip_filter,
    user: *const c_char,
    password: *const c_char,
) -> velip_status {
    ffi_panic_boundary! {
        // SAFETY: per this function's contract.
        let (u, p) = unsafe { (try_str(user, "user")?.to_owned(), try_str(password, "password")?.to_owned()) };
        // SAFETY: per this function's contract.
        unsafe { with_filter(filter, |f| f.update_webhook(|w| w.basic_auth(u, p))) }
    }
}

/// Checks every parameter and combination: `VELIP_OK`, or
/// `VELIP_VALIDATION` with every problem in the last error message.
///
/// # Safety
/// `filter` must be a live filter.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_filter_validate(filter: *const velip_filter) -> velip_status {
    ffi_panic_boundary! {
        // SAFETY: per this function's contract.
        let f = unsafe { try_ref(filter, "filter")? };
        f.query().map(drop)
    }
}

/// Copies the request the filter makes, form-encoded as it is sent
/// (`cp_id=555&date_start=...`) with the webhook password and header values
/// replaced by `***`, into `buf` (`len` bytes), NUL-terminated. Validates
/// first (`VELIP_VALIDATION`). `needed` (may be NULL) always receives the
/// size needed, NUL included (0 when validation fails); `buf` NULL with
/// `len` 0 asks for the size only (`VELIP_OK`); `VELIP_BUFFER_TOO_SMALL`
/// when `len` is smaller.
///
/// # Safety
/// `filter` must be a live filter; `buf` NULL or valid for writing `len`
/// bytes; `needed` NULL or valid for writing. The caller owns `buf`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_filter_to_form(
    filter: *const velip_filter,
    buf: *mut c_char,
    len: usize,
    needed: *mut usize,
) -> velip_status {
    ffi_panic_boundary! {
        // SAFETY: per this function's contract.
        unsafe {
            copy_text(buf, len, needed, || {
                let q = try_ref(filter, "filter")?.query()?;
                let mut s = form_urlencoded::Serializer::new(String::new());
                for (k, v) in q.to_redacted_pairs() {
                    s.append_pair(k, &v);
                }
                Ok(s.finish())
            })
        }
    }
}
