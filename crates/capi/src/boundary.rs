//! The one place where C meets Rust: the panic boundary, pointer casts,
//! NULL checks, UTF-8 checks, out-parameters and caller buffers.
//!
//! Every exported function body runs inside `ffi_panic_boundary!`; every
//! raw pointer is turned into a reference by a function of this module.

use std::cell::Cell;
use std::ffi::{CStr, CString, c_char};
use std::marker::PhantomData;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::ptr::NonNull;
use std::sync::Once;

use crate::error::Error;
use crate::status::{
    VELIP_BUFFER_TOO_SMALL, VELIP_INVALID_UTF8, VELIP_NULL_PARAMETER, VELIP_OK, VELIP_PANIC,
    velip_status,
};

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
            Ok(()) => VELIP_OK,
            Err(e) => e.record(),
        }
    }
    fn panicked() -> velip_status {
        VELIP_PANIC
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
        VELIP_PANIC
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

thread_local! {
    /// How many exported functions are running on this thread (a log
    /// callback may call back into the library).
    static DEPTH: Cell<u32> = const { Cell::new(0) };
}

/// Runs `f`, catching a panic. Used through `ffi_panic_boundary!`.
pub(crate) fn guard<R: FfiReturn>(f: impl FnOnce() -> R) -> R::Out {
    match catch(f) {
        Ok(r) => r.finish(),
        Err(message) => {
            let _ = Error::new(VELIP_PANIC, message).record();
            R::panicked()
        }
    }
}

/// Runs `f` as library code (its panic goes to the log callback, not to
/// stderr), catching a panic: `Err` holds its message. The panic boundary
/// of exported functions ([`guard`]) and of the callbacks the library hands
/// out (the Arrow stream's).
pub(crate) fn catch<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    install_panic_hook();
    DEPTH.with(|d| d.set(d.get() + 1));
    let outcome = catch_unwind(AssertUnwindSafe(f));
    DEPTH.with(|d| d.set(d.get().saturating_sub(1)));
    outcome.map_err(|payload| {
        let what = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_owned());
        format!("internal error (panic caught at the C boundary): {what}")
    })
}

/// Whether a panic on this thread is the library's: inside an exported
/// function, or on one of the library's own threads (`velip-fetch`,
/// `velip-decode`, `velip-request`).
fn panic_is_ours() -> bool {
    DEPTH.with(Cell::get) > 0
        || std::thread::current()
            .name()
            .is_some_and(|n| n.starts_with("velip-"))
}

/// Installs (once) a panic hook that keeps the library's panics off the
/// host's stderr: they go to the log callback (`velip_set_log_callback`,
/// level error) and, inside an exported function, become `VELIP_PANIC`
/// with the message as last error. Panics of other Rust code in the same
/// process (a Rust host linking `libvelip.a`) still reach the hook that was
/// installed before.
fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if panic_is_ours() {
                log::error!(target: "velip", "internal error (panic): {info}");
            } else {
                previous(info);
            }
        }));
    });
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

/// Borrows the value behind a handle, `None` for NULL: no error is made
/// (nothing allocates), for `velip_client_interrupt`, which a signal
/// handler may call.
///
/// # Safety
/// As [`try_ref`].
pub(crate) unsafe fn opt_ref<'a, H: Handle>(p: *const H) -> Option<&'a H::Rust> {
    // SAFETY: per this function's contract.
    (!p.is_null()).then(|| unsafe { &*p.cast::<H::Rust>() })
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
            VELIP_INVALID_UTF8,
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

/// The body of every function that copies text into a caller buffer
/// `(buf, len, needed)`: `text` makes the text (it may fail: validation,
/// a bad argument).
///
/// - `*needed` (when `needed` is not NULL) is written whatever the outcome:
///   the size the text needs, NUL included, or 0 when `text` failed.
/// - `buf` NULL with `len` 0 asks for the size only: `VELIP_OK`, with
///   `*needed` set (`needed` is then required), and the last error is left
///   alone: a size query is not an error.
/// - `buf` NULL with a non-zero `len` is `VELIP_NULL_PARAMETER`.
/// - `len` smaller than needed is `VELIP_BUFFER_TOO_SMALL`, and nothing is
///   written to `buf`.
///
/// # Safety
/// `buf` must be NULL or valid for writing `len` bytes; `needed` NULL or
/// valid for writing one `size_t`.
pub(crate) unsafe fn copy_text(
    buf: *mut c_char,
    len: usize,
    needed: *mut usize,
    text: impl FnOnce() -> Result<String, Error>,
) -> Result<(), Error> {
    // SAFETY: per this function's contract.
    let needed = unsafe { opt_out(needed) };
    let text = match text() {
        Ok(t) => t,
        Err(e) => {
            if let Some(n) = needed {
                n.write(0);
            }
            return Err(e);
        }
    };
    // SAFETY: per this function's contract.
    unsafe { copy_out(&text, buf, len, needed) }
}

/// Copies `text` and a NUL into the caller's buffer `buf` of `len` bytes,
/// with the rules of [`copy_text`].
///
/// # Safety
/// `buf` must be NULL or valid for writing `len` bytes.
pub(crate) unsafe fn copy_out(
    text: &str,
    buf: *mut c_char,
    len: usize,
    needed: Option<Out<'_, usize>>,
) -> Result<(), Error> {
    let need = text.len() + 1;
    let size_query = buf.is_null() && len == 0;
    match needed {
        Some(n) => n.write(need),
        None if size_query => {
            return Err(Error::new(
                VELIP_NULL_PARAMETER,
                "parameter `needed` is NULL: a size query (buf NULL, len 0) needs it",
            ));
        }
        None => {}
    }
    if size_query {
        return Ok(());
    }
    if buf.is_null() {
        return Err(Error::new(
            VELIP_NULL_PARAMETER,
            format!(
                "parameter `buf` is NULL but `len` is {len} (pass NULL with 0 to ask for the size)"
            ),
        ));
    }
    if len < need {
        return Err(Error::new(
            VELIP_BUFFER_TOO_SMALL,
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

/// A `CString` from owned Rust text, reusing its buffer; an interior NUL is
/// replaced by U+FFFD.
pub(crate) fn c_string_owned(s: String) -> CString {
    CString::new(s).unwrap_or_else(|e| c_string(&String::from_utf8_lossy(&e.into_vec())))
}

/// A `CString` of a value's `Display` text, in one allocation of the exact
/// size: short texts (ids, dates, amounts) are formatted on the stack first.
pub(crate) fn c_display(v: &(impl std::fmt::Display + ?Sized)) -> CString {
    use std::fmt::Write as _;
    let mut small = StackText::default();
    if write!(small, "{v}").is_ok() {
        let text = small.text();
        let mut bytes = Vec::with_capacity(text.len() + 1);
        bytes.extend_from_slice(text);
        bytes.push(0);
        return CString::from_vec_with_nul(bytes)
            .unwrap_or_else(|_| c_string(&String::from_utf8_lossy(text)));
    }
    c_string_owned(v.to_string())
}

/// A formatting target on the stack; fails (so the caller falls back to a
/// `String`) when the text does not fit.
pub(crate) struct StackText {
    buf: [u8; 64],
    len: usize,
}

impl StackText {
    /// The text written so far.
    pub(crate) fn text(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

impl Default for StackText {
    fn default() -> Self {
        Self {
            buf: [0; 64],
            len: 0,
        }
    }
}

impl std::fmt::Write for StackText {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len + s.len();
        let dst = self.buf.get_mut(self.len..end).ok_or(std::fmt::Error)?;
        dst.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
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
        assert_eq!(st, VELIP_PANIC);
        assert_eq!(crate::error::velip_last_error_status(), VELIP_PANIC);
        let p: *const u8 = ffi_panic_boundary! {
            assert!(!std::hint::black_box(true), "boom");
            std::ptr::dangling::<u8>()
        };
        assert!(p.is_null());
    }

    /// The child half of `panics_never_reach_stderr`.
    #[test]
    fn panic_child() {
        if std::env::var_os("VELIP_PANIC_CHILD").is_none() {
            return;
        }
        let st = ffi_panic_boundary! {
            assert!(!std::hint::black_box(true), "boom-at-the-boundary");
            Ok::<(), Error>(())
        };
        assert_eq!(st, VELIP_PANIC);
        // A panic on one of the library's threads stays quiet too.
        let t = std::thread::Builder::new()
            .name("velip-test".to_owned())
            .spawn(|| assert!(!std::hint::black_box(true), "boom-on-a-helper"))
            .unwrap();
        assert!(t.join().is_err());
    }

    #[test]
    fn panics_never_reach_stderr() {
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "boundary::tests::panic_child", "--nocapture"])
            .env("VELIP_PANIC_CHILD", "1")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{stderr}");
        assert!(!stderr.contains("boom"), "{stderr}");
    }

    #[test]
    fn copy_text_reports_the_needed_size() {
        let ok = |t: &str| {
            let t = t.to_owned();
            move || Ok::<String, Error>(t)
        };
        let mut buf = [1 as c_char; 4];
        let mut needed = 0usize;
        // SAFETY: valid buffer and out-parameter.
        let r = unsafe { copy_text(buf.as_mut_ptr(), buf.len(), &raw mut needed, ok("abcd")) };
        assert_eq!(r.unwrap_err().status, VELIP_BUFFER_TOO_SMALL);
        assert_eq!(needed, 5);
        assert_eq!(buf, [1; 4]);
        // SAFETY: as above.
        unsafe { copy_text(buf.as_mut_ptr(), buf.len(), std::ptr::null_mut(), ok("abc")) }.unwrap();
        assert_eq!(buf, [97, 98, 99, 0]);
        // SAFETY: NULL buffers are checked before any write.
        let r = unsafe { copy_text(std::ptr::null_mut(), 10, &raw mut needed, ok("abc")) };
        assert_eq!(r.unwrap_err().status, VELIP_NULL_PARAMETER);
        assert_eq!(needed, 4);
        // A size query succeeds.
        needed = 0;
        // SAFETY: as above.
        unsafe { copy_text(std::ptr::null_mut(), 0, &raw mut needed, ok("abcdef")) }.unwrap();
        assert_eq!(needed, 7);
        // SAFETY: as above.
        let r = unsafe { copy_text(std::ptr::null_mut(), 0, std::ptr::null_mut(), ok("abc")) };
        assert_eq!(r.unwrap_err().status, VELIP_NULL_PARAMETER);
        // A failure before any text: `needed` is 0.
        needed = 9;
        // SAFETY: as above.
        let r = unsafe {
            copy_text(buf.as_mut_ptr(), buf.len(), &raw mut needed, || {
                Err(Error::invalid("no"))
            })
        };
        assert!(r.is_err());
        assert_eq!(needed, 0);
    }

    #[test]
    fn interior_nul_is_replaced() {
        assert_eq!(c_string("a\0b").to_str().unwrap(), "a\u{FFFD}b");
        assert_eq!(c_display(&"a\0b").to_str().unwrap(), "a\u{FFFD}b");
        let long = "x".repeat(100) + "\0";
        assert_eq!(c_display(&long).to_bytes().len(), 100 + 3);
        assert_eq!(c_display(&42).to_str().unwrap(), "42");
    }
}
