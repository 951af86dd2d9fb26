//! Per-call cancellation for the async client: a flag a worker thread's
//! blocking call polls through the client's interrupt check.
//!
//! `AsyncClient` runs each blocking call in a worker thread as
//! `cancel.run(fn, *args)`; while it runs, the thread's current flag is
//! `cancel`'s. When the awaiting task is cancelled (task cancel, `wait_for`,
//! `asyncio.timeout`, Ctrl-C under `asyncio.run`), the executor future is
//! cancelled, its done callback (`cancel.on_done`) sets the flag, and the
//! interrupt check the blocking client polls every 100 ms (before each
//! attempt, during retry waits, while a request is in flight, while a walk
//! waits for its next page) stops the call: the request in flight is
//! abandoned and nothing more is sent. The call then raises
//! `asyncio.CancelledError` in the worker (its result is dropped).

use std::cell::RefCell;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

thread_local! {
    /// The flag of the call running on this thread, if any.
    static CURRENT: RefCell<Option<Arc<AtomicBool>>> = const { RefCell::new(None) };
}

/// Whether the call running on this thread was cancelled (read by the
/// interrupt check).
pub(crate) fn cancelled() -> bool {
    CURRENT.with(|c| {
        c.borrow()
            .as_ref()
            .is_some_and(|f| f.load(Ordering::SeqCst))
    })
}

/// Whether an async call runs on this thread (a worker thread: Python runs
/// signal handlers on the main thread only, so the interrupt check does
/// not take the GIL to look for them here).
pub(crate) fn in_async_call() -> bool {
    CURRENT.with(|c| c.borrow().is_some())
}

/// `asyncio.CancelledError` (what a cancelled call raises in its worker).
pub(crate) fn cancelled_error(py: Python<'_>) -> PyErr {
    match py
        .import("asyncio")
        .and_then(|m| m.getattr("CancelledError"))
        .and_then(|c| c.call0())
    {
        Ok(e) => PyErr::from_value(e),
        Err(e) => e,
    }
}

/// A cancellation flag for one call (internal to `AsyncClient`).
#[pyclass(frozen, module = "velip._velip", name = "_Cancel")]
pub(crate) struct PyCancel {
    flag: Arc<AtomicBool>,
}

/// Restores the thread's previous flag when a call ends (also on panic).
struct Scope(Option<Arc<AtomicBool>>);

impl Drop for Scope {
    fn drop(&mut self) {
        let previous = self.0.take();
        CURRENT.with(|c| *c.borrow_mut() = previous);
    }
}

impl PyCancel {
    /// A flag not set.
    pub(crate) fn new_flag() -> Self {
        Self {
            flag: Arc::new(AtomicBool::new(false)),
        }
    }
}

#[pymethods]
impl PyCancel {
    #[new]
    fn new() -> Self {
        Self::new_flag()
    }

    /// Cancels the call: it stops within 100 ms, sending nothing more.
    fn set(&self) {
        self.flag.store(true, Ordering::SeqCst);
    }

    /// Whether `set()` was called.
    #[getter]
    fn is_set(&self) -> bool {
        self.flag.load(Ordering::SeqCst)
    }

    /// A future's done callback: sets the flag when the future was
    /// cancelled.
    fn on_done(&self, future: &Bound<'_, PyAny>) -> PyResult<()> {
        if future.call_method0("cancelled")?.is_truthy()? {
            self.set();
        }
        Ok(())
    }

    /// Runs `f(*args, **kwargs)` on this thread under this flag; raises
    /// `asyncio.CancelledError` without calling `f` when already set.
    #[pyo3(signature = (f, /, *args, **kwargs))]
    fn run(
        &self,
        py: Python<'_>,
        f: &Bound<'_, PyAny>,
        args: &Bound<'_, PyTuple>,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Py<PyAny>> {
        if self.is_set() {
            return Err(cancelled_error(py));
        }
        let previous = CURRENT.with(|c| c.borrow_mut().replace(Arc::clone(&self.flag)));
        let _scope = Scope(previous);
        f.call(args, kwargs).map(Bound::unbind)
    }
}
