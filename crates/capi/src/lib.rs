//! `libvelip`: the C API of the Velip SDK (`include/velip.h`).
//!
//! Built as `libvelip.so` and `libvelip.a`. The SONAME changes with every
//! breaking release: `libvelip.so.0.<minor>` while the version is 0.x,
//! `libvelip.so.<major>` from 1.0 (see `build.rs`). The header is generated
//! by cbindgen (`scripts/header`), committed, and checked for drift by
//! `tests/header.rs`. See `docs/c.md` for the conventions; in short:
//!
//! - every symbol is `velip_` / `VELIP_`; opaque handles come in
//!   `velip_X_new` / `velip_X_free` pairs and `free(NULL)` is a no-op;
//!   every record handed out by a step of a walk is the caller's;
//! - fallible functions return [`velip_status`] (0 = `VELIP_OK`) and write
//!   their out-parameters only on success;
//! - every enumeration crosses the boundary as a `uint32_t` typedef with
//!   `#define`d values, never as a C `enum`; no velip struct has public
//!   fields (the Arrow C stream of `velip_call_iter_arrow_stream` uses the
//!   Arrow specification's structs);
//! - inputs are NUL-terminated UTF-8 (NULL or invalid UTF-8 is an error
//!   status); outputs are borrowed `const char*` owned by an object, or
//!   copied into caller buffers;
//! - every body runs inside one panic boundary (`VELIP_PANIC`), and panics
//!   never print to the host's stderr (they go to the log callback);
//! - a client may be shared across threads and interrupted from any of
//!   them (or a signal handler); records, lists and pages are immutable and
//!   may be read concurrently; the last error is per thread.
//!
//! The functions are `unsafe extern "C"` so that Rust callers (tests) see
//! the same contract as C callers.
//!
//! ```
//! use std::ffi::CStr;
//! let v = unsafe { CStr::from_ptr(velip::velip_version()) };
//! assert_eq!(v.to_str().unwrap(), env!("CARGO_PKG_VERSION"));
//! ```

// The C names (`velip_record`, `VELIP_OK`) are the names in velip.h.
#![allow(non_camel_case_types)]
// The C boundary: the one crate (with the Python extension) where unsafe
// code is allowed; every pointer is handled in `boundary.rs`.
#![allow(unsafe_code)]

pub mod arrow;
pub mod boundary;
pub mod client;
pub mod decode;
pub mod error;
pub mod filter;
mod interrupt;
pub mod iter;
mod lazy;
pub mod list;
pub mod log;
pub mod money;
pub mod page;
pub mod phone;
pub mod quota;
pub mod record;
pub mod status;

use std::ffi::c_char;

pub use status::velip_status;

/// The library version, `"0.1.0"`, matching the `VELIP_VERSION_*` macros
/// of the header the program was compiled with (compare them to detect a
/// header/library mismatch; within one SONAME they differ at most in the
/// patch level, or in the minor from 1.0 on).
///
/// Returns a static NUL-terminated string; never NULL; do not free it.
///
/// # Safety
/// Always safe.
#[unsafe(no_mangle)]
pub extern "C" fn velip_version() -> *const c_char {
    boundary::ffi_panic_boundary! {
        VERSION.as_ptr()
    }
}

const VERSION: &std::ffi::CStr = match std::ffi::CStr::from_bytes_with_nul(
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes(),
) {
    Ok(v) => v,
    Err(_) => panic!("version has a NUL"),
};
