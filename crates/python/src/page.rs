//! `Page`: one page of an answer.

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use velip_core::Page;

use crate::convert::json_map_to_py;
use crate::record::{PyCallRecord, record_list, records_to_py};

/// One page of a GetCallStatus answer: its records, and where to continue.
#[pyclass(frozen, module = "velip._velip", name = "Page")]
pub(crate) struct PyPage {
    /// The page without its records (they live in `records`).
    meta: Page,
    records: Vec<Py<PyCallRecord>>,
}

impl PyPage {
    pub(crate) fn new(py: Python<'_>, mut page: Page) -> PyResult<Self> {
        let records = records_to_py(py, std::mem::take(&mut page.records))?;
        Ok(Self {
            meta: page,
            records,
        })
    }
}

#[pymethods]
impl PyPage {
    /// The calls of this page, newest first (a new list on each access).
    #[getter]
    fn records<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        record_list(py, &self.records)
    }

    /// Whether the service says another page exists.
    #[getter]
    fn has_more(&self) -> bool {
        self.meta.has_more()
    }

    /// The cursor of the next page (pass it as `cursor=` to `list_page`), or
    /// `None` on the last page.
    #[getter]
    fn next_cursor(&self) -> Option<&str> {
        self.meta.next_cursor().map(velip_core::Cursor::as_str)
    }

    /// Phone numbers in this page are masked (`xxxxx877`).
    #[getter]
    fn numbers_masked(&self) -> bool {
        self.meta.numbers_masked
    }

    /// A free-text notice from the service, if any.
    #[getter]
    fn warning(&self) -> Option<&str> {
        self.meta.warning.as_deref()
    }

    /// `return.status` (`"OK"`).
    #[getter]
    fn status(&self) -> &str {
        &self.meta.status
    }

    /// `return.status_code` (`"0"`).
    #[getter]
    fn status_code(&self) -> &str {
        &self.meta.status_code
    }

    /// The page size asked for was capped by the service.
    #[getter]
    fn page_size_capped(&self) -> bool {
        self.meta
            .pagination
            .as_ref()
            .is_some_and(|p| p.page_size_capped)
    }

    /// The page size the service applied when it capped it.
    #[getter]
    fn page_size_applied(&self) -> Option<u32> {
        self.meta
            .pagination
            .as_ref()
            .and_then(|p| p.page_size_applied)
    }

    /// Unknown keys of the answer, verbatim (keys of `return` prefixed
    /// `return.`; a PHP notice before the JSON under `preamble`).
    #[getter]
    fn extra<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        json_map_to_py(py, self.meta.extra.iter())
    }

    fn __len__(&self) -> usize {
        self.records.len()
    }

    fn __iter__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        record_list(py, &self.records)?
            .try_iter()
            .map(Bound::into_any)
    }

    fn __repr__(&self) -> String {
        format!(
            "Page(records={}, has_more={}, next_cursor={}, numbers_masked={})",
            self.records.len(),
            if self.meta.has_more() {
                "True"
            } else {
                "False"
            },
            self.meta
                .next_cursor()
                .map_or_else(|| "None".to_owned(), |c| format!("'{c}'")),
            if self.meta.numbers_masked {
                "True"
            } else {
                "False"
            },
        )
    }
}
