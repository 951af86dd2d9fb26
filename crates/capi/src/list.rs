//! Record lists (`velip_record_list`): every call of a correlation id, or a
//! page's records.

use velip_core::CallRecord;

use crate::boundary::{Handle, borrow_handle, ffi_panic_boundary, free, try_out, try_ref};
use crate::error::Error;
use crate::record::{Record, velip_record};
use crate::status::velip_status;

/// A list of call records (opaque), e.g. every call of a correlation id.
/// Immutable: may be read from several threads at once (its records too).
pub struct velip_record_list {
    _private: [u8; 0],
}

/// A list of records.
pub(crate) struct RecordList(pub(crate) Vec<Record>);

impl Handle for velip_record_list {
    type Rust = RecordList;
}

impl RecordList {
    pub(crate) fn new(records: Vec<CallRecord>) -> Self {
        Self(records.into_iter().map(Record::new).collect())
    }
}

/// The number of records in a list.
///
/// # Safety
/// `list` must be a live `velip_record_list`; `out` valid for writing.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_record_list_len(
    list: *const velip_record_list,
    out: *mut usize,
) -> velip_status {
    ffi_panic_boundary! {
        // SAFETY: per this function's contract.
        let (l, out) = unsafe { (try_ref(list, "list")?, try_out(out, "out")?) };
        out.write(l.0.len());
        Ok(())
    }
}

/// The record at `index` (newest first, as the service sends them).
/// `VELIP_INVALID_ARGUMENT` when `index` is not below the length.
///
/// # Safety
/// `list` must be a live `velip_record_list`; `out` valid for writing. The
/// record is owned by the list: valid until the list is freed; do not free
/// it.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_record_list_get(
    list: *const velip_record_list,
    index: usize,
    out: *mut *const velip_record,
) -> velip_status {
    ffi_panic_boundary! {
        // SAFETY: per this function's contract.
        let (l, out) = unsafe { (try_ref(list, "list")?, try_out(out, "out")?) };
        let r = l.0.get(index).ok_or_else(|| {
            Error::invalid(format!("record index {index} out of range (length {})", l.0.len()))
        })?;
        out.write(borrow_handle(r));
        Ok(())
    }
}

/// Frees a record list and its records. NULL is a no-op.
///
/// # Safety
/// `list` must be NULL or a list owned by the caller (from
/// `velip_client_find_calls`), not freed before. Never free the list
/// borrowed from a page.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_record_list_free(list: *mut velip_record_list) {
    ffi_panic_boundary! {
        // SAFETY: per this function's contract.
        unsafe { free(list) }
    }
}
