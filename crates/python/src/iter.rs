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

/// The walk plus the records of its current page not yet handed to Python.
struct State {
    inner: CallIter,
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
    /// The next record, fetching pages as needed (call without the GIL).
    fn next_record(&mut self) -> Option<Result<CallRecord, velip_blocking::Error>> {
        loop {
            if let Some(r) = self.buffer.next() {
                return Some(Ok(r));
            }
            // With nothing buffered, the resume cursor is the one of the
            // page `next_page` is about to return.
            let cursor = self.inner.resume_cursor().cloned();
            match self.inner.next_page()? {
                Ok(mut page) => {
                    self.buffer = std::mem::take(&mut page.records).into_iter();
                    self.meta = Some(page);
                    self.page_cursor = cursor;
                }
                Err(e) => return Some(Err(e)),
            }
        }
    }

    /// The rest of the current page, or else the next page (call without
    /// the GIL).
    fn next_page(&mut self) -> Option<Result<Page, velip_blocking::Error>> {
        if self.buffer.len() > 0
            && let Some(meta) = &self.meta
        {
            let mut page = meta.clone();
            page.records = self.buffer.by_ref().collect();
            return Some(Ok(page));
        }
        self.inner.next_page()
    }

    fn records_yielded(&self) -> u64 {
        self.inner.records_yielded() - self.buffer.len() as u64
    }

    fn is_finished(&self) -> bool {
        self.buffer.len() == 0 && self.inner.is_finished()
    }

    fn resume_cursor(&self) -> Option<&Cursor> {
        if self.buffer.len() > 0 {
            self.page_cursor.as_ref()
        } else {
            self.inner.resume_cursor()
        }
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
    pid: u32,
    fork_generation: u64,
}

impl PyCallIterator {
    pub(crate) fn new(inner: CallIter) -> Self {
        Self {
            state: Mutex::new(State {
                inner,
                buffer: Vec::new().into_iter(),
                meta: None,
                page_cursor: None,
            }),
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
            && let Some(r) = g.buffer.next()
        {
            return Ok(PyCallRecord::new(r));
        }
        self.check_fork(py, true)?;
        match self.with_detached(py, State::next_record) {
            Some(Ok(r)) => Ok(PyCallRecord::new(r)),
            Some(Err(e)) => Err(errors::client(py, &e)),
            None => Err(PyStopIteration::new_err(())),
        }
    }

    /// The next page (records not yet yielded), or `None` when the walk is
    /// over. Can be mixed with plain iteration.
    fn next_page(&self, py: Python<'_>) -> PyResult<Option<PyPage>> {
        self.check_fork(py, true)?;
        match self.with_detached(py, State::next_page) {
            Some(Ok(p)) => PyPage::new(py, p).map(Some),
            Some(Err(e)) => Err(errors::client(py, &e)),
            None => Ok(None),
        }
    }

    /// Pages fetched so far.
    #[getter]
    fn pages_fetched(&self, py: Python<'_>) -> PyResult<u64> {
        self.read(py, |s| s.inner.pages_fetched())
    }

    /// Calls yielded so far.
    #[getter]
    fn records_yielded(&self, py: Python<'_>) -> PyResult<u64> {
        self.read(py, State::records_yielded)
    }

    /// Calls skipped because an earlier page already yielded them (new
    /// calls arriving while paging shift the pages).
    #[getter]
    fn duplicates_skipped(&self, py: Python<'_>) -> PyResult<u64> {
        self.read(py, |s| s.inner.duplicates_skipped())
    }

    /// Whether any page came with masked numbers.
    #[getter]
    fn numbers_masked(&self, py: Python<'_>) -> PyResult<bool> {
        self.read(py, |s| s.inner.numbers_masked())
    }

    /// Distinct warnings the service sent, in order.
    #[getter]
    fn warnings(&self, py: Python<'_>) -> PyResult<Vec<String>> {
        self.read(py, |s| s.inner.warnings().to_vec())
    }

    /// Whether the walk is over.
    #[getter]
    fn finished(&self, py: Python<'_>) -> PyResult<bool> {
        self.read(py, State::is_finished)
    }

    /// Where a new walk would continue: pass it as `cursor=` to
    /// `list_calls` or `list_page`. `None` when finished or still on a first
    /// page without a cursor.
    #[getter]
    fn resume_cursor(&self, py: Python<'_>) -> PyResult<Option<String>> {
        self.read(py, |s| s.resume_cursor().map(|c| c.as_str().to_owned()))
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        self.read(py, |s| {
            format!(
                "CallIterator(pages_fetched={}, records_yielded={}, finished={})",
                s.inner.pages_fetched(),
                s.records_yielded(),
                if s.is_finished() { "True" } else { "False" }
            )
        })
    }
}
