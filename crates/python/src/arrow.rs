//! Walks as Arrow data, through the Arrow `PyCapsule` interface: a walk's
//! pages as an Arrow C stream (`__arrow_c_stream__`, read by pyarrow,
//! polars, `DuckDB` without copies), one page as an Arrow C array
//! (`__arrow_c_array__`), and a finished collection of batches as a stream.
//! The batches are `velip_arrow`'s (one schema, built from the typed
//! records: no JSON, no Python object per record); pandas and polars
//! conversions live in `velip/_columnar.py`.

use std::sync::{Arc, Mutex, PoisonError};

use pyo3::prelude::*;
use pyo3::types::PyCapsule;
use velip_arrow::arrow_array::ffi::{FFI_ArrowArray, FFI_ArrowSchema};
use velip_arrow::arrow_array::ffi_stream::FFI_ArrowArrayStream;
use velip_arrow::arrow_array::{Array, RecordBatch, RecordBatchIterator, StructArray};
use velip_arrow::arrow_schema::ArrowError;
use velip_arrow::{CallBatchReader, PageError, StreamReader};
use velip_core::CallRecord;

use crate::errors;
use crate::iter::State;

/// Capsule names the Arrow `PyCapsule` interface prescribes.
const STREAM: &std::ffi::CStr = c"arrow_array_stream";
const SCHEMA: &std::ffi::CStr = c"arrow_schema";
const ARRAY: &std::ffi::CStr = c"arrow_array";

/// A function of `velip._columnar` (the Python side of the columnar API).
pub(crate) fn columnar<'py>(py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyAny>> {
    py.import("velip._columnar")?.getattr(name)
}

/// The pages of a walk, fetched as a stream's consumer asks for them.
struct Pages {
    state: Arc<Mutex<State>>,
    pid: u32,
}

impl Pages {
    fn next_page(&self) -> Option<Result<Vec<CallRecord>, PageError>> {
        if std::process::id() != self.pid {
            return Some(Err(PageError(
                "this walk was started before os.fork(): start a new one in the child".into(),
            )));
        }
        let mut s = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        match s.next_records()? {
            Ok(records) => Some(Ok(records)),
            Err(e) => Some(Err(PageError(e.to_string()))),
        }
    }
}

impl Iterator for Pages {
    type Item = Result<Vec<CallRecord>, PageError>;

    /// One page, with the GIL released while it is fetched: the consumer
    /// may call in holding it (polars) or not (pyarrow, the threads of `DuckDB`);
    /// attaching is cheap when it is held, and the walk's interrupt check
    /// sees Ctrl-C either way.
    fn next(&mut self) -> Option<Self::Item> {
        Python::attach(|py| {
            crate::logging::refresh(py);
            py.detach(|| self.next_page())
        })
    }
}

/// The batches behind `CallIterator.__arrow_c_stream__` (in a
/// [`StreamReader`]: errors sticky): batches a failed `to_arrow()` held
/// first, then [`CallBatchReader`] over the walk's pages.
struct WalkReader {
    state: Arc<Mutex<State>>,
    pages: CallBatchReader<Pages>,
}

impl Iterator for WalkReader {
    type Item = Result<RecordBatch, ArrowError>;

    fn next(&mut self) -> Option<Self::Item> {
        let held = Python::attach(|py| {
            py.detach(|| {
                self.state
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .held
                    .pop_front()
            })
        });
        if let Some(b) = held {
            return Some(Ok(b));
        }
        self.pages.next()
    }
}

/// The rest of the walk as an `arrow_array_stream` capsule.
pub(crate) fn stream_capsule(
    py: Python<'_>,
    state: Arc<Mutex<State>>,
) -> PyResult<Bound<'_, PyCapsule>> {
    let pages = Pages {
        state: Arc::clone(&state),
        pid: std::process::id(),
    };
    let reader = StreamReader::new(
        WalkReader {
            state,
            pages: CallBatchReader::new(pages),
        },
        "this stream ended with that error; iterate the walk again to continue from the page that failed",
    );
    let stream = FFI_ArrowArrayStream::new(Box::new(reader));
    PyCapsule::new_with_value(py, stream, STREAM)
}

fn arrow_error(py: Python<'_>, e: &ArrowError) -> PyErr {
    errors::velip(py, &format!("Arrow export failed: {e}"))
}

/// The schema of call-record batches as an `arrow_schema` capsule.
fn schema_capsule(py: Python<'_>) -> PyResult<Bound<'_, PyCapsule>> {
    let schema = FFI_ArrowSchema::try_from(velip_arrow::schema().as_ref())
        .map_err(|e| arrow_error(py, &e))?;
    PyCapsule::new_with_value(py, schema, SCHEMA)
}

/// `velip.arrow_schema()`'s source: an object with `__arrow_c_schema__`.
#[pyclass(frozen, module = "velip._velip", name = "_ArrowSchema")]
pub(crate) struct PyArrowSchema;

#[pymethods]
impl PyArrowSchema {
    #[new]
    fn new() -> Self {
        Self
    }

    /// The call-record schema (`velip_arrow::schema()`, with its field
    /// metadata) as an `arrow_schema` capsule.
    #[expect(
        clippy::unused_self,
        reason = "a method of the Arrow PyCapsule protocol"
    )]
    fn __arrow_c_schema__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyCapsule>> {
        schema_capsule(py)
    }
}

/// One page as an Arrow record batch: `__arrow_c_array__` for
/// `pyarrow.record_batch(obj)`.
#[pyclass(frozen, module = "velip._velip", name = "_ArrowBatch")]
pub(crate) struct PyArrowBatch {
    batch: RecordBatch,
}

impl PyArrowBatch {
    pub(crate) fn new(batch: RecordBatch) -> Self {
        Self { batch }
    }
}

#[pymethods]
impl PyArrowBatch {
    /// Rows in the batch.
    fn __len__(&self) -> usize {
        self.batch.num_rows()
    }

    /// The batch's schema as an `arrow_schema` capsule.
    #[expect(
        clippy::unused_self,
        reason = "a method of the Arrow PyCapsule protocol"
    )]
    fn __arrow_c_schema__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyCapsule>> {
        schema_capsule(py)
    }

    /// The batch as a struct array: `(arrow_schema, arrow_array)` capsules
    /// sharing its buffers (no copy). `requested_schema` is ignored.
    #[pyo3(signature = (requested_schema = None))]
    fn __arrow_c_array__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyAny>>,
    ) -> PyResult<(Bound<'py, PyCapsule>, Bound<'py, PyCapsule>)> {
        let _ = requested_schema;
        let array = StructArray::from(self.batch.clone());
        let schema = schema_capsule(py)?;
        let array = PyCapsule::new_with_value(py, FFI_ArrowArray::new(&array.to_data()), ARRAY)?;
        Ok((schema, array))
    }
}

/// Batches already built (what `_collect()` returns) as a one-shot Arrow
/// stream: `__arrow_c_stream__` for `pyarrow.table(obj)` and
/// `polars.from_arrow(obj)`.
#[pyclass(frozen, module = "velip._velip", name = "_ArrowStream")]
pub(crate) struct PyArrowStream {
    batches: Mutex<Option<Vec<RecordBatch>>>,
    rows: usize,
}

impl PyArrowStream {
    pub(crate) fn from_batches(batches: Vec<RecordBatch>) -> Self {
        Self {
            rows: batches.iter().map(RecordBatch::num_rows).sum(),
            batches: Mutex::new(Some(batches)),
        }
    }
}

#[pymethods]
impl PyArrowStream {
    /// Rows in the batches.
    fn __len__(&self) -> usize {
        self.rows
    }

    /// The schema as an `arrow_schema` capsule.
    #[expect(
        clippy::unused_self,
        reason = "a method of the Arrow PyCapsule protocol"
    )]
    fn __arrow_c_schema__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyCapsule>> {
        schema_capsule(py)
    }

    /// The batches as an `arrow_array_stream` capsule (once: the stream
    /// takes them). `requested_schema` is ignored.
    #[pyo3(signature = (requested_schema = None))]
    fn __arrow_c_stream__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        let _ = requested_schema;
        let Some(batches) = self
            .batches
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
        else {
            return Err(errors::velip(py, "these Arrow batches were already read"));
        };
        let reader = RecordBatchIterator::new(batches.into_iter().map(Ok), velip_arrow::schema());
        PyCapsule::new_with_value(py, FFI_ArrowArrayStream::new(Box::new(reader)), STREAM)
    }
}
