//! The quota and lock-out ledger from C: the rate-limit policy, the request
//! budget, the state folder and the account's limits (configuration
//! setters), and what a client has spent and knows (`velip_client_*`).
//!
//! Every rule is the client builder's and the ledger's; these functions
//! pass values through.

use std::ffi::c_char;
use std::time::Duration;

use velip_blocking::RateLimitPolicy;
use velip_blocking::ledger::{Ledger, StateLocation};

use crate::boundary::{copy_text, ffi_panic_boundary, try_out, try_ref, try_str};
use crate::client::{velip_client, velip_client_config, with_config};
use crate::error::Error;
use crate::status::velip_status;

/// What a client does when the ledger knows the service would refuse a
/// request (the hourly list quota is used up, or a `Retry-After` has not
/// passed): one of the `VELIP_RATE_LIMIT_*` values (a `uint32_t`).
#[allow(non_camel_case_types)] // C names, as they appear in velip.h
pub type velip_rate_limit_policy = u32;

/// Return `VELIP_RATE_LIMITED` at once, nothing sent, with the time to wait
/// in `velip_last_error_retry_after` (the default).
pub const VELIP_RATE_LIMIT_FAIL: velip_rate_limit_policy = 0;
/// Sleep until a slot frees or the deadline passes (interruptible with
/// `velip_client_interrupt`), when that is within the maximum wait; else
/// fail as `VELIP_RATE_LIMIT_FAIL` does.
pub const VELIP_RATE_LIMIT_WAIT: velip_rate_limit_policy = 1;

/// The rate-limit policy and, for `VELIP_RATE_LIMIT_WAIT`, the longest
/// single wait in milliseconds (0: the default, 3700000, one hourly window
/// and 100 s; at most 86400000, else `velip_client_new` returns
/// `VELIP_CONFIG`). `VELIP_INVALID_ARGUMENT` for another policy value.
///
/// # Safety
/// `config` must be a live configuration.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_client_config_set_rate_limit_policy(
    config: *mut velip_client_config,
    policy: velip_rate_limit_policy,
    max_wait_ms: u64,
) -> velip_status {
    ffi_panic_boundary! {
        let max_wait = (max_wait_ms > 0).then(|| Duration::from_millis(max_wait_ms));
        let p = match policy {
            VELIP_RATE_LIMIT_FAIL => RateLimitPolicy::Fail,
            VELIP_RATE_LIMIT_WAIT => RateLimitPolicy::Wait {
                max_wait: max_wait.unwrap_or(RateLimitPolicy::DEFAULT_MAX_WAIT),
            },
            other => {
                return Err(Error::invalid(format!(
                    "{other} is not a velip_rate_limit_policy (0-1)"
                )));
            }
        };
        // SAFETY: per this function's contract.
        unsafe { with_config(config, |b| b.on_rate_limit(p)) }
    }
}

/// A request budget: after `requests` requests (every attempt that may
/// reach the service, retries included) the client sends nothing more and
/// returns `VELIP_BUDGET`. 0 is refused by `velip_client_new`
/// (`VELIP_CONFIG`). Default: no budget.
///
/// # Safety
/// `config` must be a live configuration.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_client_config_set_max_requests(
    config: *mut velip_client_config,
    requests: u64,
) -> velip_status {
    ffi_panic_boundary! {
        // SAFETY: per this function's contract.
        unsafe { with_config(config, |b| b.max_requests(requests)) }
    }
}

/// Where the quota and lock-out ledger (shared by every velip process of
/// the user) keeps its files, as `VELIP_STATE_DIR` takes it: a folder
/// (made `0700` on first use), or `"off"` to disable the ledger; `""`
/// keeps the default (`VELIP_STATE_DIR`, `$XDG_STATE_HOME/velip`,
/// `~/.local/state/velip`).
///
/// # Safety
/// `config` must be a live configuration; `dir` a NUL-terminated UTF-8
/// string owned by the caller (copied).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_client_config_set_state_dir(
    config: *mut velip_client_config,
    dir: *const c_char,
) -> velip_status {
    ffi_panic_boundary! {
        // SAFETY: per this function's contract.
        let v = unsafe { try_str(dir, "dir")? }.to_owned();
        let ledger = StateLocation::from_value(v).map(Ledger::at);
        // SAFETY: per this function's contract.
        unsafe {
            with_config(config, |b| match ledger {
                Some(l) => b.ledger(l),
                None => b,
            })
        }
    }
}

/// The account's list quota, for accounts with other limits than the
/// service's 200 requests per hour: `requests` per sliding window of
/// `window_ms` milliseconds.
///
/// # Safety
/// `config` must be a live configuration.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_client_config_set_list_quota(
    config: *mut velip_client_config,
    requests: u32,
    window_ms: u64,
) -> velip_status {
    ffi_panic_boundary! {
        // SAFETY: per this function's contract.
        unsafe { with_config(config, |b| b.list_quota(requests, Duration::from_millis(window_ms))) }
    }
}

/// The daily cap of point lookups, when known (default: learned from the
/// service's first daily `429`).
///
/// # Safety
/// `config` must be a live configuration.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_client_config_set_daily_lookup_cap(
    config: *mut velip_client_config,
    cap: u32,
) -> velip_status {
    ffi_panic_boundary! {
        // SAFETY: per this function's contract.
        unsafe { with_config(config, |b| b.daily_lookup_cap(cap)) }
    }
}

/// The requests this client has sent (every attempt that may have reached
/// the service, retries included; refusals of the ledger and the budget
/// are not counted), into `*out`.
///
/// # Safety
/// `client` must be a live client (may be shared across threads); `out`
/// valid for writing.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_client_requests_sent(
    client: *const velip_client,
    out: *mut u64,
) -> velip_status {
    ffi_panic_boundary! {
        // SAFETY: per this function's contract.
        let (c, out) = unsafe { (try_ref(client, "client")?, try_out(out, "out")?) };
        out.write(c.client.requests_sent());
        Ok(())
    }
}

/// Clears the authentication lock-out of the client's credentials, in
/// every process (through the ledger), as `velip auth reset` does;
/// `*was_locked` (if not NULL) says whether there was one. Clear it only
/// once the credentials are fixed: each further failure counts towards the
/// service's permanent IP ban.
///
/// # Safety
/// `client` must be a live client (may be shared across threads);
/// `was_locked` NULL or valid for writing.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_client_reset_lockout(
    client: *const velip_client,
    was_locked: *mut bool,
) -> velip_status {
    ffi_panic_boundary! {
        // SAFETY: per this function's contract.
        let c = unsafe { try_ref(client, "client")? };
        let cleared = c.client.reset_lockout();
        if !was_locked.is_null() {
            // SAFETY: per this function's contract (not NULL, writable).
            unsafe { was_locked.write(cleared) };
        }
        Ok(())
    }
}

/// What the ledger knows of the client's credentials on its host, as JSON
/// (the shape of `velip quota --format json`: `host`, `credentials`,
/// `fingerprint`, `last_used`, `list` {`used`, `limit`, `window_seconds`,
/// `oldest_expires_at`}, `lookups` {`day`, `used`, `limit`},
/// `retry_after` [{`scope`, `until`}], `lockout`; RFC 3339 times in UTC);
/// the text `null` when the ledger is off. Caller buffer: `buf` of `len`
/// bytes, `*needed` (if not NULL) set to the size with the NUL;
/// `VELIP_BUFFER_TOO_SMALL` when it does not fit.
///
/// # Safety
/// `client` must be a live client (may be shared across threads); `buf`
/// NULL or valid for writing `len` bytes; `needed` NULL or valid for
/// writing.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_client_quota_json(
    client: *const velip_client,
    buf: *mut c_char,
    len: usize,
    needed: *mut usize,
) -> velip_status {
    ffi_panic_boundary! {
        // SAFETY: per this function's contract.
        let c = unsafe { try_ref(client, "client")? };
        // SAFETY: per this function's contract.
        unsafe {
            copy_text(buf, len, needed, || {
                Ok(c.client
                    .quota_report()
                    .map_or_else(|| "null".to_owned(), |r| r.to_json().to_string()))
            })
        }
    }
}
