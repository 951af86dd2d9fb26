//! Pages as a stream of batches: the one adapter behind Python's
//! `iter_batches()` / `__arrow_c_stream__` and C's
//! `velip_call_iter_arrow_stream`.

use std::error::Error as StdError;

use arrow_array::{RecordBatch, RecordBatchReader};
use arrow_schema::{ArrowError, SchemaRef};
use velip_core::CallRecord;

use crate::{CallBatchBuilder, Error, schema};

/// An Arrow [`RecordBatchReader`] over pages of records: one batch per
/// page, built with one [`CallBatchBuilder`] kept for the whole walk, and
/// [`schema()`](crate::schema()) known before the first page arrives.
///
/// `pages` is any iterator of pages (`Vec<CallRecord>`, `&[CallRecord]`,
/// ...) or errors, such as a walk. A page's error ends the stream with
/// [`ArrowError::ExternalError`] holding the error itself (downcast it to
/// get its kind back); the batches before it were delivered. Wrap it in
/// `arrow_array::ffi_stream::FFI_ArrowArrayStream` (feature `ffi` of
/// `arrow-array`) for the Arrow C stream interface.
///
/// ```
/// use arrow_array::RecordBatchReader;
/// use velip_arrow::CallBatchReader;
/// use velip_core::{CallId, CallRecord};
///
/// let pages = vec![
///     Ok::<_, std::io::Error>(vec![CallRecord::new(CallId::new(2)), CallRecord::new(CallId::new(1))]),
///     Ok(vec![]),
/// ];
/// let reader = CallBatchReader::new(pages.into_iter());
/// assert_eq!(reader.schema(), velip_arrow::schema());
/// let rows: Vec<usize> = reader.map(|b| b.unwrap().num_rows()).collect();
/// assert_eq!(rows, [2, 0]);
/// ```
#[derive(Debug)]
pub struct CallBatchReader<I> {
    pages: I,
    builder: CallBatchBuilder,
    done: bool,
}

impl<I> CallBatchReader<I> {
    /// A reader over `pages`.
    pub fn new(pages: I) -> Self {
        Self {
            pages,
            builder: CallBatchBuilder::new(),
            done: false,
        }
    }

    /// The pages not read yet.
    pub fn into_inner(self) -> I {
        self.pages
    }
}

impl<I, P, E> Iterator for CallBatchReader<I>
where
    I: Iterator<Item = Result<P, E>>,
    P: AsRef<[CallRecord]>,
    E: StdError + Send + Sync + 'static,
{
    type Item = Result<RecordBatch, ArrowError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let batch = match self.pages.next()? {
            Ok(page) => self.builder.build(page.as_ref()).map_err(|e| match e {
                Error::Arrow(e) => e,
                other => ArrowError::ExternalError(Box::new(other)),
            }),
            Err(e) => Err(ArrowError::ExternalError(Box::new(e))),
        };
        self.done = batch.is_err();
        Some(batch)
    }
}

impl<I, P, E> RecordBatchReader for CallBatchReader<I>
where
    I: Iterator<Item = Result<P, E>>,
    P: AsRef<[CallRecord]>,
    E: StdError + Send + Sync + 'static,
{
    fn schema(&self) -> SchemaRef {
        schema()
    }
}
