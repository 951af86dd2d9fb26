//! `CallIterator`: the auto-paging walk over a selection.
//!
//! The walk hands Python whole pages at a time internally: a page's records
//! are kept in a buffer next to the [`CallIter`], and `__next__` only pops
//! from it (holding the GIL, no lock wait, no syscall). The GIL is released
//! only when the buffer is empty and the next page must be fetched.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, TryLockError};

use velip_arrow::CallBatchBuilder;
use velip_arrow::arrow_array::RecordBatch;

use pyo3::exceptions::PyStopIteration;
use pyo3::prelude::*;
use velip_blocking::CallIter;
use velip_core::{CallRecord, Cursor, Page};

use crate::errors;
use crate::page::PyPage;
use crate::record::PyCallRecord;

/// Bumped in the child after every `os.fork()` (hook registered by
/// [`register_fork_hook`]), so the per-record path can detect a fork
/// without a `getpid` syscall. Fetching a page still compares the pid,
/// which also catches forks that bypass `os.fork`.
static FORK_GENERATION: AtomicU64 = AtomicU64::new(0);

/// The `os.register_at_fork(after_in_child=...)` hook.
#[pyfunction]
pub(crate) fn _after_fork_in_child() {
    FORK_GENERATION.fetch_add(1, Ordering::Relaxed);
}

/// Registers [`_after_fork_in_child`] with `os.register_at_fork` (where the
/// platform has it).
pub(crate) fn register_fork_hook(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    let os = py.import("os")?;
    if os.hasattr("register_at_fork")? {
        let kwargs = pyo3::types::PyDict::new(py);
        kwargs.set_item("after_in_child", m.getattr("_after_fork_in_child")?)?;
        os.getattr("register_at_fork")?.call((), Some(&kwargs))?;
    }
    Ok(())
}

/// A walk's statistics at one moment (what the getters show).
#[derive(Clone, Default)]
pub(crate) struct Stats {
    pub(crate) pages_fetched: u64,
    pub(crate) records_yielded: u64,
    pub(crate) duplicates_skipped: u64,
    pub(crate) numbers_masked: bool,
    pub(crate) warnings: Vec<String>,
    pub(crate) finished: bool,
    pub(crate) resume_cursor: Option<String>,
}

/// The walk plus the records of its current page not yet handed to Python.
pub(crate) struct State {
    /// The walk; `None` once closed (its helper threads are gone).
    inner: Option<CallIter>,
    /// The statistics when the walk was closed.
    closed: Option<Stats>,
    /// Records of the current page not yet yielded to Python (already
    /// counted as yielded by `inner`).
    buffer: std::vec::IntoIter<CallRecord>,
    /// The current page's answer without its records (for `next_page`).
    meta: Option<Page>,
    /// The cursor that re-fetches the current page (the resume cursor
    /// while `buffer` still holds records).
    page_cursor: Option<Cursor>,
    /// Batches built by a `to_arrow()` that then failed: delivered first by
    /// the next batch-level call, so a failed page drops nothing.
    pub(crate) held: VecDeque<RecordBatch>,
    /// Builds the batches of `_next_batch` and `_collect`.
    builder: CallBatchBuilder,
}

impl State {
    /// The next buffered record, never fetching (GIL held).
    pub(crate) fn pop(&mut self) -> Option<CallRecord> {
        if !self.held.is_empty() {
            return None;
        }
        self.buffer.next()
    }

    /// Fetches the next page into the buffer when it is empty (call without
    /// the GIL); `None` when the walk is over.
    pub(crate) fn fill(&mut self) -> Option<Result<(), velip_blocking::Error>> {
        if self.buffer.len() > 0 {
            return Some(Ok(()));
        }
        let inner = self.inner.as_mut()?;
        // With nothing buffered, the resume cursor is the one of the page
        // `next_page` is about to return.
        let cursor = inner.resume_cursor().cloned();
        match inner.next_page()? {
            Ok(mut page) => {
                self.buffer = std::mem::take(&mut page.records).into_iter();
                self.meta = Some(page);
                self.page_cursor = cursor;
                Some(Ok(()))
            }
            Err(e) => Some(Err(e)),
        }
    }

    /// The next record, fetching pages as needed (call without the GIL).
    fn next_record(&mut self) -> Option<Result<CallRecord, velip_blocking::Error>> {
        loop {
            if let Some(r) = self.pop() {
                return Some(Ok(r));
            }
            if let Err(e) = self.fill()? {
                return Some(Err(e));
            }
        }
    }

    /// The records of the rest of the current page, or else of the next
    /// page (call without the GIL; the walk's `limit` already bounds what
    /// it hands over); the page's own allocation when it is taken whole.
    pub(crate) fn next_records(
        &mut self,
    ) -> Option<Result<Vec<CallRecord>, velip_blocking::Error>> {
        if let Err(e) = self.fill()? {
            return Some(Err(e));
        }
        self.meta.as_ref()?;
        Some(Ok(std::mem::take(&mut self.buffer).collect()))
    }

    /// The next batch: one a failed `to_arrow()` held, else the rest of the
    /// current page or the next page as a batch (call without the GIL).
    pub(crate) fn next_batch(&mut self) -> Option<Result<RecordBatch, velip_blocking::Error>> {
        loop {
            if let Some(b) = self.held.pop_front() {
                return Some(Ok(b));
            }
            match self.next_records()? {
                Ok(records) => {
                    let mut out = Vec::with_capacity(1);
                    self.build(&records, &mut out);
                    self.held.extend(out);
                    if records.is_empty() {
                        // An empty page is an empty batch, not the end.
                        return Some(Ok(RecordBatch::new_empty(velip_arrow::schema())));
                    }
                }
                Err(e) => return Some(Err(e)),
            }
        }
    }

    /// Every batch left (held ones first), one per page (call without the
    /// GIL). On an error the batches built so far are held for the next
    /// call, and the error returned.
    pub(crate) fn collect_batches(&mut self) -> Result<Vec<RecordBatch>, velip_blocking::Error> {
        let mut batches: Vec<RecordBatch> = std::mem::take(&mut self.held).into();
        loop {
            match self.next_records() {
                None => return Ok(batches),
                Some(Ok(records)) => self.build(&records, &mut batches),
                Some(Err(e)) => {
                    self.held = batches.into();
                    return Err(e);
                }
            }
        }
    }

    /// A page's records as a batch, appended to `out`. The builder fails
    /// only past Arrow's 2 GiB per column, which a page (a body of at most
    /// 64 MiB) cannot reach; were it to, the page is split in two.
    fn build(&mut self, records: &[CallRecord], out: &mut Vec<RecordBatch>) {
        if records.is_empty() {
            return;
        }
        match self.builder.build(records) {
            Ok(b) => out.push(b),
            Err(_) if records.len() > 1 => {
                let (a, b) = records.split_at(records.len() / 2);
                self.build(a, out);
                self.build(b, out);
            }
            // One record of more than 2 GiB: beyond any body the client reads.
            Err(_) => {}
        }
    }

    /// The rest of the current page, or else the next page (call without
    /// the GIL; the walk's `limit` already bounds what it hands over).
    fn next_page(&mut self) -> Option<Result<Page, velip_blocking::Error>> {
        if let Err(e) = self.fill()? {
            return Some(Err(e));
        }
        let mut page = self.meta.clone()?;
        page.records = std::mem::take(&mut self.buffer).collect();
        Some(Ok(page))
    }

    fn records_yielded(&self) -> u64 {
        self.inner
            .as_ref()
            .map_or(0, |i| i.records_yielded() - self.buffer.len() as u64)
    }

    /// The statistics now.
    pub(crate) fn stats(&self) -> Stats {
        if let Some(s) = &self.closed {
            return s.clone();
        }
        let Some(inner) = &self.inner else {
            return Stats::default();
        };
        let resume = if self.buffer.len() > 0 {
            self.page_cursor.as_ref()
        } else {
            inner.resume_cursor()
        };
        Stats {
            pages_fetched: inner.pages_fetched(),
            records_yielded: self.records_yielded(),
            duplicates_skipped: inner.duplicates_skipped(),
            numbers_masked: inner.numbers_masked(),
            warnings: inner.warnings().to_vec(),
            finished: self.buffer.len() == 0 && self.held.is_empty() && inner.is_finished(),
            resume_cursor: resume.map(|c| c.as_str().to_owned()),
        }
    }

    /// Ends the walk: its helper threads stop (a request in flight is
    /// abandoned), statistics stay readable. Returns the walk to drop.
    fn close(&mut self) -> Option<CallIter> {
        if self.closed.is_none() {
            self.closed = Some(self.stats());
        }
        self.buffer = Vec::new().into_iter();
        self.held.clear();
        self.inner.take()
    }
}

/// Iterates the calls of a selection, fetching pages as needed (the GIL is
/// released while a page is fetched and decoded). After an exception,
/// iterating again resumes from the same page: nothing is lost and no call
/// comes twice. In a child process forked after it was created, it refuses
/// to fetch (`VelipError`), but its statistics and `resume_cursor` can
/// still be read (pass `cursor=resume_cursor` to a new walk).
#[pyclass(frozen, module = "velip._velip", name = "CallIterator")]
pub(crate) struct PyCallIterator {
    /// Shared with the Arrow C streams made from this walk.
    state: Arc<Mutex<State>>,
    /// The statistics when the last page fetch started: exact while it
    /// runs (nothing else changes then), read by getters that must not
    /// wait for the lock (the async iterator's, on the event loop).
    snapshot: Mutex<Stats>,
    pid: u32,
    fork_generation: u64,
}

impl PyCallIterator {
    pub(crate) fn new(inner: CallIter) -> Self {
        Self {
            state: Arc::new(Mutex::new(State {
                inner: Some(inner),
                closed: None,
                buffer: Vec::new().into_iter(),
                meta: None,
                page_cursor: None,
                held: VecDeque::new(),
                builder: CallBatchBuilder::new(),
            })),
            snapshot: Mutex::new(Stats::default()),
            pid: std::process::id(),
            fork_generation: FORK_GENERATION.load(Ordering::Relaxed),
        }
    }

    /// Whether this is a child process forked after this iterator was
    /// created. `syscall`: also compare the pid (slow paths only).
    fn forked(&self, syscall: bool) -> bool {
        FORK_GENERATION.load(Ordering::Relaxed) != self.fork_generation
            || (syscall && std::process::id() != self.pid)
    }

    /// Fails in a child process forked after this iterator was created.
    /// `syscall`: also compare the pid (slow paths only).
    fn check_fork(&self, py: Python<'_>, syscall: bool) -> PyResult<()> {
        if self.forked(syscall) {
            return Err(errors::velip(
                py,
                "this CallIterator was created before os.fork(); in the child, start a new walk (pass cursor=resume_cursor to continue)",
            ));
        }
        Ok(())
    }

    /// The state if its lock is free right now (taken while holding the
    /// GIL: whoever holds the lock never waits for the GIL).
    fn try_lock(&self) -> Option<MutexGuard<'_, State>> {
        match self.state.try_lock() {
            Ok(g) => Some(g),
            Err(TryLockError::Poisoned(p)) => Some(p.into_inner()),
            Err(TryLockError::WouldBlock) => None,
        }
    }

    /// Runs a quick `f` on the state: at once when the lock is free, else
    /// waiting for it without holding the GIL (another thread may be
    /// fetching a page with it).
    fn with<R: Send>(&self, py: Python<'_>, f: impl FnOnce(&mut State) -> R + Send) -> PyResult<R> {
        self.check_fork(py, false)?;
        if let Some(mut g) = self.try_lock() {
            return Ok(f(&mut g));
        }
        Ok(self.with_detached(py, f))
    }

    /// Runs a quick read-only `f` on the state (statistics, the resume
    /// cursor): also in a child process forked after this iterator was
    /// created, where the walk cannot fetch but can still tell where it
    /// stopped. In such a child the lock is only tried, never waited for
    /// (a thread of the parent that held it does not exist there).
    fn read<R: Send>(&self, py: Python<'_>, f: impl FnOnce(&State) -> R + Send) -> PyResult<R> {
        if !self.forked(true) {
            return self.with(py, |s| f(s));
        }
        match self.try_lock() {
            Some(g) => Ok(f(&g)),
            None => Err(errors::velip(
                py,
                "this CallIterator was fetching a page in another thread when the process forked; its state cannot be read in the child",
            )),
        }
    }

    /// Fails when a failed `to_arrow()` left batches for the next
    /// batch-level call: records are not handed out past them (they would
    /// be skipped).
    fn check_held(&self, py: Python<'_>) -> PyResult<()> {
        let held: usize = self.with(py, |s| s.held.iter().map(RecordBatch::num_rows).sum())?;
        if held > 0 {
            return Err(errors::velip(
                py,
                &format!(
                    "{held} calls of an interrupted to_arrow() are kept as Arrow batches: take them with to_arrow(), iter_batches() or the Arrow stream before iterating records"
                ),
            ));
        }
        Ok(())
    }

    /// Runs `f` (which may do I/O) on the state without holding the GIL.
    fn with_detached<R: Send>(&self, py: Python<'_>, f: impl FnOnce(&mut State) -> R + Send) -> R {
        py.detach(|| {
            let mut g = self.state.lock().unwrap_or_else(PoisonError::into_inner);
            f(&mut g)
        })
    }

    /// The statistics without ever waiting: live when the state is free,
    /// else the snapshot taken when the running page fetch started (exact:
    /// nothing else changes while it runs).
    pub(crate) fn stats_nowait(&self) -> Stats {
        if let Some(g) = self.try_lock() {
            return g.stats();
        }
        self.snapshot
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// A buffered record if there is one right now (never waits, never
    /// fetches; GIL held). `Ok(None)`: fetch first (or the walk is over,
    /// see `stats_nowait().finished`).
    pub(crate) fn try_pop(&self, py: Python<'_>) -> PyResult<Option<PyCallRecord>> {
        self.check_fork(py, false)?;
        Ok(self
            .try_lock()
            .and_then(|mut g| g.pop())
            .map(PyCallRecord::new))
    }

    /// Fetches the next page into the buffer (blocking, without the GIL);
    /// `false` when the walk is over.
    pub(crate) fn fill_blocking(&self, py: Python<'_>) -> PyResult<bool> {
        self.check_fork(py, true)?;
        self.check_held(py)?;
        crate::logging::refresh(py);
        let result = self.with_detached(py, |s| {
            *self.snapshot.lock().unwrap_or_else(PoisonError::into_inner) = s.stats();
            let result = s.fill();
            if matches!(result, Some(Err(velip_blocking::Error::Interrupted)))
                && crate::cancel::cancelled()
            {
                // An async walk whose task was cancelled ends here: its
                // helper threads stop, so nothing more is sent (start a new
                // walk at `resume_cursor` to go on).
                drop(s.close());
            }
            result
        });
        match result {
            None => Ok(false),
            Some(Ok(())) => Ok(true),
            Some(Err(e)) => Err(errors::client(py, &e)),
        }
    }

    /// The next page of records not yet yielded (blocking, without the
    /// GIL).
    pub(crate) fn next_page_blocking(&self, py: Python<'_>) -> PyResult<Option<PyPage>> {
        self.check_fork(py, true)?;
        self.check_held(py)?;
        crate::logging::refresh(py);
        match self.with_detached(py, State::next_page) {
            Some(Ok(p)) => PyPage::new(py, p).map(Some),
            Some(Err(e)) => Err(errors::client(py, &e)),
            None => Ok(None),
        }
    }

    /// The next batch (see [`State::next_batch`]), fetched without the GIL.
    pub(crate) fn next_batch_blocking(
        &self,
        py: Python<'_>,
    ) -> PyResult<Option<crate::arrow::PyArrowBatch>> {
        self.check_fork(py, true)?;
        crate::logging::refresh(py);
        match self.with_detached(py, State::next_batch) {
            Some(Ok(b)) => Ok(Some(crate::arrow::PyArrowBatch::new(b))),
            Some(Err(e)) => Err(errors::client(py, &e)),
            None => Ok(None),
        }
    }

    /// Every batch left (see [`State::collect_batches`]), the whole walk
    /// without the GIL.
    pub(crate) fn collect_blocking(&self, py: Python<'_>) -> PyResult<crate::arrow::PyArrowStream> {
        self.check_fork(py, true)?;
        crate::logging::refresh(py);
        match self.with_detached(py, State::collect_batches) {
            Ok(batches) => Ok(crate::arrow::PyArrowStream::from_batches(batches)),
            Err(e) => Err(errors::client(py, &e)),
        }
    }

    /// Whether `close()` ended the walk (`false` while a fetch holds it).
    pub(crate) fn closed(&self) -> bool {
        self.try_lock().is_some_and(|g| g.inner.is_none())
    }

    /// Ends the walk at once when the state is free (`true`), without
    /// waiting for a page fetch that runs in another thread.
    pub(crate) fn try_close(&self, py: Python<'_>) -> bool {
        let Some(mut g) = self.try_lock() else {
            return false;
        };
        let walk = g.close();
        drop(g);
        py.detach(|| drop(walk));
        true
    }
}

#[pymethods]
impl PyCallIterator {
    fn __iter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __next__(&self, py: Python<'_>) -> PyResult<PyCallRecord> {
        self.check_fork(py, false)?;
        // Fast path: a record of the current page, GIL held throughout.
        if let Some(mut g) = self.try_lock()
            && let Some(r) = g.pop()
        {
            return Ok(PyCallRecord::new(r));
        }
        self.check_fork(py, true)?;
        self.check_held(py)?;
        crate::logging::refresh(py);
        match self.with_detached(py, State::next_record) {
            Some(Ok(r)) => Ok(PyCallRecord::new(r)),
            Some(Err(e)) => Err(errors::client(py, &e)),
            None => Err(PyStopIteration::new_err(())),
        }
    }

    /// The next page: the records of the current page not yet yielded, or
    /// else the next page fetched (at most what `limit` leaves); `None`
    /// when the walk is over. Can be mixed with plain iteration.
    ///
    /// Raises: the errors of ``Client.list_page`` (``AuthenticationError``,
    /// ``RateLimitError``, ``ServerError``, ``TransportError``,
    /// ``DecodeError``, ...) and ``PagingError`` when paging cannot go on;
    /// ``VelipError`` in a child process forked after the walk started.
    fn next_page(&self, py: Python<'_>) -> PyResult<Option<PyPage>> {
        self.next_page_blocking(py)
    }

    /// `_fill()`: fetches the next page into the buffer; `False` when the
    /// walk is over (the async iterator runs it in a worker thread).
    fn _fill(&self, py: Python<'_>) -> PyResult<bool> {
        self.fill_blocking(py)
    }

    /// `_next_batch()`: the next page as an Arrow batch (an object with
    /// `__arrow_c_array__`), `None` when the walk is over.
    fn _next_batch(&self, py: Python<'_>) -> PyResult<Option<crate::arrow::PyArrowBatch>> {
        self.next_batch_blocking(py)
    }

    /// `_collect()`: every page left as Arrow batches (an object with
    /// `__arrow_c_stream__`); on an error the batches so far are kept for
    /// the next call.
    fn _collect(&self, py: Python<'_>) -> PyResult<crate::arrow::PyArrowStream> {
        self.collect_blocking(py)
    }

    /// The Arrow ``PyCapsule`` interface: the rest of the walk as an Arrow C
    /// stream (`ArrowArrayStream`), one batch per page, read by
    /// ``pa.table(it)``, ``pa.RecordBatchReader.from_stream(it)``,
    /// ``pl.from_arrow(it)``, ``pl.DataFrame(it)`` and
    /// ``duckdb.sql("from it")`` without copies. Pages are fetched as the
    /// consumer reads (the GIL released while each is fetched). An error
    /// ends the stream with its message, raised by the consumer as its own
    /// exception (and again for any later batch asked of that stream:
    /// never a normal end); ``to_arrow()`` and ``iter_batches()`` raise
    /// velip's. Iterating the walk again continues at the page that failed.
    /// The batches a stream delivered before the error are the consumer's:
    /// one that fails as a whole (``pa.table(it)``, ``pl.DataFrame(it)``)
    /// drops them with its exception, so to collect with retries use
    /// ``to_arrow()`` / ``to_pandas()`` / ``to_polars()``, which keep them
    /// for the next call.
    /// ``requested_schema`` is ignored (the schema is fixed).
    #[pyo3(signature = (requested_schema = None))]
    fn __arrow_c_stream__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, pyo3::types::PyCapsule>> {
        let _ = requested_schema;
        self.check_fork(py, true)?;
        crate::arrow::stream_capsule(py, Arc::clone(&self.state))
    }

    /// The batches of the walk as ``pyarrow.RecordBatch``, one per page
    /// (the records not yet yielded of the current page first), fetched as
    /// you iterate (the GIL released while a page is fetched). Needs
    /// pyarrow (``pip install 'velip[arrow]'``); the batches have the
    /// schema ``velip.arrow_schema()``.
    ///
    /// Raises: ``ImportError`` without pyarrow; while iterating, what
    /// iterating the walk raises (iterating again continues at the page
    /// that failed).
    fn iter_batches<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        crate::arrow::columnar(slf.py(), "iter_batches")?.call1((slf,))
    }

    /// Every call left in the walk as one ``pyarrow.Table`` (a chunk per
    /// page, schema ``velip.arrow_schema()``), built without Python objects
    /// per record and with the GIL released for the whole walk. Needs
    /// pyarrow (``pip install 'velip[arrow]'``).
    ///
    /// Raises: ``ImportError`` without pyarrow; what iterating the walk
    /// raises: the pages fetched before the error are kept, and the next
    /// ``to_arrow()`` returns them with the rest (nothing lost, nothing
    /// twice).
    fn to_arrow<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        crate::arrow::columnar(slf.py(), "to_arrow")?.call1((slf,))
    }

    /// Every call left as a ``pandas.DataFrame`` with typed columns (from
    /// ``to_arrow()``, no Python object per record): ``date`` as
    /// ``date32[pyarrow]``, times as ``time32[s][pyarrow]``, ``dialed_at``
    /// & co. as ``datetime64[s, America/Sao_Paulo]``, ``rate``/``value``
    /// as exact ``decimal128(18, 3)[pyarrow]`` (items are
    /// ``decimal.Decimal``), ``status``/``amd`` as ``category``, integers
    /// as nullable ``Int64``/``Int32``, text as pandas' Arrow-backed
    /// strings, lists and maps as Arrow dtypes. ``dtype_backend="pyarrow"``
    /// makes every column an ``ArrowDtype``. Needs pandas and pyarrow
    /// (``pip install 'velip[pandas]'``).
    ///
    /// Raises: ``ImportError`` without them; what ``to_arrow()`` raises.
    #[pyo3(signature = (*, dtype_backend = "numpy_nullable"))]
    fn to_pandas<'py>(slf: &Bound<'py, Self>, dtype_backend: &str) -> PyResult<Bound<'py, PyAny>> {
        crate::arrow::columnar(slf.py(), "to_pandas")?.call1((slf, dtype_backend))
    }

    /// Every call left as a ``polars.DataFrame`` (read from the Arrow
    /// batches without copies): ``Date``, ``Time``,
    /// ``Datetime("ms", "America/Sao_Paulo")``, ``Decimal(18, 3)``,
    /// ``Categorical`` status/AMD, ``List``/``Struct`` for the nested
    /// columns. Needs polars only (``pip install 'velip[polars]'``).
    ///
    /// Raises: ``ImportError`` without polars; what ``to_arrow()`` raises.
    fn to_polars<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        crate::arrow::columnar(slf.py(), "to_polars")?.call1((slf,))
    }

    /// Ends the walk: the helper threads that fetch pages ahead stop (a
    /// request in flight is abandoned, no further one is sent) and
    /// iterating yields nothing more. Statistics and `resume_cursor` stay
    /// readable. Also done by `with` and when the iterator is garbage
    /// collected. Idempotent.
    fn close(&self, py: Python<'_>) {
        if !self.try_close(py) {
            let walk = self.with_detached(py, State::close);
            py.detach(|| drop(walk));
        }
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_args))]
    fn __exit__(&self, py: Python<'_>, _args: &Bound<'_, pyo3::types::PyTuple>) {
        self.close(py);
    }

    /// Pages fetched so far.
    #[getter]
    fn pages_fetched(&self, py: Python<'_>) -> PyResult<u64> {
        self.read(py, |s| s.stats().pages_fetched)
    }

    /// Calls yielded so far (by iteration and `next_page`).
    #[getter]
    fn records_yielded(&self, py: Python<'_>) -> PyResult<u64> {
        self.read(py, State::records_yielded)
    }

    /// Calls skipped because an earlier page already yielded them (new
    /// calls arriving while paging shift the pages).
    #[getter]
    fn duplicates_skipped(&self, py: Python<'_>) -> PyResult<u64> {
        self.read(py, |s| s.stats().duplicates_skipped)
    }

    /// Whether any page came with masked numbers (`return.numbers_masked`).
    #[getter]
    fn numbers_masked(&self, py: Python<'_>) -> PyResult<bool> {
        self.read(py, |s| s.stats().numbers_masked)
    }

    /// Distinct warnings the service sent (`return.warning`), in order.
    #[getter]
    fn warnings(&self, py: Python<'_>) -> PyResult<Vec<String>> {
        self.read(py, |s| s.stats().warnings)
    }

    /// Whether the walk is over (last page yielded, `limit` reached, or
    /// ended by a paging error).
    #[getter]
    fn finished(&self, py: Python<'_>) -> PyResult<bool> {
        self.read(py, |s| s.stats().finished)
    }

    /// Where a new walk would continue: pass it as `cursor=` to
    /// `list_calls` or `list_page` (wire `last_id`). While a page is only
    /// partly yielded, that page's own cursor (a new walk re-reads it).
    /// `None` when finished or still on a first page without a cursor.
    #[getter]
    fn resume_cursor(&self, py: Python<'_>) -> PyResult<Option<String>> {
        self.read(py, |s| s.stats().resume_cursor)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        self.read(py, |s| repr("CallIterator", &s.stats()))
    }
}

/// `Name(pages_fetched=.., records_yielded=.., finished=..)`.
pub(crate) fn repr(name: &str, s: &Stats) -> String {
    format!(
        "{name}(pages_fetched={}, records_yielded={}, finished={})",
        s.pages_fetched,
        s.records_yielded,
        if s.finished { "True" } else { "False" }
    )
}
