//! A walk as an Arrow C stream (`velip_call_iter_arrow_stream`): one
//! batch per page, in the one schema of a call record (`velip_arrow`),
//! built from the typed records (no JSON, no record handles), read by any
//! consumer of the Arrow C stream interface (nanoarrow, Arrow C++'s
//! `ImportRecordBatchReader`, `DuckDB`, ...). The stream's callbacks are
//! arrow-rs's (`FFI_ArrowArrayStream`); each page is fetched inside the
//! library's panic boundary.

use std::sync::{Arc, Mutex};

use velip_arrow::arrow_array::ffi_stream::FFI_ArrowArrayStream;
use velip_arrow::arrow_array::{RecordBatch, RecordBatchReader};
use velip_arrow::arrow_schema::{ArrowError, SchemaRef};
use velip_arrow::{CallBatchReader, PageError, StreamReader};
use velip_core::CallRecord;

use crate::boundary::{catch, ffi_panic_boundary, try_mut, try_out};
use crate::error::Error;
use crate::interrupt::Cancel;
use crate::iter::{Walk, lock, velip_call_iter};
use crate::status::{VELIP_PANIC, velip_status};

/// A page's error as the stream's consumer sees it (`get_last_error`,
/// with its status); the detail also becomes the last error of the thread
/// that called `get_next` (`velip_last_error_*`).
impl From<Error> for PageError {
    fn from(e: Error) -> Self {
        let text = format!("{} (velip status {})", e.message, e.status);
        let _ = e.record();
        Self(text)
    }
}

/// The pages of a walk shared with its iterator, fetched as the stream's
/// consumer asks for them (records the iterator left of the current page
/// first).
struct Pages {
    shared: Arc<Mutex<Walk>>,
    cancel: Arc<Cancel>,
}

impl Pages {
    fn step(&self) -> Option<Result<Vec<CallRecord>, Error>> {
        let mut walk = lock(&self.shared);
        let page = match walk.walk_mut() {
            Ok(it) => self.cancel.run(|| it.next_page().transpose()),
            Err(e) => Err(e),
        };
        walk.refresh();
        page.transpose().map(|p| p.map(|page| page.records))
    }
}

impl Iterator for Pages {
    type Item = Result<Vec<CallRecord>, PageError>;

    fn next(&mut self) -> Option<Self::Item> {
        match catch(|| self.step()) {
            Ok(step) => step.map(|r| r.map_err(PageError::from)),
            Err(panic) => Some(Err(PageError::from(Error::new(VELIP_PANIC, panic)))),
        }
    }
}

/// The batches, each built inside the panic boundary (a panic ends the
/// stream with its message).
struct Guarded(CallBatchReader<Pages>);

impl Iterator for Guarded {
    type Item = Result<RecordBatch, ArrowError>;

    fn next(&mut self) -> Option<Self::Item> {
        catch(|| self.0.next()).unwrap_or_else(|panic| {
            Some(Err(ArrowError::ExternalError(Box::new(PageError::from(
                Error::new(VELIP_PANIC, panic),
            )))))
        })
    }
}

/// The stream's reader: errors sticky ([`StreamReader`]), and a page that
/// could not be read an I/O error for the consumer (`EIO`); anything else
/// stays as arrow-rs classifies it.
struct Stream(StreamReader<Guarded>);

impl Iterator for Stream {
    type Item = Result<RecordBatch, ArrowError>;

    fn next(&mut self) -> Option<Self::Item> {
        let batch = self.0.next()?;
        Some(batch.map_err(|e| match e {
            ArrowError::ExternalError(inner) if inner.is::<PageError>() => {
                let text = inner.to_string();
                ArrowError::IoError(text, std::io::Error::other(inner))
            }
            other => other,
        }))
    }
}

impl RecordBatchReader for Stream {
    fn schema(&self) -> SchemaRef {
        velip_arrow::schema()
    }
}

/// The rest of the walk as an Arrow C stream (the Arrow C stream
/// interface; `struct ArrowArrayStream` is defined in this header under
/// the `ARROW_C_STREAM_INTERFACE` guard the Arrow specification
/// prescribes). One batch per page, in the schema README's "Arrow schema"
/// table documents (`call_id` utf8, `date` date32, `rate`/`value`
/// decimal128(18, 3) in BRL, times as time32(s) and as timestamp(s,
/// "America/Sao_Paulo"), `dtmf` `list<utf8>`, `extra` map, `problems` list of
/// structs, ...); records the iterator left of its current page come
/// first, as their own batch. Nothing is sent until the consumer calls
/// `get_next`; each call fetches (or takes the prefetched) next page; a
/// batch with no rows is an empty page, the end is a released (NULL
/// `release`) array as the interface says.
///
/// On `VELIP_OK`, `*out` is a new stream **owned by the caller**: call
/// `out->release(out)` when done (it may outlive the iterator; the last of
/// the two to go stops the walk's helper threads). The stream and the
/// iterator step the same walk: the statistics, `velip_call_iter_resume_cursor`
/// and the warnings of the iterator follow the stream's pages. Use the
/// stream from one thread at a time (any thread; the client's interrupt and
/// deadline apply to each `get_next`).
///
/// Errors: when a page cannot be read (`VELIP_RATE_LIMITED`,
/// `VELIP_TRANSPORT`, `VELIP_PAGING`, `VELIP_INTERRUPTED`, ...),
/// `get_next` returns `EIO` and
/// `get_last_error` the message with its status
/// (`"Io error: ... (velip status 20)"`), and so does every later
/// `get_next` (never a normal end); the thread that called `get_next` also has
/// it as its last error (`velip_last_error_message`, `_api_code`,
/// `_http_status`, `_retry_after`). The batches before it were delivered
/// and the walk stays at the page that failed: after releasing the
/// stream, `velip_call_iter_next` or a new stream continue from there
/// (nothing lost, nothing twice).
///
/// # Safety
/// `iter` must be a live iterator used by one thread at a time; `out` valid
/// for writing one `struct ArrowArrayStream` (its old content is not read
/// or released).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_call_iter_arrow_stream(
    iter: *mut velip_call_iter,
    out: *mut FFI_ArrowArrayStream,
) -> velip_status {
    ffi_panic_boundary! {
        // SAFETY: per this function's contract.
        let (it, out) = unsafe { (try_mut(iter, "iter")?, try_out(out, "out")?) };
        let pages = Pages {
            shared: Arc::clone(&it.shared),
            cancel: Arc::clone(&it.cancel),
        };
        let stream = StreamReader::new(
            Guarded(CallBatchReader::new(pages)),
            "the stream ended with this error: release it, then continue with velip_call_iter_next or a new stream",
        );
        out.write(FFI_ArrowArrayStream::new(Box::new(Stream(stream))));
        Ok(())
    }
}
