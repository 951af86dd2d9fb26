//! The client configuration (`velip_client_config`) and the client
//! (`velip_client`): get a call, find by correlation id, list, push to a
//! webhook.

use std::ffi::c_char;
use std::sync::Arc;
use std::time::Duration;

use velip_blocking::{Client, ClientBuilder};
use velip_core::Secret;

use crate::boundary::{
    Handle, ffi_panic_boundary, free, into_raw, opt_ref, try_mut, try_out, try_ref, try_str,
};
use crate::error::Error;
use crate::filter::velip_filter;
use crate::interrupt::Cancel;
use crate::iter::{CallIterData, velip_call_iter};
use crate::list::{RecordList, velip_record_list};
use crate::page::{PageData, velip_page};
use crate::record::{Record, velip_record};
use crate::status::velip_status;

/// Client settings (opaque). Create with `velip_client_config_new`, set,
/// pass to `velip_client_new` (which copies it), free with
/// `velip_client_config_free`. Single-threaded.
pub struct velip_client_config {
    _private: [u8; 0],
}

/// A client (opaque): one connection pool, retries, the auth lock-out, the
/// interrupt flag. May be shared across threads (every function taking a
/// `const velip_client*` may be called concurrently).
pub struct velip_client {
    _private: [u8; 0],
}

/// The settings: the client builder itself (every option rule is the
/// builder's; the setters pass values through), and the per-call deadline,
/// which the C binding enforces through the builder's interrupt check.
pub(crate) struct Config {
    builder: ClientBuilder,
    deadline: Option<Duration>,
}

impl Config {
    fn new(builder: ClientBuilder) -> Self {
        Self {
            builder: builder.user_agent_suffix(format!("c/{}", env!("CARGO_PKG_VERSION"))),
            deadline: None,
        }
    }

    fn set(&mut self, f: impl FnOnce(ClientBuilder) -> ClientBuilder) {
        self.builder = f(std::mem::take(&mut self.builder));
    }
}

impl Handle for velip_client_config {
    type Rust = Config;
}

/// A client and its cancellation state (shared with its iterators).
pub(crate) struct ClientData {
    pub(crate) client: Client,
    cancel: Arc<Cancel>,
}

impl Handle for velip_client {
    type Rust = ClientData;
}

/// Runs a setter body on a checked config.
///
/// # Safety
/// `config` NULL or a live config with no other reference alive.
pub(crate) unsafe fn with_config(
    config: *mut velip_client_config,
    f: impl FnOnce(ClientBuilder) -> ClientBuilder,
) -> Result<(), Error> {
    // SAFETY: per this function's contract.
    unsafe { try_mut(config, "config")? }.set(f);
    Ok(())
}

/// Creates a configuration with the defaults: base URL
/// `https://vox.velip.com.br`, no credentials (set a token or Basic
/// credentials: `velip_client_new` refuses none), connect timeout 10 s,
/// request timeout 60 s, 2 retries, longest Retry-After waited 60 s.
/// On `VELIP_OK`, `*out` is owned by the caller: free it with
/// `velip_client_config_free`.
///
/// # Safety
/// `out` must be valid for writing.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_client_config_new(
    out: *mut *mut velip_client_config,
) -> velip_status {
    ffi_panic_boundary! {
        // SAFETY: per this function's contract.
        let out = unsafe { try_out(out, "out")? };
        out.write(into_raw(Config::new(ClientBuilder::default())));
        Ok(())
    }
}

/// Creates a configuration like `velip_client_config_new`, then reads the
/// environment: `VELIP_TOKEN`, or `VELIP_USER` and `VELIP_PASSWORD` (HTTP
/// Basic), and `VELIP_BASE_URL` (empty variables count as unset). Setters
/// called afterwards win over the environment. `velip_client_new` returns
/// `VELIP_CONFIG` when both `VELIP_TOKEN` and `VELIP_USER` are set, or
/// `VELIP_USER` without `VELIP_PASSWORD`.
/// On `VELIP_OK`, `*out` is owned by the caller: free it with
/// `velip_client_config_free`.
///
/// # Safety
/// `out` must be valid for writing. Reads the process environment (do not
/// change it concurrently from another thread).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_client_config_new_from_env(
    out: *mut *mut velip_client_config,
) -> velip_status {
    ffi_panic_boundary! {
        // SAFETY: per this function's contract.
        let out = unsafe { try_out(out, "out")? };
        out.write(into_raw(Config::new(ClientBuilder::from_env())));
        Ok(())
    }
}

/// Frees a configuration (clients built from it are not affected). NULL is
/// a no-op.
///
/// # Safety
/// `config` must be NULL or a configuration owned by the caller, not freed
/// before.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_client_config_free(config: *mut velip_client_config) {
    ffi_panic_boundary! {
        // SAFETY: per this function's contract.
        unsafe { free(config) }
    }
}

/// The service base URL, e.g. `http://127.0.0.1:8080` (checked by
/// `velip_client_new`, `VELIP_CONFIG`).
///
/// # Safety
/// `config` must be a live configuration; `url` a NUL-terminated UTF-8
/// string owned by the caller (copied).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_client_config_set_base_url(
    config: *mut velip_client_config,
    url: *const c_char,
) -> velip_status {
    ffi_panic_boundary! {
        // SAFETY: per this function's contract.
        let v = unsafe { try_str(url, "url")? }.to_owned();
        // SAFETY: per this function's contract.
        unsafe { with_config(config, |b| b.base_url(v)) }
    }
}

/// Authenticate with an account token (sent as `Authorization: Bearer`,
/// never in a URL); calling it again replaces the token. A configuration
/// holds a token or Basic credentials, not both: when
/// `velip_client_config_set_basic_auth` was also called, `velip_client_new`
/// returns `VELIP_CONFIG`. The token never appears in messages.
///
/// # Safety
/// `config` must be a live configuration; `token` a NUL-terminated UTF-8
/// string owned by the caller (copied; you may wipe yours afterwards).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_client_config_set_token(
    config: *mut velip_client_config,
    token: *const c_char,
) -> velip_status {
    ffi_panic_boundary! {
        // SAFETY: per this function's contract.
        let v = Secret::new(unsafe { try_str(token, "token")? });
        // SAFETY: per this function's contract.
        unsafe { with_config(config, |b| b.token(v)) }
    }
}

/// Send the token as the `tsid` form field instead of the header.
///
/// # Safety
/// `config` must be a live configuration.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_client_config_set_token_in_body(
    config: *mut velip_client_config,
    yes: bool,
) -> velip_status {
    ffi_panic_boundary! {
        // SAFETY: per this function's contract.
        unsafe { with_config(config, |b| b.token_in_body(yes)) }
    }
}

/// Authenticate with HTTP Basic (always full numbers); calling it again
/// replaces the user and password. A configuration holds a token or Basic
/// credentials, not both: when `velip_client_config_set_token` was also
/// called, `velip_client_new` returns `VELIP_CONFIG`.
///
/// # Safety
/// `config` must be a live configuration; `user` and `password`
/// NUL-terminated UTF-8 strings owned by the caller (copied).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_client_config_set_basic_auth(
    config: *mut velip_client_config,
    user: *const c_char,
    password: *const c_char,
) -> velip_status {
    ffi_panic_boundary! {
        // SAFETY: per this function's contract.
        let (u, p) = unsafe { (try_str(user, "user")?.to_owned(), Secret::new(try_str(password, "password")?)) };
        // SAFETY: per this function's contract.
        unsafe { with_config(config, |b| b.basic_auth(u, p)) }
    }
}

/// Strict decoding: a record field that cannot be read fails the whole
/// page with `VELIP_DECODE` instead of being left absent and noted as a
/// problem on its record (`velip_record_problem_count`). Default: false.
///
/// # Safety
/// `config` must be a live configuration.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_client_config_set_strict(
    config: *mut velip_client_config,
    yes: bool,
) -> velip_status {
    ffi_panic_boundary! {
        // SAFETY: per this function's contract.
        unsafe { with_config(config, |b| b.strict(yes)) }
    }
}

/// Connect timeout (TCP, proxy and TLS setup), milliseconds; default
/// 10000; more than 0 and at most 86400000 (else `velip_client_new`
/// returns `VELIP_CONFIG`).
///
/// # Safety
/// `config` must be a live configuration.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_client_config_set_connect_timeout_ms(
    config: *mut velip_client_config,
    ms: u64,
) -> velip_status {
    ffi_panic_boundary! {
        // SAFETY: per this function's contract.
        unsafe { with_config(config, |b| b.connect_timeout(Duration::from_millis(ms))) }
    }
}

/// Deadline of each request attempt, milliseconds; default 60000; more
/// than 0 and at most 86400000 (else `velip_client_new` returns
/// `VELIP_CONFIG`).
///
/// # Safety
/// `config` must be a live configuration.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_client_config_set_timeout_ms(
    config: *mut velip_client_config,
    ms: u64,
) -> velip_status {
    ffi_panic_boundary! {
        // SAFETY: per this function's contract.
        unsafe { with_config(config, |b| b.timeout(Duration::from_millis(ms))) }
    }
}

/// Retries after the first attempt (network failures, HTTP 5xx, short
/// 429s; never authentication failures); default 2, at most 100 (else
/// `velip_client_new` returns `VELIP_CONFIG`).
///
/// # Safety
/// `config` must be a live configuration.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_client_config_set_max_retries(
    config: *mut velip_client_config,
    retries: u32,
) -> velip_status {
    ffi_panic_boundary! {
        // SAFETY: per this function's contract.
        unsafe { with_config(config, |b| b.max_retries(retries)) }
    }
}

/// The longest `Retry-After` waited for on a 429, milliseconds (default
/// 60000, at most 86400000); longer ones return `VELIP_RATE_LIMITED` at
/// once.
///
/// # Safety
/// `config` must be a live configuration.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_client_config_set_max_retry_wait_ms(
    config: *mut velip_client_config,
    ms: u64,
) -> velip_status {
    ffi_panic_boundary! {
        // SAFETY: per this function's contract.
        unsafe { with_config(config, |b| b.max_retry_wait(Duration::from_millis(ms))) }
    }
}

/// An HTTP proxy URL, e.g. `http://proxy:3128`.
///
/// # Safety
/// `config` must be a live configuration; `url` a NUL-terminated UTF-8
/// string owned by the caller (copied).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_client_config_set_proxy(
    config: *mut velip_client_config,
    url: *const c_char,
) -> velip_status {
    ffi_panic_boundary! {
        // SAFETY: per this function's contract.
        let v = unsafe { try_str(url, "url")? }.to_owned();
        // SAFETY: per this function's contract.
        unsafe { with_config(config, |b| b.proxy(v)) }
    }
}

/// An extra CA certificate file (PEM) to trust; read by `velip_client_new`
/// (`VELIP_CONFIG` when unreadable).
///
/// # Safety
/// `config` must be a live configuration; `path` a NUL-terminated UTF-8
/// string owned by the caller (copied).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_client_config_set_ca_file(
    config: *mut velip_client_config,
    path: *const c_char,
) -> velip_status {
    ffi_panic_boundary! {
        // SAFETY: per this function's contract.
        let v = unsafe { try_str(path, "path")? }.to_owned();
        // SAFETY: per this function's contract.
        unsafe { with_config(config, |b| b.ca_file(v)) }
    }
}

/// Text appended to the `User-Agent` (`velip/0.1.0 <suffix>`).
///
/// # Safety
/// `config` must be a live configuration; `suffix` a NUL-terminated UTF-8
/// string owned by the caller (copied).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_client_config_set_user_agent_suffix(
    config: *mut velip_client_config,
    suffix: *const c_char,
) -> velip_status {
    ffi_panic_boundary! {
        // SAFETY: per this function's contract.
        let v = unsafe { try_str(suffix, "suffix")? }.to_owned();
        // SAFETY: per this function's contract.
        unsafe { with_config(config, |b| b.user_agent_suffix(v)) }
    }
}

/// The longest one call may take, milliseconds, all attempts, backoffs
/// and `Retry-After` waits included: each `velip_client_*` request
/// function and each `velip_call_iter_next` step returns
/// `VELIP_INTERRUPTED` (within about 100 ms) once it has run this long.
/// 0, the default, means no deadline (each attempt is still bounded by
/// `velip_client_config_set_timeout_ms`).
///
/// # Safety
/// `config` must be a live configuration.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_client_config_set_deadline_ms(
    config: *mut velip_client_config,
    ms: u64,
) -> velip_status {
    ffi_panic_boundary! {
        // SAFETY: per this function's contract.
        let c = unsafe { try_mut(config, "config")? };
        c.deadline = (ms > 0).then(|| Duration::from_millis(ms));
        Ok(())
    }
}

// Quota, lock-out and budget settings: `quota.rs`.

/// Builds a client from a configuration (copied: the configuration may be
/// freed or changed afterwards). `VELIP_CONFIG` when it is invalid (the
/// last error message names the option): a timeout out of range, too many
/// retries, a bad base URL, proxy or user-agent suffix, an unreadable CA
/// file, a malformed token or Basic user, no credentials, or both a token
/// and Basic credentials set.
/// On `VELIP_OK`, `*out` is owned by the caller: free it with
/// `velip_client_free` (after every thread is done with it).
///
/// # Safety
/// `config` must be a live configuration; `out` valid for writing.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_client_new(
    config: *const velip_client_config,
    out: *mut *mut velip_client,
) -> velip_status {
    ffi_panic_boundary! {
        // SAFETY: per this function's contract.
        let (c, out) = unsafe { (try_ref(config, "config")?, try_out(out, "out")?) };
        let cancel = Cancel::new(c.deadline);
        let client = c.builder.clone().interrupt_check(cancel.check()).build()?;
        out.write(into_raw(ClientData { client, cancel }));
        Ok(())
    }
}

/// Frees a client. NULL is a no-op. Iterators made from it stay usable
/// (they share its connection pool).
///
/// # Safety
/// `client` must be NULL or a client owned by the caller, not freed
/// before, and no other thread may be using it.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_client_free(client: *mut velip_client) {
    ffi_panic_boundary! {
        // SAFETY: per this function's contract.
        unsafe { free(client) }
    }
}

/// Interrupts the client: every call on it that is running (on any
/// thread: a request in flight, a retry backoff, a `Retry-After` wait, a
/// walk waiting for its next page) returns `VELIP_INTERRUPTED` within
/// about 100 ms, and every later call that would send a request or wait
/// returns it at once without sending anything, until
/// `velip_client_clear_interrupt`. Iterators made from the client are
/// interrupted too. Nothing already received is lost (a walk still hands
/// out the records of a page it has).
///
/// Async-signal-safe (one atomic store, no allocation, no lock): call it
/// from a `SIGINT` handler. NULL is ignored. Never fails, so it returns
/// nothing and does not touch the last error.
///
/// # Safety
/// `client` must be NULL or a live client (may be shared across threads).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_client_interrupt(client: *const velip_client) {
    // No panic boundary: nothing here can panic, and the boundary's first
    // use allocates (a signal handler must not).
    // SAFETY: per this function's contract.
    if let Some(c) = unsafe { opt_ref(client) } {
        c.cancel.interrupt();
    }
}

/// Ends an interruption (`velip_client_interrupt`): calls work again.
///
/// # Safety
/// `client` must be a live client (may be shared across threads).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_client_clear_interrupt(client: *const velip_client) -> velip_status {
    ffi_panic_boundary! {
        // SAFETY: per this function's contract.
        unsafe { try_ref(client, "client")? }.cancel.clear();
        Ok(())
    }
}

/// Whether the client is interrupted (`velip_client_interrupt` was called
/// and not cleared since).
///
/// # Safety
/// `client` must be a live client; `out` valid for writing.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_client_is_interrupted(
    client: *const velip_client,
    out: *mut bool,
) -> velip_status {
    ffi_panic_boundary! {
        // SAFETY: per this function's contract.
        let (c, out) = unsafe { (try_ref(client, "client")?, try_out(out, "out")?) };
        out.write(c.cancel.is_interrupted());
        Ok(())
    }
}

/// Replaces the credentials with a token; clears the authentication
/// lock-out (after `VELIP_AUTHENTICATION` the client refuses requests with
/// the same credentials until new ones are set).
///
/// # Safety
/// `client` must be a live client (may be shared across threads); `token`
/// a NUL-terminated UTF-8 string owned by the caller (copied).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_client_set_token(
    client: *const velip_client,
    token: *const c_char,
) -> velip_status {
    ffi_panic_boundary! {
        // SAFETY: per this function's contract.
        let (c, t) = unsafe { (try_ref(client, "client")?, try_str(token, "token")?) };
        Ok(c.client.set_token(Secret::new(t))?)
    }
}

/// One call by id (`42_123456`). `VELIP_NOT_FOUND` when the service has no
/// such call. On `VELIP_OK`, `*out` is a new record owned by the caller:
/// free it with `velip_record_free`.
///
/// # Safety
/// `client` must be a live client (may be shared across threads);
/// `call_id` a NUL-terminated UTF-8 string owned by the caller; `out` valid
/// for writing.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_client_get_call(
    client: *const velip_client,
    call_id: *const c_char,
    out: *mut *mut velip_record,
) -> velip_status {
    ffi_panic_boundary! {
        // SAFETY: per this function's contract.
        let (c, id, out) = unsafe {
            (try_ref(client, "client")?, try_str(call_id, "call_id")?, try_out(out, "out")?)
        };
        let r = c.cancel.run(|| c.client.get_call(id))?;
        out.write(into_raw(Record::new(r)));
        Ok(())
    }
}

/// Every call with this correlation id (`ctid`), all pages fetched. On
/// `VELIP_OK`, `*out` is a new list (possibly empty) owned by the caller:
/// free it with `velip_record_list_free`.
///
/// # Safety
/// `client` must be a live client; `correlation_id` a NUL-terminated UTF-8
/// string owned by the caller; `out` valid for writing.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_client_find_calls(
    client: *const velip_client,
    correlation_id: *const c_char,
    out: *mut *mut velip_record_list,
) -> velip_status {
    ffi_panic_boundary! {
        // SAFETY: per this function's contract.
        let (c, ctid, out) = unsafe {
            (try_ref(client, "client")?, try_str(correlation_id, "correlation_id")?, try_out(out, "out")?)
        };
        let records = c.cancel.run(|| c.client.find_calls(ctid))?;
        out.write(into_raw(RecordList::new(records)));
        Ok(())
    }
}

/// Starts walking every call the filter selects, page by page as needed
/// (nothing is sent yet). `VELIP_VALIDATION` when the filter is invalid.
/// On `VELIP_OK`, `*out` is a new iterator owned by the caller (the filter
/// is copied): step it with `velip_call_iter_next`, free it with
/// `velip_call_iter_free`.
///
/// # Safety
/// `client` must be a live client; `filter` a live filter; `out` valid for
/// writing.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_client_list_calls(
    client: *const velip_client,
    filter: *const velip_filter,
    out: *mut *mut velip_call_iter,
) -> velip_status {
    ffi_panic_boundary! {
        // SAFETY: per this function's contract.
        let (c, f, out) = unsafe {
            (try_ref(client, "client")?, try_ref(filter, "filter")?, try_out(out, "out")?)
        };
        let q = f.query()?;
        let walk = CallIterData::new(c.client.list_calls(q), Arc::clone(&c.cancel));
        out.write(into_raw::<velip_call_iter>(walk));
        Ok(())
    }
}

/// Fetches one page of what the filter selects (its cursor, if set, says
/// which). On `VELIP_OK`, `*out` is a new page owned by the caller: free it
/// with `velip_page_free`; its next cursor resumes.
///
/// # Safety
/// `client` must be a live client; `filter` a live filter; `out` valid for
/// writing.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_client_list_page(
    client: *const velip_client,
    filter: *const velip_filter,
    out: *mut *mut velip_page,
) -> velip_status {
    ffi_panic_boundary! {
        // SAFETY: per this function's contract.
        let (c, f, out) = unsafe {
            (try_ref(client, "client")?, try_ref(filter, "filter")?, try_out(out, "out")?)
        };
        let q = f.query()?;
        let page = c.cancel.run(|| c.client.list_page(&q))?;
        out.write(into_raw(PageData::from_page(page)));
        Ok(())
    }
}

/// Asks the service to deliver what the filter selects to the filter's
/// webhook (`velip_filter_set_webhook`; `VELIP_VALIDATION` without one).
/// Never retried once sent. On `VELIP_OK`, `*out` is the service's answer
/// page (pagination; records are delivered to the webhook), owned by the
/// caller: free it with `velip_page_free`.
///
/// # Safety
/// `client` must be a live client; `filter` a live filter; `out` valid for
/// writing.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_client_push_to_webhook(
    client: *const velip_client,
    filter: *const velip_filter,
    out: *mut *mut velip_page,
) -> velip_status {
    ffi_panic_boundary! {
        // SAFETY: per this function's contract.
        let (c, f, out) = unsafe {
            (try_ref(client, "client")?, try_ref(filter, "filter")?, try_out(out, "out")?)
        };
        let q = f.query()?;
        let page = c.cancel.run(|| c.client.push_to_webhook(&q))?;
        out.write(into_raw(PageData::from_page(page)));
        Ok(())
    }
}
