//! Pages (`velip_page`): one decoded answer or webhook delivery, its
//! records, pagination and notices.

use std::ffi::{CString, c_char};

use velip_core::{CallRecord, Page, Pagination};

use crate::boundary::{Handle, borrow_handle, ffi_panic_boundary, free, try_out, try_ref};
use crate::boundary::{c_string, opt_ptr};
use crate::list::{RecordList, velip_record_list};
use crate::status::velip_status;

/// One decoded answer page or webhook delivery (opaque): records plus
/// pagination and notices. Immutable: may be read from several threads at
/// once.
pub struct velip_page {
    _private: [u8; 0],
}

/// A page: records, pagination and notices.
pub(crate) struct PageData {
    records: RecordList,
    has_more: bool,
    next_cursor: Option<CString>,
    page_size_capped: bool,
    numbers_masked: bool,
    warning: Option<CString>,
}

impl Handle for velip_page {
    type Rust = PageData;
}

impl PageData {
    pub(crate) fn from_page(p: Page) -> Self {
        let mut d = Self::from_parts(p.records, p.pagination.as_ref());
        d.numbers_masked = p.numbers_masked;
        d.warning = p.warning.as_deref().map(c_string);
        d
    }

    pub(crate) fn from_parts(records: Vec<CallRecord>, pagination: Option<&Pagination>) -> Self {
        Self {
            records: RecordList::new(records),
            has_more: pagination.is_some_and(|p| p.has_more),
            next_cursor: pagination
                .and_then(Pagination::next_cursor)
                .map(|c| c_string(c.as_str())),
            page_size_capped: pagination.is_some_and(|p| p.page_size_capped),
            numbers_masked: false,
            warning: None,
        }
    }
}

/// The records of a page.
///
/// # Safety
/// `page` must be a live `velip_page`; `out` valid for writing. The list is
/// owned by the page: valid until the page is freed; do not free it.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_page_records(
    page: *const velip_page,
    out: *mut *const velip_record_list,
) -> velip_status {
    ffi_panic_boundary! {
        // SAFETY: per this function's contract.
        let (p, out) = unsafe { (try_ref(page, "page")?, try_out(out, "out")?) };
        out.write(borrow_handle(&p.records));
        Ok(())
    }
}

/// The page's pagination: `*has_more` whether another page exists,
/// `*next_cursor` the cursor to resume from (NULL when there is no next
/// page), `*page_size_capped` whether the service capped the page size.
///
/// # Safety
/// `page` must be a live `velip_page`; the three out-parameters valid for
/// writing. The cursor text is owned by the page.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_page_pagination(
    page: *const velip_page,
    has_more: *mut bool,
    next_cursor: *mut *const c_char,
    page_size_capped: *mut bool,
) -> velip_status {
    ffi_panic_boundary! {
        // SAFETY: per this function's contract.
        let (p, more, cursor, capped) = unsafe {
            (
                try_ref(page, "page")?,
                try_out(has_more, "has_more")?,
                try_out(next_cursor, "next_cursor")?,
                try_out(page_size_capped, "page_size_capped")?,
            )
        };
        more.write(p.has_more);
        cursor.write(opt_ptr(p.next_cursor.as_ref()));
        capped.write(p.page_size_capped);
        Ok(())
    }
}

/// The page's notices: `*numbers_masked` whether phone numbers are masked,
/// `*warning` the service's free-text warning (NULL when none).
///
/// # Safety
/// `page` must be a live `velip_page`; the out-parameters valid for
/// writing. The warning text is owned by the page.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_page_notices(
    page: *const velip_page,
    numbers_masked: *mut bool,
    warning: *mut *const c_char,
) -> velip_status {
    ffi_panic_boundary! {
        // SAFETY: per this function's contract.
        let (p, masked, warn) = unsafe {
            (try_ref(page, "page")?, try_out(numbers_masked, "numbers_masked")?, try_out(warning, "warning")?)
        };
        masked.write(p.numbers_masked);
        warn.write(opt_ptr(p.warning.as_ref()));
        Ok(())
    }
}

/// Frees a page and everything it owns. NULL is a no-op.
///
/// # Safety
/// `page` must be NULL or a page owned by the caller, not freed before.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_page_free(page: *mut velip_page) {
    ffi_panic_boundary! {
        // SAFETY: per this function's contract.
        unsafe { free(page) }
    }
}
