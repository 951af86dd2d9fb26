//! The log callback (`velip_set_log_callback`): the library's `log` records
//! (target `velip`: each request attempt at debug level, retries and paging
//! problems at warn, internal errors at error) handed to a C function.
//! Secrets are masked before a message is made; other crates' records
//! (HTTP, TLS) are not forwarded.

use std::cell::Cell;
use std::ffi::{c_char, c_void};
use std::sync::{OnceLock, PoisonError, RwLock};

use crate::boundary::{c_string_owned, ffi_panic_boundary};
use crate::error::Error;
use crate::status::velip_status;

/// A log level: one of the `VELIP_LOG_*` values (a `uint32_t`).
pub type velip_log_level = u32;

/// No logging.
pub const VELIP_LOG_OFF: velip_log_level = 0;
/// Internal errors (a panic caught at the boundary).
pub const VELIP_LOG_ERROR: velip_log_level = 1;
/// Retries, rate limits, authentication failures, paging problems.
pub const VELIP_LOG_WARN: velip_log_level = 2;
/// Notable events.
pub const VELIP_LOG_INFO: velip_log_level = 3;
/// Each request attempt: method, path, parameters (secrets masked), HTTP
/// status, attempt number, elapsed time.
pub const VELIP_LOG_DEBUG: velip_log_level = 4;
/// Everything.
pub const VELIP_LOG_TRACE: velip_log_level = 5;

/// Receives one log message: `userdata` as given to
/// `velip_set_log_callback`, the message's level, and the message
/// (NUL-terminated UTF-8, valid only during the call; copy it to keep it).
///
/// Called on whichever thread logs, the library's helper threads included,
/// possibly on several threads at once: it must be thread-safe, must not
/// unwind or `longjmp` out, and must not call `velip_set_log_callback`.
/// Messages the library logs while the callback runs on the same thread are
/// dropped.
pub type velip_log_callback = Option<
    unsafe extern "C" fn(userdata: *mut c_void, level: velip_log_level, message: *const c_char),
>;

/// The installed callback.
struct Sink {
    callback: unsafe extern "C" fn(*mut c_void, velip_log_level, *const c_char),
    userdata: *mut c_void,
}

// SAFETY: the caller promised (see `velip_log_callback`) that the callback
// and its userdata may be used from any thread.
unsafe impl Send for Sink {}
// SAFETY: as above.
unsafe impl Sync for Sink {}

static SINK: RwLock<Option<Sink>> = RwLock::new(None);

thread_local! {
    static IN_CALLBACK: Cell<bool> = const { Cell::new(false) };
}

struct Logger;

static LOGGER: Logger = Logger;

fn is_ours(target: &str) -> bool {
    target == "velip" || target.starts_with("velip::") || target.starts_with("velip_")
}

fn level_of(level: log::Level) -> velip_log_level {
    match level {
        log::Level::Error => VELIP_LOG_ERROR,
        log::Level::Warn => VELIP_LOG_WARN,
        log::Level::Info => VELIP_LOG_INFO,
        log::Level::Debug => VELIP_LOG_DEBUG,
        log::Level::Trace => VELIP_LOG_TRACE,
    }
}

fn filter_of(level: velip_log_level) -> log::LevelFilter {
    match level {
        VELIP_LOG_OFF => log::LevelFilter::Off,
        VELIP_LOG_ERROR => log::LevelFilter::Error,
        VELIP_LOG_WARN => log::LevelFilter::Warn,
        VELIP_LOG_INFO => log::LevelFilter::Info,
        VELIP_LOG_DEBUG => log::LevelFilter::Debug,
        _ => log::LevelFilter::Trace,
    }
}

impl log::Log for Logger {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.level() <= log::max_level() && is_ours(metadata.target())
    }

    fn log(&self, record: &log::Record<'_>) {
        if !self.enabled(record.metadata()) || IN_CALLBACK.with(Cell::get) {
            return;
        }
        // Held while the callback runs, so `velip_set_log_callback` returns
        // only once no thread still runs the callback it replaces.
        let sink = SINK.read().unwrap_or_else(PoisonError::into_inner);
        if let Some(s) = sink.as_ref() {
            let message = c_string_owned(record.args().to_string());
            IN_CALLBACK.with(|f| f.set(true));
            // SAFETY: the caller gave this callback for this userdata; the
            // message outlives the call.
            unsafe { (s.callback)(s.userdata, level_of(record.level()), message.as_ptr()) };
            IN_CALLBACK.with(|f| f.set(false));
        }
    }

    fn flush(&self) {}
}

/// Sends the library's log messages up to `level` (`VELIP_LOG_ERROR` ...
/// `VELIP_LOG_TRACE`) to `callback`, with `userdata` as its first argument.
/// `VELIP_LOG_OFF` or a NULL `callback` turns logging off (the default).
/// Calling it again replaces the callback and level.
///
/// Messages come from the `velip` target only; tokens and passwords are
/// masked in them. When this function returns, the callback it replaced is
/// no longer running on any thread and will not be called again (so its
/// userdata may be freed). Returns `VELIP_INVALID_ARGUMENT` for an unknown
/// level, when called from inside a log callback, or when the process
/// already has another Rust logger installed in this library's copy of
/// the `log` crate (only possible when linking `libvelip.a` into a Rust
/// program that installs its own).
///
/// # Safety
/// `callback` must be NULL or a function following the rules of
/// `velip_log_callback`; `userdata` is passed through as is and must stay
/// valid until the callback is replaced.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_set_log_callback(
    level: velip_log_level,
    callback: velip_log_callback,
    userdata: *mut c_void,
) -> velip_status {
    ffi_panic_boundary! {
        if level > VELIP_LOG_TRACE {
            return Err(Error::invalid(format!("{level} is not a velip_log_level (0-5)")));
        }
        if IN_CALLBACK.with(Cell::get) {
            return Err(Error::invalid("velip_set_log_callback cannot be called from inside the log callback"));
        }
        static INSTALLED: OnceLock<bool> = OnceLock::new();
        if !*INSTALLED.get_or_init(|| log::set_logger(&LOGGER).is_ok()) {
            return Err(Error::invalid("another logger is already installed in this process"));
        }
        let mut sink = SINK.write().unwrap_or_else(PoisonError::into_inner);
        *sink = callback.map(|callback| Sink { callback, userdata });
        log::set_max_level(if sink.is_some() { filter_of(level) } else { log::LevelFilter::Off });
        Ok(())
    }
}

/// The name of a log level: `"off"`, `"error"`, `"warn"`, `"info"`,
/// `"debug"`, `"trace"`, or `"unknown"`. Static text; never NULL.
///
/// # Safety
/// Always safe.
#[unsafe(no_mangle)]
pub extern "C" fn velip_log_level_str(level: velip_log_level) -> *const c_char {
    ffi_panic_boundary! {
        match level {
            VELIP_LOG_OFF => c"off",
            VELIP_LOG_ERROR => c"error",
            VELIP_LOG_WARN => c"warn",
            VELIP_LOG_INFO => c"info",
            VELIP_LOG_DEBUG => c"debug",
            VELIP_LOG_TRACE => c"trace",
            _ => c"unknown",
        }
        .as_ptr()
    }
}
