//! The call iterator (`velip_call_iter`): automatic paging, statistics,
//! prefetch depth and the resume cursor.

use std::ffi::{CString, c_char};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use velip_blocking::CallIter;

use crate::boundary::{
    Handle, c_string, ffi_panic_boundary, free, into_raw, opt_ptr, try_mut, try_out, try_ref,
};
use crate::error::Error;
use crate::interrupt::Cancel;
use crate::record::{Record, velip_record};
use crate::status::velip_status;

/// A walk over every call a filter selects (opaque), fetching pages as
/// needed. Single-threaded: use it from one thread at a time.
pub struct velip_call_iter {
    _private: [u8; 0],
}

/// The iterator's side of a walk: the walk itself, shared with the Arrow
/// streams made from it (`velip_call_iter_arrow_stream`), and its client's
/// cancellation state.
pub(crate) struct CallIterData {
    pub(crate) shared: Arc<Mutex<Walk>>,
    pub(crate) cancel: Arc<Cancel>,
}

/// A walk and the texts it hands out, behind one lock: the iterator and
/// its Arrow streams step the same walk, so a stream's error leaves the
/// walk at the page that failed for `velip_call_iter_next` (or a new
/// stream) to continue. Dropped with the last of them.
pub(crate) struct Walk {
    /// Always `Some`, except while `velip_call_iter_set_prefetch_depth`
    /// rebuilds it.
    iter: Option<CallIter>,
    resume: Option<CString>,
    /// Append-only: a warning's text stays valid until the walk is dropped.
    warnings: Vec<CString>,
}

impl Handle for velip_call_iter {
    type Rust = CallIterData;
}

impl CallIterData {
    pub(crate) fn new(iter: CallIter, cancel: Arc<Cancel>) -> Self {
        Self {
            shared: Arc::new(Mutex::new(Walk {
                iter: Some(iter),
                resume: None,
                warnings: Vec::new(),
            })),
            cancel,
        }
    }

    /// The walk, locked (a panic while it was held left it as it was: the
    /// walk's own state is updated only once a step is complete).
    pub(crate) fn lock(&self) -> MutexGuard<'_, Walk> {
        lock(&self.shared)
    }
}

/// Locks a walk shared by an iterator and its streams.
pub(crate) fn lock(walk: &Mutex<Walk>) -> MutexGuard<'_, Walk> {
    walk.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Walk {
    fn walk(&self) -> Result<&CallIter, Error> {
        self.iter.as_ref().ok_or_else(broken)
    }

    pub(crate) fn walk_mut(&mut self) -> Result<&mut CallIter, Error> {
        self.iter.as_mut().ok_or_else(broken)
    }

    /// Updates the cursor and warnings after a step.
    pub(crate) fn refresh(&mut self) {
        let Some(it) = &self.iter else { return };
        // The cursor changes once per page, not per step.
        let cursor = it.resume_cursor().map(|c| c.as_str().as_bytes());
        if self.resume.as_deref().map(std::ffi::CStr::to_bytes) != cursor {
            self.resume = it.resume_cursor().map(|c| c_string(c.as_str()));
        }
        for w in it.warnings().iter().skip(self.warnings.len()) {
            self.warnings.push(c_string(w));
        }
    }
}

impl Drop for Walk {
    /// Stops the walk's helper threads and waits for them: nothing is sent
    /// once `velip_call_iter_free` (or the release of the last stream made
    /// from the iterator) returns.
    fn drop(&mut self) {
        if let Some(walk) = &mut self.iter {
            walk.close();
        }
    }
}

fn broken() -> Error {
    Error::invalid("the iterator is unusable after an internal error; free it")
}

/// Steps the walk. On `VELIP_OK`, `*out` is the next record, **owned by the
/// caller** (free it with `velip_record_free`; it stays valid after later
/// steps and after the iterator is freed), or NULL when the walk is over.
///
/// On an error (`VELIP_RATE_LIMITED`, `VELIP_TRANSPORT`,
/// `VELIP_INTERRUPTED`, ...), nothing is lost: calling again retries from
/// the same place; or keep `velip_call_iter_resume_cursor` and start a new
/// walk later. The client's deadline (`velip_client_config_set_deadline_ms`)
/// applies to each step.
///
/// # Safety
/// `iter` must be a live iterator used by one thread at a time; `out` valid
/// for writing.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_call_iter_next(
    iter: *mut velip_call_iter,
    out: *mut *mut velip_record,
) -> velip_status {
    ffi_panic_boundary! {
        // SAFETY: per this function's contract.
        let (it, out) = unsafe { (try_mut(iter, "iter")?, try_out(out, "out")?) };
        let mut shared = it.lock();
        let walk = shared.walk_mut()?;
        let step = it.cancel.run(|| walk.next().transpose());
        shared.refresh();
        match step? {
            None => out.write(std::ptr::null_mut()),
            Some(r) => out.write(into_raw(Record::new(r))),
        }
        Ok(())
    }
}

/// How many pages ahead of the one being consumed the walk fetches: 0 (each
/// page is requested when the previous one is used up: no request is ever
/// made for a page you do not reach), 1 (the next page is fetched and
/// decoded in the background), or 2, the default (also the page after
/// next is requested while the next one is decoded: fastest). Values above
/// 2 count as 2. Set it before the first `velip_call_iter_next`; a change
/// later applies from the next page fetched.
///
/// # Safety
/// `iter` must be a live iterator used by one thread at a time.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_call_iter_set_prefetch_depth(
    iter: *mut velip_call_iter,
    pages: usize,
) -> velip_status {
    ffi_panic_boundary! {
        // SAFETY: per this function's contract.
        let it = unsafe { try_mut(iter, "iter")? };
        let mut shared = it.lock();
        let walk = shared.iter.take().ok_or_else(broken)?;
        shared.iter = Some(walk.prefetch_depth(pages));
        Ok(())
    }
}

/// Body of the numeric statistics.
///
/// # Safety
/// `iter` NULL or live; `out` NULL or valid for writing.
unsafe fn stat<T>(
    iter: *const velip_call_iter,
    out: *mut T,
    value: impl FnOnce(&CallIter) -> T,
) -> Result<(), Error> {
    // SAFETY: per this function's contract.
    let (it, out) = unsafe { (try_ref(iter, "iter")?, try_out(out, "out")?) };
    out.write(value(it.lock().walk()?));
    Ok(())
}

/// Pages fetched successfully so far.
///
/// # Safety
/// `iter` must be a live iterator; `out` valid for writing.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_call_iter_pages_fetched(
    iter: *const velip_call_iter,
    out: *mut u64,
) -> velip_status {
    // SAFETY: per this function's contract.
    ffi_panic_boundary! { unsafe { stat(iter, out, CallIter::pages_fetched) } }
}

/// Records handed out so far.
///
/// # Safety
/// `iter` must be a live iterator; `out` valid for writing.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_call_iter_records_yielded(
    iter: *const velip_call_iter,
    out: *mut u64,
) -> velip_status {
    // SAFETY: per this function's contract.
    ffi_panic_boundary! { unsafe { stat(iter, out, CallIter::records_yielded) } }
}

/// Records skipped because they were already handed out (new calls
/// arriving while paging shift the pages).
///
/// # Safety
/// `iter` must be a live iterator; `out` valid for writing.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_call_iter_duplicates_skipped(
    iter: *const velip_call_iter,
    out: *mut u64,
) -> velip_status {
    // SAFETY: per this function's contract.
    ffi_panic_boundary! { unsafe { stat(iter, out, CallIter::duplicates_skipped) } }
}

/// Whether any page so far had masked phone numbers.
///
/// # Safety
/// `iter` must be a live iterator; `out` valid for writing.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_call_iter_numbers_masked(
    iter: *const velip_call_iter,
    out: *mut bool,
) -> velip_status {
    // SAFETY: per this function's contract.
    ffi_panic_boundary! { unsafe { stat(iter, out, CallIter::numbers_masked) } }
}

/// Whether the walk is over (last record handed out, or ended by a paging
/// error).
///
/// # Safety
/// `iter` must be a live iterator; `out` valid for writing.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_call_iter_is_finished(
    iter: *const velip_call_iter,
    out: *mut bool,
) -> velip_status {
    // SAFETY: per this function's contract.
    ffi_panic_boundary! { unsafe { stat(iter, out, CallIter::is_finished) } }
}

/// The number of distinct warnings the service sent so far (see
/// `velip_call_iter_warning`).
///
/// # Safety
/// `iter` must be a live iterator; `out` valid for writing.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_call_iter_warning_count(
    iter: *const velip_call_iter,
    out: *mut usize,
) -> velip_status {
    ffi_panic_boundary! {
        // SAFETY: per this function's contract.
        let (it, out) = unsafe { (try_ref(iter, "iter")?, try_out(out, "out")?) };
        out.write(it.lock().warnings.len());
        Ok(())
    }
}

/// Where a new walk would continue (give it to `velip_filter_set_cursor`).
/// On `VELIP_OK`, `*out` is the cursor, or NULL when the walk is finished or
/// still on its first page. Owned by the iterator: valid until the next
/// `velip_call_iter_next` or `velip_call_iter_free` (copy it to keep it).
///
/// # Safety
/// `iter` must be a live iterator; `out` valid for writing.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_call_iter_resume_cursor(
    iter: *const velip_call_iter,
    out: *mut *const c_char,
) -> velip_status {
    ffi_panic_boundary! {
        // SAFETY: per this function's contract.
        let (it, out) = unsafe { (try_ref(iter, "iter")?, try_out(out, "out")?) };
        out.write(opt_ptr(it.lock().resume.as_ref()));
        Ok(())
    }
}

/// The warning at `index` (below `velip_call_iter_warning_count`; else
/// `VELIP_INVALID_ARGUMENT`). Owned by the iterator: valid until the
/// iterator is freed.
///
/// # Safety
/// `iter` must be a live iterator; `out` valid for writing.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_call_iter_warning(
    iter: *const velip_call_iter,
    index: usize,
    out: *mut *const c_char,
) -> velip_status {
    ffi_panic_boundary! {
        // SAFETY: per this function's contract.
        let (it, out) = unsafe { (try_ref(iter, "iter")?, try_out(out, "out")?) };
        let shared = it.lock();
        let w = shared.warnings.get(index).ok_or_else(|| {
            Error::invalid(format!("warning index {index} out of range (count {})", shared.warnings.len()))
        })?;
        out.write(w.as_ptr());
        Ok(())
    }
}

/// Frees an iterator. It first stops the walk's helper threads and waits
/// for them, so no request is sent once it returns (a request already in
/// flight is abandoned; it was sent before). Records handed out by
/// `velip_call_iter_next` stay valid (they are the caller's). NULL is a
/// no-op.
///
/// # Safety
/// `iter` must be NULL or an iterator owned by the caller, not freed
/// before.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_call_iter_free(iter: *mut velip_call_iter) {
    ffi_panic_boundary! {
        // SAFETY: per this function's contract.
        unsafe { free(iter) }
    }
}
