//! `CallIterator`: the auto-paging walk over a selection.

use std::sync::{Mutex, MutexGuard, PoisonError};

use pyo3::exceptions::PyStopIteration;
use pyo3::prelude::*;
use velip_blocking::CallIter;

use crate::errors;
use crate::page::PyPage;
use crate::record::PyCallRecord;

/// Iterates the calls of a selection, fetching pages as needed (the GIL is
/// released while a page is fetched and decoded). After an exception,
/// iterating again resumes from the same page: nothing is lost and no call
/// comes twice.
#[pyclass(frozen, module = "velip._velip", name = "CallIterator")]
pub(crate) struct PyCallIterator {
    inner: Mutex<CallIter>,
    pid: u32,
}

impl PyCallIterator {
    pub(crate) fn new(inner: CallIter) -> Self {
        Self {
            inner: Mutex::new(inner),
            pid: std::process::id(),
        }
    }

    /// Locks the walk without holding the GIL while waiting (another thread
    /// may be fetching a page with it).
    fn with<R: Send>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&mut CallIter) -> R + Send,
    ) -> PyResult<R> {
        if std::process::id() != self.pid {
            return Err(errors::velip(
                py,
                "this CallIterator was created before os.fork(); in the child, start a new walk (pass cursor=resume_cursor to continue)",
            ));
        }
        Ok(py.detach(|| {
            let mut guard: MutexGuard<'_, CallIter> =
                self.inner.lock().unwrap_or_else(PoisonError::into_inner);
            f(&mut guard)
        }))
    }
}

#[pymethods]
impl PyCallIterator {
    fn __iter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __next__(&self, py: Python<'_>) -> PyResult<PyCallRecord> {
        match self.with(py, Iterator::next)? {
            Some(Ok(r)) => Ok(PyCallRecord::new(r)),
            Some(Err(e)) => Err(errors::client(py, &e)),
            None => Err(PyStopIteration::new_err(())),
        }
    }

    /// The next page (records not yet yielded), or `None` when the walk is
    /// over. Can be mixed with plain iteration.
    fn next_page(&self, py: Python<'_>) -> PyResult<Option<PyPage>> {
        match self.with(py, CallIter::next_page)? {
            Some(Ok(p)) => PyPage::new(py, p).map(Some),
            Some(Err(e)) => Err(errors::client(py, &e)),
            None => Ok(None),
        }
    }

    /// Pages fetched so far.
    #[getter]
    fn pages_fetched(&self, py: Python<'_>) -> PyResult<u64> {
        self.with(py, |i| i.pages_fetched())
    }

    /// Calls yielded so far.
    #[getter]
    fn records_yielded(&self, py: Python<'_>) -> PyResult<u64> {
        self.with(py, |i| i.records_yielded())
    }

    /// Calls skipped because an earlier page already yielded them (new
    /// calls arriving while paging shift the pages).
    #[getter]
    fn duplicates_skipped(&self, py: Python<'_>) -> PyResult<u64> {
        self.with(py, |i| i.duplicates_skipped())
    }

    /// Whether any page came with masked numbers.
    #[getter]
    fn numbers_masked(&self, py: Python<'_>) -> PyResult<bool> {
        self.with(py, |i| i.numbers_masked())
    }

    /// Distinct warnings the service sent, in order.
    #[getter]
    fn warnings(&self, py: Python<'_>) -> PyResult<Vec<String>> {
        self.with(py, |i| i.warnings().to_vec())
    }

    /// Whether the walk is over.
    #[getter]
    fn finished(&self, py: Python<'_>) -> PyResult<bool> {
        self.with(py, |i| i.is_finished())
    }

    /// Where a new walk would continue: pass it as `cursor=` to
    /// `list_calls` or `list_page`. `None` when finished or still on a first
    /// page without a cursor.
    #[getter]
    fn resume_cursor(&self, py: Python<'_>) -> PyResult<Option<String>> {
        self.with(py, |i| i.resume_cursor().map(|c| c.as_str().to_owned()))
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        self.with(py, |i| {
            format!(
                "CallIterator(pages_fetched={}, records_yielded={}, finished={})",
                i.pages_fetched(),
                i.records_yielded(),
                if i.is_finished() { "True" } else { "False" }
            )
        })
    }
}
