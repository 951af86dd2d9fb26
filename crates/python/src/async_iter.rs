//! `AsyncCallIterator`: `async for` over a walk, for `AsyncClient`.
//!
//! The walk is the blocking client's (`CallIter`, with its prefetch
//! pipeline on helper threads), wrapped in the same `CallIterator` state.
//! Records of a page already fetched are handed out on the event loop
//! without any thread hop: the iterator is its own awaitable (`__anext__`
//! and `__await__` return it, `__next__` completes at once with the record),
//! so the per-record cost is three slot calls, no coroutine frame. When the
//! buffer is empty, `__next__` starts the page fetch in the client's worker
//! threads (`loop.run_in_executor`) and yields that future to the task;
//! when it completes, the task resumes the iterator. Every 1 ms of
//! iteration the iterator also yields to the loop once (waiting on a future
//! resolved by `call_soon`), so other tasks and due timers run while a page
//! of 5000 records is consumed.
//!
//! Cancelling the task cancels the fetch future: its done callback sets the
//! fetch's cancel flag (see `cancel.rs`), and the blocking walk stops within
//! 100 ms, sending nothing more.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use pyo3::exceptions::{PyStopAsyncIteration, PyStopIteration};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;

use crate::cancel::PyCancel;
use crate::iter::{PyCallIterator, repr};

/// How long the iterator hands out records before yielding to the loop.
const SLICE: Duration = Duration::from_millis(1);
/// Records handed out between two looks at the clock.
const CLOCK_EVERY: u32 = 8;

/// Iterates the calls of a selection with `async for` (from
/// `AsyncClient.list_calls`); pages are fetched in worker threads, the
/// event loop never waits for the network.
#[pyclass(frozen, weakref, module = "velip._velip", name = "AsyncCallIterator")]
pub(crate) struct PyAsyncCallIterator {
    sync: Py<PyCallIterator>,
    /// The `concurrent.futures.Executor` the fetches run in.
    executor: Py<PyAny>,
    /// The fetch in progress (an asyncio future), if any.
    pending: Mutex<Option<Py<PyAny>>>,
    /// Whether `pending` holds a fetch (read without the lock on the
    /// per-record path).
    has_pending: AtomicBool,
    /// When the iterator last yielded to the loop.
    last_yield: Mutex<Instant>,
    /// `__next__` calls since the last look at the clock.
    calls: AtomicU32,
}

/// `asyncio.get_running_loop`, looked up once.
fn running_loop(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    static GET: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    GET.get_or_try_init(py, || {
        Ok::<_, PyErr>(py.import("asyncio")?.getattr("get_running_loop")?.unbind())
    })?
    .bind(py)
    .call0()
}

/// Runs `f` in `executor` under a fresh cancel flag, as an asyncio future
/// of the running loop; cancelling the future cancels the call.
pub(crate) fn in_worker<'py>(
    py: Python<'py>,
    executor: &Bound<'py, PyAny>,
    f: Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let lp = running_loop(py)?;
    let cancel = Bound::new(py, PyCancel::new_flag())?;
    let fut = lp.call_method1("run_in_executor", (executor, cancel.getattr("run")?, f))?;
    fut.call_method1("add_done_callback", (cancel.getattr("on_done")?,))?;
    Ok(fut)
}

impl PyAsyncCallIterator {
    /// Drops the fetch in progress, cancelling it if it still runs (the
    /// walk is then closed by the worker: nothing more is sent).
    fn forget_fetch(&self, py: Python<'_>) -> PyResult<()> {
        if let Some(fut) = self.take_pending() {
            fut.bind(py).call_method0("cancel")?;
        }
        Ok(())
    }

    pub(crate) fn new(sync: Py<PyCallIterator>, executor: Py<PyAny>) -> Self {
        Self {
            sync,
            executor,
            pending: Mutex::new(None),
            has_pending: AtomicBool::new(false),
            last_yield: Mutex::new(Instant::now()),
            calls: AtomicU32::new(0),
        }
    }

    /// Whether to yield to the loop before the next record.
    fn time_to_yield(&self) -> bool {
        if self.calls.fetch_add(1, Ordering::Relaxed) + 1 < CLOCK_EVERY {
            return false;
        }
        self.calls.store(0, Ordering::Relaxed);
        let now = Instant::now();
        let mut last = self
            .last_yield
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if now.duration_since(*last) < SLICE {
            return false;
        }
        *last = now;
        true
    }

    /// Takes the fetch in progress, if any.
    fn take_pending(&self) -> Option<Py<PyAny>> {
        if !self.has_pending.swap(false, Ordering::AcqRel) {
            return None;
        }
        self.pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }

    /// `velip._columnar.<name>(walk[, arg])` in a worker thread, as an
    /// asyncio future (cancelling it stops the walk).
    fn in_worker_columnar<'py>(
        &self,
        py: Python<'py>,
        name: &str,
        arg: Option<&str>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let f = crate::arrow::columnar(py, name)?;
        let partial = py.import("functools")?.getattr("partial")?;
        let call = match arg {
            Some(a) => partial.call1((f, self.sync.bind(py), a))?,
            None => partial.call1((f, self.sync.bind(py)))?,
        };
        in_worker(py, self.executor.bind(py), call)
    }

    /// Remembers the fetch in progress.
    fn set_pending(&self, fut: Py<PyAny>) {
        *self.pending.lock().unwrap_or_else(PoisonError::into_inner) = Some(fut);
        self.has_pending.store(true, Ordering::Release);
    }
}

#[pymethods]
impl PyAsyncCallIterator {
    fn __aiter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    /// The next record, as an awaitable (the iterator itself).
    fn __anext__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __await__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __iter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    /// One step of the awaitable: a record (`StopIteration(record)`), a
    /// future to wait for (the page fetch, or a turn of the loop), or
    /// `StopAsyncIteration` when the walk is over.
    fn __next__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let sync = self.sync.get();
        if let Some(fut) = self.take_pending() {
            let fut = fut.into_bound(py);
            if !fut.call_method0("done")?.is_truthy()? {
                // Resumed before the fetch finished: keep waiting on it.
                self.set_pending(fut.clone().unbind());
                fut.setattr("_asyncio_future_blocking", true)?;
                return Ok(fut);
            }
            // Raises the fetch's error (or `CancelledError`).
            fut.call_method0("result")?;
        } else if self.time_to_yield() {
            // Yield to the loop through a future resolved by `call_soon`:
            // unlike a bare `yield` (which requeues this task ahead of the
            // timers that fell due meanwhile), the task resumes only after
            // the callbacks and timers already due have run.
            let lp = running_loop(py)?;
            let fut = lp.call_method0("create_future")?;
            lp.call_method1("call_soon", (fut.getattr("set_result")?, py.None()))?;
            fut.setattr("_asyncio_future_blocking", true)?;
            self.set_pending(fut.clone().unbind());
            return Ok(fut);
        }
        if let Some(r) = sync.try_pop(py)? {
            return Err(PyStopIteration::new_err(
                Bound::new(py, r)?.into_any().unbind(),
            ));
        }
        if sync.stats_nowait().finished || sync.closed() {
            return Err(PyStopAsyncIteration::new_err(()));
        }
        let fill = self.sync.bind(py).getattr("_fill")?;
        let fut = in_worker(py, self.executor.bind(py), fill)?;
        fut.setattr("_asyncio_future_blocking", true)?;
        self.set_pending(fut.clone().unbind());
        Ok(fut)
    }

    /// The awaitable's `send`: `send(None)` is one step (`__next__`).
    fn send<'py>(&self, py: Python<'py>, value: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let _ = value;
        self.__next__(py)
    }

    /// The awaitable's `throw`: the task throws the fetch's error (or
    /// `CancelledError`) into the awaiting coroutine through here; the
    /// fetch is forgotten (and cancelled if still running), the exception
    /// raised.
    #[pyo3(signature = (typ, val = None, tb = None))]
    fn throw<'py>(
        &self,
        py: Python<'py>,
        typ: &Bound<'py, PyAny>,
        val: Option<&Bound<'py, PyAny>>,
        tb: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let _ = tb;
        self.forget_fetch(py)?;
        let exc = if typ.is_instance_of::<pyo3::exceptions::PyBaseException>() {
            typ.clone()
        } else {
            match val {
                Some(v) if v.is_instance_of::<pyo3::exceptions::PyBaseException>() => v.clone(),
                Some(v) if !v.is_none() => typ.call1((v,))?,
                _ => typ.call0()?,
            }
        };
        Err(PyErr::from_value(exc))
    }

    /// The awaitable's `close`: the fetch is forgotten (and cancelled).
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        self.forget_fetch(py)
    }

    /// The next page (an awaitable): the records of the current page not
    /// yet yielded, or else the next page fetched; `None` when the walk is
    /// over. Can be mixed with `async for`.
    ///
    /// Raises: what ``CallIterator.next_page`` raises;
    /// ``asyncio.CancelledError`` when cancelled (the fetch stops, nothing
    /// more is sent).
    fn next_page<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let f = self.sync.bind(py).getattr("next_page")?;
        in_worker(py, self.executor.bind(py), f)
    }

    /// `_next_batch()` (an awaitable): the next page as an Arrow batch,
    /// fetched in a worker thread; `None` when the walk is over.
    fn _next_batch<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let f = self.sync.bind(py).getattr("_next_batch")?;
        in_worker(py, self.executor.bind(py), f)
    }

    /// The batches of the walk as ``pyarrow.RecordBatch``, one per page,
    /// with ``async for`` (each page fetched in a worker thread). Needs
    /// pyarrow (``pip install 'velip[arrow]'``).
    ///
    /// Raises: ``ImportError`` without pyarrow; while iterating, what
    /// ``async for`` over the walk raises.
    fn iter_batches<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        crate::arrow::columnar(slf.py(), "aiter_batches")?.call1((slf,))
    }

    /// Every call left as one ``pyarrow.Table`` (an awaitable): the walk and
    /// the batches are made in a worker thread, the loop never waits. See
    /// ``CallIterator.to_arrow``. No ``__arrow_c_stream__`` here: a stream
    /// consumer would read the pages on the event loop, blocking it for the
    /// whole walk; ``await it.to_arrow()`` and hand the table over instead.
    ///
    /// Raises: ``ImportError`` without pyarrow; what ``async for`` over the
    /// walk raises (the pages fetched before the error are kept for the
    /// next ``to_arrow()``); ``CancelledError`` when cancelled.
    fn to_arrow<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.in_worker_columnar(py, "to_arrow", None)
    }

    /// Every call left as a typed ``pandas.DataFrame`` (an awaitable, made
    /// in a worker thread); see ``CallIterator.to_pandas``.
    ///
    /// Raises: ``ImportError`` without pandas or pyarrow; ``ValueError`` for
    /// another ``dtype_backend``; what ``to_arrow()`` raises.
    #[pyo3(signature = (*, dtype_backend = "numpy_nullable"))]
    fn to_pandas<'py>(&self, py: Python<'py>, dtype_backend: &str) -> PyResult<Bound<'py, PyAny>> {
        self.in_worker_columnar(py, "to_pandas", Some(dtype_backend))
    }

    /// Every call left as a ``polars.DataFrame`` (an awaitable, made in a
    /// worker thread); see ``CallIterator.to_polars``.
    ///
    /// Raises: ``ImportError`` without polars; what ``to_arrow()`` raises.
    fn to_polars<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.in_worker_columnar(py, "to_polars", None)
    }

    /// Ends the walk (an awaitable): the helper threads that fetch pages
    /// ahead stop, nothing more is sent, `async for` ends. Statistics and
    /// `resume_cursor` stay readable. Also done by `async with`.
    fn aclose<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        if self.sync.get().try_close(py) {
            let lp = running_loop(py)?;
            let fut = lp.call_method0("create_future")?;
            fut.call_method1("set_result", (py.None(),))?;
            return Ok(fut);
        }
        // A page fetch holds the walk: stop it, then close in a worker.
        self.forget_fetch(py)?;
        let close = self.sync.bind(py).getattr("close")?;
        in_worker(py, self.executor.bind(py), close)
    }

    fn __aenter__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        let fut = running_loop(py)?.call_method0("create_future")?;
        fut.call_method1("set_result", (slf,))?;
        Ok(fut)
    }

    #[pyo3(signature = (*_args))]
    fn __aexit__<'py>(
        &self,
        py: Python<'py>,
        _args: &Bound<'py, pyo3::types::PyTuple>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.aclose(py)
    }

    /// Pages fetched so far.
    #[getter]
    fn pages_fetched(&self) -> u64 {
        self.sync.get().stats_nowait().pages_fetched
    }

    /// Calls yielded so far.
    #[getter]
    fn records_yielded(&self) -> u64 {
        self.sync.get().stats_nowait().records_yielded
    }

    /// Calls skipped because an earlier page already yielded them.
    #[getter]
    fn duplicates_skipped(&self) -> u64 {
        self.sync.get().stats_nowait().duplicates_skipped
    }

    /// Whether any page came with masked numbers (`return.numbers_masked`).
    #[getter]
    fn numbers_masked(&self) -> bool {
        self.sync.get().stats_nowait().numbers_masked
    }

    /// Distinct warnings the service sent (`return.warning`), in order.
    #[getter]
    fn warnings(&self) -> Vec<String> {
        self.sync.get().stats_nowait().warnings
    }

    /// Whether the walk is over (last page yielded, `limit` reached, or
    /// ended by a paging error).
    #[getter]
    fn finished(&self) -> bool {
        self.sync.get().stats_nowait().finished
    }

    /// Where a new walk would continue: pass it as `cursor=` (wire
    /// `last_id`); see `CallIterator.resume_cursor`.
    #[getter]
    fn resume_cursor(&self) -> Option<String> {
        self.sync.get().stats_nowait().resume_cursor
    }

    fn __repr__(&self) -> String {
        repr("AsyncCallIterator", &self.sync.get().stats_nowait())
    }
}
