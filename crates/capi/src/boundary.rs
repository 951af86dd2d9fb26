//! The one place where C meets Rust: the panic boundary, pointer casts,
//! NULL checks, UTF-8 checks, out-parameters and caller buffers.
//!
//! Every exported function body runs inside `ffi_panic_boundary!`; every
//! raw pointer is turned into a reference by a function of this module.

use std::ffi::{CStr, CString, c_char};
use std::marker::PhantomData;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::ptr::NonNull;

use crate::error::Error;
use crate::status::velip_status;

/// Runs an exported function's body, turning a panic into
/// `VELIP_PANIC` (or the function's neutral value when it does not return a
/// status) and recording errors as the thread's last error.
macro_rules! ffi_panic_boundary {
    ($($body:tt)*) => {
        $crate::boundary::guard(move || { $($body)* })
    };
}
pub(crate) use ffi_panic_boundary;

/// What an exported body may produce, and what the function returns.
pub(crate) trait FfiReturn {
    /// The C return type.
    type Out;
    /// The normal return value; records an error as the last error.
    fn finish(self) -> Self::Out;
    /// The return value after a panic.
    fn panicked() -> Self::Out;
}

impl FfiReturn for Result<(), Error> {
    type Out = velip_status;
    fn finish(self) -> velip_status {
        match self {
            Ok(()) => velip_status::VELIP_OK,
            Err(e) => e.record(),
        }
    }
    fn panicked() -> velip_status {
        velip_status::VELIP_PANIC
    }
}

/// A status returned as is, without touching the last error (used by the
/// last-error functions themselves).
pub(crate) struct Untracked(pub(crate) velip_status);

impl FfiReturn for Untracked {
    type Out = velip_status;
    fn finish(self) -> velip_status {
        self.0
    }
    fn panicked() -> velip_status {
        velip_status::VELIP_PANIC
    }
}

impl FfiReturn for () {
    type Out = ();
    fn finish(self) {}
    fn panicked() {}
}

impl<T> FfiReturn for *const T {
    type Out = *const T;
    fn finish(self) -> *const T {
        self
    }
    fn panicked() -> *const T {
        std::ptr::null()
    }
}

/// Runs `f`, catching a panic. Used through `ffi_panic_boundary!`.
pub(crate) fn guard<R: FfiReturn>(f: impl FnOnce() -> R) -> R::Out {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r.finish(),
        Err(payload) => {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_owned());
            let _ = Error::new(
                velip_status::VELIP_PANIC,
                format!("internal error (panic caught at the C boundary): {what}"),
            )
            .record();
            R::panicked()
        }
    }
}

/// A Rust type behind an opaque C handle.
pub(crate) trait Handle {
    /// The Rust value the handle points to.
    type Rust;
}

/// Borrows the value behind a handle; `name` is the parameter's name for the
/// error message.
///
/// # Safety
/// `p` must be NULL or a pointer this library handed out for this handle
/// type and that has not been freed, valid for `'a`.
pub(crate) unsafe fn try_ref<'a, H: Handle>(
    p: *const H,
    name: &'static str,
) -> Result<&'a H::Rust, Error> {
    if p.is_null() {
        return Err(Error::null(name));
    }
    // SAFETY: per this function's contract, `p` came from `into_raw` or
    // `borrow_handle` for `H::Rust` and is still alive.
    Ok(unsafe { &*p.cast::<H::Rust>() })
}

/// Mutably borrows the value behind a handle.
///
/// # Safety
/// As [`try_ref`], and no other reference to the value may be alive.
pub(crate) unsafe fn try_mut<'a, H: Handle>(
    p: *mut H,
    name: &'static str,
) -> Result<&'a mut H::Rust, Error> {
    if p.is_null() {
        return Err(Error::null(name));
    }
    // SAFETY: per this function's contract.
    Ok(unsafe { &mut *p.cast::<H::Rust>() })
}

/// Boxes a value and hands ownership to C.
pub(crate) fn into_raw<H: Handle>(value: H::Rust) -> *mut H {
    Box::into_raw(Box::new(value)).cast::<H>()
}

/// A pointer to a value owned elsewhere, as a handle (borrowed by C).
pub(crate) fn borrow_handle<H: Handle>(value: &H::Rust) -> *const H {
    std::ptr::from_ref(value).cast::<H>()
}

/// Takes ownership back from C and drops the value; NULL is a no-op.
///
/// # Safety
/// `p` must be NULL or a pointer returned by [`into_raw`] for this handle
/// type, not freed before.
pub(crate) unsafe fn free<H: Handle>(p: *mut H) {
    if !p.is_null() {
        // SAFETY: per this function's contract.
        drop(unsafe { Box::from_raw(p.cast::<H::Rust>()) });
    }
}

/// Reads a required NUL-terminated UTF-8 input string.
///
/// # Safety
/// `p` must be NULL or point to a NUL-terminated string valid for `'a`.
pub(crate) unsafe fn try_str<'a>(p: *const c_char, name: &'static str) -> Result<&'a str, Error> {
    if p.is_null() {
        return Err(Error::null(name));
    }
    // SAFETY: per this function's contract.
    let c = unsafe { CStr::from_ptr(p) };
    c.to_str().map_err(|e| {
        Error::new(
            velip_status::VELIP_INVALID_UTF8,
            format!(
                "parameter `{name}` is not valid UTF-8 (bad byte at offset {})",
                e.valid_up_to()
            ),
        )
    })
}

/// Reads an optional NUL-terminated UTF-8 input string: NULL is `None`.
///
/// # Safety
/// As [`try_str`].
pub(crate) unsafe fn try_opt_str<'a>(
    p: *const c_char,
    name: &'static str,
) -> Result<Option<&'a str>, Error> {
    if p.is_null() {
        Ok(None)
    } else {
        // SAFETY: per this function's contract.
        unsafe { try_str(p, name) }.map(Some)
    }
}

/// Reads a byte buffer (`ptr`, `len`); NULL is accepted only when `len` is 0.
///
/// # Safety
/// `p` must be NULL or point to `len` readable bytes valid for `'a`.
pub(crate) unsafe fn try_bytes<'a>(
    p: *const u8,
    len: usize,
    name: &'static str,
) -> Result<&'a [u8], Error> {
    if p.is_null() {
        return if len == 0 {
            Ok(&[])
        } else {
            Err(Error::null(name))
        };
    }
    // SAFETY: per this function's contract.
    Ok(unsafe { std::slice::from_raw_parts(p, len) })
}

/// A checked, non-NULL out-parameter, written only on success.
pub(crate) struct Out<'a, T> {
    ptr: NonNull<T>,
    _life: PhantomData<&'a mut T>,
}

impl<T> Out<'_, T> {
    /// Writes the result.
    pub(crate) fn write(self, value: T) {
        // SAFETY: checked non-NULL in `try_out`; the caller promised it is
        // writable. `write` does not read or drop the old (maybe
        // uninitialised) value.
        unsafe { self.ptr.as_ptr().write(value) }
    }
}

/// Checks a required out-parameter.
///
/// # Safety
/// `p` must be NULL or valid for writing one `T` for `'a`.
pub(crate) unsafe fn try_out<'a, T>(p: *mut T, name: &'static str) -> Result<Out<'a, T>, Error> {
    NonNull::new(p)
        .map(|ptr| Out {
            ptr,
            _life: PhantomData,
        })
        .ok_or_else(|| Error::null(name))
}

/// Checks an optional out-parameter (NULL = the caller does not want it).
///
/// # Safety
/// As [`try_out`].
pub(crate) unsafe fn opt_out<'a, T>(p: *mut T) -> Option<Out<'a, T>> {
    NonNull::new(p).map(|ptr| Out {
        ptr,
        _life: PhantomData,
    })
}

/// Copies `text` and a NUL into the caller's buffer `buf` of `len` bytes.
/// `needed` (optional) receives `text.len() + 1` in every case, so a caller
/// can size the buffer. `buf` NULL with `len` 0 asks for the size only
/// (`VELIP_BUFFER_TOO_SMALL`); `buf` NULL with a non-zero `len` is a
/// `VELIP_NULL_PARAMETER`; when `len` is too small nothing is written to
/// `buf` and the status is `VELIP_BUFFER_TOO_SMALL`.
///
/// # Safety
/// `buf` must be NULL or valid for writing `len` bytes; `needed` NULL or
/// valid for writing one `size_t`.
pub(crate) unsafe fn copy_out(
    text: &str,
    buf: *mut c_char,
    len: usize,
    needed: *mut usize,
) -> Result<(), Error> {
    let need = text.len() + 1;
    // SAFETY: per this function's contract.
    if let Some(n) = unsafe { opt_out(needed) } {
        n.write(need);
    }
    if buf.is_null() && len > 0 {
        return Err(Error::new(
            velip_status::VELIP_NULL_PARAMETER,
            format!(
                "parameter `buf` is NULL but `len` is {len} (pass NULL with 0 to ask for the size)"
            ),
        ));
    }
    if buf.is_null() || len < need {
        return Err(Error::new(
            velip_status::VELIP_BUFFER_TOO_SMALL,
            format!("the buffer holds {len} bytes; {need} are needed (text and NUL)"),
        ));
    }
    // SAFETY: `buf` holds at least `need` bytes, and `text` is a distinct
    // Rust allocation.
    unsafe {
        std::ptr::copy_nonoverlapping(text.as_ptr(), buf.cast::<u8>(), text.len());
        buf.add(text.len()).write(0);
    }
    Ok(())
}

/// A `CString` from Rust text; an interior NUL (which C cannot carry) is
/// replaced by U+FFFD.
pub(crate) fn c_string(s: &str) -> CString {
    CString::new(s)
        .unwrap_or_else(|_| CString::new(s.replace('\0', "\u{FFFD}")).unwrap_or_default())
}

/// The pointer of an optional C string (NULL for `None`).
pub(crate) fn opt_ptr(s: Option<&CString>) -> *const c_char {
    s.map_or(std::ptr::null(), |c| c.as_ptr())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_velip_panic_and_the_last_error() {
        let st = ffi_panic_boundary! {
            assert!(!std::hint::black_box(true), "boom");
            Ok::<(), Error>(())
        };
        assert_eq!(st, velip_status::VELIP_PANIC);
        assert_eq!(
            crate::error::velip_last_error_status(),
            velip_status::VELIP_PANIC
        );
        let p: *const u8 = ffi_panic_boundary! {
            assert!(!std::hint::black_box(true), "boom");
            std::ptr::dangling::<u8>()
        };
        assert!(p.is_null());
    }

    #[test]
    fn copy_out_reports_the_needed_size() {
        let mut buf = [1 as c_char; 4];
        let mut needed = 0usize;
        // SAFETY: valid buffer and out-parameter.
        let r = unsafe { copy_out("abcd", buf.as_mut_ptr(), buf.len(), &raw mut needed) };
        assert_eq!(r.unwrap_err().status, velip_status::VELIP_BUFFER_TOO_SMALL);
        assert_eq!(needed, 5);
        assert_eq!(buf, [1; 4]);
        // SAFETY: as above.
        unsafe { copy_out("abc", buf.as_mut_ptr(), buf.len(), std::ptr::null_mut()) }.unwrap();
        assert_eq!(buf, [97, 98, 99, 0]);
        // SAFETY: NULL buffers are checked before any write.
        let r = unsafe { copy_out("abc", std::ptr::null_mut(), 10, &raw mut needed) };
        assert_eq!(r.unwrap_err().status, velip_status::VELIP_NULL_PARAMETER);
        assert_eq!(needed, 4);
        // SAFETY: as above.
        let r = unsafe { copy_out("abc", std::ptr::null_mut(), 0, std::ptr::null_mut()) };
        assert_eq!(r.unwrap_err().status, velip_status::VELIP_BUFFER_TOO_SMALL);
    }

    #[test]
    fn interior_nul_is_replaced() {
        assert_eq!(c_string("a\0b").to_str().unwrap(), "a\u{FFFD}b");
    }
}
