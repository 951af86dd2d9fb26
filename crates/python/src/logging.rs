//! Forwards Rust `log` records of the SDK's crates to the Python `logging`
//! logger `"velip"`, at the level the Rust client chose (`debug`: each
//! request attempt; `info`: retries, waits, authentication failures and
//! paging errors, each also raised; `warning`: a request refused under the
//! lock-out). The package puts a `NullHandler` on that logger, so nothing is
//! printed unless the app configures logging (or sets `VELIP_LOG`). The
//! client masks secrets before logging.

use log::{Level, LevelFilter, Log, Metadata, Record};
use pyo3::prelude::*;

struct PythonLogger;

/// `logging.getLogger("velip")`, looked up once (loggers live for the
/// process).
static LOGGER: pyo3::sync::PyOnceLock<Py<PyAny>> = pyo3::sync::PyOnceLock::new();

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
        let text = record.args().to_string();
        // `try_attach`: nothing is logged while the interpreter shuts down.
        let _ = Python::try_attach(|py| {
            let result = (|| -> PyResult<()> {
                let logger = LOGGER
                    .get_or_try_init(py, || {
                        Ok::<_, PyErr>(
                            py.import("logging")?
                                .call_method1("getLogger", ("velip",))?
                                .unbind(),
                        )
                    })?
                    .bind(py);
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
