//! The call iterator (`velip_call_iter`): automatic paging, statistics and
//! the resume cursor.

use std::ffi::{CString, c_char};

use velip_blocking::CallIter;

use crate::boundary::{
    Handle, borrow_handle, c_string, ffi_panic_boundary, free, opt_ptr, try_mut, try_out, try_ref,
};
use crate::error::Error;
use crate::record::{Record, velip_record};
use crate::status::velip_status;

/// A walk over every call a filter selects (opaque), fetching pages as
/// needed. Single-threaded.
pub struct velip_call_iter {
    _private: [u8; 0],
}

/// Statistics of a walk so far.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct velip_iter_stats {
    /// Pages fetched successfully.
    pub pages_fetched: u64,
    /// Records handed out.
    pub records_yielded: u64,
    /// Records skipped because they were already handed out (new calls
    /// arriving while paging shift the pages).
    pub duplicates_skipped: u64,
    /// Whether any page had masked phone numbers.
    pub numbers_masked: bool,
    /// Number of distinct warnings the service sent
    /// (`velip_call_iter_warning`).
    pub warning_count: usize,
}

/// The iterator with the record of the current step and the texts it hands
/// out.
pub(crate) struct CallIterData {
    iter: CallIter,
    current: Option<Record>,
    resume: Option<CString>,
    warnings: Vec<CString>,
}

impl Handle for velip_call_iter {
    type Rust = CallIterData;
}

impl CallIterData {
    pub(crate) fn new(iter: CallIter) -> Self {
        Self {
            iter,
            current: None,
            resume: None,
            warnings: Vec::new(),
        }
    }

    fn refresh(&mut self) {
        self.resume = self.iter.resume_cursor().map(|c| c_string(c.as_str()));
        let w = self.iter.warnings();
        if w.len() != self.warnings.len() {
            self.warnings = w.iter().map(|s| c_string(s)).collect();
        }
    }
}

/// Steps the walk. On `VELIP_OK`, `*out` is the next record, or NULL when
/// the walk is over. The record is owned by the iterator and valid until
/// the next call of `velip_call_iter_next` or `velip_call_iter_free` (use
/// `velip_record_clone` to keep it).
///
/// On an error (`VELIP_RATE_LIMITED`, `VELIP_TRANSPORT`, ...), nothing is
/// lost: calling again retries from the same place; or keep
/// `velip_call_iter_resume_cursor` and start a new walk later.
///
/// # Safety
/// `iter` must be a live iterator used by one thread at a time; `out` valid
/// for writing.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_call_iter_next(
    iter: *mut velip_call_iter,
    out: *mut *const velip_record,
) -> velip_status {
    ffi_panic_boundary! {
        // SAFETY: per this function's contract.
        let (it, out) = unsafe { (try_mut(iter, "iter")?, try_out(out, "out")?) };
        it.current = None;
        let step = it.iter.next();
        it.refresh();
        match step {
            None => out.write(std::ptr::null()),
            Some(Ok(r)) => {
                let rec = it.current.insert(Record::new(r));
                out.write(borrow_handle::<velip_record>(rec));
            }
            Some(Err(e)) => return Err(Error::from(e)),
        }
        Ok(())
    }
}

/// The walk's statistics so far, copied into `*out` (owned by the caller).
///
/// # Safety
/// `iter` must be a live iterator; `out` valid for writing.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_call_iter_stats(
    iter: *const velip_call_iter,
    out: *mut velip_iter_stats,
) -> velip_status {
    ffi_panic_boundary! {
        // SAFETY: per this function's contract.
        let (it, out) = unsafe { (try_ref(iter, "iter")?, try_out(out, "out")?) };
        out.write(velip_iter_stats {
            pages_fetched: it.iter.pages_fetched(),
            records_yielded: it.iter.records_yielded(),
            duplicates_skipped: it.iter.duplicates_skipped(),
            numbers_masked: it.iter.numbers_masked(),
            warning_count: it.iter.warnings().len(),
        });
        Ok(())
    }
}

/// Where a new walk would continue (give it to `velip_filter_set_cursor`).
/// On `VELIP_OK`, `*out` is the cursor, or NULL when the walk is finished or
/// still on its first page. Owned by the iterator: valid until the next
/// `velip_call_iter_next` or `velip_call_iter_free`.
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
        out.write(opt_ptr(it.resume.as_ref()));
        Ok(())
    }
}

/// The warning at `index` (below `warning_count` of
/// `velip_call_iter_stats`; else `VELIP_INVALID_ARGUMENT`). Owned by the
/// iterator: valid until the next `velip_call_iter_next` or
/// `velip_call_iter_free`.
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
        let w = it.warnings.get(index).ok_or_else(|| {
            Error::invalid(format!("warning index {index} out of range (count {})", it.warnings.len()))
        })?;
        out.write(w.as_ptr());
        Ok(())
    }
}

/// Frees an iterator (and its current record). NULL is a no-op.
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
