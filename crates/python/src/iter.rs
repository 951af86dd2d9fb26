//! `CallIterator`: the auto-paging walk over a selection.
//!
//! The walk hands Python whole pages at a time internally: a page's records
//! are kept in a buffer next to the [`CallIter`], and `__next__` only pops
//! from it (holding the GIL, no lock wait, no syscall). The GIL is released
//! only when the buffer is empty and the next page must be fetched.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError, TryLockError};

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
}

impl State {
    /// The next buffered record, never fetching (GIL held).
    pub(crate) fn pop(&mut self) -> Option<CallRecord> {
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
            finished: self.buffer.len() == 0 && inner.is_finished(),
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
    state: Mutex<State>,
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
            state: Mutex::new(State {
                inner: Some(inner),
                closed: None,
                buffer: Vec::new().into_iter(),
                meta: None,
                page_cursor: None,
            }),
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
        crate::logging::refresh(py);
        match self.with_detached(py, State::next_page) {
            Some(Ok(p)) => PyPage::new(py, p).map(Some),
            Some(Err(e)) => Err(errors::client(py, &e)),
            None => Ok(None),
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
