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

/// Why a page could not be read, as text: the error a stream's consumer
/// is given (the Arrow C stream interface carries a message, not a type).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageError(pub String);

impl std::fmt::Display for PageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl StdError for PageError {}

/// The reader behind an Arrow C stream (`FFI_ArrowArrayStream`, Python's
/// `__arrow_c_stream__`, C's `velip_call_iter_arrow_stream`): the batches
/// of `inner` and, after its first error, that error again for every later
/// batch asked for (as a [`PageError`] holding its text and `then`, what
/// the consumer can do next). The C stream interface has no way on after
/// an error; a consumer that asks again must never see a normal end it
/// could take for the whole walk.
///
/// ```
/// use arrow_array::RecordBatchReader;
/// use velip_arrow::{CallBatchReader, PageError, StreamReader};
/// use velip_core::{CallId, CallRecord};
///
/// let pages = vec![
///     Ok(vec![CallRecord::new(CallId::new(2))]),
///     Err(PageError("rate limited".into())),
/// ];
/// let mut s = StreamReader::new(CallBatchReader::new(pages.into_iter()), "start a new walk");
/// assert_eq!(s.schema(), velip_arrow::schema());
/// assert!(s.next().unwrap().is_ok());
/// let first = s.next().unwrap().unwrap_err().to_string();
/// assert!(first.ends_with("rate limited"), "{first}");
/// let again = s.next().unwrap().unwrap_err().to_string();
/// assert!(again.ends_with("rate limited (start a new walk)"), "{again}");
/// ```
#[derive(Debug)]
pub struct StreamReader<I> {
    inner: I,
    then: &'static str,
    failed: Option<String>,
}

impl<I> StreamReader<I> {
    /// A reader over `inner`; `then` is appended to a repeated error.
    pub fn new(inner: I, then: &'static str) -> Self {
        Self {
            inner,
            then,
            failed: None,
        }
    }
}

impl<I: Iterator<Item = Result<RecordBatch, ArrowError>>> Iterator for StreamReader<I> {
    type Item = Result<RecordBatch, ArrowError>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(text) = &self.failed {
            let again = PageError(format!("{text} ({})", self.then));
            return Some(Err(ArrowError::ExternalError(Box::new(again))));
        }
        let batch = self.inner.next()?;
        if let Err(e) = &batch {
            // The error's own text, without arrow's "External error: ".
            self.failed = Some(match e {
                ArrowError::ExternalError(inner) => inner.to_string(),
                other => other.to_string(),
            });
        }
        Some(batch)
    }
}

impl<I: Iterator<Item = Result<RecordBatch, ArrowError>>> RecordBatchReader for StreamReader<I> {
    fn schema(&self) -> SchemaRef {
        schema()
    }
}
