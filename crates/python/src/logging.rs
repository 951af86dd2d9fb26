//! Forwards Rust `log` records of the SDK's crates to the Python `logging`
//! logger `"velip"`, at the level the Rust client chose (`debug`: each
//! request attempt; `info`: retries, waits, authentication failures and
//! paging errors, each also raised; `warning`: a request refused under the
//! lock-out). The package puts a `NullHandler` on that logger, so nothing is
//! printed unless the app configures logging (or sets `VELIP_LOG`). The
//! client masks secrets before logging.
//!
//! Records come from the client's helper threads too (the walk's fetch
//! thread logs each request). Taking the GIL on such a thread only to learn
//! that the logger discards the record forces the thread running Python
//! (an event loop) to hand the GIL over: a stall of milliseconds on a busy
//! machine. So which levels the `velip` logger keeps is cached: refreshed
//! whenever a Python thread calls into the client (`refresh`, GIL held
//! anyway) and at least every second; a discarded record then costs no
//! GIL at all.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use log::{Level, LevelFilter, Log, Metadata, Record};
use pyo3::prelude::*;

struct PythonLogger;

/// `logging.getLogger("velip")`, looked up once (loggers live for the
/// process).
static LOGGER: pyo3::sync::PyOnceLock<Py<PyAny>> = pyo3::sync::PyOnceLock::new();

/// Bit `n` set: the logger keeps records of `LEVELS[n]`; `UNKNOWN` until
/// the first refresh.
static KEPT: AtomicU8 = AtomicU8::new(UNKNOWN);
const UNKNOWN: u8 = u8::MAX;
const LEVELS: [u8; 4] = [10, 20, 30, 40];
/// Milliseconds since `EPOCH` at the last refresh.
static REFRESHED_MS: AtomicU64 = AtomicU64::new(0);
static EPOCH: OnceLock<Instant> = OnceLock::new();
/// How old the cache may get before a helper thread refreshes it itself.
const MAX_AGE: Duration = Duration::from_secs(1);

fn now_ms() -> u64 {
    let epoch = *EPOCH.get_or_init(Instant::now);
    u64::try_from(epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
}

fn logger(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    Ok(LOGGER
        .get_or_try_init(py, || {
            Ok::<_, PyErr>(
                py.import("logging")?
                    .call_method1("getLogger", ("velip",))?
                    .unbind(),
            )
        })?
        .bind(py))
}

/// Reads which levels the `velip` logger keeps into the cache (GIL held;
/// called on every call into the client from Python).
pub(crate) fn refresh(py: Python<'_>) {
    let mut kept = 0u8;
    if let Ok(logger) = logger(py) {
        for (bit, level) in LEVELS.iter().enumerate() {
            match logger
                .call_method1("isEnabledFor", (*level,))
                .and_then(|r| r.is_truthy())
            {
                Ok(false) => {}
                Ok(true) => kept |= 1 << bit,
                Err(e) => {
                    // A KeyboardInterrupt raised meanwhile is kept for the
                    // next interrupt check; the level counts as kept.
                    crate::errors::stash_signal(py, e);
                    kept |= 1 << bit;
                }
            }
        }
    } else {
        kept = UNKNOWN;
    }
    KEPT.store(kept, Ordering::Relaxed);
    REFRESHED_MS.store(now_ms(), Ordering::Relaxed);
}

/// Whether a record of `level` may be kept, from the cache when it is
/// fresh (no GIL needed); `None` when it must be asked.
fn cached_keeps(level: u8) -> Option<bool> {
    let kept = KEPT.load(Ordering::Relaxed);
    let age = now_ms().saturating_sub(REFRESHED_MS.load(Ordering::Relaxed));
    if kept == UNKNOWN || u128::from(age) > MAX_AGE.as_millis() {
        return None;
    }
    let bit = LEVELS.iter().position(|l| *l == level)?;
    Some(kept & (1 << bit) != 0)
}

fn py_level(level: Level) -> u8 {
    match level {
        Level::Error => 40,
        Level::Warn => 30,
        Level::Info => 20,
        Level::Debug | Level::Trace => 10,
    }
}

impl Log for PythonLogger {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.target().starts_with("velip")
    }

    fn log(&self, record: &Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let level = py_level(record.level());
        if cached_keeps(level) == Some(false) {
            return;
        }
        let text = record.args().to_string();
        // `try_attach`: nothing is logged while the interpreter shuts down.
        let _ = Python::try_attach(|py| {
            let result = (|| -> PyResult<()> {
                let logger = logger(py)?;
                if logger.call_method1("isEnabledFor", (level,))?.is_truthy()? {
                    logger.call_method1("log", (level, "%s", text))?;
                }
                Ok(())
            })();
            // A KeyboardInterrupt raised by a signal handler while the
            // logging code ran must not be lost.
            if let Err(e) = result {
                crate::errors::stash_signal(py, e);
            }
        });
    }

    fn flush(&self) {}
}

/// Installs the forwarder (once per process; a logger already installed by
/// someone else is left alone).
pub(crate) fn install() {
    if log::set_logger(&PythonLogger).is_ok() {
        log::set_max_level(LevelFilter::Debug);
    }
}
